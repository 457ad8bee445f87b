#!/bin/bash
# Admin accounts and TLS (issue 15, docs/security.md "Admin accounts"): --admins FILE
# (NAME:HASH, crypt(3)) logs admins in with a session cookie (HttpOnly, SameSite=Strict,
# Path=/, Max-Age; Secure and __Host- under TLS) minted only at a login, so a planted
# cookie is never adopted; a cookie's POST needs X-Strata-CSRF and the server's Origin;
# logout and a SIGHUP that drops the admin end the session; repeated failures from one
# address get 429 with Retry-After, and so do logins beyond 8 a second; Bearer tokens work as before; the audit log names the
# admin and the via.  With --tls-cert/--tls-key the dashboard and API are served over
# HTTPS (a self-signed certificate made here with openssl) and the plain port refuses
# /api and sends /ui to https.  Loopback only; needs curl, sqlite3, openssl, python3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
need_tools curl sqlite3 openssl python3
W=$(mktemp -d /tmp/strata-accounts.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# hash METHOD PASSWORD: a crypt(3) hash (python3's crypt: yescrypt is not in it, so SHA-512
# and bcrypt's cost-5 $2b$ from libcrypt itself through ctypes).
hash() {
	python3 - "$1" "$2" <<'EOF' 2>/dev/null
import ctypes, sys
lib = ctypes.CDLL("libcrypt.so.1")
lib.crypt_gensalt_ra.restype = ctypes.c_void_p
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
lib.crypt_gensalt_ra.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
salt = ctypes.cast(lib.crypt_gensalt_ra(sys.argv[1].encode(), 0, None, 0), ctypes.c_char_p).value
print(lib.crypt(sys.argv[2].encode(), salt).decode())
EOF
}
# login NAME PASSWORD [URL] [CURL ARGS..]: POST /api/login, cookies to $W/jar, the
# answer's JSON to $W/login.json, the headers to $W/login.h; prints the status.
login() {
	local n=$1 p=$2 url=${3:-$U}
	shift 3 2>/dev/null || shift $#
	curl -s -o "$W/login.json" -D "$W/login.h" -w '%{http_code}' -c "$W/jar" "$@" \
		--data-urlencode "name=$n" --data-urlencode "password=$p" "$url/api/login"
}
csrf() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$W/login.json"; }
cookie_of() { sed -n 's/.*\t\(__Host-strata\|strata\)\t\([0-9a-f]*\)$/\2/p' "$W/jar" | tail -1; }
orders_by() { srv_sql "$W" "SELECT token_name || '|' || via || '|' || action FROM orders ORDER BY id"; }
srv_root "$W"

ALICE=$(hash '$y$' 'correct horse')
BOB=$(hash '$6$' 'battery staple')
CAROL=$(hash '$2b$' 'tr0ub4dor')
check "yescrypt, SHA-512 and bcrypt hashes made" sh -c "case '$ALICE$BOB$CAROL' in *'\$y\$'*'\$6\$'*'\$2b\$'*) exit 0;; esac; exit 1"
printf '# lab admins\nalice:%s\nbob:%s\ncarol:%s\n' "$ALICE" "$BOB" "$CAROL" > "$W/admins"

# The file's refusals name FILE:LINE and the fix.
bad_admins() {
	printf '%s\n' "$1" > "$W/bad"
	"$SRV" --root "$W/root" --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off \
		--admins "$W/bad" 2>&1 | grep -q "bad:1: $2"
}
check "admins: \$apr1\$ (htpasswd's default) refused, naming the fix" bad_admins 'eve:$apr1$abc$defghijklmnopqrstuvwx' "HASH is not of a method taken.*mkpasswd -m yescrypt"
check "admins: MD5-crypt refused" bad_admins 'eve:$1$abcdefgh$abcdefghijklmnopqrstuv' "HASH is not of a method taken"
check "admins: a trailing space refused" bad_admins "eve:$BOB " "HASH must be one crypt(3) hash without blanks"
check "admins: a reserved name refused" bad_admins "inventory:$BOB" "NAME is one the audit log gives"
check "admins: no colon refused" bad_admins "eve $BOB" "expected 'NAME:HASH'"

check "server with --admins and --api-tokens starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens" --admins "$W/admins"
check "admins of mixed hash methods: a warning at load (timing)" grep -q "differ in method or cost, so a login.s time may tell whether a name exists" "$W/log"
check "start names the admin count" grep -q "admins: 3 admins" "$W/log"
check "start warns: no TLS" grep -q "warning: --admins without --tls-cert" "$W/log"

# Logins: each method, a wrong password, an unknown name, a password in the URL.
check "login alice (yescrypt): 200" test "$(login alice 'correct horse')" = 200
check "login answers the admin and a CSRF token" python3 -c "import json; j = json.load(open('$W/login.json')); assert j['admin'] == 'alice' and len(j['csrf']) == 64 and j['tls'] is False and j['origin'] == '$U'"
check "cookie: HttpOnly; SameSite=Strict; Path=/; Max-Age=43200, no Secure on plain HTTP" grep -qE '^Set-Cookie: strata=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200'$'\r''$' "$W/login.h"
A_CSRF=$(csrf)
A_COOKIE=$(cookie_of)
check "login bob (SHA-512): 200" test "$(login bob 'battery staple' "$U" -c "$W/jar-bob")" = 200
check "login carol (bcrypt): 200" test "$(login carol 'tr0ub4dor' "$U" -c "$W/jar-carol")" = 200
check "wrong password: 401" test "$(login alice 'wrong' "$U" -c /dev/null)" = 401
check "unknown name: 401" test "$(login mallory 'correct horse' "$U" -c /dev/null)" = 401
check "password in the URL: 400" test "$(code -X POST "$U/api/login?name=alice&password=correct+horse")" = 400
check "login from a foreign Origin: 403" test "$(login alice 'correct horse' "$U" -c /dev/null -H 'Origin: http://evil.example')" = 403
check "the log names the login, never the cookie" sh -c "grep -q 'login: alice from 127.0.0.1 (session [0-9a-f]\{8\})' '$W/log' && ! grep -q '$A_COOKIE' '$W/log'"
check "no password in the log" sh -c "! grep -q 'correct horse\|battery staple' '$W/log'"

# The session's GET and its orders.
check "GET /api/session with the cookie: alice via session" sh -c "curl -s -b '$W/jar' '$U/api/session' | grep -q '\"admin\": \"alice\", \"via\": \"session\", \"csrf\": \"$A_CSRF\"'"
check "GET /machines.json with the cookie: 200" test "$(code -b "$W/jar" "$U/machines.json")" = 200
check "order with cookie, CSRF and Origin: 200" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $A_CSRF" -H "Origin: $U" -X POST "$U/api/deploy/pc01")" = 200
check "order with cookie, no CSRF token: 403" test "$(code -b "$W/jar" -H "Origin: $U" -X POST "$U/api/deploy/pc02")" = 403
# The right token with its last character changed (never to itself).
BAD_CSRF=${A_CSRF%?}$([ "${A_CSRF: -1}" = 0 ] && echo 1 || echo 0)
check "order with cookie, a wrong CSRF token: 403" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $BAD_CSRF" -H "Origin: $U" -X POST "$U/api/deploy/pc02")" = 403
check "order with cookie and CSRF, no Origin: 403" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $A_CSRF" -X POST "$U/api/deploy/pc02")" = 403
check "order with cookie and CSRF, a foreign Origin: 403" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $A_CSRF" -H 'Origin: http://evil.example' -X POST "$U/api/deploy/pc02")" = 403
check "bob's token is not alice's: 403" test "$(code -b "$W/jar-bob" -H "X-Strata-CSRF: $A_CSRF" -H "Origin: $U" -X POST "$U/api/deploy/pc02")" = 403
check "two Cookie headers: 400" test "$(code -H "Cookie: strata=$A_COOKIE" -H "Cookie: strata=$A_COOKIE" "$U/machines.json")" = 400
check "a cookie of another shape is no session: 401" test "$(code -H "Cookie: strata=abc" "$U/machines.json")" = 401
check "other apps' cookies, flags and junk beside the session: 200" test "$(code -H "Cookie: strata=junk; flag; theme=dark;; strata=$A_COOKIE" "$U/machines.json")" = 200
check "Bearer token still works: 200" test "$(code -H "$SRV_AUTH" -X POST "$U/api/deploy/pc03")" = 200
check "audit: alice via session, admin via token, the logins" test "$(orders_by | tr '\n' ' ')" = "alice|session|login bob|session|login carol|session|login alice|session|deploy admin|token|deploy "
check "refused orders left pc02 alone" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q '\"name\": \"pc02\".*\"pending\": \"none\"'"

# Fixation: a cookie the browser held before the login is never adopted.
PLANT=$(printf '%064d' 7)
check "a planted cookie names no session: 401" test "$(code -H "Cookie: strata=$PLANT" "$U/api/session")" = 401
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tstrata\t%s\n' "$PLANT" > "$W/jar-plant"
login alice 'correct horse' "$U" -b "$W/jar-plant" -c "$W/jar-plant" >/dev/null
check "login with a planted cookie mints a new value" sh -c "grep -q 'Set-Cookie: strata=' '$W/login.h' && ! grep -q 'Set-Cookie: strata=$PLANT' '$W/login.h'"
check "the planted value still names nothing" test "$(code -H "Cookie: strata=$PLANT" "$U/api/session")" = 401

# Logout ends the session; the old cookie is refused after it.
check "logout without CSRF: 403" test "$(code -b "$W/jar" -H "Origin: $U" -X POST "$U/api/logout")" = 403
check "logout: 204" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $A_CSRF" -H "Origin: $U" -X POST "$U/api/logout")" = 204
check "the old cookie after logout: 401" test "$(code -H "Cookie: strata=$A_COOKIE" "$U/api/session")" = 401

# A SIGHUP without bob ends bob's session; carol's stays.
grep -v '^bob:' "$W/admins" > "$W/admins.new" && mv "$W/admins.new" "$W/admins"
kill -HUP "$SRV_PID"
for _ in $(seq 50); do grep -q "admins: 2 admins" "$W/log" && break; sleep 0.1; done
check "SIGHUP re-reads the admins" grep -q "admins: 2 admins" "$W/log"
check "bob's session ended with his line: 401" test "$(code -b "$W/jar-bob" "$U/api/session")" = 401
check "carol's session stays: 200" test "$(code -b "$W/jar-carol" "$U/api/session")" = 200

# The server-wide budget: 20 right passwords at once meet the 8 checks a second (the
# logins before them are counted in the same seconds, so wait for a fresh one).
sleep 1.1
for i in $(seq 20); do login carol 'tr0ub4dor' "$U" -c /dev/null; echo; done > "$W/burst"
check "20 logins at once: some get 429 (the budget), the rest 200" sh -c "grep -qx 429 '$W/burst' && grep -qx 200 '$W/burst' && test \$(grep -cvx '200\|429' '$W/burst') = 0"
# Failed logins from one address: 5 answered 401, then 429 with a growing Retry-After,
# the right password refused too while locked out; no handler sleeps.
sleep 1.1
for i in 1 2 3 4 5; do login carol "wrong$i" "$U" -c /dev/null > "$W/fail$i"; done
check "5 failures answered 401" test "$(cat "$W"/fail? | tr -d '\n')" = 401401401401401
T0=$(now_ms)
check "the 6th failure: 429" test "$(login carol wrong6 "$U" -c /dev/null)" = 429
check "429 says Retry-After: 2" grep -q $'^Retry-After: 2\r$' "$W/login.h"
check "locked out: the right password gets 429 too" test "$(login carol 'tr0ub4dor' "$U" -c /dev/null)" = 429
check "429s are answered at once (no sleeping)" test $(($(now_ms) - T0)) -lt 2000
sleep 2.2
sleep 0.1
check "after the wait, the 7th failure: 429" test "$(login carol wrong7 "$U" -c /dev/null)" = 429
check "... with Retry-After: 4" grep -q $'^Retry-After: 4\r$' "$W/login.h"
check "Bearer orders still work during a lock-out" test "$(code -H "$SRV_AUTH" -X POST "$U/api/deploy/pc03")" = 200
srv_stop; rc=$?
check "clean exit on SIGTERM" test "$rc" = 0

# TLS: a self-signed certificate; the plain port keeps the agents' routes only.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
HS=$(free_port)
check "server with TLS starts" srv_start "$W" "$W/log-tls" --api-tokens "$W/api-tokens" --admins "$W/admins" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" --https-port "$HS"
S=https://127.0.0.1:$HS
check "start names the https URL" grep -q "admins use $S (HTTPS port $HS)" "$W/log-tls"
check "https: login 200" test "$(login alice 'correct horse' "$S" -k -c "$W/jar-tls")" = 200
check "https cookie: __Host-strata, Secure" grep -qE '^Set-Cookie: __Host-strata=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200; Secure'$'\r''$' "$W/login.h"
check "https: the login's origin is the https URL" python3 -c "import json; j = json.load(open('$W/login.json')); assert j['tls'] is True and j['origin'] == '$S'"
T_CSRF=$(csrf)
check "https: order with cookie, CSRF and Origin: 200" test "$(code -k -b "$W/jar-tls" -H "X-Strata-CSRF: $T_CSRF" -H "Origin: $S" -X POST "$S/api/deploy/pc02")" = 200
check "https: Bearer token: 200" test "$(code -k -H "$SRV_AUTH" "$S/machines.json")" = 200
check "plain port: /api refused 403" test "$(code -H "$SRV_AUTH" "$U/machines.json")" = 403
check "plain port: the refusal names the https URL" sh -c "curl -s -H '$SRV_AUTH' -X POST '$U/api/deploy/pc01' | grep -q 'over HTTPS only: use $S'"
check "plain port: login refused 403" test "$(login alice 'correct horse' "$U" -c /dev/null)" = 403
check "plain port: /ui answers 308 to https" sh -c "curl -s -o /dev/null -D - '$U/ui' | grep -q \"^Location: $S/ui\""
check "plain port: agents' routes still served" test "$(code "$U/ipxe/52:54:00:5e:00:02")" = 200
check "plain port: an agent's route with a token refused 403 (no credential in clear)" test "$(code -H "$SRV_AUTH" "$U/manifest/52:54:00:5e:00:02")" = 403
check "plain port: / answers 308 to https" sh -c "curl -s -o /dev/null -D - '$U/' | grep -q \"^Location: $S/\""
check "https: / answers 303 to /ui" sh -c "curl -sk -o /dev/null -D - '$S/' | grep -q '^HTTP/1.1 303' && curl -sk -o /dev/null -D - '$S/' | grep -q '^Location: /ui'"
check "https: /ui is the dashboard's page, with its CSP" sh -c "curl -sk -D - '$S/ui' | grep -q \"^Content-Security-Policy: default-src 'self'\""
check "https: TLS 1.1 refused" sh -c "! echo | openssl s_client -connect 127.0.0.1:$HS -tls1_1 2>/dev/null | grep -q 'BEGIN CERTIFICATE\|Cipher is [A-Z]'"
check "audit: the https order names alice via session" test "$(srv_sql "$W" "SELECT token_name || '|' || via FROM orders WHERE action = 'deploy' ORDER BY id DESC LIMIT 1")" = "alice|session"
srv_stop; rc=$?
check "clean exit on SIGTERM (TLS)" test "$rc" = 0
check "a --url over 255 characters refused" sh -c "'$SRV' --root '$W/root' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off --url 'http://127.0.0.1/$(printf 'x%.0s' $(seq 1 260))' 2>&1 | grep -q 'at most 255 characters'"
check "--tls-cert without --tls-key refused" sh -c "'$SRV' --root '$W/root' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off --tls-cert '$W/cert.pem' 2>&1 | grep -q 'go together'"
finish
