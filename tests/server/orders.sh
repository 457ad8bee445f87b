#!/bin/bash
# Orders previewed, confirmed and scheduled (server/orders*.c, schedule.c;
# docs/dashboard-api.md "Orders") against strata-server on loopback, no VM: every action
# previewed then confirmed (deploy, boot-local, cancel, capture, restore, replace, wake,
# accept-key), with its refusals; a room is one audit row, by token and as the dashboard
# orders it (a session cookie, room=R previewed then confirmed), the preview naming the
# target as that row does; a preview is used once, is the
# admin's own, and answers 409 after a reload or a machine's change in between; the
# fields with confirm=yes (scripts); an order scheduled at= fired by the moved clock
# (--clock-file) as the admin with via=schedule, woken first with wake=yes; a scheduled
# order cancelled (409 the second time); one found more than 15 minutes late after an
# outage marked missed and never run; 401 without a credential and 403 to a cross-site
# cookie on every new POST.  Needs curl, python3 and sqlite3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/admin_login.sh"
. "$(dirname "$0")/../lib/session.sh"
SI=${STRATA_IMAGE:-$(dirname "$SRV")/strata-image}
need_tools curl python3 sqlite3
CTL=${STRATA_CTL:-$(dirname "$SRV")/strata-ctl}
need_built "$SRV" "$CTL" "$SI"
server_sanitizers
W=$(mktemp -d /tmp/strata-orders.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# post PATH BODY: POST with the token, the answer into $W/answer; prints the status
post() { curl -s -o "$W/answer" -w '%{http_code}' -H "$SRV_AUTH" --data "$2" "$U$1"; }
# ans EXPR: true when python's EXPR holds of the last answer's JSON j
ans() {
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$W/answer" "$1"
}
pid_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["preview"])' "$W/answer"; }
# preview_confirm BODY: preview BODY, then confirm it; the confirmation's answer stays
preview_confirm() {
	[ "$(post /api/orders/preview "$1")" = 200 ] &&
		[ "$(post /api/orders "preview=$(pid_of)")" = 200 ]
}
pending() { srv_sql "$W" "SELECT pending FROM machines WHERE mac = '$1'"; }
audit_rows() { srv_sql "$W" "SELECT count(*) FROM orders WHERE $1"; }
export W
export -f srv_sql pending
M1=52:54:00:5e:00:01 M2=52:54:00:5e:00:02 M3=52:54:00:5e:00:03

srv_root "$W"
# A store layer for the profile's root partition: 1 MB of random data (its chunks cost
# their stored bytes), then zeros (free).
head -c 1000000 /dev/urandom > "$W/base.img"
head -c 3000000 /dev/zero >> "$W/base.img"
BASE=$("$SI" build --store "$W/root/store" "$W/base.img" 2>/dev/null | tail -1)
STORED=$(find "$W/root/store/chunks" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')
sed -i "s|^part label=data type=linux size=rest policy=preserve$|part label=root type=linux size=64M layer=$BASE\n&|" "$W/root/inventory.conf"
sed -i -e "s/^machine $M1 name=pc01 profile=lab$/& room=B/" \
	-e "s/^machine $M2 name=pc02 profile=lab$/& room=B/" \
	-e "s/^machine $M3 name=pc03 profile=lab$/& room=C/" "$W/root/inventory.conf"
admin_file "$W/admins" alice 'correct horse'
echo 0 > "$W/clock"
check "server starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens" --admins "$W/admins" \
	--clock-file "$W/clock" --wol-broadcast 127.0.0.1
CSRF=$(admin_login "$U" alice 'correct horse' "$W/jar")
check "alice logs in" test -n "$CSRF"

# Every new route: 401 without a credential, 403 to a cookie from another site.
for p in /api/orders/preview /api/orders /api/schedule-cancel/1; do
	check "POST $p without a credential: 401" test "$(code -X POST --data 'action=deploy&all=yes' "$U$p")" = 401
	check "POST $p with a cross-site cookie: 403" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H 'Origin: http://evil.example' -X POST --data 'action=deploy&all=yes' "$U$p")" = 403
	check "POST $p with the cookie, no CSRF token: 403" test "$(code -b "$W/jar" -H "Origin: $U" -X POST --data 'action=deploy&all=yes' "$U$p")" = 403
done
check "GET /api/schedule without a credential: 401" test "$(code "$U/api/schedule")" = 401
# A list that names more unknown items than the catalog has machines, then all: every
# item fits (the table was once sized for the catalog and 64 more: a heap overflow).
LONG=$(printf 'a,%.0s' $(seq 70))all
check "a preview of 70 unknown names and all: 200, all 3 machines and 70 refusals" sh -c "test \"\$(curl -s -o '$W/long' -w '%{http_code}' -H '$SRV_AUTH' --data 'action=boot-local&machines=$LONG' '$U/api/orders/preview')\" = 200 && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if len(j[\"machines\"]) == 3 and len(j[\"refused\"]) == 70 else 1)' '$W/long'"
check "preview with the cookie, CSRF and Origin: 200" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H "Origin: $U" --data 'action=boot-local&machines=pc03' "$U/api/orders/preview")" = 200

# Bad forms.
for bad in 'action=nope&all=yes' 'action=deploy' 'action=deploy&all=yes&room=B' 'action=deploy&room=a%2Fb' \
	'action=deploy&machines=a,,b' 'action=deploy&machines=%3Cx%3E' 'action=restore&machines=pc01' \
	'action=replace&machines=pc01&mac=nope' 'action=capture&machines=pc01&prepared=yes' \
	'action=deploy&all=yes&at=tomorrow' 'action=deploy&all=yes&wake=yes' 'action=deploy&all=yes&at=2001-01-01T00:00Z'; do
	check "preview $bad: 400" test "$(post /api/orders/preview "$bad")" = 400
done
check "confirm without preview= or confirm=yes: 400" test "$(post /api/orders 'action=deploy&all=yes')" = 400

# deploy room=B: the preview, then one audit row for the room.
check "preview deploy room=B: 200" test "$(post /api/orders/preview 'action=deploy&room=B')" = 200
check "  pc01 and pc02, CIDATA and root written, data kept (policy=preserve: user data kept)" ans '[m["name"] for m in j["machines"]] == ["pc01", "pc02"] and all(m["written"] == ["CIDATA", "root"] and m["kept"] == ["data"] and m["restored"] == [] and m["user_data"] == "kept" and m["bytes"] >= 0 and m["chunks"] >= 0 for m in j["machines"]) and j["refused"] == [] and j["action"] == "deploy" and j["at"] is None and len(j["preview"]) == 32 and j["total_bytes"] == sum(m["bytes"] for m in j["machines"])'
check "  its target as the audit row will name it: room:B" ans 'j["target"] == "room:B"'
PV=$(pid_of)
check "nothing recorded by a preview" test "$(audit_rows "action = 'deploy'")" = 0
check "the cookie's admin cannot confirm the token's preview: 404" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H "Origin: $U" --data "preview=$PV" "$U/api/orders")" = 404
check "confirm preview=ID: 200" test "$(post /api/orders "preview=$PV")" = 200
check "  marked 2, an audit id, nothing scheduled" ans 'j["marked"] == 2 and j["order"] > 0 and j["scheduled"] is None and j["refused"] == []'
check "  one audit row, target room:B, 2 machines" test "$(srv_sql "$W" "SELECT target || ' ' || action || ' ' || via || ' ' || (SELECT count(*) FROM order_machines WHERE order_id = id) FROM orders WHERE action = 'deploy'")" = "room:B deploy token 2"
check "  pc01 and pc02 pending, pc03 not" test "$(pending $M1)$(pending $M2)$(pending $M3)" = 110
check "a preview is used once: 404" test "$(post /api/orders "preview=$PV")" = 404
check "an unknown preview: 404" test "$(post /api/orders 'preview=00112233445566778899aabbccddeeff')" = 404

# As the dashboard orders a room: alice's cookie, room=C previewed then confirmed, one row.
cpost() { curl -s -o "$W/answer" -w '%{http_code}' -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H "Origin: $U" --data "$2" "$U$1"; }
check "cookie: preview boot-local room=C: 200" test "$(cpost /api/orders/preview 'action=boot-local&room=C')" = 200
check "  target room:C, pc03" ans 'j["target"] == "room:C" and [m["name"] for m in j["machines"]] == ["pc03"] and j["refused"] == []'
check "  confirm: 200" test "$(cpost /api/orders "preview=$(pid_of)")" = 200
check "  marked 1" ans 'j["marked"] == 1'
check "  one audit row boot-local room:C, via session, by alice" test "$(srv_sql "$W" "SELECT count(*) || ' ' || max(via) || ' ' || max(token_name) FROM orders WHERE action = 'boot-local' AND target = 'room:C'")" = "1 session alice"

# The cost: a machine never deployed fetches the root layer's stored chunks and its
# machine layer; once it reported its deployment ok, the same layers cost nothing.
check "preview deploy pc01: 200" test "$(post /api/orders/preview 'action=deploy&machines=pc01')" = 200
check "  its target: pc01" ans 'j["target"] == "pc01"'
check "  never deployed: the root layer's stored bytes ($STORED) and its machine layer's" ans 'j["machines"][0]["bytes"] > '"$STORED"' and j["machines"][0]["chunks"] >= 1'
check "pc01 registers" grep -q " session=" <<< "$(sess_register "$U" "$M1" "$W" 2>&1)"
check "pc01 fetches its manifest" test "$(code "$(sess_url "$W" "$M1" "$U/manifest/$M1")")" = 200
check "pc01 reports deployed" test "$(code "$(sess_url "$W" "$M1" "$U/report/$M1?phase=ok&done=1&total=1&msg=deployed")")" = 200
check "  its layers recorded" test "$(srv_sql "$W" "SELECT group_concat(part) FROM (SELECT part FROM deployed WHERE mac = '$M1' ORDER BY part)")" = CIDATA,root
check "preview deploy room=B again" test "$(post /api/orders/preview 'action=deploy&room=B')" = 200
check "  pc01 costs nothing now, pc02 as much as before" ans 'j["machines"][0]["bytes"] == 0 and j["machines"][0]["chunks"] == 0 and j["machines"][1]["bytes"] >= '"$STORED"' and j["total_bytes"] == j["machines"][1]["bytes"]'

# The lab changed since the preview: a machine's state, then a reload.
check "preview deploy machines=pc03" test "$(post /api/orders/preview 'action=deploy&machines=pc03')" = 200
PV=$(pid_of)
check "  pc03 ordered meanwhile" test "$(code -H "$SRV_AUTH" -X POST "$U/api/deploy/pc03")" = 200
check "  confirm: 409, the lab changed" bash -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'preview=$PV' '$U/api/orders')\" = 409 && grep -q 'the lab changed since the preview' '$W/answer'"
check "preview boot-local all" test "$(post /api/orders/preview 'action=boot-local&all=yes')" = 200
PV=$(pid_of)
kill -HUP "$SRV_PID"
for _ in $(seq 100); do [ "$(grep -c 'SIGHUP: reloading' "$W/log")" -ge 1 ] && grep -q 'strata-server: .*machines' "$W/log" && break; sleep 0.1; done
sleep 1
check "  after a reload, confirm: 409" test "$(post /api/orders "preview=$PV")" = 409

# boot-local: the pending orders cleared, one audit row.
check "boot-local all: preview and confirm" preview_confirm 'action=boot-local&all=yes'
check "  marked 3, none pending" bash -c "python3 -c \"import json; assert json.load(open('$W/answer'))['marked'] == 3\" && test \"\$(srv_sql '$W' 'SELECT sum(pending) FROM machines')\" = 0"
check "  one audit row boot-local, target all" test "$(audit_rows "action = 'boot-local' AND target = 'all'")" = 1

# The fields with confirm=yes, as a script sends them.
check "deploy machines=pc01,pc03 confirm=yes: 200" test "$(post /api/orders 'action=deploy&machines=pc01,pc03&confirm=yes')" = 200
check "  marked 2, one row naming the list" bash -c "test \"\$(pending $M1)\$(pending $M3)\" = 11 && test \"\$(srv_sql '$W' \"SELECT count(*) FROM orders WHERE target = 'pc01,pc03'\")\" = 1"
check "machines=nosuch,pc02: pc02 taken, nosuch refused" test "$(post /api/orders/preview 'action=deploy&machines=nosuch,pc02')" = 200
check "  the refusal names it" ans '[m["name"] for m in j["machines"]] == ["pc02"] and j["refused"] == [{"name": "nosuch", "why": "no such machine in the inventory"}]'
check "a room with no machine: 404" test "$(post /api/orders 'action=deploy&room=Z&confirm=yes')" = 404

# cancel: the pending orders end, in one row.
check "cancel machines=pc01: preview and confirm" preview_confirm 'action=cancel&machines=pc01'
check "  pc01 no longer pending, pc03 still" test "$(pending $M1)$(pending $M3)" = 01

# capture: one machine only; a machine capture needs capture=yes; a gold capture opens a task.
check "preview capture of two machines" test "$(post /api/orders/preview 'action=capture&machines=pc01,pc02&as=gold1&prepared=yes')" = 200
check "  both refused: one machine" ans 'j["machines"] == [] and len(j["refused"]) == 2 and all("takes one machine" in r["why"] for r in j["refused"])'
check "preview a machine capture of pc01" test "$(post /api/orders/preview 'action=capture&machines=pc01')" = 200
check "  refused: no capture=yes partition" ans 'j["refused"][0]["why"] == "its profile marks no partition capture=yes"'
check "gold capture of pc01: preview and confirm" preview_confirm 'action=capture&machines=pc01&as=gold1&prepared=yes'
check "  a capture task is open" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '$M1' AND ended IS NULL")" = 1
check "preview another capture of pc01: refused, a task is open" bash -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'action=capture&machines=pc01&as=gold2&prepared=yes' '$U/api/orders/preview')\" = 200 && grep -q 'open capture task' '$W/answer'"
check "cancel pc01: its capture task ends" preview_confirm 'action=cancel&machines=pc01'
check "  no task open" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '$M1' AND ended IS NULL")" = 0

# restore: refused without capture=yes partitions (restore.sh covers a real one).
check "preview restore pc02 generation=1" test "$(post /api/orders/preview 'action=restore&machines=pc02&generation=1')" = 200
check "  refused: no capture=yes partition" ans 'j["machines"] == [] and "capture=yes" in j["refused"][0]["why"]'
check "  confirmed: nothing marked, the refusal in the answer" sh -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'preview=$(pid_of)' '$U/api/orders')\" = 200 && grep -q '\"marked\":0' '$W/answer' && grep -q 'capture=yes' '$W/answer'"
check "  no restore order recorded" test "$(srv_sql "$W" "SELECT count(*) FROM restore_orders")" = 0

# accept-key: no key is pending, none accepted.
check "accept-key room=B: preview and confirm" preview_confirm 'action=accept-key&room=B'
check "  marked 0" ans 'j["marked"] == 0'

# wake room=B: one audit row "wake".
check "wake room=B: preview and confirm" preview_confirm 'action=wake&room=B'
check "  marked 2, one audit row wake room:B" bash -c "python3 -c \"import json; assert json.load(open('$W/answer'))['marked'] == 2\" && test \"\$(srv_sql '$W' \"SELECT count(*) FROM orders WHERE action = 'wake' AND target = 'room:B'\")\" = 1"

# replace pc03 by a new PC: the new MAC from then on.
check "replace pc03 by :09: preview" test "$(post /api/orders/preview 'action=replace&machines=pc03&mac=52:54:00:5e:00:09')" = 200
check "  pc03, the whole profile fetched, user data kept" ans 'j["machines"][0]["name"] == "pc03" and j["machines"][0]["written"] == ["CIDATA", "root"] and j["machines"][0]["bytes"] >= '"$STORED"
check "  confirm: 200" test "$(post /api/orders "preview=$(pid_of)")" = 200
check "  marked 1" ans 'j["marked"] == 1'
# The replacement rebuilds the catalog (a self-SIGHUP): wait for it, or the next preview
# would rightly be answered 409.
for _ in $(seq 100); do [ "$(grep -c 'SIGHUP: reloading' "$W/log")" -ge 2 ] && break; sleep 0.1; done
sleep 1
check "  the audit names the replacement" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE action LIKE 'replace%'")" -ge 1

# Scheduled: fired by the moved clock, as the admin, via=schedule; woken first.
NOW=$(date +%s)
AT=$(date -u -d "@$((NOW + 600))" +%Y-%m-%dT%H:%M:%SZ)
check "schedule deploy room=B at +10 min, wake=yes: preview" test "$(post /api/orders/preview "action=deploy&room=B&at=$AT&wake=yes")" = 200
check "  the preview says when" ans 'j["at"] == '"$((NOW + 600))"' and j["wake"] is True'
check "  confirm: scheduled" bash -c "test \"\$(curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'preview=$(pid_of)' '$U/api/orders')\" = 200 && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[\"scheduled\"] > 0'  '$W/answer'"
SID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scheduled"])' "$W/answer")
check "GET /api/schedule lists it pending" bash -c "curl -s -H '$SRV_AUTH' '$U/api/schedule' | python3 -c 'import json,sys; j = json.load(sys.stdin); assert j[0][\"id\"] == $SID and j[0][\"state\"] == \"pending\" and j[0][\"target\"] == \"room:B\" and j[0][\"by\"] == \"admin\" and j[0][\"wake\"] is True, j'"
srv_sql "$W" "UPDATE machines SET pending = 0" >/dev/null
WAKES=$(audit_rows "action = 'wake'")
echo 330 > "$W/clock"
for _ in $(seq 150); do [ "$(audit_rows "action = 'wake'")" -gt "$WAKES" ] && break; sleep 0.1; done
check "5 minutes before: the wake, not the order" bash -c "test \"\$(srv_sql '$W' \"SELECT state || ' ' || result FROM scheduled_orders WHERE id = $SID\")\" = 'pending woken' && test \"\$(srv_sql '$W' \"SELECT count(*) FROM orders WHERE action = 'wake' AND via = 'schedule'\")\" = 1"
echo 610 > "$W/clock"
for _ in $(seq 150); do [ "$(srv_sql "$W" "SELECT state FROM scheduled_orders WHERE id = $SID")" = done ] && break; sleep 0.1; done
check "at the time: done" test "$(srv_sql "$W" "SELECT state FROM scheduled_orders WHERE id = $SID")" = done
check "  run as admin via schedule: one deploy row room:B" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE action = 'deploy' AND target = 'room:B' AND via = 'schedule' AND token_name = 'admin'")" = 1
check "  woken again at the time" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE action = 'wake' AND via = 'schedule'")" = 2
check "  pc01 and pc02 pending" test "$(pending $M1)$(pending $M2)" = 11
check "cancel a fired order: 409" test "$(code -H "$SRV_AUTH" -X POST "$U/api/schedule-cancel/$SID")" = 409
check "cancel an unknown order: 404" test "$(code -H "$SRV_AUTH" -X POST "$U/api/schedule-cancel/999")" = 404

# Cancelled before its time.
AT=$(date -u -d "@$((NOW + 1800))" +%Y-%m-%dT%H:%M:%SZ)
check "schedule boot-local pc02 (fields, confirm=yes)" test "$(post /api/orders "action=boot-local&machines=pc02&at=$AT&confirm=yes")" = 200
SID2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scheduled"])' "$W/answer")
check "  cancelled: 200" test "$(code -H "$SRV_AUTH" -X POST "$U/api/schedule-cancel/$SID2")" = 200
check "  again: 409" test "$(code -H "$SRV_AUTH" -X POST "$U/api/schedule-cancel/$SID2")" = 409
check "  its state says by whom" test "$(srv_sql "$W" "SELECT state || ' ' || result FROM scheduled_orders WHERE id = $SID2")" = "cancelled cancelled by admin"
check "action=cancel on a machine ends the orders scheduled for it" bash -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -H '$SRV_AUTH' --data 'action=deploy&machines=pc02&at=$AT&confirm=yes' '$U/api/orders')\" = 200 && test \"\$(curl -s -o /dev/null -w '%{http_code}' -H '$SRV_AUTH' --data 'action=cancel&machines=pc02&confirm=yes' '$U/api/orders')\" = 200 && test \"\$(srv_sql '$W' \"SELECT state FROM scheduled_orders ORDER BY id DESC LIMIT 1\")\" = cancelled"

# strata-ctl: deploy --room previews, asks with the total, confirms one order; --at
# schedules; schedule lists; schedule-cancel.
ctl() { "$CTL" --server "$U" --token "$W/api-tokens" "$@"; }
ROWS=$(audit_rows "action = 'deploy' AND target = 'room:C' AND via = 'token'")
check "strata-ctl deploy --room C --yes" bash -c "'$CTL' --server '$U' --token '$W/api-tokens' deploy --room C --yes > '$W/ctl.out' && grep -q '^deploy marked on 1 machines' '$W/ctl.out'"
check "  one audit row room:C" test "$(audit_rows "action = 'deploy' AND target = 'room:C' AND via = 'token'")" = $((ROWS + 1))
check "strata-ctl deploy --room C without --yes off a terminal: 2" test "$(ctl deploy --room C </dev/null >/dev/null 2>&1; echo $?)" = 2
check "strata-ctl deploy --wake without --at: 2" test "$(ctl deploy pc01 --wake --yes >/dev/null 2>&1; echo $?)" = 2
AT=$(date -u -d "@$((NOW + 2400))" +%Y-%m-%dT%H:%M:%SZ)
check "strata-ctl deploy pc01 pc02 --at TIME --wake --yes" bash -c "'$CTL' --server '$U' --token '$W/api-tokens' deploy pc01 pc02 --at '$AT' --wake --yes > '$W/ctl.out' && grep -q '^order scheduled as [0-9]' '$W/ctl.out'"
SID4=$(sed -n 's/^order scheduled as \([0-9]*\);.*/\1/p' "$W/ctl.out")
check "  strata-ctl schedule lists it" bash -c "'$CTL' --server '$U' --token '$W/api-tokens' schedule | grep -q \"^$SID4 .* deploy  *pc01,pc02  *yes  *admin  *pending\""
check "  --json too" bash -c "'$CTL' --server '$U' --token '$W/api-tokens' schedule --json | python3 -c 'import json,sys; j = json.load(sys.stdin); assert j[0][\"id\"] == $SID4 and j[0][\"wake\"] is True'"
check "strata-ctl restore pc02 --generation 1 --at TIME --yes: scheduled" bash -c "'$CTL' --server '$U' --token '$W/api-tokens' restore pc02 --generation 1 --at '$AT' --yes | grep -q '^order scheduled as'"
check "strata-ctl deploy pc01 --at yesterday: 5" test "$(ctl deploy pc01 --at 2001-01-01T00:00Z --yes >/dev/null 2>&1; echo $?)" = 5
check "strata-ctl schedule-cancel ID --yes: 0" test "$(ctl schedule-cancel "$SID4" --yes >/dev/null 2>&1; echo $?)" = 0
check "  again: 5" test "$(ctl schedule-cancel "$SID4" --yes >/dev/null 2>&1; echo $?)" = 5
check "  an unknown one: 4" test "$(ctl schedule-cancel 99999 --yes >/dev/null 2>&1; echo $?)" = 4

# Missed: the server is down at the time and comes back more than 15 minutes late.
AT=$(date -u -d "@$((NOW + 1200))" +%Y-%m-%dT%H:%M:%SZ)
check "schedule deploy room=C at +20 min, wake first" test "$(post /api/orders "action=deploy&room=C&at=$AT&wake=yes&confirm=yes")" = 200
SID3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scheduled"])' "$W/answer")
DEPLOYS=$(audit_rows "action = 'deploy' AND target = 'room:C'")
WAKES=$(audit_rows "action = 'wake'")
check "server stops" srv_stop
echo $((1200 + 1000)) > "$W/clock"
check "server starts 16 minutes after the time" srv_start "$W" "$W/log2" --api-tokens "$W/api-tokens" --admins "$W/admins" --clock-file "$W/clock" --wol-broadcast 127.0.0.1
for _ in $(seq 150); do [ "$(srv_sql "$W" "SELECT state FROM scheduled_orders WHERE id = $SID3")" = missed ] && break; sleep 0.1; done
check "  the order is missed" test "$(srv_sql "$W" "SELECT state FROM scheduled_orders WHERE id = $SID3")" = missed
check "  never run, audited as missed" bash -c "test \"\$(srv_sql '$W' \"SELECT count(*) FROM orders WHERE action = 'deploy' AND target = 'room:C'\")\" = $DEPLOYS && test \"\$(srv_sql '$W' \"SELECT count(*) FROM orders WHERE action = 'deploy missed' AND via = 'schedule'\")\" = 1"
check "  and its room not woken for nothing" test "$(audit_rows "action = 'wake'")" = "$WAKES"
check "server log: no sanitizer report" bash -c "! grep -q 'runtime error\|AddressSanitizer' '$W/log' '$W/log2'"
finish
