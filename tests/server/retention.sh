#!/bin/bash
# What strata-server keeps of captures (docs/retention.md), through strata-image build
# --store URL --token T --part L against strata-server on loopback:
# - retention after each commit: keep=2 with 4 commits leaves 2 (rows and index files);
#   keep=1 keep-daily=3 over days of a moved clock (--clock-file) keeps one a day;
# - GET /api/generations/NAME and the latest generation in /machines.json;
# - the per-machine quota: an upload past it is refused with 507 naming the machine, its
#   quota and use; the previous generation stays whole;
# - garbage collection on a store with several generations and profiles: a dry run
#   removes nothing and reports what the real run then frees; no referenced chunk goes
#   (every store verifies, the last generation and the gold layer apply from what is
#   left); uploads of an open task that is not committed survive; both are audited;
#   strata-server --gc=dry-run as a one-shot;
# - SIGKILL during commits that drop generations: drops and commit land together;
# - the interval capture (capture-every=1d): no task before the interval, a task opened
#   by the server (credential "interval") after it, orders then=local; the interval runs
#   from the last generation.
# Loopback only; needs curl, sqlite3, python3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
need_tools curl sqlite3 python3
STRATA_IMAGE_BIN=${STRATA_IMAGE:-build/san/strata-image}
need_built "$STRATA_IMAGE_BIN"
W=$(mktemp -d /tmp/strata-retention.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"
DAY=86400

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
post() { curl -s -X POST -H "$SRV_AUTH" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
srv_root "$W"
# A gold layer in the public store that a profile names, and one no profile names yet.
head -c 262144 /dev/urandom > "$W/gold.img"
GOLD=$("$STRATA_IMAGE_BIN" build --store "$W/root/store" "$W/gold.img" 2>/dev/null | tail -n1)
head -c 131072 /dev/urandom > "$W/spare.img"
"$STRATA_IMAGE_BIN" build --store "$W/root/store" "$W/spare.img" > /dev/null 2>&1
# A chunk nothing names (a cancelled gold capture's), older than any task.
ORPHAN=$(printf orphan | sha256sum | cut -c1-64)
mkdir -p "$W/root/store/chunks/${ORPHAN:0:2}"
printf orphan > "$W/root/store/chunks/${ORPHAN:0:2}/$ORPHAN"
touch -d '2 hours ago' "$W/root/store/chunks/${ORPHAN:0:2}/$ORPHAN"
chmod -R a+rwX "$W/root/store"   # GC removes from the public store, as the server's --user
cat > "$W/root/inventory.conf" <<EOC
default local

profile lab keep-daily=0
disk min-size=1G
part label=CIDATA type=basic size=8M layer=machine
part label=data type=linux size=rest policy=preserve capture=yes
user-data lab.yaml

profile gold
part label=root type=linux size=1G layer=$GOLD

machine 52:54:00:5e:00:01 name=pc01 profile=lab keep=2
machine 52:54:00:5e:00:02 name=pc02 profile=lab keep=1 keep-daily=3
machine 52:54:00:5e:00:03 name=pc03 profile=lab quota=600K
machine 52:54:00:5e:00:04 name=pc04 profile=lab capture-every=1d
machine 52:54:00:5e:00:05 name=pc05 profile=gold
EOC
echo 0 > "$W/clock"
check "server starts with keep keys on profile and machine lines" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens" --clock-file "$W/clock" --gc-grace off

check "an inventory with a bad keep key is refused, naming the line" sh -c "sed 's/keep=2/keep=0/' '$W/root/inventory.conf' > '$W/bad.conf' && '$SRV' --root '$W/root' --inventory '$W/bad.conf' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off 2>&1 | grep -q 'bad.conf:12: keep must be a number of generations from 1 to 10000'"

# token NAME: order a machine capture of NAME, print its token
token() { post "$U/api/capture/$1" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p'; }
# gen NAME IMG [PART]: a capture of IMG as NAME's next generation of data; the JSON
gen() {
	local t=$(token "$1")
	"$STRATA_IMAGE_BIN" build --store "$U" --token "$t" --part data --json "$2" 2>>"$W/gen.err"
}
# img FILE KB: KB KiB of random bytes then 64 KiB of zeros
img() { head -c $(($2 * 1024)) /dev/urandom > "$1"; head -c 65536 /dev/zero >> "$1"; }
gens() { srv_sql "$W" "SELECT group_concat(number) FROM (SELECT number FROM generations WHERE mac = '$1' AND part = 'data' ORDER BY number)"; }
PC01=$W/root/state/private/5254005e0001

# 1. keep=2: four commits leave the last two, rows and index files.
for i in 1 2 3 4; do img "$W/p1-$i.img" 192; gen pc01 "$W/p1-$i.img" > "$W/p1-$i.json"; done
L=(); for i in 1 2 3 4; do L[$i]=$(json 'd["layer"][7:]' < "$W/p1-$i.json"); done
check "keep=2: four commits of pc01 leave generations 3 and 4" test "$(gens 52:54:00:5e:00:01)" = 3,4
check "  the dropped generations' index files are gone, the kept ones stay" sh -c "test ! -e '$PC01/layers/${L[1]}.idx' -a ! -e '$PC01/layers/${L[2]}.idx' -a -f '$PC01/layers/${L[3]}.idx' -a -f '$PC01/layers/${L[4]}.idx'"
check "  the log says what retention dropped" grep -q '^retention: 52:54:00:5e:00:01 data: generation 2 dropped (keep=2 keep-daily=0)$' "$W/log"

# 2. keep=1 keep-daily=3 on pc02, with the clock moved from 01:00 of a day to day 5.
BASE=$(( ( $(date +%s) / DAY + 1) * DAY + 3600 - $(date +%s) ))
at() { echo $((BASE + $1)) > "$W/clock"; }
for off in 0 60 $DAY $((2 * DAY)); do at "$off"; img "$W/p2.img" 64; gen pc02 "$W/p2.img" > /dev/null; done
check "keep=1 keep-daily=3: the latest of each of 3 days (2, 3, 4), not 1" test "$(gens 52:54:00:5e:00:02)" = 2,3,4
at $((5 * DAY)); img "$W/p2.img" 64; gen pc02 "$W/p2.img" > /dev/null
check "  three days on, only the newest" test "$(gens 52:54:00:5e:00:02)" = 5
check "  its time is the moved clock's" test "$(srv_sql "$W" "SELECT at / $DAY FROM generations WHERE mac = '52:54:00:5e:00:02'")" = "$(( ($(date +%s) + BASE) / DAY + 5))"

# 3. Listing.
check "GET /api/generations/NAME needs a credential" test "$(code "$U/api/generations/pc01")" = 401
check "  an unknown machine: 404; all: 400" test "$(code -H "$SRV_AUTH" "$U/api/generations/pc99") $(code -H "$SRV_AUTH" "$U/api/generations/all")" = "404 400"
curl -s -H "$SRV_AUTH" "$U/api/generations/pc01" > "$W/list.json"
check "  pc01's generations 3 and 4 of data with time, size, stored, uploaded, source" test "$(json '[(g["number"], g["size"], g["stored"], g["uploaded"], g["source"], g["at"] > 0) for p in d["partitions"] if p["part"] == "data" for g in p["generations"]]' < "$W/list.json")" = "[(3, 262144, 196608, 196608, 'upload', True), (4, 262144, 196608, 196608, 'upload', True)]"
check "  and its policy" test "$(json '(d["machine"], d["keep"], d["keep_daily"], d["quota"], d["capture_every"], d["store_bytes"] > 0)' < "$W/list.json")" = "('pc01', 2, 0, 0, 0, True)"
check "  by MAC too" test "$(curl -s -H "$SRV_AUTH" "$U/api/generations/52-54-00-5e-00-01" | json 'd["mac"]')" = 52:54:00:5e:00:01
check "/machines.json shows each machine's latest generation" test "$(curl -s -H "$SRV_AUTH" "$U/machines.json" | json '[(m["name"], m["generation"] and m["generation"]["number"]) for m in d["machines"]]')" = "[('pc01', 4), ('pc02', 5), ('pc03', None), ('pc04', None), ('pc05', None)]"

# 4. Quota: pc03 may hold 600 KiB.  Generation 1 (256 KiB) fits; a new 448 KiB does not.
img "$W/p3-1.img" 256
check "quota=600K: a first generation within it commits" sh -c "'$STRATA_IMAGE_BIN' build --store '$U' --token '$(token pc03)' --part data '$W/p3-1.img' > /dev/null 2>&1"
USE=$(curl -s -H "$SRV_AUTH" "$U/api/generations/pc03" | json 'd["store_bytes"]')
img "$W/p3-2.img" 448
T3=$(token pc03)
"$STRATA_IMAGE_BIN" build --store "$U" --token "$T3" --part data "$W/p3-2.img" > /dev/null 2>"$W/quota.err"; RC=$?
check "  past it: the upload fails (exit $RC), 507 naming the machine, its quota and use" sh -c "test $RC != 0 && grep -q '507.*machine pc03 is over its quota=614400 bytes: its store holds [0-9]*, this chunk needs 65536 more; nothing stored, the previous generation is kept' '$W/quota.err'"
check "  generation 1 stays, and no second" test "$(gens 52:54:00:5e:00:03)" = 1
check "  the store held $USE bytes before; it stays within the quota" test "$(find "$W/root/state/private/5254005e0003" -type f -printf '%s\n' | awk '{b+=$1} END {print b}')" -le 614400
check "  generation 1 still applies whole" sh -c "'$STRATA_IMAGE_BIN' apply --store '$W/root/state/private/5254005e0003' sha256:$(srv_sql "$W" "SELECT lower(hex(layer)) FROM generations WHERE mac = '52:54:00:5e:00:03'") '$W/p3-out.img' > /dev/null 2>&1 && cmp -s '$W/p3-out.img' '$W/p3-1.img'"
post "$U/api/capture-cancel/pc03" > /dev/null

# 5. Garbage collection.  An open task's uploads that are not committed yet must survive.
sleep 1.1
TOPEN=$(token pc01)
img "$W/p1-5.img" 128
check "an open task uploads without committing (no --part)" sh -c "'$STRATA_IMAGE_BIN' build --store '$U' --token '$TOPEN' --json '$W/p1-5.img' 2>/dev/null | grep -q '\"chunks_uploaded\": 2'"
check "GC needs a credential and POST" test "$(code -X POST "$U/api/gc") $(code -H "$SRV_AUTH" "$U/api/gc")" = "401 405"
check "  from another origin: 403" test "$(code -X POST -H "$SRV_AUTH" -H "Origin: http://evil.example" "$U/api/gc")" = 403
check "  dry-run=maybe is refused" test "$(code -X POST -H "$SRV_AUTH" "$U/api/gc?dry-run=maybe")" = 400
# files DIR: "count bytes" of the files under DIR
files() { find "$W/root/store" "$W/root/state/private" -type f -printf '%s\n' | awk '{n++; b+=$1} END {print n+0, b+0}'; }
# An index file a kill between retention's commit and its unlink would leave behind.
STRAY=$W/root/state/private/5254005e0002/layers/${L[4]}.idx
cp "$PC01/layers/${L[4]}.idx" "$STRAY"; touch -d '2 hours ago' "$STRAY"
BEFORE=$(files)
DRY=$(post "$U/api/gc?dry-run=yes")
check "a dry run removes nothing" test "$(files)" = "$BEFORE"
check "  and says what it would free: the stray index, the orphan chunk, not the open task's 2" test "$(json '(d["dry_run"], d["files"] > 2, d["indexes"], d["public_files"], d["kept_recent"])' <<< "$DRY")" = "(True, True, 1, 1, 2)"
REAL=$(post "$U/api/gc")
AFTER=$(files)
echo "     dry run: $DRY"
echo "     GC:      $REAL"
check "the real run frees what the dry run said" test "$(json '(d["files"], d["bytes"], d["indexes"], d["public_files"], d["public_bytes"])' <<< "$REAL")" = "$(json '(d["files"], d["bytes"], d["indexes"], d["public_files"], d["public_bytes"])' <<< "$DRY")"
check "  and that is what left the stores" test "$(( ${BEFORE% *} - ${AFTER% *} )) $(( ${BEFORE#* } - ${AFTER#* } ))" = "$(json '"%d %d" % (d["files"], d["bytes"])' <<< "$REAL")"
check "  the orphan public chunk went" test ! -e "$W/root/store/chunks/${ORPHAN:0:2}/$ORPHAN"
check "  the stray index went" test ! -e "$STRAY"
check "  dropped generations' chunks went: pc01 holds 2 generations' and its machine layer's" test "$(find "$PC01/layers" -name '*.idx' | wc -l)" = 3
check "  a second run frees nothing" test "$(post "$U/api/gc" | json 'd["files"]')" = 0
check "  audited, dry and real" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE target = 'stores' AND (action LIKE 'gc dry-run: would free % files, % bytes' OR action LIKE 'gc: freed % files, % bytes')")" = 3
verify_all() {
	local d
	"$STRATA_IMAGE_BIN" verify --store "$W/root/store" > /dev/null 2>&1 || return 1
	for d in "$W"/root/state/private/*/; do
		[ -d "$d/layers" ] || continue
		"$STRATA_IMAGE_BIN" verify --store "$d" > /dev/null 2>&1 || { echo "$d"; return 1; }
	done
}
check "no referenced chunk removed: every layer of every store verifies" verify_all
check "  pc01's generation 4 applies from what remains" sh -c "'$STRATA_IMAGE_BIN' apply --store '$PC01' sha256:${L[4]} '$W/p1-out.img' > /dev/null 2>&1 && cmp -s '$W/p1-out.img' '$W/p1-4.img'"
check "  the gold layer applies from the public store" sh -c "'$STRATA_IMAGE_BIN' apply --store '$W/root/store' $GOLD '$W/gold-out.img' > /dev/null 2>&1 && cmp -s '$W/gold-out.img' '$W/gold.img'"
check "the open task's uploads survived: its commit uploads nothing" sh -c "'$STRATA_IMAGE_BIN' build --store '$U' --token '$TOPEN' --part data --json '$W/p1-5.img' 2>/dev/null | grep -q '\"chunks_uploaded\": 0, \"chunks_present\": 2'"
check "  generation 5 committed; keep=2 leaves 4 and 5" test "$(gens 52:54:00:5e:00:01)" = 4,5

# 6. Interval capture: pc04 says capture-every=1d.
NOW=$(cat "$W/clock")
check "before the interval: orders say none, no task" test "$(curl -s -H "$SRV_AUTH" "$U/agent/52:54:00:5e:00:04") $(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5e:00:04'")" = "action=none 0"
check "  the boot script boots the disk" sh -c "! curl -s '$U/ipxe/52-54-00-5e-00-04' | grep -q strata.efi"
check "  first seen recorded at the moved clock" test "$(srv_sql "$W" "SELECT first - strftime('%s', 'now') > $((NOW - 60)) FROM machine_seen WHERE mac = '52:54:00:5e:00:04'")" = 1
echo $((NOW + DAY - 3600)) > "$W/clock"
check "  23 hours later: still nothing" test "$(curl -s -H "$SRV_AUTH" "$U/agent/52:54:00:5e:00:04")" = action=none
echo $((NOW + DAY + 60)) > "$W/clock"
check "a day later the boot script chains strata.efi" sh -c "curl -s '$U/ipxe/52-54-00-5e-00-04' | grep -q strata.efi"
check "  the server opened a machine task itself, by 'interval'" test "$(srv_sql "$W" "SELECT kind || ' ' || token_name FROM capture_tasks WHERE mac = '52:54:00:5e:00:04' AND ended IS NULL")" = "machine interval"
check "  audited like an order" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE token_name = 'interval' AND target = 'pc04' AND action = 'capture machine'")" = 1
check "  orders: capture, then boot the disk" grep -q '^action=capture kind=machine then=local' <<< "$(curl -s -H "$SRV_AUTH" "$U/agent/52:54:00:5e:00:04")"
check "  a second boot opens no second task" test "$(curl -s -H "$SRV_AUTH" "$U/agent/52:54:00:5e:00:04" | cut -d' ' -f1-3; srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5e:00:04'")" = "action=capture kind=machine then=local
1"
check "  a machine without capture-every gets no task" test "$(curl -s -H "$SRV_AUTH" "$U/agent/52:54:00:5e:00:03")" = action=none
# The interval then runs from the last generation (here committed by an admin's order).
post "$U/api/capture-cancel/pc04" > /dev/null
img "$W/p4.img" 64; gen pc04 "$W/p4.img" > /dev/null
check "after a generation: no task until a day has passed since it" test "$(curl -s -H "$SRV_AUTH" "$U/agent/52:54:00:5e:00:04")" = action=none
echo $((NOW + 2 * DAY + 120)) > "$W/clock"
check "  a day after it: the interval capture again" grep -q '^action=capture kind=machine then=local' <<< "$(curl -s -H "$SRV_AUTH" "$U/agent/52:54:00:5e:00:04")"
check "  a deploy pending goes first" sh -c "post() { curl -s -X POST -H '$SRV_AUTH' \"\$@\"; }; post '$U/api/capture-cancel/pc04' > /dev/null; post '$U/api/deploy/pc04' > /dev/null; test \"\$(curl -s -H '$SRV_AUTH' '$U/agent/52:54:00:5e:00:04')\" = 'action=deploy then=reboot'"

# SIGKILL during commits that drop generations (pc01, keep=2): after each restart the
# commit and its drops landed together or not at all, and every row has its index file.
whole() {
	local l
	[ "$(srv_sql "$W" "SELECT count(*) FROM generations WHERE mac = '52:54:00:5e:00:01'")" -le 2 ] || return 1
	for l in $(srv_sql "$W" "SELECT lower(hex(layer)) FROM generations WHERE mac = '52:54:00:5e:00:01'"); do
		test -f "$PC01/layers/$l.idx" || return 1
	done
}
TOP=$(srv_sql "$W" "SELECT max(number) FROM generations WHERE mac = '52:54:00:5e:00:01'")
for delay in 0.05 0.2 0.4 0.8; do
	TK=$(token pc01); img "$W/pk.img" 64
	"$STRATA_IMAGE_BIN" build --store "$U" --token "$TK" --part data "$W/pk.img" > /dev/null 2>&1 &
	sleep "$delay"; kill -KILL "$SRV_PID"; { wait "$SRV_PID"; } 2>/dev/null; forget_pid "$SRV_PID"; wait
	srv_start "$W" "$W/log-kill" --api-tokens "$W/api-tokens" --clock-file "$W/clock" --gc-grace off || break
	whole || break
	post "$U/api/capture-cancel/pc01" > /dev/null
done
echo "     $(( $(srv_sql "$W" "SELECT max(number) FROM generations WHERE mac = '52:54:00:5e:00:01'") - TOP )) of the 4 killed commits landed whole, the rest not at all"
check "SIGKILL during 4 commits with retention: at most 2 generations, each with its index" whole
check "  PRAGMA integrity_check" test "$(srv_sql "$W" "PRAGMA integrity_check")" = ok
check "  every store still verifies" verify_all

LAST=$(post "$U/api/gc?dry-run=yes" | json '(d["files"], d["bytes"])')
check "server stops cleanly" srv_stop
# gc-cli ARGS..: strata-server --gc with the server's state and no services; its JSON
gc_cli() { "$SRV" --root "$W/root" --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off --gc-grace off "$@" 2>>"$W/gc-cli.err"; }
check "strata-server --gc=dry-run, a one-shot: what the API's dry run said $LAST" test "$(gc_cli --gc=dry-run | json '(d["files"], d["bytes"])')" = "$LAST"
check "  --gc frees it" test "$(gc_cli --gc | json '(d["dry_run"], d["files"], d["bytes"])')" = "(False, ${LAST#(}"
check "  then nothing is left to free" test "$(gc_cli --gc=dry-run | json 'd["files"]')" = 0
check "  audited as cli" test "$(srv_sql "$W" "SELECT token_name FROM orders WHERE target = 'stores' ORDER BY id DESC LIMIT 1")" = cli
check "  every store still verifies" verify_all
finish
