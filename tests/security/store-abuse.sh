#!/bin/bash
# strata-image apply against a hostile store (tests/security/store_abuse_server.py on
# loopback) and a full disk:
#  - a store that trickles 2 bytes/s (chunk runs, chunk files, the index): apply stops
#    within the low-speed window, naming the chunk (index and digest) and the store, exit 1;
#  - a store that ignores Range and cuts each first answer mid-chunk: the whole-fetch
#    fallback finishes (runs and chunk files) and the target is byte identical;
#  - a target on a 1 MiB tmpfs (a private mount namespace): the error names the target
#    and the offset, the summary and --json count the failure, nothing unverified is
#    written;
#  - a store URL with %00, a bad escape or a control byte is refused before any request.
# About 15 s.  Needs python3, and unshare (root, or user namespaces) for the full disk.
. "$(dirname "$0")/../lib/common.sh"
SI=${STRATA_IMAGE:-build/san/strata-image}
SRV_PY=$(dirname "$0")/store_abuse_server.py
need_tools python3 unshare cmp curl mountpoint
need_built "$SI"
W=$(mktemp -d /tmp/strata-abuse.XXXXXX)
rm_on_exit "$W"

json() { sed -n "s/.*\"$2\": \([0-9.a-z]*\).*/\1/p" "$1"; }

# The --json report $1 counts every chunk once: fetched + reused + zero + failed + left.
counted_once() {
	local sum=0 k v
	for k in chunks_fetched chunks_reused chunks_zero chunks_failed chunks_left; do
		v=$(json "$1" $k)
		sum=$((sum + ${v:-0}))
	done
	test "$sum" = "$(json "$1" chunks_total)"
}

# The store's layer: 2 MiB of random data, 1 MiB of zeros, 512 KiB of random data.
head -c 2097152 /dev/urandom > "$W/v"
head -c 1048576 /dev/zero >> "$W/v"
head -c 524288 /dev/urandom >> "$W/v"
ID=$($SI build --store "$W/st" "$W/v" 2>"$W/build.log" | tail -1)
$SI inspect --store "$W/st" --chunks "$ID" |
	awk '$1 == "chunk" && $3 == "offset" && $9 != "zero" {print $2, $NF}' > "$W/map"
check "the layer is built" test "${#ID}" = 71 -a -s "$W/map"

# serve MODE: the hostile store on a free port, for at most 60 s (sets PORT, U, LOG).
serve() {
	PORT=$(free_port)
	LOG="$W/$1.log"
	U=http://127.0.0.1:$PORT
	: > "$LOG"
	timeout 60 python3 "$SRV_PY" "$1" "$PORT" "$W/st" "$W/map" "$LOG" 2>>"$W/server.err" &
	SRV=$!
	kill_on_exit $SRV
	for _ in $(seq 50); do
		curl -s -o /dev/null "$U/" && break
		sleep 0.1
	done
	: > "$LOG"
}
unserve() { kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; forget_pid $SRV; }

# A trickle: 2 bytes/s.  The limit is the test's (100 B/s for 2 s) or the default
# (1024 B/s) with a 2 s window; either way apply stops in about 2 s, not 20.
trickle() {
	local mode=$1 t0 ms
	shift
	serve "$mode"
	t0=$(now_ms)
	$SI apply --store "$U" --json "$W/$mode.json" "$@" "$ID" "$W/$mode.t" 2>"$W/$mode.err"
	echo $? > "$W/$mode.rc"
	ms=$(($(now_ms) - t0))
	unserve
	check "$mode: apply exits 1" test "$(cat "$W/$mode.rc")" = 1
	check "$mode: stops within the window ($ms ms)" test "$ms" -lt 8000
	check "$mode: names the chunk and the store" grep -Eq \
		"chunk [0-9]+ \(sha256:[0-9a-f]{64}\) from $U/chunks/.*Operation too slow" "$W/$mode.err"
	check "$mode: says which limit stopped it" grep -q \
		"$U: apply stopped: the store timed out (under [0-9]* bytes/s for 2 s" "$W/$mode.err"
	check "$mode: summary counts the failure" grep -Eq "[1-9][0-9]* failed, [0-9]+ not reached" "$W/$mode.err"
	check "$mode: json says not ok, failed > 0" test "$(json "$W/$mode.json" ok)" = false -a \
		"$(json "$W/$mode.json" chunks_failed)" -gt 0
	check "$mode: json counts every chunk once" counted_once "$W/$mode.json"
}
trickle trickle --low-speed-limit 100 --low-speed-time 2
trickle trickle-files --low-speed-time 2

# A trickled index: refused within the window, naming the index's URL.
serve trickle-index
t0=$(now_ms)
$SI apply --store "$U" --low-speed-time 2 "$ID" "$W/ti.t" 2>"$W/ti.err"
echo $? > "$W/ti.rc"
ms=$(($(now_ms) - t0))
unserve
check "trickle-index: apply exits 1 within the window ($ms ms)" test "$(cat "$W/ti.rc")" = 1 -a "$ms" -lt 8000
check "trickle-index: names the index and the limit" grep -q \
	"$U/layers/${ID#sha256:}.idx: cannot read layer index: Operation too slow" "$W/ti.err"

# Range ignored, each first answer cut mid-chunk: the resume gets a whole 200 and uses it.
norange() {
	serve "$1"
	$SI apply --store "$U" --json "$W/$1.json" "$ID" "$W/$1.t" 2>"$W/$1.err"
	echo $? > "$W/$1.rc"
	unserve
	check "$1: apply completes" test "$(cat "$W/$1.rc")" = 0
	check "$1: target is byte identical" cmp "$W/v" "$W/$1.t"
	check "$1: a resume asked for a Range and got 200" grep -Eq "^/$2.* bytes=[0-9]+- 200" "$LOG"
	check "$1: json ok, nothing failed" test "$(json "$W/$1.json" ok)" = true -a \
		"$(json "$W/$1.json" chunks_failed)" = 0
}
norange norange runs/
norange norange-files chunks/
check "norange: the index was resumed too" grep -Eq "^/layers/.* bytes=[0-9]+- 200" "$W/norange.log"

# A full disk: the target on a 1 MiB tmpfs in a private mount namespace, gone afterwards.
# $NS runs the inner script as root or in a user namespace that owns its mounts.
NS=
if unshare -m true 2>/dev/null; then NS="unshare -m"; elif unshare -rm true 2>/dev/null; then NS="unshare -rm"; fi
cat > "$W/full.sh" <<'EOS'
W=$1 SI=$2 ID=$3
mkdir -p "$W/mnt"
mount -t tmpfs -o size=1m strata-full "$W/mnt" || exit 3
"$SI" apply --store "$W/st" --json "$W/full.json" --jobs 2 "$ID" "$W/mnt/t" 2>"$W/full.err"
echo $? > "$W/full.rc"
# Bytes that differ from the layer and are not the zeros of the empty target.
cmp -l "$W/v" "$W/mnt/t" | awk '$3 != 0' | wc -l > "$W/full.unverified"
EOS
if [ -n "$NS" ]; then
	$NS bash "$W/full.sh" "$W" "$(readlink -f "$SI")" "$ID"
	check "full disk: apply exits 1" test "$(cat "$W/full.rc" 2>/dev/null)" = 1
	check "full disk: the error names the target and offset" grep -Eq \
		"$W/mnt/t: write at byte [0-9]+: No space left on device" "$W/full.err"
	check "full disk: the chunk is named" grep -Eq "chunk [0-9]+ \(sha256:[0-9a-f]{64}\).*target failed" "$W/full.err"
	check "full disk: summary counts the failure" grep -Eq "[1-9][0-9]* failed" "$W/full.err"
	check "full disk: json not ok, failed > 0" test "$(json "$W/full.json" ok)" = false -a \
		"$(json "$W/full.json" chunks_failed)" -gt 0
	check "full disk: json counts every chunk once" counted_once "$W/full.json"
	check "full disk: nothing unverified written" test "$(cat "$W/full.unverified")" = 0
	check "full disk: the tmpfs is gone" sh -c "! mountpoint -q '$W/mnt'"
else
	check "full disk: needs root or user namespaces (unshare -m)" false
fi

# A NUL in a store URL: refused before any request, naming the URL and why.
serve norange
$SI apply --store "$U/st%00ore" "$ID" "$W/nul.t" 2>"$W/nul.err"
check "%00: apply exits 1" test $? = 1
check "%00: refused with a clear message" grep -q "st%00ore' holds %00, which a server decodes to a NUL" "$W/nul.err"
check_not "%0: a cut escape is refused" $SI apply --store "$U/st%0" "$ID" "$W/nul.t"
check_not "control byte: refused" $SI apply --store "$U/st"$'\x01'"ore" "$ID" "$W/nul.t"
$SI apply --store "$U/st"$'\x01'"ore" "$ID" "$W/nul.t" 2>"$W/ctl.err"
check "control byte: the message escapes it" grep -qF 'st\x01ore' "$W/ctl.err"
check "verify refuses %00 too" sh -c "$SI verify --store '$U/%00' '$ID' 2>&1 | grep -q 'holds %00'"
check "nothing reached the store" sh -c "cat '$LOG'; test ! -s '$LOG'"
check "no target was created" test ! -e "$W/nul.t"
unserve
check "--help names the low-speed options" sh -c "$SI apply --help | grep -q -- '--low-speed-limit B, --low-speed-time S'"
check_not "--low-speed-time 0 refused" $SI apply --store "$W/st" --low-speed-time 0 "$ID" "$W/z.t"
finish
