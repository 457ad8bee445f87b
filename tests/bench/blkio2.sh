#!/bin/bash
# Asynchronous disk writes: strata.efi's full deployment onto an NVMe disk with Block I/O 2
# against the same disk written through Block I/O only (issue 18, the pipeline).
#
# usage: bash tests/bench/blkio2.sh BUILD_DIR
#
# The lab, layer and boot are tests/bench/lib/efilayer.sh's (efi.sh's layer: a
# STRATA_BENCH_EFI_MIB, default 128, MiB ext4 image of /usr/share/doc and programs), with
# the VM's disk an NVMe controller (LAB_DISK_DEV=nvme), which OVMF drives with both
# interfaces.  Each round deploys the layer to an empty disk twice: with strata.efi, which
# writes through Block I/O 2 (a batch's writes go on while the next batch arrives), and
# with strata-blkio1.efi, the same objects but efi/disk_io2_none.c linked in place of
# efi/disk_io2_find.c (make build/efi/strata-blkio1.efi, before this script), which
# writes each chunk through Block I/O and waits.  Each boot's log must name the interface
# it used.  From the agent's log: its total (deployment complete, ms) and the root layer's
# time line: fetch (network, inflate+verify, disk write; the write figure is the boot
# processor's time blocked on the disk).  LAB_SMP (default 1) vCPUs.  Medians of
# STRATA_BENCH_RUNS rounds (default 3).
#
# Results: a table on stdout, BUILD_DIR/bench/results/blkio2.md, and the "Asynchronous disk
# writes" section of docs/benchmarks.md between <!-- bench:blkio2 begin --> and
# <!-- bench:blkio2 end -->.  Needs what efi.sh needs.  About 3 minutes per round.
set -uo pipefail

BENCH=blkio2.sh
. "$(dirname "$0")/lib/common.sh"
[ $# -eq 1 ] || die "usage: blkio2.sh BUILD_DIR"
[ -f "$(dirname "$0")/lib/efilayer.sh" ] || die "needs tests/bench/lib/efilayer.sh"
. "$(dirname "$0")/lib/efilayer.sh"
efilayer_setup "$1" blkio2
RUNS=${STRATA_BENCH_RUNS:-3}
MIB=${STRATA_BENCH_EFI_MIB:-128}
MAC=52:54:00:5a:0e:01
EFI1=$BUILD/efi/strata-blkio1.efi
LAB_VM_TIMEOUT=900
export LAB_DISK_DEV=nvme

# boot NAME EFI WANT: one full deployment to an empty disk with EFI as the server's
# strata.efi; dies unless the log has WANT.  Prints "total fetch network inflate write" (ms).
boot() {
	local line
	cp "$2" "$W/root/boot/strata.efi"
	rm -f "$W/disk.img"; truncate -s $((MIB + 8))M "$W/disk.img"
	efilayer_boot "$1" "$MAC"
	efilayer_line "$1" "$3" >/dev/null || die "$1: no '$3' in its log (see $LAB_RUN/$1.debug)"
	line=$(efilayer_line "$1" "layer root: [0-9]* ms: check")
	echo "$(efilayer_line "$1" "deployment complete" | sed -n 's/.*, \([0-9]*\) ms.*/\1/p')" \
		"$(echo "$line" | sed -n 's/.*fetch \([0-9]*\) (network \([0-9]*\), inflate+verify \([0-9]*\), disk write \([0-9]*\)).*/\1 \2 \3 \4/p')"
}

col() { awk -v c="$2" '{ print $c }' "$W/$1.tsv" | median; }

[ -f "$EFI1" ] || die "$EFI1 not found: run 'make build/efi/strata-blkio1.efi'"
log "making a ${MIB} MiB layer"
efilayer_make "$MIB" 5f1a2b3c-0000-4000-8000-00000000b102 || die "could not make the layer"
efilayer_root "$MAC" "$MIB"
lab_start "$W/root" "$KEY" || die "the lab did not start"
for r in $(seq "$RUNS"); do
	boot "io2-$r" "$EFI" "disk: Block I/O 2, up to" >> "$W/io2.tsv"
	boot "io1-$r" "$EFI1" "disk: Block I/O (Block I/O 2 left out of this build)" >> "$W/io1.tsv"
	log "round $r: Block I/O 2 $(tail -1 "$W/io2.tsv"); Block I/O $(tail -1 "$W/io1.tsv")"
done

MD=$BUILD/bench/results/blkio2.md
row() { echo "| $2 | $(col "$1" 1) | $(col "$1" 2) | $(col "$1" 3) | $(col "$1" 4) | $(col "$1" 5) |"; }
cat > "$MD" <<EOF
One VM (q35, OVMF, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }'), TCG, ${LAB_SMP:-1} vCPU, 1 GiB, virtio-net, the disk on an NVMe
controller) in tests/lib/lab.sh's lab; $(nproc) host cores; strata-server release build; layer: a $MIB MiB
ext4 image.  A full deployment to an empty disk; milliseconds by the agent's clock, medians
of $RUNS rounds.  Disk write: the boot processor's time blocked on the disk.

| writes through | total | fetch | network | inflate+verify | disk write |
| --- | ---: | ---: | ---: | ---: | ---: |
$(row io2 "Block I/O 2 (strata.efi)")
$(row io1 "Block I/O (strata-blkio1.efi)")

Every round (total, fetch, network, inflate+verify, disk write): Block I/O 2 $(awk '{ printf "%s%s", s, $0; s = "; " }' "$W/io2.tsv"); Block I/O $(awk '{ printf "%s%s", s, $0; s = "; " }' "$W/io1.tsv").
Run: \`bash tests/bench/blkio2.sh build\` ($(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end).
EOF
cat "$MD"
doc_section "$REPO/docs/benchmarks.md" blkio2 "Asynchronous disk writes" \
	"Measured by tests/bench/blkio2.sh." "$MD" ||
	die "could not update docs/benchmarks.md"
