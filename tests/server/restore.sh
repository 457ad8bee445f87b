#!/bin/bash
# Restoring a machine's captured partitions (docs/restore.md), through strata-image build
# --store URL --token T --part L against strata-server on loopback:
# - before any generation, a capture=yes partition is served policy=preserve, no layer;
# - once a machine capture ends (capture-done), the server reloads its catalog and the
#   machine's manifest names the latest generation: policy=restore layer=<it>
#   store=private, signed, at a higher version; a second generation replaces the first;
#   a machine without generations and the other partitions are unchanged;
# - the named layer is whole in the machine's private store and applies to the bytes
#   captured.
# Loopback only; needs curl, sqlite3, python3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
need_tools curl sqlite3 python3
STRATA_IMAGE_BIN=${STRATA_IMAGE:-build/san/strata-image}
need_built "$STRATA_IMAGE_BIN"
W=$(mktemp -d /tmp/strata-restore.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

post() { curl -s -X POST -H "$SRV_AUTH" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
srv_root "$W"
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' \
	"$W/root/inventory.conf"
check "server starts with a capture=yes partition" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"

# manifest MAC: the machine's signed manifest as the admin sees it
manifest() { curl -s -H "$SRV_AUTH" "$U/manifest/$1"; }
# data_line MAC: its data partition's line
data_line() { manifest "$1" | grep '^part 2 label=data '; }
# version MAC: its manifest's version
version() { manifest "$1" | sed -n 's/^version //p'; }
# token NAME: order a machine capture of NAME, print its token
token() { post "$U/api/capture/$1" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p'; }
# reloads: how many reloads the log shows
reloads() { grep -c '^strata-server: SIGHUP: reloading' "$W/log"; }
# gen NAME IMG: IMG captured as NAME's next generation of data, the task ended; waits for
# the reload the end asks for.  Prints the layer id.
gen() {
	local t=$(token "$1") n=$(reloads) id
	id=$("$STRATA_IMAGE_BIN" build --store "$U" --token "$t" --part data "$2" 2>>"$W/gen.err" |
		tail -n1)
	"$STRATA_IMAGE_BIN" capture-done --store "$U" --token "$t" > /dev/null 2>>"$W/gen.err" ||
		return 1
	for _ in $(seq 100); do [ "$(reloads)" -gt "$n" ] && break; sleep 0.1; done
	echo "$id"
}
img() { head -c $(($2 * 1024)) /dev/urandom > "$1"; head -c 65536 /dev/zero >> "$1"; }

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
check "  pc02, without a generation, still preserves" test "$(data_line 52:54:00:5e:00:02 | sed 's/.* size=rest //')" = "policy=preserve"
check "  the layer is whole in pc01's private store and applies to what was captured" sh -c "'$STRATA_IMAGE_BIN' apply --store '$W/root/state/private/5254005e0001' '$G1' '$W/out1.img' > /dev/null 2>&1 && cmp -s '$W/out1.img' '$W/g1.img'"

img "$W/g2.img" 128
G2=$(gen pc01 "$W/g2.img")
check "generation 2: the manifest names it instead" test "$(data_line $M1 | sed 's/.* size=rest //')" = "policy=restore layer=$G2 store=private"
check "  generation 1 stays in the DB" test "$(srv_sql "$W" "SELECT group_concat(number) FROM generations WHERE mac = '$M1'")" = 1,2

manifest $M1 | grep -v '^signature ' > "$W/before-restart"
srv_stop
check "a restart serves the same manifest (the generations are read from the DB)" srv_start "$W" "$W/log2" --api-tokens "$W/api-tokens"
check "  same text and version" cmp -s "$W/before-restart" <(manifest $M1 | grep -v '^signature ')

finish
