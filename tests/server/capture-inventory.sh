#!/bin/bash
# Capture orders in the inventory (server/capture_task.c capture_inventory_order,
# docs/capture.md): a machine line's `action=capture` opens a machine task, and `action=capture
# as=PROFILE prepared=yes` a gold one, audited for the credential "inventory", once: not
# again on a reload or a restart, only when the line's action changes to something else
# and back.  The machine's next boot runs strata.efi for it.  An order the API would refuse
# (a profile that exists) is logged naming the file and line, and a line whose order
# breaks the API's rules stops the inventory from loading.  Loopback only; needs curl and
# sqlite3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
need_tools curl sqlite3
W=$(mktemp -d /tmp/strata-capinv.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"
INV=$W/root/inventory.conf

srv_root "$W"
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' "$INV"
sed -i 's/^machine 52:54:00:5e:00:01 .*$/& action=capture/' "$INV"
sed -i 's/^machine 52:54:00:5e:00:02 .*$/& action=capture as=gold9 prepared=yes force=yes/' "$INV"
sed -i 's/^machine 52:54:00:5e:00:03 .*$/& action=capture as=lab prepared=yes/' "$INV"
check "server starts with three capture orders in the inventory" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"

tasks() { srv_sql "$W" "SELECT mac || ' ' || kind || ' ' || ifnull(profile, '-') || ' ' || force || ' ' || token_name || ' ' || ifnull(outcome, 'open') FROM capture_tasks ORDER BY id"; }
reload() {
	local n
	n=$(grep -c 'profiles, 3 machines$' "$W/log")
	kill -HUP "$SRV_PID"
	for _ in $(seq 100); do [ "$(grep -c 'profiles, 3 machines$' "$W/log")" -gt "$n" ] && return 0; sleep 0.1; done
	return 1
}
check "pc01: a machine task, pc02: a gold task with force, for the credential inventory" test "$(tasks)" = "52:54:00:5e:00:01 machine - 0 inventory open
52:54:00:5e:00:02 gold gold9 1 inventory open"
check "  audited" test "$(srv_sql "$W" "SELECT group_concat(token_name || ' ' || target || ' ' || action, '; ') FROM orders WHERE action LIKE 'capture%'")" = "inventory pc01 capture machine; inventory pc02 capture gold as=gold9 prepared=yes force=yes"
check "pc03's gold order of an existing profile: not ordered, the log names the line and why" grep -q "inventory.conf:11: the capture of pc03 is not ordered: as=: a profile of that name exists" "$W/log"
curl -s "$U/ipxe/52-54-00-5e-00-01" > "$W/s1"
check "pc01's next boot runs strata.efi" grep -q "^imgfetch --name agent $U/boot/strata.efi server=$U mac=52:54:00:5e:00:01" "$W/s1"
check "  the boot log says a capture is pending" grep -q "^boot: 52:54:00:5e:00:01 pc01: capture pending: run strata.efi" "$W/log"
check "no token in any log or in the database" sh -c "! grep -rqaE '\"token\"' '$W/log' '$W/root/state'"

check "a reload takes no order again" reload
check "  still the two tasks" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks")" = 2
curl -s -X POST -H "$SRV_AUTH" "$U/api/capture-cancel/pc01" > /dev/null
srv_stop > /dev/null
check "a restart takes no order again, even with pc01's task cancelled" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"
check "  two tasks, pc01's cancelled" test "$(srv_sql "$W" "SELECT group_concat(ifnull(outcome, 'open'), ' ') FROM capture_tasks ORDER BY id")" = "cancelled open"

sed -i 's/^\(machine 52:54:00:5e:00:01 .*\) action=capture$/\1 action=none/' "$INV"
reload
# Back to capture, in a load that fails on a later line (pc03's user-data is missing): the
# order stays due, and the next good load takes it.
sed -i 's/^\(machine 52:54:00:5e:00:01 .*\) action=none$/\1 action=capture/' "$INV"
sed -i 's/^\(machine 52:54:00:5e:00:03 .*\)$/\1 user-data=missing.yaml/' "$INV"
kill -HUP "$SRV_PID"
for _ in $(seq 100); do grep -q "missing.yaml" "$W/log" && break; sleep 0.1; done
sleep 0.5
check "a load that fails on a later line opens no task" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5e:00:01' AND ended IS NULL")" = 0
sed -i 's/ user-data=missing.yaml$//' "$INV"
check "pc01's action set to none and back to capture: reloaded" reload
check "  a new task for pc01" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5e:00:01' AND ended IS NULL")" = 1
check "  nothing deploys pc01 (the order was a capture)" grep -q "boots its local disk" <<< "$(curl -s -X POST -H "$SRV_AUTH" "$U/api/capture-cancel/pc01" > /dev/null; curl -s "$U/ipxe/52-54-00-5e-00-01")"

cp "$INV" "$W/good.conf"
sed -i 's/^\(machine 52:54:00:5e:00:01 .*\) action=capture$/\1 action=capture as=gold8/' "$INV"
check "a gold line without prepared=yes: the inventory is refused, naming the line and what to do" sh -c "'$SRV' --root '$W/root' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off 2>&1 | grep -q 'inventory.conf:9: action=capture: generalize the PC first'"
sed -i 's/^\(machine 52:54:00:5e:00:01 .*\) action=capture as=gold8$/\1 prepared=yes/' "$INV"
check "prepared= without action=capture: refused, naming the line" sh -c "'$SRV' --root '$W/root' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off 2>&1 | grep -q 'inventory.conf:9: as=, prepared= and force= belong to action=capture'"
printf 'default profile=lab action=capture\n' > "$W/default.conf"
sed -n '1,9p' "$W/good.conf" | grep -v '^default' >> "$W/default.conf"
check "a default of action=capture: refused, saying to name the machine" sh -c "'$SRV' --root '$W/root' --inventory '$W/default.conf' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off 2>&1 | grep -q 'action=capture orders one machine'"
check "server stops cleanly" srv_stop
finish
