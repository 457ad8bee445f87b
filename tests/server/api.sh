#!/bin/bash
# The dashboard's read API (docs/dashboard-api.md) against a running strata-server on
# loopback: GET /api/machines (rooms, filters, search, pages, counts), /api/machine/NAME
# (manifest, layers deployed, orders with outcome, the failure), /api/profiles,
# /api/layers and /api/audit, each answer parsed by python3's json and checked; 401
# without a credential; an agent's hostile message escaped; the layers a machine deployed
# recorded (gold current); a room changed and SIGHUP re-signs no manifest and moves the
# catalog's generation.  No VM; needs curl, python3 (python3-cryptography) and sqlite3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
W=$(mktemp -d /tmp/strata-api.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
get() { curl -s -H "$SRV_AUTH" "$U$1"; }
# jsonq PATH EXPR: GET PATH with the token; true when python's EXPR holds of its JSON j.
jsonq() {
	get "$1" | python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2"
}
report() {
	code "$(sess_url "$W" "$1" "$U/report/$1?$2")"
}
M1=52:54:00:5e:00:01 M2=52:54:00:5e:00:02 M3=52:54:00:5e:00:03

srv_root "$W"
sed -i -e "s/^machine $M1 name=pc01 profile=lab$/& room=B.204/" \
	-e "s/^machine $M2 name=pc02 profile=lab$/& room=B.204/" \
	-e "s/^machine $M3 name=pc03 profile=lab$/& room=lab3/" "$W/root/inventory.conf"
printf 'alice:%s\n' "$(openssl passwd -6 'correct horse')" > "$W/admins"
check "server with rooms starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens" --admins "$W/admins"

for p in /api/machines /api/machine/pc01 /api/profiles /api/layers /api/audit /api/events; do
	check "$p without a credential: 401" test "$(code "$U$p")" = 401
	check "$p with a wrong token: 401" test "$(code -H "Authorization: Bearer ${SRV_TOKEN}x" "$U$p")" = 401
	check "$p from a foreign origin: 403" test "$(code -H "$SRV_AUTH" -H "Origin: http://evil.example" "$U$p")" = 403
done
check "/api/library: 202 or 200 (tests/server/register.sh checks it)" sh -c "code=\$(curl -s -o /dev/null -w '%{http_code}' -H '$SRV_AUTH' '$U/api/library'); test \$code = 202 -o \$code = 200"
check "/api/events?room=a/b: 400" test "$(code -H "$SRV_AUTH" "$U/api/events?room=a%2Fb")" = 400

# The lab at first: three idle machines, sorted by room then name, never imaged.
check "machines: 3, page 1 of 200" jsonq /api/machines 'j["total"] == 3 and j["page"] == 1 and j["per"] == 200 and j["gen"] == 1'
check "machines: sorted by room, then name" jsonq /api/machines '[m["name"] for m in j["machines"]] == ["pc01", "pc02", "pc03"] and [m["i"] for m in j["machines"]] == [0, 1, 2]'
check "machines: rooms and their counts" jsonq /api/machines '[(r["name"], r["counts"]["total"]) for r in j["rooms"]] == [("B.204", 2), ("lab3", 1)]'
check "machines: all idle, never imaged, gold behind" jsonq /api/machines 'all(m["state"] == "idle" and m["never"] and m["gold"]["current"] is False and m["key"] == "none" and m["last_capture"] is None for m in j["machines"]) and j["counts"]["idle"] == 3'
check "machines: a tile's fields" jsonq /api/machines 'set(j["machines"][0]) >= {"i","name","mac","room","profile","site","state","pending","done","total","rate","eta","gold","last_capture","secure_boot","key","message"} and j["machines"][0]["mac"] == "'$M1'"'
check "room=B.204: its 2 machines" jsonq '/api/machines?room=B.204' '[m["name"] for m in j["machines"]] == ["pc01", "pc02"] and j["total"] == 2 and j["counts"]["total"] == 2'
check "room=nowhere: none" jsonq '/api/machines?room=nowhere' 'j["total"] == 0 and j["machines"] == []'
check "q=PC03 (any case)" jsonq '/api/machines?q=PC03' '[m["name"] for m in j["machines"]] == ["pc03"]'
check "per=1&page=2: pc02 alone, total 3" jsonq '/api/machines?per=1&page=2' '[m["name"] for m in j["machines"]] == ["pc02"] and j["total"] == 3'
check "page past the end: empty" jsonq '/api/machines?page=9' 'j["machines"] == [] and j["total"] == 3'
for bad in 'room=a%2Fb' 'room=' 'filter=nope' 'per=501' 'per=0' 'page=0' 'page=-1' 'stale_days=x' 'q=%3Cx%3E'; do
	check "bad query $bad: 400" test "$(code -H "$SRV_AUTH" "$U/api/machines?$bad")" = 400
done

# An order, then reports: queued, failed with a hostile message, deploying, deployed.
check "deploy pc02: 200" test "$(code -H "$SRV_AUTH" -X POST "$U/api/deploy/pc02")" = 200
check "pc02 queued" jsonq '/api/machines?filter=pending' '[m["name"] for m in j["machines"]] == ["pc02"] and j["machines"][0]["pending"] == "deploy" and j["machines"][0]["state"] == "queued"'
check "deploy all: 200" test "$(code -H "$SRV_AUTH" -X POST "$U/api/deploy/all")" = 200
for m in $M1 $M2 $M3; do
	check "$m registers (an order pending: a session)" grep -q " session=" <<< "$(sess_register "$U" "$m" "$W" 2>&1)"
done
check "pc02 reports failure" test "$(report $M2 'phase=failed&msg=chunk%207%20%3Cb%3E%22%3E%5C%20bad%20line')" = 200
check "failed: the raw answer has no markup" sh -c "curl -s -H '$SRV_AUTH' '$U/api/machine/pc02' | grep -q 'chunk 7 \\\\u003cb\\\\u003e_\\\\u003e_ bad line' && ! curl -s -H '$SRV_AUTH' '$U/api/machine/pc02' | grep -q '[<>&]'"
check "failed: filter=failed gives pc02" jsonq '/api/machines?filter=failed' '[m["name"] for m in j["machines"]] == ["pc02"] and j["counts"]["failed"] == 1'
check "failed: the message, decoded" jsonq /api/machine/pc02 'j["failure"]["message"] == "chunk 7 <b>_>_ bad line" and j["state"] == "failed"'
check "machine page: manifest parts" jsonq /api/machine/pc02 '[p["label"] for p in j["manifest"]["parts"]] == ["CIDATA", "data"] and j["manifest"]["parts"][0]["layer"] == "machine" and j["manifest"]["parts"][1]["policy"] == "preserve" and j["manifest"]["version"] >= 1'
check "machine page: its orders and their outcome" jsonq /api/machine/pc02 'len(j["orders"]) == 2 and j["orders"][1]["target"] == "pc02" and j["orders"][0]["target"] == "all" and j["orders"][1]["by"] == "admin" and j["orders"][1]["via"] == "token" and all(o["outcome"] == "failed" and o["seconds"] >= 0 and o["action"] == "deploy" and o["message"] == "chunk 7 <b>_>_ bad line" for o in j["orders"])'
check "machine page: generations and deployed" jsonq /api/machine/pc02 'j["generations"]["mac"] == "'$M2'" and j["deployed"] == []'
check "machine page by any case: PC02" jsonq /api/machine/PC02 'j["name"] == "pc02"'
check "machine page: unknown name 404" test "$(code -H "$SRV_AUTH" "$U/api/machine/nosuch")" = 404
check "machine page: bad before= 400" test "$(code -H "$SRV_AUTH" "$U/api/machine/pc02?before=x")" = 400
check "machine page: before=1 gives no order" jsonq '/api/machine/pc02?before=1' 'j["orders"] == []'

check "keys pinned at registration" jsonq /api/machines 'all(m["key"] == "pinned" for m in j["machines"])'
check "pc03 reports progress" test "$(report $M3 'phase=progress&done=1000&total=4000&msg=part+root')" = 200
check "pc03 deploying 1000/4000" jsonq '/api/machines?filter=running' '[(m["name"], m["state"], m["done"], m["total"]) for m in j["machines"]] == [("pc03", "deploying", 1000, 4000)]'
check "pc01 reports deployed" test "$(report $M1 'phase=ok&done=4000&total=4000&msg=deployed+v1')" = 200
check "pc01: its layers recorded" test "$(srv_sql "$W" "SELECT group_concat(part) FROM deployed WHERE mac = '$M1'")" = CIDATA
check "pc01: gold current, imaged" jsonq /api/machine/pc01 'j["gold"]["current"] is True and not j["never"] and j["deployed"][0]["part"] == "CIDATA" and len(j["deployed"][0]["layer"]) == 64'
check "filter=never: pc01 left out" jsonq '/api/machines?filter=never' '"pc01" not in [m["name"] for m in j["machines"]]'
check "filter=behind: pc01 left out" jsonq '/api/machines?filter=behind' '"pc01" not in [m["name"] for m in j["machines"]]'
check "filter=stale: never captured counts as stale" jsonq '/api/machines?filter=stale&stale_days=1' 'j["total"] == 3'

# The library's and the audit's views.
check "profiles: lab, 3 machines, not captured" jsonq /api/profiles 'len(j) == 1 and j[0]["name"] == "lab" and j[0]["machines"] == 3 and j[0]["captured"] is None and len(j[0]["parts"]) == 2'
check "layers: a list (the profile names no store layer)" jsonq /api/layers 'j == []'
check "audit: newest first, by admin via token, outcomes counted" jsonq /api/audit '[(o["target"], o["by"], o["via"], o["action"], o["machines"], o["ok"], o["failed"], o["open"]) for o in j if o["action"] == "deploy"] == [("all", "admin", "token", "deploy", 3, 1, 1, 1), ("pc02", "admin", "token", "deploy", 1, 0, 1, 0)]'
check "audit: the keys pinned, by machine via machine" jsonq /api/audit 'sorted(o["target"] for o in j if o["via"] == "machine" and o["by"] == "machine" and o["action"].startswith("key-pinned sha256:")) == ["pc01", "pc02", "pc03"]'
check "audit: limit=1, the newest" jsonq '/api/audit?limit=1' 'len(j) == 1 and j[0]["id"] == '"$(srv_sql "$W" 'SELECT max(id) FROM orders')"
check "audit: before= pages" jsonq "/api/audit?before=$(srv_sql "$W" "SELECT id FROM orders WHERE target = 'all'")" 'len(j) == 1 and j[0]["target"] == "pc02"'
check "audit: bad limit= 400" test "$(code -H "$SRV_AUTH" "$U/api/audit?limit=0")" = 400

# The event stream: two streams (all rooms, and lab3) while 30 progress reports for pc01
# and pc03 come in over several seconds: at most one frame a second, one row per machine
# per frame, lab3's stream sees pc03 alone.
curl -sN -H "$SRV_AUTH" "$U/api/events" > "$W/ev-all" 2>/dev/null & EV1=$!
curl -sN -H "$SRV_AUTH" "$U/api/events?room=lab3" > "$W/ev-lab3" 2>/dev/null & EV2=$!
kill_on_exit $EV1 $EV2
for _ in $(seq 50); do grep -q '^event: hello' "$W/ev-all" && grep -q '^event: hello' "$W/ev-lab3" && break; sleep 0.1; done
check "events: hello at once" sh -c "grep -q '^event: hello' '$W/ev-all' && grep -q '^retry: 3000' '$W/ev-lab3'"
sleep 1.2
T0=$(date +%s.%N)
for k in $(seq 15); do
	report $M1 "phase=progress&done=$((k * 100))&total=1500&msg=part+root" >/dev/null
	report $M3 "phase=progress&done=$((k * 200))&total=3000&msg=part+root" >/dev/null
done
T1=$(date +%s.%N)
sleep 2.5
cat > "$W/frames.py" <<'EOP'
import json, sys
# frames.py FILE SECONDS [INDEXES]: the tiles frames of an event stream's capture
frames, ev, data = [], None, None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("event: "):
        ev = line[7:]
    elif line.startswith("data: "):
        data = line[6:]
    elif line == "" and ev:
        frames.append((ev, json.loads(data)))
        ev = None
tiles = [d for e, d in frames if e == "tiles"]
seconds = float(sys.argv[2])
ok = len(tiles) >= 2 and len(tiles) <= int(seconds) + 3
for d in tiles:
    idx = [r[0] for r in d["t"]]
    ok &= len(idx) == len(set(idx))
    if len(sys.argv) > 3:
        ok &= set(idx) <= set(int(x) for x in sys.argv[3].split(","))
seqs = [d["seq"] for d in tiles]
ok &= seqs == sorted(seqs)
last = {r[0]: r for d in tiles for r in d["t"]}
print(len(tiles), "frames over", seconds, "s; last rows", last, file=sys.stderr)
sys.exit(0 if ok else 1)
EOP
SECS=$(echo "$T1 - $T0 + 2.5" | bc)
check "events: at most one frame a second, one row per machine" python3 "$W/frames.py" "$W/ev-all" "$SECS"
check "events: the last rows say pc01 1500/1500 and pc03 3000/3000" sh -c "grep -q '\[0,\"deploying\",1500,1500,' '$W/ev-all' && grep -q '\[2,\"deploying\",3000,3000,' '$W/ev-all'"
check "events: room=lab3 sees pc03 alone" python3 "$W/frames.py" "$W/ev-lab3" "$SECS" 2
check "events: a machine event for pc01's new state" grep -q '^data: {"i":0,"name":"pc01".*"state":"deploying"' "$W/ev-all"
check "events: a summary when counts changed" grep -q '^event: summary' "$W/ev-all"

# A stream opened with an admin's session ends with the session (a logout).
check "alice logs in" test "$(curl -s -o "$W/login.json" -w '%{http_code}' -c "$W/jar" --data-urlencode name=alice --data-urlencode 'password=correct horse' "$U/api/login")" = 200
check "machines with alice's cookie: 200" test "$(code -b "$W/jar" "$U/api/machines")" = 200
curl -sN -b "$W/jar" "$U/api/events" > "$W/ev-alice" 2>/dev/null & EV3=$!
kill_on_exit $EV3
for _ in $(seq 50); do grep -q '^event: hello' "$W/ev-alice" && break; sleep 0.1; done
check "events with alice's cookie: hello" grep -q '^event: hello' "$W/ev-alice"
CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$W/login.json")
check "alice logs out" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H "Origin: $U" -X POST "$U/api/logout")" = 204
for _ in $(seq 50); do kill -0 $EV3 2>/dev/null || break; sleep 0.1; done
check "events: alice's stream got end and closed" sh -c "grep -q '^event: end' '$W/ev-alice' && ! kill -0 $EV3 2>/dev/null"

# A room is in no manifest: moving pc01 to another room and reloading re-signs nothing,
# and the catalog's generation moves on.
V1=$(get /machines.json | python3 -c 'import json,sys; print([m["manifest_version"] for m in json.load(sys.stdin)["machines"] if m["name"] == "pc01"][0])')
sed -i "s/^\(machine $M1 .*\) room=B.204$/\1 room=B.205/" "$W/root/inventory.conf"
kill -HUP "$SRV_PID"
for _ in $(seq 100); do jsonq /api/machines 'j["gen"] == 2' && break; sleep 0.1; done
for _ in $(seq 30); do grep -q '^event: reload' "$W/ev-all" && break; sleep 0.1; done
check "events: reload after SIGHUP" sh -c "grep -A1 '^event: reload' '$W/ev-all' | grep -q '\"gen\":2'"
RSEQ=$(grep -A1 '^event: reload' "$W/ev-all" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p' | tail -1)
check "machines: seq names the stream's last frame (the reload)" jsonq /api/machines "j['seq'] == ${RSEQ:-0} and j['seq'] > 1"
check "SIGHUP: gen 2, pc01 in B.205" jsonq '/api/machines?room=B.205' 'j["gen"] == 2 and [m["name"] for m in j["machines"]] == ["pc01"]'
check "SIGHUP: pc01's manifest version unchanged" test "$(get /machines.json | python3 -c 'import json,sys; print([m["manifest_version"] for m in json.load(sys.stdin)["machines"] if m["name"] == "pc01"][0])')" = "$V1"
check "/machines.json keeps its shape" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | python3 -c 'import json,sys; m = json.load(sys.stdin)[\"machines\"]; sys.exit(0 if len(m) == 3 and \"room\" not in m[0] and \"manifest_version\" in m[0] else 1)'"

check "events: both streams still open" sh -c "kill -0 $EV1 && kill -0 $EV2"
srv_stop; rc=$?
check "clean exit on SIGTERM with two streams open" test "$rc" = 0
sleep 0.5
check "events: the streams ended with the server" sh -c "! kill -0 $EV1 2>/dev/null && ! kill -0 $EV2 2>/dev/null"
check "no sanitizer report" sh -c "! grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error' '$W/log'"
finish
