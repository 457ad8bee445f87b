# Captured generations for the server suites that play a machine with strata-image and
# tests/tools/session_client.py (server/restore.sh, server/replace.sh).  Source after
# common.sh, server.sh and session.sh.
#
#   gen_setup PREFIX      needs curl, sqlite3, python3 with python3-cryptography (without
#                         it: says skip and exits 0) and strata-image (STRATA_IMAGE_BIN:
#                         $STRATA_IMAGE, default build/san/strata-image); W: a new folder
#                         /tmp/PREFIX.XXXXXX, removed on exit
#   post ARGS..           curl -s -X POST with the admin credential (SRV_AUTH)
#   code ARGS..           curl's HTTP status only
#   json EXPR             EXPR of the JSON on stdin (as d), printed
#   reloads               how many catalog builds LOG shows as finished (the start's, then
#                         each reload's)
#   wait_reload N         until LOG shows more than N (10 s at most)
#   token NAME            order a machine capture of NAME (at U), print its token
#   capture_with TOKEN IMG   IMG as the task's generation of data, the task ended; waits for
#                         the reload its end asks for; prints the layer id
#   gen NAME IMG          capture_with a new order's token
#   img FILE KIB          FILE: KIB KiB of random bytes, then 64 KiB of zeros
gen_setup() {
	need_tools curl sqlite3 python3
	python3 -c "import cryptography" 2>/dev/null || { echo "skip: python3-cryptography missing"; exit 0; }
	STRATA_IMAGE_BIN=${STRATA_IMAGE:-build/san/strata-image}
	need_built "$STRATA_IMAGE_BIN"
	W=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 755 "$W"
	rm_on_exit "$W"
}
post() { curl -s -X POST -H "$SRV_AUTH" "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
reloads() { grep -c '^strata-server: .*inventory.conf: [0-9]* profiles, [0-9]* machines$' "$LOG"; }
wait_reload() { for _ in $(seq 100); do [ "$(reloads)" -gt "$1" ] && return 0; sleep 0.1; done; return 1; }
token() { post "$U/api/capture/$1" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p'; }
capture_with() {
	local n=$(reloads) id
	id=$("$STRATA_IMAGE_BIN" build --store "$U" --token "$1" --part data "$2" 2>>"$W/gen.err" |
		tail -n1)
	"$STRATA_IMAGE_BIN" capture-done --store "$U" --token "$1" > /dev/null 2>>"$W/gen.err" &&
		wait_reload "$n" && echo "$id"
}
gen() { capture_with "$(token "$1")" "$2"; }
img() { head -c $(($2 * 1024)) /dev/urandom > "$1"; head -c 65536 /dev/zero >> "$1"; }
