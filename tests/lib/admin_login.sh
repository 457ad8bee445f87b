# An admin's password session for a test's cross-site checks (docs/security.md "Admin
# accounts"): a --admins file and a login.  Source after common.sh.
#
#   admin_file FILE NAME PASSWORD   write FILE: NAME with a SHA-512 crypt(3) hash of
#                                   PASSWORD (libcrypt through python3's ctypes), mode 644
#   admin_login URL NAME PASSWORD JAR [CURL..]   POST URL/api/login, the cookie into JAR;
#                                   prints the CSRF token of the answer (empty on failure)

admin_file() {
	python3 - "$2" "$3" > "$1" <<'EOF'
import ctypes, sys
lib = ctypes.CDLL("libcrypt.so.1")
lib.crypt_gensalt_ra.restype = ctypes.c_void_p
lib.crypt_gensalt_ra.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
salt = ctypes.cast(lib.crypt_gensalt_ra(b"$6$", 0, None, 0), ctypes.c_char_p).value
print("%s:%s" % (sys.argv[1], lib.crypt(sys.argv[2].encode(), salt).decode()))
EOF
	chmod 644 "$1"
}

admin_login() {
	local url=$1 name=$2 pass=$3 jar=$4
	shift 4
	"$@" curl -s -c "$jar" --data-urlencode "name=$name" --data-urlencode "password=$pass" \
		"$url/api/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])' \
		2>/dev/null
}
