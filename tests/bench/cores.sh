#!/bin/bash
# Every core: strata.efi's CPU work on one vCPU and on two (issue 18).
#
# usage: bash tests/bench/cores.sh BUILD_DIR
#
# The lab is tests/lib/lab.sh's (network namespaces, dnsmasq, strata-server release build)
# with one QEMU VM, OVMF, multi-threaded TCG (-accel tcg,thread=multi: one host thread per
# vCPU), booted with -smp 1 and then -smp 2.  The layer is a STRATA_BENCH_CORES_MIB
# (default 128) MiB ext4 image of this machine's /usr/share/doc and programs, about 60 %
# full.  Each round, for each vCPU count: a full deployment to an empty disk, then an
# unchanged redeployment.  From the agent's log (its debug console) it takes the layer's
# time line (check = disk reads + hashing; fetch = network + inflate and verify + writes)
# and its cores lines.
#
# The CPU phase is the unchanged redeployment's hashing: every data chunk, the work the
# cores share, timed by the agent as the boot processor's time in the cores' batches (its
# own chunks and waiting for the others; the disk reads are outside it).  Ratio = -smp 1's
# time / -smp 2's; goal (issue 18) at least 1.7.  Per-core rate = bytes hashed / (CPU phase
# * cores).  The full deployment's fetch phase and its inflate+verify part are shown beside
# it.  Medians of STRATA_BENCH_RUNS rounds (default 3).
#
# Results: a table on stdout, BUILD_DIR/bench/results/cores.md, and the "Every core"
# section of docs/benchmarks.md between <!-- bench:cores begin --> and <!-- bench:cores end -->.
# Needs root (namespaces), qemu-system-x86, ovmf, ipxe-qemu, dnsmasq and `make build-all`.
# Takes about 3 minutes per round on 2 cores.
set -uo pipefail

BENCH=cores.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -eq 1 ] || die "usage: cores.sh BUILD_DIR"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such folder"
SI=$BUILD/rel/strata-image
EFI=$BUILD/efi/strata.efi
KEY=$BUILD/keys/strata.key
export STRATA_SERVER=$BUILD/rel/strata-server
RUNS=${STRATA_BENCH_RUNS:-3}
MIB=${STRATA_BENCH_CORES_MIB:-128}
MAC=52:54:00:5a:0c:01
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for f in "$SI" "$STRATA_SERVER" "$EFI" "$KEY"; do [ -f "$f" ] || die "$f not found: run 'make build-all'"; done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run 'make deps'"
. "$REPO/tests/lib/netns.sh"
. "$REPO/tests/lib/lab.sh"
. "$HERE/lib/doc.sh"

W=$(mktemp -d /tmp/strata-bench-cores.XXXXXX)
chmod 755 "$W"
LAB_RUN=$W/run
mkdir -p "$LAB_RUN" "$W/root/boot" "$BUILD/bench/results"
netns_init '[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"'
LAB_VM_TIMEOUT=900
LAB_ACCEL=tcg,thread=multi

# The layer: docs and programs of this machine (efi.sh's recipe), deterministic UUID.
make_layer() {
	local cap=$((MIB * 6 / 10 << 20)) sum=0 f sz
	mkdir -p "$W/tree"
	find /usr/share/doc /usr/bin -type f -size -8M | sort > "$W/files"
	while read -r f; do
		sz=$(stat -c %s "$f")
		[ $((sum + sz)) -lt "$cap" ] || break
		cp -p --parents "$f" "$W/tree/" 2>/dev/null && sum=$((sum + sz))
	done < "$W/files"
	mkfs.ext4 -q -F -U 5f1a2b3c-0000-4000-8000-00000000c001 -d "$W/tree" "$W/root.img" "${MIB}M" || return 1
	LAYER=$($SI build --store "$W/root/store" "$W/root.img" 2>/dev/null | tail -1)
	[ -n "$LAYER" ] || return 1
	# What a redeployment hashes: the data chunks (zero and free chunks are not hashed).
	HASHED=$($SI inspect --store "$W/root/store" --chunks "$LAYER" |
		awk '$1 == "chunk" && ($9 == "zlib" || $9 == "raw") { b += $6 } END { print b + 0 }')
	rm -rf "$W/tree"
}

setup_root() {
	cp "$EFI" "$W/root/boot/"
	cat > "$W/root/inventory.conf" <<EOF2
default local
profile bench
part label=root type=linux size=${MIB}M layer=$LAYER
machine $MAC name=bench1 profile=bench action=deploy
EOF2
	chmod -R a+rX "$W/root"
}

# boot NAME SMP: one deployment; prints "hashing check read fetch inflate" in ms from the
# agent's line "layer root: T ms: check C (disk read R, hashing H), fetch F (network N,
# inflate+verify I, disk write W)".
boot() {
	local line
	lab_curl -s -X POST "$(lab_url)/api/deploy/bench1" >/dev/null
	LAB_SMP=$2 lab_vm "$1" "$MAC" "$W/disk.img" || log "$1: the VM ended with status $?"
	grep -q "strata.efi: deployment complete" "$LAB_RUN/$1.debug" || die "$1: no deployment (see $LAB_RUN/$1.debug)"
	line=$(tr -d '\r' < "$LAB_RUN/$1.debug" | grep -m1 "layer root: [0-9]* ms: check")
	echo "$line" | sed -n 's/.*check \([0-9]*\) (disk read \([0-9]*\), hashing \([0-9]*\)), fetch \([0-9]*\) (network [0-9]*, inflate+verify \([0-9]*\),.*/\3 \1 \2 \4 \5/p'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$W/$1.tsv" | median; }

log "making a ${MIB} MiB layer"
make_layer || die "could not make the layer"
setup_root
log "layer $LAYER: $HASHED bytes of data chunks"
lab_start "$W/root" "$KEY" || die "the lab did not start"
for r in $(seq "$RUNS"); do
	for smp in 1 2; do
		rm -f "$W/disk.img"; truncate -s $((MIB + 8))M "$W/disk.img"
		boot "full$smp-$r" "$smp" >> "$W/full$smp.tsv"
		boot "same$smp-$r" "$smp" >> "$W/same$smp.tsv"
		log "round $r, -smp $smp: full $(tail -1 "$W/full$smp.tsv"); unchanged $(tail -1 "$W/same$smp.tsv")"
	done
done
CORES2=$(tr -d '\r' < "$LAB_RUN/same2-1.debug" | grep -m1 "^.*cores: ")
CPU1=$(col same1 1); CPU2=$(col same2 1)
R=$(ratio "$CPU1" "$CPU2")
F1=$(col full1 4); F2=$(col full2 4); I1=$(col full1 5); I2=$(col full2 5)
rate() { awk -v b="$HASHED" -v ms="$1" -v n="$2" 'BEGIN { if (ms > 0) printf "%.1f", b / 1e6 / (ms / 1000) / n; else print "n/a" }'; }
MD=$BUILD/bench/results/cores.md
cat > "$MD" <<EOF
One VM (q35, OVMF, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }'), multi-threaded TCG, 1 GiB, virtio-net and virtio-blk) on a
bridge in a network namespace; $(nproc) host cores; strata-server release build; layer: a
$MIB MiB ext4 image, $(mib "$HASHED") MiB of data chunks to hash.  Medians of $RUNS rounds, milliseconds on the
agent's clock.  CPU phase: the unchanged redeployment's hashing of every data chunk (the
boot processor's time in the cores' batches; its disk reads are outside it).

| vCPUs | CPU phase (ms) | its check (disk read) (ms) | hashing per core (MB/s) | full deployment's fetch (inflate+verify) (ms) |
| ---: | ---: | ---: | ---: | ---: |
| 1 | $CPU1 | $(col same1 2) ($(col same1 3)) | $(rate "$CPU1" 1) | $F1 ($I1) |
| 2 | $CPU2 | $(col same2 2) ($(col same2 3)) | $(rate "$CPU2" 2) | $F2 ($I2) |

Scaling of the CPU phase, 1 to 2 vCPUs: **$R×** (goal: at least 1.7: $(awk -v r="$R" 'BEGIN { print (r != "n/a" && r >= 1.7) ? "met" : "NOT met" }')); the full
deployment's fetch phase: $(ratio "$F1" "$F2")×, its inflate+verify: $(ratio "$I1" "$I2")×.  The agent with 2 vCPUs said: \`${CORES2#*cores: }\`.
Run: \`bash tests/bench/cores.sh build\` ($(date -u +%Y-%m-%d)).
EOF
cat "$MD"
doc_section "$REPO/docs/benchmarks.md" cores "Every core" "Measured by tests/bench/cores.sh." "$MD" \
	|| die "cannot update docs/benchmarks.md"
log "wrote $MD and the Every core section of docs/benchmarks.md"
