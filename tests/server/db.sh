#!/bin/bash
# strata-server's database (state/strata.db): an old state folder (the text file
# state/machines) is migrated on first start, forged byte counts dropped; a server killed
# with SIGKILL during a burst of orders restarts with every acknowledged order and no half
# one, and the database passes PRAGMA integrity_check; `sqlite3 .backup` taken while the
# server takes orders restores into a server with the same records.  Loopback only; needs
# curl and sqlite3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
W=$(mktemp -d /tmp/strata-db.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json() { curl -s -H "$SRV_AUTH" "$U/machines.json"; }
srv_root "$W"

# 1. An old state folder: pc01 at manifest version 7 with a failed deployment pending
# again, pc02 with a forged done=-5 stored as 2^64-5, and a damaged line.
mkdir -p "$W/root/state"
H=$(printf '%064d' 0)
cat > "$W/root/state/machines" <<EOF2
52:54:00:5e:00:01 7 $H 1 0 3 1000 5000 1700000000 disk too small
52:54:00:5e:00:02 3 $H 0 0 1 18446744073709551611 100 1700000001 forged
52:54:00:5e:00:03 garbage
EOF2
check "server starts on an old state folder" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"
check "migration says what it imported" grep -q "state/machines: 2 machines imported into the database" "$W/log"
check "the damaged line is named" grep -q "state/machines:3: unreadable state line skipped" "$W/log"
check "the old file is kept aside" test -f "$W/root/state/machines.imported" -a ! -e "$W/root/state/machines"
check "versions keep growing (7 then 8)" sh -c "curl -s -H '$SRV_AUTH' '$U/manifest/52:54:00:5e:00:01' | grep -qx 'version 8'"
check "pending deploy and failure kept" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"pending\": \"deploy\", \"result\": \"failed\", \"done\": 1000, \"total\": 5000, \"updated\": 1700000000, \"message\": \"disk too small\"'"
check "forged done read as 0" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q '\"name\": \"pc02\".*\"done\": 0, \"total\": 100'"
check "schema version 10" test "$(srv_sql "$W" "PRAGMA user_version")" = 10
check "WAL mode" test "$(srv_sql "$W" "PRAGMA journal_mode")" = wal
check "key pinning and capture tables defined, empty" test "$(srv_sql "$W" "SELECT (SELECT count(*) FROM machine_keys) + (SELECT count(*) FROM nonces) + (SELECT count(*) FROM capture_tasks) + (SELECT count(*) FROM capture_commits) + (SELECT count(*) FROM captured_profiles)")" = 0
srv_stop
: > "$W/log2"
srv_start "$W" "$W/log2" --api-tokens "$W/api-tokens"
check "restart: no import, same version" sh -c "! grep -q imported '$W/log2' && curl -s -H '$SRV_AUTH' '$U/manifest/52:54:00:5e:00:01' | grep -qx 'version 8'"

# A database of an older schema is migrated step by step; a newer one is refused.
srv_stop
srv_sql "$W" "DROP TABLE machine_keys; DROP TABLE nonces; DROP TABLE captured_profiles; DROP TABLE capture_commits; DROP TABLE generations; DROP TABLE capture_tasks; DROP TABLE machine_seen; DROP TABLE restore_orders; DROP TABLE replacements; DROP TABLE deployed; DROP TABLE scheduled_orders; ALTER TABLE orders DROP COLUMN via; ALTER TABLE order_machines DROP COLUMN message; PRAGMA user_version = 1"
migrates_v1() {
	srv_start "$W" "$W/log-v1" --api-tokens "$W/api-tokens" && srv_stop &&
	grep -q "strata.db: schema version 2" "$W/log-v1" &&
	grep -q "strata.db: schema version 3" "$W/log-v1" &&
	grep -q "strata.db: schema version 4" "$W/log-v1" &&
	grep -q "strata.db: schema version 5" "$W/log-v1" &&
	grep -q "strata.db: schema version 6" "$W/log-v1" &&
	grep -q "strata.db: schema version 7" "$W/log-v1" &&
	grep -q "strata.db: schema version 8" "$W/log-v1" &&
	grep -q "strata.db: schema version 9" "$W/log-v1" &&
	grep -q "strata.db: schema version 10" "$W/log-v1" &&
	test "$(srv_sql "$W" "PRAGMA user_version")" = 10 &&
	srv_sql "$W" "SELECT pending, pending_at FROM machine_keys" >/dev/null &&
	srv_sql "$W" "SELECT sid, nonce, ended, outcome, uploaded FROM capture_tasks" >/dev/null &&
	srv_sql "$W" "SELECT mac, part, number, layer FROM generations" >/dev/null &&
	srv_sql "$W" "SELECT message FROM capture_tasks" >/dev/null &&
	srv_sql "$W" "SELECT task_id, part, layer, forced FROM capture_commits" >/dev/null &&
	srv_sql "$W" "SELECT name, mac, machine, token_name, prepared, forced, layout FROM captured_profiles" >/dev/null &&
	srv_sql "$W" "SELECT mac, first FROM machine_seen" >/dev/null &&
	srv_sql "$W" "SELECT mac, generation, task_id, token_name, at, ended, last_generation FROM restore_orders" >/dev/null &&
	srv_sql "$W" "SELECT force FROM capture_tasks" >/dev/null &&
	srv_sql "$W" "SELECT machine, old_mac, new_mac, token_name, at, moved FROM replacements" >/dev/null &&
	srv_sql "$W" "SELECT awaiting FROM machine_keys" >/dev/null &&
	srv_sql "$W" "SELECT via FROM orders" >/dev/null &&
	srv_sql "$W" "SELECT message FROM order_machines" >/dev/null &&
	srv_sql "$W" "SELECT mac, part, layer, version, at FROM deployed" >/dev/null &&
	srv_sql "$W" "SELECT at, wake, action, target, params, token_name, via, state FROM scheduled_orders" >/dev/null
}
check "schema 1 migrated to 2, 3, 4, 5, 6, 7, 8, 9 and 10 on start" migrates_v1
check "migration kept the machines" test "$(srv_sql "$W" "SELECT version FROM machines WHERE mac = '52:54:00:5e:00:01'")" = 8
srv_sql "$W" "PRAGMA user_version = 99"
check "a newer schema is refused" sh -c "'$SRV' --root '$W/root' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off 2>&1 | grep -q 'schema version 99 is newer than this server.s (10)'"
srv_sql "$W" "PRAGMA user_version = 10"
srv_start "$W" "$W/log-v2" --api-tokens "$W/api-tokens"

# 2. SIGKILL during a burst of orders from 4 clients: every acknowledged order is there.
burst() {   # burst N: orders until killed; one line per acknowledged order in acked.N
	local t
	for i in $(seq 1000); do
		t=$(printf 'pc01\npc02\npc03\nall\n' | sed -n "$(( (i + $1) % 4 + 1 ))p")
		[ "$(code -m 5 -H "$SRV_AUTH" -X POST "$U/api/deploy/$t")" = 200 ] && echo "$t" >> "$W/acked.$1"
	done
}
BEFORE=$(srv_sql "$W" "SELECT count(*) FROM orders")
BURST=
for n in 1 2 3 4; do burst "$n" & BURST="$BURST $!"; done
kill_on_exit $BURST
sleep 2
kill -9 "$SRV_PID"; wait "$SRV_PID" 2>/dev/null; forget_pid "$SRV_PID"; SRV_PID=
for p in $BURST; do wait "$p" 2>/dev/null; forget_pid "$p"; done
ACKED=$(cat "$W"/acked.* 2>/dev/null | wc -l)
ROWS=$(srv_sql "$W" "SELECT count(*) FROM orders")
check "orders were acknowledged before the kill ($ACKED)" test "$ACKED" -gt 10
check "every acknowledged order is in the database ($ROWS rows)" test "$((ROWS - BEFORE))" -ge "$ACKED" -a "$((ROWS - BEFORE))" -le "$((ACKED + 4))"
check "integrity_check ok after SIGKILL" test "$(srv_sql "$W" "PRAGMA integrity_check")" = ok
check "no half order: each names its machines" test "$(srv_sql "$W" "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM order_machines WHERE order_id = o.id) != CASE o.target WHEN 'all' THEN 3 ELSE 1 END")" = 0
check "restart after SIGKILL" srv_start "$W" "$W/log3" --api-tokens "$W/api-tokens"
check "restart keeps every order" test "$(srv_sql "$W" "SELECT count(*) FROM orders")" = "$ROWS"
check "restart: the machines are pending" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -c '\"pending\": \"deploy\"' | grep -qx 3"

# 3. An online backup while orders come in, then a restore from it.
BURST=
for n in 1 2; do burst "$n" & BURST="$BURST $!"; done
kill_on_exit $BURST
sleep 0.5
check "sqlite3 .backup while the server runs" sqlite3 "$W/root/state/strata.db" ".backup '$W/backup.db'"
for p in $BURST; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; forget_pid "$p"; done
srv_stop
check "the backup passes integrity_check" test "$(sqlite3 "$W/backup.db" "PRAGMA integrity_check")" = ok
WANT=$(sqlite3 "$W/backup.db" "SELECT count(*), max(id) FROM orders")
WANT_M=$(sqlite3 "$W/backup.db" "SELECT mac, version, pending, result FROM machines ORDER BY mac")
# Restore: the state folder's file that does not change (the key) and the backup.
mkdir -p "$W/restored/root/state"
cp -r "$W/root/boot" "$W/root/store" "$W/root/inventory.conf" "$W/root/lab.yaml" "$W/restored/root/"
cp "$W/root/state/server.key" "$W/root/state/server.key.pub" "$W/restored/root/state/"
cp "$W/backup.db" "$W/restored/root/state/strata.db"
check "a server starts on the restored database" srv_start "$W/restored" "$W/log4" --api-tokens "$W/api-tokens"
check "restored: the same orders" test "$(srv_sql "$W/restored" "SELECT count(*), max(id) FROM orders")" = "$WANT"
check "restored: the same machines" test "$(srv_sql "$W/restored" "SELECT mac, version, pending, result FROM machines ORDER BY mac")" = "$WANT_M"
check "restored: pc01 still at version 8" sh -c "curl -s -H '$SRV_AUTH' '$U/manifest/52:54:00:5e:00:01' | grep -qx 'version 8'"
srv_stop; rc=$?
check "clean exit on SIGTERM" test "$rc" = 0
finish
