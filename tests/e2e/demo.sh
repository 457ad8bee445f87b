#!/bin/bash
# The reduced demo as a test: `tests/demo/lab.sh --vms 1` (one PC, gold v1, a user's files,
# then gold v2) with the sanitizer builds of strata-server and strata-image.  Checks the
# lines the PC's own OS printed, the user's files after the reimage, and that the reimage
# fetched only what changed.  Then the same through the firmware's own PXE (snponly.efi)
# and through UEFI HTTP Boot: each must hand the PC on to its disk once nothing is pending.
# Needs root, QEMU and OVMF; without them it says so.
. "$(dirname "$0")/../lib/common.sh"
BUILD=${1:-build}
if [ "$(id -u)" != 0 ] || [ ! -f "$BUILD/efi/strata.efi" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "skip: needs root, qemu and $BUILD/efi/strata.efi (make build-all)"
	finish
	exit
fi
OUT=$(mktemp /tmp/strata-demo-test.XXXXXX)

demo() {   # demo BOOT: run the one-PC demo booting that way; RC is its status
	STRATA_SERVER=$BUILD/san/strata-server STRATA_IMAGE=$BUILD/san/strata-image \
		bash "$(dirname "$0")/../demo/lab.sh" --vms 1 --boot "$1" "$BUILD" > "$OUT" 2>&1
	RC=$?
	[ "$RC" = 0 ] || cat "$OUT"
}
line() { grep -q "^   pc01: strata-demo: pc01 running gold $1, data files: $2$" "$OUT"; }

demo rom
check "the demo exits 0" test "$RC" -eq 0
check "v1: pc01's OS prints its line" line v1 0
check "v2: pc01 runs gold v2 with the user's 3 files" line v2 3
check "the user's files were written" grep -q "photo.jpg, 300000 bytes" "$OUT"
V2=$(awk '$1 == "pc01" && $2 == "v2" { print $3 }' "$OUT")
check "the reimage fetched under 0.1 MB (${V2:-?} MB)" awk -v v="${V2:-9}" 'BEGIN { exit !(v < 0.1) }'
check "the table compares with a full copy" grep -q "^gold v2: .* fetched by 1 PCs; a full copy" "$OUT"

for boot in pxe http; do
	demo "$boot"
	check "$boot: the demo exits 0" test "$RC" -eq 0
	check "$boot: v1 then v2 with the user's files, booted from the disk" sh -c \
		"grep -q 'pc01 running gold v1, data files: 0' '$OUT' && grep -q 'pc01 running gold v2, data files: 3' '$OUT'"
done
rm -f "$OUT"
finish
