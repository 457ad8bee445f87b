#!/bin/bash
# A new PC in place of a failed one (docs/restore.md, "A new PC"), against strata-server
# on loopback; the machines are played by strata-image (captures, with a task's token) and
# session_client.py (keys, sessions):
# - POST /api/replace/NAME?mac=NEW: a credential, POST only, unknown machine 404, bad or
#   missing MAC 400, all 400, the machine's own MAC 400, a MAC of the inventory 409; none
#   of them records anything;
# - the takeover: the replacements row and the audit row, the generations and the private
#   store folder under the new MAC, the new MAC's manifest naming the machine's layers
#   (store=private) with a deployment pending, the old MAC's script booting its disk, the
#   generations listed under the machine's name, /machines.json's "replaced";
# - the key: the old PC's key refused under either MAC, the new PC's key pending (no
#   session, no manifest) until POST /api/accept-key/NAME, then its session reads the
#   manifest and the private layer;
# - an inventory line with replaces=OLD: the takeover at the reload, once, audited as
#   inventory; a replaces= of a MAC the server never knew refused, the line left out;
# - the retired MAC under a default profile: a new machine, no generation, replaced_by;
# - no reload window: while an inventory error holds every reload, a takeover's orders by
#   name land on the new MAC at once and the old MAC is unknown (no key pinned); the new
#   PC's instance-id its own;
# - SIGKILL during replacements: after each restart the machine is wholly under its old
#   MAC or wholly under the new one (rows and folder), and a server killed between the
#   commit and the folder's rename renames it at start; a rename that fails is logged,
#   the replacement stands, the machine alone is served no manifest (a reload and a restart
#   load the rest), and the next reload moves the folder.
# Loopback only; needs curl, sqlite3, python3, python3-cryptography.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
. "$(dirname "$0")/../lib/generations.sh"
gen_setup strata-replace

srv_root "$W"
LOG=$W/log
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' \
	"$W/root/inventory.conf"
check "server starts" srv_start "$W" "$LOG" --api-tokens "$W/api-tokens"

manifest() { curl -s -H "$SRV_AUTH" "$U/manifest/$1"; }
data_line() { manifest "$1" | grep '^part 2 label=data ' | sed 's/.* size=rest //'; }
hex() { echo "$1" | tr -d :; }
iid() {   # MAC: the instance-id in its machine layer's meta-data (docs/restore.md, "Identity")
	local ml=$(manifest "$1" | sed -n 's/.*label=CIDATA.*layer=sha256:\([0-9a-f]*\).*/\1/p')
	rm -f "$W/iid.img"
	"$STRATA_IMAGE_BIN" apply --store "$W/root/state/private/$(hex "$1")" "sha256:$ml" "$W/iid.img" > /dev/null 2>&1 &&
		mtype -i "$W/iid.img" ::meta-data | sed -n 's/^instance-id: //p'
}
sql() { srv_sql "$W" "$1"; }

M1=52:54:00:5e:00:01 M2=52:54:00:5e:00:02 M3=52:54:00:5e:00:03 N1=52:54:00:5e:01:01
# pc01's key, pinned while its capture task is open (trust on first use needs an order).
TK=$(token pc01)
mkdir -p "$W/old" "$W/new" "$W/spoof"
sess_register "$U" $M1 "$W/old" > "$W/reg-old" 2>&1
check "pc01's key is pinned while its capture task is open" grep -q '^key=pinned ' "$W/reg-old"
img "$W/g1.img" 160
G1=$(capture_with "$TK" "$W/g1.img")
check "pc01 has generation 1" test "$(data_line $M1)" = "policy=restore layer=$G1 store=private"

R=$U/api/replace/pc01
A=(-X POST -H "$SRV_AUTH")
check "POST /api/replace/NAME needs a credential; GET is 405" test "$(code -X POST "$R?mac=$N1") $(code -H "$SRV_AUTH" "$R?mac=$N1")" = "401 405"
check "  an unknown machine: 404" test "$(code "${A[@]}" "$U/api/replace/pc99?mac=$N1")" = 404
check "  mac= missing, not a MAC, the machine's own: 400" test "$(code "${A[@]}" "$R") $(code "${A[@]}" "$R?mac=52:54:00:zz:00:01") $(code "${A[@]}" "$R?mac=$M1")" = "400 400 400"
check "  all: 400" test "$(code "${A[@]}" "$U/api/replace/all?mac=$N1")" = 400
check "  a MAC already in the inventory (pc02's): 409" test "$(code "${A[@]}" "$R?mac=$M2")" = 409
check "  a wrong token 401, the token from another origin 403" test "$(code -X POST -H "Authorization: Bearer ${SRV_TOKEN}x" "$R?mac=$N1") $(code "${A[@]}" -H "Origin: http://evil.example" "$R?mac=$N1")" = "401 403"
check "  none of them recorded anything" test "$(sql "SELECT count(*) FROM replacements")$(sql "SELECT count(*) FROM orders WHERE action LIKE 'replace%'")" = 00

N=$(reloads)
post "$R?mac=$N1" > "$W/replace.json"
check "pc01 replaced by a new PC: 200 naming the machine, the new MAC, the old one" test "$(json '(d["machine"], d["mac"], d["replaced"], d["key"])' < "$W/replace.json")" = "('pc01', '$N1', '$M1', 'awaiting')"
check "  the catalog is rebuilt" wait_reload "$N"
check "  the replacements row, its folder step done" test "$(sql "SELECT machine || ' ' || old_mac || ' ' || new_mac || ' ' || token_name || ' ' || moved FROM replacements")" = "pc01 $M1 $N1 admin 1"
check "  the audit row, marking the new MAC" test "$(sql "SELECT o.token_name || ' ' || o.target || ' ' || o.action || ' ' || m.mac FROM orders o JOIN order_machines m ON m.order_id = o.id WHERE o.action LIKE 'replace%'")" = "admin pc01 replace old=$M1 new=$N1 $N1"
check "  logged" grep -q "^action: pc01 replaced by $N1 (was $M1) by admin" "$LOG"
check "  the generations are the new MAC's" test "$(sql "SELECT count(*) FROM generations WHERE mac = '$N1'")$(sql "SELECT count(*) FROM generations WHERE mac = '$M1'")" = 10
check "  so is the private store folder" test -d "$W/root/state/private/$(hex $N1)" -a ! -e "$W/root/state/private/$(hex $M1)"
check "  the new MAC's manifest names the generation, store=private" test "$(data_line $N1)" = "policy=restore layer=$G1 store=private"
check "  and its machine layer, store=private" sh -c "curl -s -H '$SRV_AUTH' '$U/manifest/$N1' | grep -q '^part 1 label=CIDATA .* store=private$'"
check "  the new PC's script runs strata.efi (a deployment pending)" sh -c "curl -s '$U/ipxe/$(echo $N1 | tr : -)' | grep -q strata.efi"
check "  the old MAC's script boots its disk: an unknown machine" sh -c "! curl -s '$U/ipxe/$(echo $M1 | tr : -)' | grep -q strata.efi && grep -q '^boot: $M1 unknown: unknown machine: local disk' '$LOG'"
check "  the old MAC has no manifest" test "$(code -H "$SRV_AUTH" "$U/manifest/$M1")" = 404
curl -s -H "$SRV_AUTH" "$U/api/generations/pc01" > "$W/gens.json"
check "  GET /api/generations/pc01 lists generation 1 under the new MAC" test "$(json '(d["mac"], d["partitions"][0]["generations"][0]["number"])' < "$W/gens.json")" = "('$N1', 1)"
curl -s -H "$SRV_AUTH" "$U/machines.json" > "$W/machines.json"
check "  /machines.json: pc01 at the new MAC, replaced the old, its key awaiting" test "$(json '[(m["mac"], m["replaced"], m["key"]["state"]) for m in d["machines"] if m["name"] == "pc01"]' < "$W/machines.json")" = "[('$N1', '$M1', 'awaiting')]"

# The key: the old PC's key opens nothing; the new PC's waits for the accept step.
check "the old PC's key under its old MAC: no nonce (unknown machine)" test "$(code "$U/key/$M1/nonce")" = 404
cp "$W/old/$M1.key" "$W/spoof/$N1.key"
sess_register "$U" $N1 "$W/spoof" > "$W/reg-spoof" 2>&1
check "  under the new MAC: differs, no session" sh -c "grep -q '^key=differs name=pc01 ' '$W/reg-spoof' && ! grep -q session= '$W/reg-spoof'"
sess_register "$U" $N1 "$W/new" > "$W/reg-new" 2>&1
check "the new PC's own key: differs (pending), no session" sh -c "grep -q '^key=differs name=pc01 ' '$W/reg-new' && ! grep -q session= '$W/reg-new'"
check "  its manifest is refused (403) until an admin accepts" test "$(code -H "$SRV_AUTH" "$U/manifest/$N1")" = 403
check "  /machines.json shows it pending" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"key\": {\"state\": \"awaiting\", \"pending_fingerprint\": \"sha256:'"
check "POST /api/accept-key/pc01 accepts it" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/accept-key/pc01' | grep -q 'keys of 1 machines'"
check "  audited" test "$(sql "SELECT count(*) FROM orders WHERE target = 'pc01' AND action LIKE 'key-accepted %'")" = 1
sess_register "$U" $N1 "$W/new" > "$W/reg-new2" 2>&1
check "  the new PC's key is known now: a session" grep -q '^key=known name=pc01 .* session=' "$W/reg-new2"
check "  its session reads the manifest naming the generation" sh -c "curl -s '$(sess_url "$W/new" $N1 "$U/manifest/$N1")' | grep -q 'policy=restore layer=$G1 store=private'"
check "  and the generation's private layer (sealed)" test "$(code "$(sess_url "$W/new" $N1 "$U/private/$N1/layers/${G1#sha256:}.idx")")" = 200
sess_register "$U" $N1 "$W/spoof" > "$W/reg-spoof2" 2>&1
check "  the old PC's key under the new MAC: still no session" sh -c "grep -q '^key=differs ' '$W/reg-spoof2' && ! grep -q session= '$W/reg-spoof2'"

# The inventory's replaces=: pc02's line rewritten for its new PC.
img "$W/g2.img" 96
G2=$(gen pc02 "$W/g2.img")
N2=52:54:00:5e:02:02
sed -i "s/^machine $M2 name=pc02 profile=lab$/machine $N2 name=pc02 profile=lab replaces=$M2/" "$W/root/inventory.conf"
echo "machine 52:54:00:5e:00:77 name=pc07 profile=lab replaces=52:54:00:5e:00:66" >> "$W/root/inventory.conf"
N=$(reloads)
kill -HUP "$SRV_PID"
check "replaces= in the inventory: the reload takes pc02 over" wait_reload "$N"
check "  recorded as the inventory's, audited" test "$(sql "SELECT token_name || ' ' || moved FROM replacements WHERE old_mac = '$M2'")/$(sql "SELECT token_name || ' ' || target FROM orders WHERE action = 'replace old=$M2 new=$N2'")" = "inventory 1/inventory pc02"
check "  the new MAC's manifest names pc02's generation" test "$(data_line $N2)" = "policy=restore layer=$G2 store=private"
check "  its private store folder moved" test -d "$W/root/state/private/$(hex $N2)" -a ! -e "$W/root/state/private/$(hex $M2)"
check "  a replaces= of a MAC the server never knew: refused naming the line, left out" sh -c "grep -q 'inventory.conf:[0-9]*: machine pc07 replaces=52:54:00:5e:00:66: refused: the server knows nothing of that MAC' '$LOG' && ! curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q pc07"
N=$(reloads)
kill -HUP "$SRV_PID"
wait_reload "$N"
check "  a second reload takes nothing over again" test "$(sql "SELECT count(*) FROM replacements WHERE old_mac = '$M2'")" = 1
sed -i '/name=pc07/d' "$W/root/inventory.conf"

# The retired MAC under a default profile: a new unknown machine with nothing of pc01's.
sed -i 's/^default local$/default profile=lab/' "$W/root/inventory.conf"
N=$(reloads)
kill -HUP "$SRV_PID"
wait_reload "$N"
check "under a default profile the retired MAC is a new machine: no generation named" test "$(data_line $M1)" = "policy=preserve"
curl -s -H "$SRV_AUTH" "$U/machines.json" > "$W/machines2.json"
check "  /machines.json: pc-5254005e0001, replaced_by the new MAC, no key" test "$(json '[(m["name"], m["replaced_by"], m["key"]["state"]) for m in d["machines"] if m["mac"] == "'$M1'"]' < "$W/machines2.json")" = "[('pc-5254005e0001', '$N1', 'none')]"
sed -i 's/^default profile=lab$/default local/' "$W/root/inventory.conf"

# The reload window: a takeover moves the catalog to the new MAC at once, even while no
# reload can run (an inventory error holds every one): orders by name land on the new MAC,
# the old MAC is unknown at once and can pin no key, and the new MAC's manifest waits for
# the reload that makes it.
M4=52:54:00:5e:00:04 N4=52:54:00:5e:04:04
echo "machine $M4 name=pc04 profile=lab" >> "$W/root/inventory.conf"
N=$(reloads)
kill -HUP "$SRV_PID"
wait_reload "$N"
I4=$(iid $M4)
echo "nonsense held" >> "$W/root/inventory.conf"
BAD=$(grep -c '' "$W/root/inventory.conf")
N=$(reloads)
post "$U/api/replace/pc04?mac=$N4" > "$W/replace4.json"
check "pc04 replaced while the inventory has an error: 200" test "$(json '(d["machine"], d["mac"], d["replaced"])' < "$W/replace4.json")" = "('pc04', '$N4', '$M4')"
for _ in $(seq 100); do grep -q "inventory.conf:$BAD: unknown statement" "$LOG" && break; sleep 0.1; done
check "  the reload it asks for fails on the error; no catalog is built" sh -c "grep -q 'inventory.conf:$BAD: unknown statement' '$LOG' && test \$(grep -c '^strata-server: .*inventory.conf: [0-9]* profiles' '$LOG') = $N"
check "a deploy order by name at once: 200" test "$(code "${A[@]}" "$U/api/deploy/pc04")" = 200
check "  it lands on the new MAC" test "$(sql "SELECT group_concat(m.mac) FROM orders o JOIN order_machines m ON m.order_id = o.id WHERE o.target = 'pc04' AND o.action = 'deploy'")" = "$N4"
check "  /machines.json: pc04 at the new MAC, a deployment pending, no entry of the old" test "$(curl -s -H "$SRV_AUTH" "$U/machines.json" | json '[(m["name"], m["mac"], m["pending"]) for m in d["machines"] if m["name"] == "pc04" or m["mac"] == "'$M4'"]')" = "[('pc04', '$N4', 'deploy')]"
check "  the new PC's script runs strata.efi" sh -c "curl -s '$U/ipxe/$(echo $N4 | tr : -)' | grep -q strata.efi"
check "the old MAC at once: an unknown machine, its disk booted" sh -c "! curl -s '$U/ipxe/$(echo $M4 | tr : -)' | grep -q strata.efi && grep -q '^boot: $M4 unknown: unknown machine: local disk' '$LOG'"
check "  no nonce for it (404)" test "$(code "$U/key/$M4/nonce")" = 404
mkdir -p "$W/old4" "$W/new4"
sess_register "$U" $M4 "$W/old4" > "$W/reg-old4" 2>&1
check "  the old PC registers no key: none pinned, none pending, no session" sh -c "! grep -q session= '$W/reg-old4' && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT count(*) FROM machine_keys WHERE mac = '$M4'\")\" = 0"
sess_register "$U" $N4 "$W/new4" > "$W/reg-new4" 2>&1
check "the new PC's key: pending for pc04, no session" sh -c "grep -q '^key=differs name=pc04 ' '$W/reg-new4' && ! grep -q session= '$W/reg-new4'"
check "  POST /api/accept-key/pc04 accepts it" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/accept-key/pc04' | grep -q 'keys of 1 machines'"
sess_register "$U" $N4 "$W/new4" > "$W/reg-new4b" 2>&1
check "  under the new MAC: known now, a session" grep -q '^key=known name=pc04 .* session=' "$W/reg-new4b"
check "  its manifest waits for the reload (404), none made for the old MAC is served" test "$(code -H "$SRV_AUTH" "$U/manifest/$N4") $(code -H "$SRV_AUTH" "$U/manifest/$M4")" = "404 404"
sed -i '/^nonsense held$/d' "$W/root/inventory.conf"
N=$(reloads)
kill -HUP "$SRV_PID"
check "once the error is gone the reload runs" wait_reload "$N"
check "  the new MAC's manifest names its machine layer; the deployment still pending" sh -c "manifest() { curl -s -H '$SRV_AUTH' \"$U/manifest/\$1\"; }; manifest $N4 | grep -q '^part 1 label=CIDATA .* store=private\$' && curl -s '$U/ipxe/$(echo $N4 | tr : -)' | grep -q strata.efi"
I4N=$(iid $N4)
check "  the new PC's instance-id: strata-pc04-, its own (not the old PC's)" test "${I4N#strata-pc04-}" != "$I4N" -a -n "$I4" -a "$I4N" != "$I4"

# SIGKILL during replacements of pc03: each restart finds it wholly under one MAC.
img "$W/g3.img" 96
G3=$(gen pc03 "$W/g3.img")
cur() { sql "SELECT ifnull((SELECT new_mac FROM replacements WHERE machine = 'pc03' ORDER BY id DESC LIMIT 1), '$M3')"; }
whole() {
	local c=$(cur)
	[ "$(sql "PRAGMA integrity_check")" = ok ] &&
	[ "$(sql "SELECT count(*) FROM generations WHERE part = 'data' AND mac <> '$c' AND layer = x'${G3#sha256:}'")" = 0 ] &&
	[ "$(sql "SELECT count(*) FROM generations WHERE mac = '$c'")" = 1 ] &&
	[ "$(sql "SELECT count(*) FROM replacements WHERE moved = 0")" = 0 ] &&
	[ -f "$W/root/state/private/$(hex "$c")/layers/${G3#sha256:}.idx" ] &&
	[ "$(data_line "$c")" = "policy=restore layer=$G3 store=private" ] &&
	[ "$(ls "$W/root/state/private" | grep -c '^5254005e03')" -le 1 ]
}
ok=1
for k in 1 2 3 4 5 6 7; do
	new=52:54:00:5e:03:1$k
	delay=0.0$((RANDOM % 4))$((RANDOM % 10))
	post "$U/api/replace/pc03?mac=$new" > /dev/null 2>&1 &
	sleep "$delay"; kill -KILL "$SRV_PID"; { wait "$SRV_PID"; } 2>/dev/null; forget_pid "$SRV_PID"; wait
	LOG=$W/log-kill$k
	: > "$LOG"
	srv_start "$W" "$LOG" --api-tokens "$W/api-tokens" || { ok=0; break; }
	whole || { ok=0; echo "     not whole after kill $k (delay $delay): pc03 at $(cur)"; break; }
done
check "SIGKILL during 7 replacements: pc03 wholly under one MAC after each restart" test $ok = 1
echo "     $(sql "SELECT count(*) FROM replacements WHERE machine = 'pc03'") of the 7 killed replacements landed whole, the rest not at all"

# A server killed after the commit, before the rename: the folder moves at start.
C=$(cur)
new=52:54:00:5e:03:20
post "$U/api/replace/pc03?mac=$new" > /dev/null
srv_stop
mv "$W/root/state/private/$(hex $new)" "$W/root/state/private/$(hex "$C")"
sql "UPDATE replacements SET moved = 0 WHERE new_mac = '$new'"
LOG=$W/log-recover
check "killed between the commit and the rename: the server starts" srv_start "$W" "$LOG" --api-tokens "$W/api-tokens"
check "  it says it finishes the move" grep -q "^strata-server: replacement of $C by $new: finishing its private store's move" "$LOG"
check "  the folder is the new MAC's, the row marked" sh -c "test -d '$W/root/state/private/$(hex $new)' -a ! -e '$W/root/state/private/$(hex "$C")' && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT moved FROM replacements WHERE new_mac = '$new'\")\" = 1"
check "  and the manifest names the generation" test "$(data_line $new)" = "policy=restore layer=$G3 store=private"

# A rename that fails (a file where the new MAC's folder goes): the takeover stands, and
# the folder moves at the next reload.
C=$(cur)
new=52:54:00:5e:03:30
touch "$W/root/state/private/$(hex $new)"
N=$(reloads)
check "a rename that fails: the replacement stands (200)" test "$(code "${A[@]}" "$U/api/replace/pc03?mac=$new")" = 200
# unserved LOG: pc03 alone is served no manifest, logged naming the file in the way
unserved() {
	grep -q "private/$(hex $new)/layers: Not a directory" "$1" &&
	grep -q "inventory.conf:[0-9]*: machine pc03: its private store cannot be opened (the line above says why): it is served no manifest until a reload finds it usable" "$1" &&
	[ "$(code -H "$SRV_AUTH" "$U/manifest/$new") $(code -H "$SRV_AUTH" "$U/manifest/$N4")" = "404 200" ]
}
check "  the reload it asks for loads; pc03 alone is served no manifest, logged" eval "wait_reload $N && unserved \"\$LOG\""
check "  the failure logged, the row not marked" sh -c "grep -q 'private/$(hex "$C"): cannot rename it to .*private/$(hex $new): ' '$LOG' && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT moved FROM replacements WHERE new_mac = '$new'\")\" = 0"
check "  a takeover of the new MAC before its folder moved: refused (409)" test "$(code "${A[@]}" "$U/api/replace/pc03?mac=52:54:00:5e:03:40")" = 409
# Until the folder moves, its rows name the new MAC and the folder the old: a garbage
# collection then (its files made older than the grace period) removes nothing of it.
find "$W/root/state/private/$(hex "$C")" -type f -exec touch -d '3 hours ago' {} +
F0=$(find "$W/root/state/private/$(hex "$C")" -type f | sort | md5sum)
check "  a garbage collection before the move: 200, the store still to move untouched" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST -H '$SRV_AUTH' '$U/api/gc')\" = 200 && test \"\$(find '$W/root/state/private/$(hex "$C")' -type f | sort | md5sum)\" = '$F0'"
srv_stop
LOG=$W/log-file
check "  a restart with the file still there: the server starts" srv_start "$W" "$LOG" --api-tokens "$W/api-tokens"
check "  pc03 alone is served no manifest, logged" unserved "$LOG"
rm "$W/root/state/private/$(hex $new)"
N=$(reloads)
kill -HUP "$SRV_PID"
wait_reload "$N"
check "  the file gone, the next reload moves the folder and marks the row" sh -c "test -d '$W/root/state/private/$(hex $new)' -a ! -e '$W/root/state/private/$(hex "$C")' && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT moved FROM replacements WHERE new_mac = '$new'\")\" = 1"
check "  and the manifest names the generation" test "$(data_line $new)" = "policy=restore layer=$G3 store=private"

check "server stops cleanly (no sanitizer report)" srv_stop

finish
