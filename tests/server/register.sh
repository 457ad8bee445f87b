#!/bin/bash
# Registration (server/register*.c, docs/registration.md) against strata-server on
# loopback, no VM: without a `registered` statement POST /api/register answers 409 naming
# the line to add; with it, three unknown PCs (seen through GET /ipxe/MAC, listed by GET
# /api/unknown) registered as lab300-01..03 (pattern lab300-##, room r300) give the
# registered file's exact lines, a reload, the new machines in /api/machines with their
# room, and leave /api/unknown; names in use are skipped (pattern pc## from 1 gives pc04,
# pc05), also right after a registration, before its reload; a MAC registered or in the
# inventory, an unknown profile or site, bad patterns, a pattern out of numbers are
# refused; the audit has one row "register"; 401 without a credential, 403 to a cookie
# from another Origin; a registered file holding another statement fails the reload
# naming FILE:LINE; the admin's inventory is never written (cmp).  Needs curl, python3,
# sqlite3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/admin_login.sh"
need_tools curl python3 sqlite3
need_built "$SRV"
server_sanitizers
W=$(mktemp -d /tmp/strata-register.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"
LOG=$W/log
INV=$W/root/inventory.conf
REG=$W/root/state/registered.conf

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# reg BODY: POST /api/register with the token; the answer in $W/answer; prints the status
reg() { curl -s -o "$W/answer" -w '%{http_code}' -H "$SRV_AUTH" --data "$1" "$U/api/register"; }
# jq_ FILE EXPR: python's EXPR holds of FILE's JSON j
jq_() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }
api() { curl -s -H "$SRV_AUTH" "$U$1" > "$W/got" && jq_ "$W/got" "$2"; }
reloads() { grep -c '^strata-server: .*inventory.conf: [0-9]* profiles, [0-9]* machines$' "$LOG"; }
wait_reload() { for _ in $(seq 100); do [ "$(reloads)" -gt "$1" ] && return 0; sleep 0.1; done; return 1; }

srv_root "$W"
sed -i 's/^machine 52:54:00:5e:00:0\([123]\) .*/& room=r200/' "$INV"
admin_file "$W/admins" alice 'correct horse'
check "server starts" srv_start "$W" "$LOG" --api-tokens "$W/api-tokens" --admins "$W/admins"

# Without the statement: 409 naming the line to add; nothing written.
for m in 01 02 03 04 05 06; do curl -s -o /dev/null "$U/ipxe/52:54:00:77:00:$m"; done
check "unknown PCs listed" api /api/unknown "len(j['pcs']) == 6 and all(p['how'] == 'ipxe' for p in j['pcs'])"
check "no 'registered' statement: 409" test "$(reg 'macs=52:54:00:77:00:01&pattern=lab300-##&profile=lab')" = 409
check "  naming the line to add" grep -q "add the line 'registered state/registered.conf'" "$W/answer"
check "  no file written" test ! -e "$REG"

# The admin adds the statement; from here on the inventory must stay byte for byte.
printf '\nregistered state/registered.conf\n' >> "$INV"
cp "$INV" "$W/inventory.ref"
n=$(reloads)
kill -HUP "$SRV_PID"
check "reload with the statement (no file yet)" wait_reload "$n"

n=$(reloads)
check "register 3 PCs as lab300-##: 200" test "$(reg 'macs=52:54:00:77:00:01,52:54:00:77:00:02,52:54:00:77:00:03&pattern=lab300-%23%23&start=1&profile=lab&room=r300')" = 200
check "  the answer: names, file, reload" jq_ "$W/answer" "[(r['mac'], r['name']) for r in j['registered']] == [('52:54:00:77:00:01', 'lab300-01'), ('52:54:00:77:00:02', 'lab300-02'), ('52:54:00:77:00:03', 'lab300-03')] and j['file'].endswith('state/registered.conf') and j['reload'] == 'started'"
printf 'machine 52:54:00:77:00:0%s name=lab300-0%s profile=lab room=r300\n' 1 1 2 2 3 3 > "$W/want"
check "  the registered file's exact lines" cmp "$REG" "$W/want"
check "  no temporary file left" sh -c "! ls '$W/root/state/' | grep -q 'registered.conf.tmp'"
check "  the catalog reloads" wait_reload "$n"
check "  the new machines with their room" api /api/machines "sorted(m['name'] for m in j['machines'] if m['room'] == 'r300') == ['lab300-01', 'lab300-02', 'lab300-03']"
check "  they leave /api/unknown" api /api/unknown "sorted(p['mac'] for p in j['pcs']) == ['52:54:00:77:00:04', '52:54:00:77:00:05', '52:54:00:77:00:06']"
check "  their scripts are served (known machines now)" sh -c "curl -s '$U/ipxe/52:54:00:77:00:01' | grep -qv 'unknown'"
check "  one audit row: register lab300-##, 3 machines" test "$(srv_sql "$W" "SELECT o.token_name || '|' || o.target || '|' || count(*) || '|' || min(m.outcome) FROM orders o JOIN order_machines m ON m.order_id = o.id WHERE o.action = 'register' GROUP BY o.id")" = "admin|lab300-##|3|registered"

# Names in use are skipped, including those registered but not reloaded yet.
n=$(reloads)
check "pattern pc## from 1 skips pc01..pc03: pc04" sh -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'macs=52:54:00:77:00:04&pattern=pc%23%23&profile=lab' '$U/api/register')\" = 200 && grep -q '\"name\":\"pc04\"' '$W/answer'"
check "  at once again (before the reload): pc05" sh -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'macs=52:54:00:77:00:05&pattern=pc%23%23&profile=lab&site=' '$U/api/register')\" = 200 && grep -q '\"name\":\"pc05\"' '$W/answer'"
check "  the reloads come" wait_reload "$n"
# (two SIGHUPs close together may make one reload, or two: wait for the machines)
until_api() { for _ in $(seq 100); do api "$1" "$2" && return 0; sleep 0.1; done; return 1; }
check "  pc04 and pc05 are machines" until_api /api/machines "{'pc04', 'pc05'} <= {m['name'] for m in j['machines']}"

# Refusals.
check "a MAC of the inventory: 409 naming its machine" sh -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'macs=52:54:00:5e:00:01&pattern=x-%23&profile=lab' '$U/api/register')\" = 409 && grep -q 'machine pc01' '$W/answer'"
check "a MAC registered already: 409" test "$(reg 'macs=52:54:00:77:00:01&pattern=x-%23&profile=lab')" = 409
check "an unknown profile: 400" test "$(reg 'macs=52:54:00:77:00:06&pattern=x-%23&profile=nosuch')" = 400
check "an unknown site: 400" test "$(reg 'macs=52:54:00:77:00:06&pattern=x-%23&profile=lab&site=nosuch')" = 400
check "a bad room: 400" test "$(reg 'macs=52:54:00:77:00:06&pattern=x-%23&profile=lab&room=a%20b')" = 400
check "a pattern without #: 400" test "$(reg 'macs=52:54:00:77:00:06&pattern=lab&profile=lab')" = 400
check "a pattern with two # runs: 400" test "$(reg 'macs=52:54:00:77:00:06&pattern=a%23b%23&profile=lab')" = 400
check "a pattern out of numbers: 400 saying add a #" sh -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'macs=52:54:00:77:00:06,52:54:00:77:00:07&pattern=x%23&start=9&profile=lab' '$U/api/register')\" = 400 && grep -q 'add a #' '$W/answer'"
check "a MAC twice: 400" test "$(reg 'macs=52:54:00:77:00:06,52:54:00:77:00:06&pattern=x-%23&profile=lab')" = 400
check "no macs=: 400" test "$(reg 'pattern=x-%23&profile=lab')" = 400
check "start= not a number: 400" test "$(reg 'macs=52:54:00:77:00:06&pattern=x-%23&profile=lab&start=-1')" = 400
check "GET: 405" test "$(code -H "$SRV_AUTH" "$U/api/register")" = 405
check "no credential: 401" test "$(code --data 'macs=52:54:00:77:00:06&pattern=x-%23&profile=lab' "$U/api/register")" = 401
CSRF=$(admin_login "$U" alice 'correct horse' "$W/jar")
check "alice logs in" test -n "$CSRF"
check "cookie from another Origin: 403" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H 'Origin: http://evil.example' --data 'macs=52:54:00:77:00:06&pattern=x-%23&profile=lab' "$U/api/register")" = 403
check "cookie, CSRF and Origin: 200" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H "Origin: $U" --data 'macs=52:54:00:77:00:06&pattern=x-%23&profile=lab' "$U/api/register")" = 200
check "  audited as alice via session" test "$(srv_sql "$W" "SELECT token_name || '|' || via FROM orders WHERE action = 'register' ORDER BY id DESC LIMIT 1")" = "alice|session"
check "the refusals wrote nothing: 6 lines" test "$(wc -l < "$REG")" = 6

# strata-ctl unknown and register.
CTL=${STRATA_CTL:-$(dirname "$SRV")/strata-ctl}
ctl() { STRATA_URL=$U STRATA_TOKEN_FILE=$W/api-tokens "$CTL" "$@" < /dev/null; }
curl -s -o /dev/null "$U/ipxe/52:54:00:77:00:08"
check "strata-ctl unknown: the PC, seen by ipxe" sh -c "$(declare -f ctl); U='$U' W='$W' CTL='$CTL'; ctl unknown | grep -q '^52:54:00:77:00:08 *ipxe '"
check "strata-ctl unknown --json" sh -c "$(declare -f ctl); U='$U' W='$W' CTL='$CTL'; ctl unknown --json | python3 -c 'import json,sys; j = json.load(sys.stdin); assert any(p[\"mac\"] == \"52:54:00:77:00:08\" for p in j[\"pcs\"])'"
check "strata-ctl register without --pattern: exit 2" sh -c "$(declare -f ctl); U='$U' W='$W' CTL='$CTL'; ctl register 52:54:00:77:00:08 --profile lab --yes; test \$? = 2"
check "strata-ctl register a bad MAC: exit 2" sh -c "$(declare -f ctl); U='$U' W='$W' CTL='$CTL'; ctl register 52:54:00:77:00 --pattern ctl-## --profile lab --yes; test \$? = 2"
check "strata-ctl register MAC --pattern ctl-## --profile lab --room r300 --yes" sh -c "$(declare -f ctl); U='$U' W='$W' CTL='$CTL'; ctl register 52:54:00:77:00:08 --pattern 'ctl-##' --profile lab --room r300 --yes | grep -q '^52:54:00:77:00:08  ctl-01$'"
check "  its line in the file" grep -q '^machine 52:54:00:77:00:08 name=ctl-01 profile=lab room=r300$' "$REG"
check "strata-ctl register it again: exit 5 (409)" sh -c "$(declare -f ctl); U='$U' W='$W' CTL='$CTL'; ctl register 52:54:00:77:00:08 --pattern 'ctl-##' --profile lab --yes; test \$? = 5"

# A registered file holding more than machine lines: the reload fails naming FILE:LINE.
n=$(grep -c 'reload failed' "$LOG")
echo 'default local' >> "$REG"
kill -HUP "$SRV_PID"
for _ in $(seq 50); do [ "$(grep -c 'reload failed' "$LOG")" -gt "$n" ] && break; sleep 0.1; done
check "a registered file with another statement: the reload fails" test "$(grep -c 'reload failed' "$LOG")" -gt "$n"
check "  naming FILE:LINE" grep -q "state/registered.conf:8: only machine lines belong in a registered file" "$LOG"
check "the admin's inventory never written" cmp "$INV" "$W/inventory.ref"

# Under `default profile=`, an unknown PC that asked for its script is served: listed so.
sed -i '/^default local$/d' "$REG"
sed -i 's/^default local$/default profile=lab/' "$INV"
n=$(reloads)
kill -HUP "$SRV_PID"
check "default profile=lab: reloaded" wait_reload "$n"
curl -s -o /dev/null "$U/ipxe/52:54:00:77:00:09"
check "  an unknown PC served under it: served true in /api/unknown" api /api/unknown "[p['served'] for p in j['pcs'] if p['mac'] == '52:54:00:77:00:09'] == [True]"

# GET /api/library: 202 while the first computation runs, then the store's sizes and each
# layer's.  Two layers of 2,000,000 random bytes that share all but their last chunk: each
# one's unique bytes are that chunk's file.
SI=${STRATA_IMAGE:-$(dirname "$SRV")/strata-image}
head -c 2000000 /dev/urandom > "$W/a.img"
cp "$W/a.img" "$W/b.img"
head -c 1000 /dev/urandom | dd of="$W/b.img" bs=1 seek=1999000 conv=notrunc 2>/dev/null
LA=$("$SI" build --store "$W/root/store" "$W/a.img" 2>/dev/null); LB=$("$SI" build --store "$W/root/store" "$W/b.img" 2>/dev/null)
check "two layers built into the store" test -n "$LA" -a -n "$LB" -a "$LA" != "$LB"
# Each layer's chunks as strata-image lists them: "chunk I ... stored S raw|zlib DIGEST".
"$SI" inspect --chunks --store "$W/root/store" "$LA" > "$W/chunks-a"
"$SI" inspect --chunks --store "$W/root/store" "$LB" > "$W/chunks-b"
chmod -R a+rX "$W/root/store"
check "GET /api/library without a credential: 401" test "$(code "$U/api/library")" = 401
check "GET /api/library: 202 computing at first" sh -c "test \"\$(curl -s -o '$W/lib' -w '%{http_code}' -H '$SRV_AUTH' '$U/api/library')\" = 202 && grep -q '\"computing\":true' '$W/lib'"
until_200() { for _ in $(seq 100); do [ "$(curl -s -o "$W/lib" -w '%{http_code}' -H "$SRV_AUTH" "$U/api/library")" = 200 ] && return 0; sleep 0.1; done; return 1; }
check "  then 200" until_200
STORED=$(find "$W/root/store/chunks" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
check "  2 layers, 4,000,000 logical bytes, store_bytes the chunk files' sum ($STORED)" jq_ "$W/lib" "j['layers'] == 2 and j['logical_bytes'] == 4000000 and j['store_bytes'] == $STORED and j['computed_at'] > 0"
check "  dedup_ratio: logical over stored, near 2" jq_ "$W/lib" "abs(j['dedup_ratio'] - 4000000 / $STORED) < 0.01 and 1.8 < j['dedup_ratio'] < 2.1"
# per layer: size 2,000,000; stored its distinct chunks' files; unique its last chunk's.
sums() { awk '$1 == "chunk" && $2 ~ /^[0-9]+$/ && $9 != "zero" && !seen[$NF]++ {s += $8; last = $8} END {print s, last}' "$1"; }
read -r SA UA < <(sums "$W/chunks-a"); read -r SB UB < <(sums "$W/chunks-b")
check "  per_layer: each layer's size, stored ($SA, $SB) and unique ($UA, $UB) bytes" jq_ "$W/lib" "sorted((l['id'], l['size'], l['stored'], l['unique']) for l in j['per_layer']) == sorted([('${LA#sha256:}', 2000000, $SA, $UA), ('${LB#sha256:}', 2000000, $SB, $UB)])"
check "  the store: b's chunks and a's unique one" test "$((SB + UA))" = "$STORED" -a "$UA" -gt 0 -a "$UA" -lt 65537
ctl library > "$W/ctl-lib" < /dev/null
check "strata-ctl library: 2 layers, the ratio" grep -q '^2 layers: .* ratio [12]\.[0-9][0-9] (computed ' "$W/ctl-lib"
check "  a table of the layers: size, stored, unique" sh -c "grep -q '^LAYER  *SIZE  *STORED  *UNIQUE\$' '$W/ctl-lib' && grep -q '^$(printf %.16s "${LA#sha256:}")  *2\.0 MB  *2\.0 MB  *33\.9 kB\$' '$W/ctl-lib' && grep -q '^$(printf %.16s "${LB#sha256:}") ' '$W/ctl-lib'"
check "strata-ctl library --json" sh -c "$(declare -f ctl); U='$U' W='$W' CTL='$CTL'; ctl library --json | python3 -c 'import json,sys; j = json.load(sys.stdin); assert j[\"layers\"] == 2 and len(j[\"per_layer\"]) == 2'"
check "server stops cleanly" srv_stop
check "sanitizers quiet" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$LOG'"
finish
