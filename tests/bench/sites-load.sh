#!/bin/bash
# The central server's load at district scale (docs/scale.md): strata-server (release
# build) with an inventory of SITES sites and MACHINES machines spread over them, every
# site with a store (so no chunk is asked of the server), then MACHINES simulated PCs
# booting evenly within SECONDS (tests/bench/sites_load.py: scripts, key registration,
# orders, manifest, reports; WORKERS at once).  Measures the catalog's preparation (every
# machine's CIDATA layer and signed manifest, at start), the server's memory with and
# without the machines, requests per second and latency percentiles per kind of request,
# and a reload (SIGHUP) of the unchanged inventory afterwards.
#
# usage: bash tests/bench/sites-load.sh [BUILD_DIR]
# Environment: MACHINES (default 5000), SITES (50), SECONDS_WINDOW (600), WORKERS (64).
# Writes BUILD_DIR/bench/sites-load.json and prints a summary.  Loopback only; the PCs
# share 127.0.0.1, which goes in --trusted-proxies (as a NATed site would).
case ${1:-} in -h | --help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;; esac
. "$(dirname "$0")/../lib/common.sh"
BUILD=${1:-build}
SRV=${STRATA_SERVER:-$BUILD/rel/strata-server}
SI=${STRATA_IMAGE:-$BUILD/rel/strata-image}
MACHINES=${MACHINES:-5000}
SITES=${SITES:-50}
WINDOW=${SECONDS_WINDOW:-600}
WORKERS=${WORKERS:-64}
need_built "$SRV" "$SI"
need_tools python3 curl
W=$(mktemp -d /tmp/strata-sites-load.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"
mkdir -p "$W/root/boot" "$BUILD/bench"
head -c 4000000 /dev/urandom > "$W/root.img"
L=$($SI build --store "$W/root/store" "$W/root.img" 2>/dev/null | tail -1)

# The inventory: SITES sites of 10.S.0.0/16, MACHINES machines round-robin over them.
inventory() {
	local n=$1 i
	{
		echo "default local"
		for i in $(seq 0 $((SITES - 1))); do
			echo "site s$i subnet=10.$((i + 1)).0.0/16 store=http://cache-$i.example/store"
		done
		echo "profile lab"
		echo "part label=root type=linux size=1G layer=$L"
		echo "part label=CIDATA type=basic size=8M layer=machine"
		echo "part label=data type=linux size=rest policy=preserve"
		python3 -c "
import sys
n, s = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    print('machine 52:54:01:00:%02x:%02x name=pc%05d profile=lab site=s%d action=deploy'
          % (i >> 8, i & 0xff, i, i % s))" "$n" "$SITES"
	} > "$W/root/inventory.conf"
}

# Start the server; sets PID and PREP (seconds from start to serving).
start() {
	HP=$(free_port)
	local t0
	t0=$(now_ms)
	$SRV --root "$W/root" --addr 127.0.0.1 --http-port "$HP" --tftp-port "$(free_port)" \
		--dhcp off --trusted-proxies 127.0.0.1 --max-http 1024 2>"$W/log-$1" &
	PID=$!
	kill_on_exit $PID
	for _ in $(seq 6000); do grep -qs "serving" "$W/log-$1" && break; sleep 0.1; done
	PREP=$(( $(now_ms) - t0 ))
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

inventory 0
start empty
RSS0=$(rss $PID)
kill $PID; wait $PID 2>/dev/null; forget_pid $PID
rm -rf "$W/root/state"
inventory "$MACHINES"
start full
check "the server serves $MACHINES machines" grep -q "$MACHINES machines" "$W/log-full"
RSS1=$(rss $PID)
echo "catalog: $MACHINES machines prepared (CIDATA + signed manifest) in $PREP ms;" \
	"RSS $RSS0 KiB empty, $RSS1 KiB with them"
check "simulated boots of $MACHINES machines in $WINDOW s, all served" \
	python3 "$(dirname "$0")/sites_load.py" "http://127.0.0.1:$HP" "$MACHINES" "$WINDOW" \
	"$WORKERS" "$PID" "$W/load.json"
t0=$(now_ms)
kill -HUP $PID
for _ in $(seq 6000); do [ "$(grep -c "$MACHINES machines" "$W/log-full")" -ge 2 ] && break; sleep 0.1; done
RELOAD=$(( $(now_ms) - t0 ))
check "a reload of the unchanged inventory" test "$(grep -c "$MACHINES machines" "$W/log-full")" -ge 2
echo "reload of the unchanged inventory: $RELOAD ms"
python3 - "$W/load.json" "$BUILD/bench/sites-load.json" "$PREP" "$RSS0" "$RSS1" "$SITES" "$RELOAD" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
r.update(prepare_ms=int(sys.argv[3]), rss_empty_kib=int(sys.argv[4]),
         rss_loaded_kib=int(sys.argv[5]), sites=int(sys.argv[6]), reload_ms=int(sys.argv[7]))
json.dump(r, open(sys.argv[2], "w"), indent=1)
EOP
echo "results: $BUILD/bench/sites-load.json"
check "no sanitizer or error lines in the server's log" sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$W/log-full'"
finish
