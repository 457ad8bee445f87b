#!/bin/bash
# Restoring a machine's captured partitions (docs/restore.md), through strata-image build
# --store URL --token T --part L against strata-server on loopback:
# - before any generation, a capture=yes partition is served policy=preserve, no layer;
# - once a machine capture ends (capture-done), the server reloads its catalog and the
#   machine's manifest names the latest generation: policy=restore layer=<it>
#   store=private, signed, at a higher version; a second generation replaces the first;
#   a machine without generations and the other partitions are unchanged;
# - the named layer is whole in the machine's private store and applies to the bytes
#   captured; a restart serves the same manifest;
# - the restore order POST /api/restore/NAME?generation=N: refusals, the row and audit
#   row, capture first (orders, generation 3), then policy=write of generation N, the
#   machine's "deployed" report ending it, then policy=restore of N until a newer
#   generation; a cancelled capture never overwrites.  pc01 is played by strata-image
#   (the capture, with the order's token) and session_client.py (orders, report).
# Loopback only; needs curl, sqlite3, python3, python3-cryptography.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
. "$(dirname "$0")/../lib/generations.sh"
gen_setup strata-restore

srv_root "$W"
LOG=$W/log
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' \
	"$W/root/inventory.conf"
# keep=2 on pc01: the capture a restore order makes first must not drop the generation the
# order restores (retention keeps what an open order names).
sed -i 's/^machine 52:54:00:5e:00:01 .*$/& keep=2/' "$W/root/inventory.conf"
check "server starts with a capture=yes partition" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"

# manifest MAC: the machine's signed manifest as the admin sees it
manifest() { curl -s -H "$SRV_AUTH" "$U/manifest/$1"; }
# check_script MAC: MAC's boot script is the layout check: strata.efi check=yes, and every
# line that runs it says check=yes (a deployment would not)
check_script() {
	local t
	t=$(curl -s "$U/ipxe/$1")
	grep -q "strata.efi server=.* check=yes then=reboot" <<<"$t" && ! grep "strata.efi" <<<"$t" | grep -v '^#' | grep -v '^echo' | grep -vq 'check=yes'
}

# data_line MAC: its data partition's line
data_line() { manifest "$1" | grep '^part 2 label=data '; }
# version MAC: its manifest's version
version() { manifest "$1" | sed -n 's/^version //p'; }

M1=52:54:00:5e:00:01
check "before a generation: pc01's data is policy=preserve with no layer" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=preserve"
V0=$(version $M1)
manifest $M1 | grep -v '^part 2 ' | grep -v '^version ' | grep -v '^signature ' > "$W/other0"

img "$W/g1.img" 192
G1=$(gen pc01 "$W/g1.img")
check "a machine capture commits generation 1" test -n "$G1"
check "  its end reloads the catalog" grep -q '^strata-server: SIGHUP: reloading' "$W/log"
check "  the manifest names it: policy=restore, store=private" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=restore layer=$G1 store=private"
check "  at a higher version" test "$(version $M1)" -gt "$V0"
manifest $M1 > "$W/m1"
check "  signed" grep -q '^signature ecdsa-p256 ' "$W/m1"
manifest $M1 | grep -v '^part 2 ' | grep -v '^version ' | grep -v '^signature ' > "$W/other1"
check "  nothing else of it changed" cmp -s "$W/other0" "$W/other1"
check "  with nothing pending, pc01's boot script runs the layout check (check=yes then=reboot)" check_script 52-54-00-5e-00-01
check "  pc02, without a generation, boots its disk with no check" sh -c "curl -s '$U/ipxe/52-54-00-5e-00-02' | grep -q 'boots its local disk' && ! curl -s '$U/ipxe/52-54-00-5e-00-02' | grep -q strata.efi"
check "  pc02, without a generation, still preserves" test "$(data_line 52:54:00:5e:00:02 | sed 's/.* size=rest //')" = "policy=preserve"
check "  the layer is whole in pc01's private store and applies to what was captured" sh -c "'$STRATA_IMAGE_BIN' apply --store '$W/root/state/private/5254005e0001' '$G1' '$W/out1.img' > /dev/null 2>&1 && cmp -s '$W/out1.img' '$W/g1.img'"

img "$W/g2.img" 128
G2=$(gen pc01 "$W/g2.img")
check "generation 2: the manifest names it instead" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=restore layer=$G2 store=private"
check "  generation 1 stays in the DB" test "$(srv_sql "$W" "SELECT group_concat(number) FROM generations WHERE mac = '$M1'")" = 1,2

manifest $M1 | grep -v '^signature ' > "$W/before-restart"
srv_stop
LOG=$W/log2
check "a restart serves the same manifest (the generations are read from the DB)" srv_start "$W" "$LOG" --api-tokens "$W/api-tokens"
check "  same text and version" cmp -s "$W/before-restart" <(manifest $M1 | grep -v '^signature ')

# The restore order: capture first, then generation 1 over the disk; nothing deleted.
R=$U/api/restore/pc01
check "POST /api/restore/NAME needs a credential; GET is 405" test "$(code -X POST "$R?generation=1") $(code -H "$SRV_AUTH" "$R?generation=1")" = "401 405"
check "  generation= missing, 0, x, +1: 400" test "$(code -X POST -H "$SRV_AUTH" "$R") $(code -X POST -H "$SRV_AUTH" "$R?generation=0") $(code -X POST -H "$SRV_AUTH" "$R?generation=x") $(code -X POST -H "$SRV_AUTH" "$R?generation=%2B1")" = "400 400 400 400"
check "  a generation pc01 does not have, pc02 without any, pc99: 404" test "$(code -X POST -H "$SRV_AUTH" "$R?generation=9") $(code -X POST -H "$SRV_AUTH" "$U/api/restore/pc02?generation=1") $(code -X POST -H "$SRV_AUTH" "$U/api/restore/pc99?generation=1")" = "404 404 404"
check "  all: 400" test "$(code -X POST -H "$SRV_AUTH" "$U/api/restore/all?generation=1")" = 400
check "  none of them recorded anything" test "$(srv_sql "$W" "SELECT count(*) FROM restore_orders")$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE ended IS NULL")" = 00
post "$R?generation=1" > "$W/order.json"
check "an order to restore pc01 to generation 1: its machine, generation, capture task" test "$(json '(d["machine"], d["mac"], d["generation"], d["capture_task"] > 0, len(d["token"]))' < "$W/order.json")" = "('pc01', '$M1', 1, True, 64)"
check "  recorded and audited" test "$(srv_sql "$W" "SELECT mac || ' ' || generation || ' ' || token_name || ' ' || ifnull(ended, '-') FROM restore_orders")/$(srv_sql "$W" "SELECT token_name || ' ' || target || ' ' || action FROM orders ORDER BY id DESC LIMIT 1")" = "$M1 1 admin -/admin pc01 restore generation=1"
check "  a second order while it is open: 409" test "$(code -X POST -H "$SRV_AUTH" "$R?generation=2")" = 409
check "  until the capture runs, the manifest is unchanged" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=restore layer=$G2 store=private"
sess_register "$U" $M1 "$W" > "$W/reg1" 2>&1
check "  pc01's orders: capture first, then reboot" sh -c "curl -s '$(sess_url "$W" $M1 "$U/agent/$M1")' | grep -qx 'action=capture kind=machine then=reboot parts=data'"
img "$W/g3.img" 160
G3=$(capture_with "$(json 'd["token"]' < "$W/order.json")" "$W/g3.img")
check "  the capture commits generation 3 (what the disk held)" test -n "$G3" -a "$(srv_sql "$W" "SELECT number FROM generations WHERE mac = '$M1' AND layer = x'${G3#sha256:}'")" = 3
check "  then the manifest writes generation 1 over the disk: policy=write" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=write layer=$G1 store=private"
check "  and the boot script runs strata.efi to deploy" sh -c "curl -s '$U/ipxe/52-54-00-5e-00-01' | grep -q strata.efi"
check "  orders: deploy" sh -c "curl -s '$(sess_url "$W" $M1 "$U/agent/$M1")' | grep -qx 'action=deploy then=reboot'"
N=$(reloads)
check "pc01 reports it deployed" test "$(code "$(sess_url "$W" $M1 "$U/report/$M1?phase=ok&done=1&total=1&msg=deployed")")" = 200
check "  the order ends and the catalog is rebuilt" wait_reload "$N"
check "  ended in the DB" test "$(srv_sql "$W" "SELECT count(*) FROM restore_orders WHERE ended IS NOT NULL")" = 1
check "  the manifest names generation 1 for a restore (not 3, the newest number)" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=restore layer=$G1 store=private"
check "  nothing deleted: generations 1, 2, 3 stay (keep=2: the order kept 1)" test "$(srv_sql "$W" "SELECT group_concat(number) FROM (SELECT number FROM generations WHERE mac = '$M1' ORDER BY number)")" = 1,2,3
check "  the boot script only checks the disk's layout (check=yes), no deployment" check_script 52-54-00-5e-00-01
img "$W/g4.img" 96
G4=$(gen pc01 "$W/g4.img")
check "a capture after the restore: the manifest names it (generation 4)" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=restore layer=$G4 store=private"
check "  the order ended, keep=2 applies again: generations 3 and 4" test "$(srv_sql "$W" "SELECT group_concat(number) FROM (SELECT number FROM generations WHERE mac = '$M1' ORDER BY number)")" = 3,4

# An order whose capture is cancelled never overwrites; a new order may follow.
post "$U/api/restore/pc01?generation=3" > "$W/order2.json"
check "an order to generation 3, its capture then cancelled" test "$(json 'd["generation"]' < "$W/order2.json")$(code -X POST -H "$SRV_AUTH" "$U/api/capture-cancel/pc01")" = 3200
check "  the manifest still names generation 4 for a restore, never policy=write" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=restore layer=$G4 store=private"
check "  the boot script only checks the disk's layout (check=yes)" check_script 52-54-00-5e-00-01
check "  a new order is taken (200), the cancelled one still unended" test "$(code -X POST -H "$SRV_AUTH" "$U/api/restore/pc01?generation=3")$(srv_sql "$W" "SELECT count(*) FROM restore_orders WHERE ended IS NULL")" = 2002
post "$U/api/capture-cancel/pc01" > /dev/null

check "server stops cleanly (no sanitizer report)" srv_stop

finish
