#!/bin/bash
# The reduced demo as a test: `tests/demo/lab.sh --vms 1` (one PC, gold v1, a user's files,
# then gold v2, then the restore of a failed PC, which pc01 plays) with the sanitizer builds
# of strata-server and strata-image.  Checks the lines the PC's own OS printed, the user's
# files after the reimage, that the reimage fetched only what changed, and that the new PC
# that replaced pc01 (another MAC and NVRAM, a larger blank disk) came back as pc01 with its
# user's 6 files, its data filesystem grown to the partition, and its row in the table.
# With DEMO_BOOTS="pxe http" (make soak), the same without the restore (--no-restore)
# through the firmware's own PXE (snponly.efi) and through UEFI HTTP Boot: each must hand
# the PC on to its disk once nothing is pending.
# Needs root, QEMU and OVMF; without them it says so.
. "$(dirname "$0")/../lib/common.sh"
BUILD=${1:-build}
if [ "$(id -u)" != 0 ] || [ ! -f "$BUILD/efi/strata.efi" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "skip: needs root, qemu and $BUILD/efi/strata.efi (make build-all)"
	finish
	exit
fi
OUT=$(mktemp /tmp/strata-demo-test.XXXXXX)

demo() {   # demo BOOT [OPTION..]: run the one-PC demo booting that way; RC is its status
	STRATA_SERVER=$BUILD/san/strata-server STRATA_IMAGE=$BUILD/san/strata-image \
		bash "$(dirname "$0")/../demo/lab.sh" --vms 1 --boot "$@" "$BUILD" > "$OUT" 2>&1
	RC=$?
	[ "$RC" = 0 ] || cat "$OUT"
}
line() { grep -q "^   pc01: strata-demo: pc01 running gold $1, data files: $2$" "$OUT"; }

demo rom
check "the demo exits 0" test "$RC" -eq 0
check "v1: pc01's OS prints its line" line v1 0
check "v2: pc01 runs gold v2 with the user's 3 files" line v2 3
check "the user's files were written" grep -q "photo.jpg, 300000 bytes" "$OUT"
V2=$(awk '$1 == "pc01" && $2 == "v2" { print $3; exit }' "$OUT")   # the reimage's row, not the restore's
check "the reimage fetched under 0.1 MB (${V2:-?} MB)" awk -v v="${V2:-9}" 'BEGIN { exit !(v < 0.1) }'
check "the table compares with a full copy" grep -q "^gold v2: .* fetched by 1 PCs; a full copy" "$OUT"
check "restore: pc01 was captured" grep -q "^   pc01: capture complete: [0-9]* bytes uploaded" "$OUT"
check "restore: the new PC's key waited for the admin" grep -q "^   POST /api/accept-key/pc01: accepted the pending keys of 1 machines" "$OUT"
check "restore: the new PC runs gold v2 as pc01 with the user's 6 files" \
	grep -q "^   new PC: strata-demo: pc01 running gold v2, data files: 6$" "$OUT"
check "restore: its data filesystem grew to the larger disk's partition" \
	grep -q "^   new PC: strata-demo: data: filesystem grown from [0-9]* MiB to [0-9]* MiB" "$OUT"
RESTORED=$(awk 'prev ~ /^gold v2: / && $1 == "pc01" && $2 == "v2" { print $3 } { prev = $0 }' "$OUT")
check "restore: the table's row for the new PC (${RESTORED:-?} MB fetched)" sh -c \
	"grep -A1 '^gold v2: ' '$OUT' | grep -q 'pc01 running gold v2, data files: 6$' &&
	 grep -q '^restore: a new PC came back as pc01 with ' '$OUT'"

# make test runs UEFI HTTP Boot here (OVMF's PXE is covered by capture.sh and faults.sh);
# make test runs neither (DEMO_BOOTS unset); make soak runs both (DEMO_BOOTS="pxe http").
for boot in ${DEMO_BOOTS-}; do
	demo "$boot" --no-restore
	check "$boot: the demo exits 0" test "$RC" -eq 0
	check "$boot: v1 then v2 with the user's files, booted from the disk" sh -c \
		"grep -q 'pc01 running gold v1, data files: 0' '$OUT' && grep -q 'pc01 running gold v2, data files: 3' '$OUT'"
done
rm -f "$OUT"
finish
