#!/bin/bash
# Different disk sizes: `strata-image apply --manifest` plans the whole deployment against
# the disk before writing a byte (images/core/disk_fit.c, the planning strata.efi does).
# A machine pc07 with an ESP and a root (write) and a home partition of size=rest whose
# layer is a 12 MiB capture (policy=restore):
#   - on a disk too small for the capture, and on one a single block short, nothing is
#     written (the image's SHA-256 before and after) and the shortfall is printed in bytes
#     per partition, the exact text checked;
#   - a fixed partition smaller than its layer is refused on any disk (a manifest error);
#   - on a disk of exactly the size needed, and on a larger one, every partition holds its
#     layer byte for byte, `sgdisk -v` finds no problem, and home (size=rest) ends at the
#     disk's last usable sector (`sgdisk -i 4`): a larger disk grows it;
#   - applied again, home is present and left as it is (policy=restore).
# Usage: bash tests/integration/apply-size.sh   (STRATA_IMAGE names strata-image)
. "$(dirname "$0")/../lib/common.sh"
SI=${STRATA_IMAGE:-build/san/strata-image}
need_tools sgdisk sha256sum
need_built "$SI"
W=$(mktemp -d /tmp/strata-apply-size.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
MiB=1048576

# Layers: an ESP of 3 MiB, a root of 6 MiB, a home capture of 12 MiB, all random data.
head -c $((3 * MiB)) /dev/urandom > "$W/esp"
head -c $((6 * MiB)) /dev/urandom > "$W/root"
head -c $((12 * MiB)) /dev/urandom > "$W/home"
for l in esp root home; do
	$SI build --store "$W/st" "$W/$l" 2>>"$W/build.log" | tail -1 > "$W/$l.id"
done
ESP=$(cat "$W/esp.id") ROOT=$(cat "$W/root.id") HOME_ID=$(cat "$W/home.id")

# manifest FILE ROOT_SIZE: pc07's manifest (unsigned: apply does not verify it).
manifest() {
	cat > "$1" <<EOF
strata-manifest 1
version 1
machine pc07
disk guid=3B9F4C2E-1D5A-4E6B-8C7D-9E0F1A2B3C4D
part 1 label=ESP type=esp guid=11111111-2222-4333-8444-555555555501 start=1M size=4M policy=write layer=$ESP
part 2 label=root type=linux guid=11111111-2222-4333-8444-555555555502 start=5M size=$2 policy=write layer=$ROOT
part 4 label=home type=linux guid=11111111-2222-4333-8444-555555555504 start=13M size=rest policy=restore layer=$HOME_ID store=private
EOF
}
manifest "$W/m" 8M
manifest "$W/m-small-root" 4M
# The disk home's capture needs: its start, its 12 MiB, then the backup GPT (16 KiB + 512).
NEED=$((13 * MiB + 12 * MiB + 16384 + 512))

# disk FILE BYTES: an image of BYTES holding random bytes (what an old disk holds).
disk() { head -c "$2" /dev/urandom > "$1"; }
apply() { $SI apply --store "$W/st" --manifest "$@"; }
# part_is DISK N LAYER_FILE: partition N (from sgdisk) starts with the layer's bytes.
part_is() {
	local first size
	first=$(sgdisk -i "$2" "$1" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	size=$(stat -c %s "$3")
	cmp -n "$size" "$3" <(tail -c +$((first * 512 + 1)) "$1")
}
last_sector() { sgdisk -i "$2" "$1" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p'; }

# Too small for the capture: untouched, the shortfall per partition.
disk "$W/small" $((24 * MiB))
BEFORE=$(sha256sum < "$W/small")
apply "$W/m" "$W/small" > "$W/small.out" 2>&1
check "too small: apply fails (exit 1)" test $? -eq 1
check "too small: the disk's bytes are unchanged" test "$(sha256sum < "$W/small")" = "$BEFORE"
check "too small: the disk's shortfall" grep -qxF "strata-image: pc07: disk is 25165824 bytes (25.2 MB); the layout needs $NEED bytes (26.2 MB), 1065472 bytes (1.07 MB) more" "$W/small.out"
check "too small: the partition at fault" grep -qxF "strata-image: pc07: partition 4 (home) holds a 12.6 MB capture (12582912 bytes) from byte 13631488 (13.6 MB); it gets 11517440 bytes (11.5 MB) on this disk, 1065472 bytes (1.07 MB) short" "$W/small.out"
check "too small: one line per partition at fault" test "$(grep -c 'partition [0-9]' "$W/small.out")" = 1
check "too small: says nothing was written" grep -qxF "strata-image: $W/small: nothing was written" "$W/small.out"

# One block short.
disk "$W/short" $((NEED - 512))
BEFORE=$(sha256sum < "$W/short")
check_not "one block short: apply fails" apply "$W/m" "$W/short"
check "one block short: unchanged" test "$(sha256sum < "$W/short")" = "$BEFORE"
apply "$W/m" "$W/short" > "$W/short.out" 2>&1
check "one block short: 512 bytes short" grep -qF "on this disk, 512 bytes (512 bytes) short" "$W/short.out"

# A fixed partition smaller than its layer: the manifest is wrong, whatever the disk.
disk "$W/big0" $((64 * MiB))
BEFORE=$(sha256sum < "$W/big0")
check_not "root over its size: refused" apply "$W/m-small-root" "$W/big0"
check "root over its size: unchanged" test "$(sha256sum < "$W/big0")" = "$BEFORE"
apply "$W/m-small-root" "$W/big0" > "$W/over.out" 2>&1
check "root over its size: the message" grep -qxF "strata-image: pc07: partition 2 (root) holds a 6.29 MB layer (6291456 bytes), 2097152 bytes (2.10 MB) more than its size=4194304: the manifest is wrong (Strata never shrinks a filesystem): give it a size of at least 6291456" "$W/over.out"

# Exactly the size needed: every layer in place, home ends at the last usable sector.
disk "$W/exact" "$NEED"
check "exact fit: apply succeeds" apply "$W/m" "$W/exact"
check "exact fit: sgdisk -v finds no problem" sh -c "sgdisk -v '$W/exact' | grep -q 'No problems found'"
check "exact fit: ESP holds its layer" part_is "$W/exact" 1 "$W/esp"
check "exact fit: root holds its layer" part_is "$W/exact" 2 "$W/root"
check "exact fit: home holds the capture" part_is "$W/exact" 4 "$W/home"
check "exact fit: home is exactly the capture" test "$(last_sector "$W/exact" 4)" = $(((13 * MiB + 12 * MiB) / 512 - 1))

# A larger disk: home (size=rest) grows to the last usable sector.
disk "$W/big" $((64 * MiB))
check "larger disk: apply succeeds" apply "$W/m" "$W/big"
check "larger disk: sgdisk -v finds no problem" sh -c "sgdisk -v '$W/big' | grep -q 'No problems found'"
check "larger disk: home ends at the last usable sector" test "$(last_sector "$W/big" 4)" = $((64 * MiB / 512 - 34))
check "larger disk: home holds the capture" part_is "$W/big" 4 "$W/home"
check "larger disk: root holds its layer" part_is "$W/big" 2 "$W/root"

# Applied again: home is present, so it is left as it is (its user's writes stay).
printf 'USER-WROTE-THIS' | dd of="$W/big" bs=1 seek=$((13 * MiB + 100)) conv=notrunc 2>/dev/null
apply "$W/m" "$W/big" > "$W/again.out" 2>&1
check "again: apply succeeds" test $? -eq 0
check "again: home present, not restored" grep -qF "partition 4 (home): present; not restored (left as it is)" "$W/again.out"
check "again: the user's bytes stay" sh -c "dd if='$W/big' bs=1 skip=$((13 * MiB + 100)) count=15 2>/dev/null | grep -q USER-WROTE-THIS"

# Usage.
check_not "--manifest with LAYER and TARGET is refused" $SI apply --store "$W/st" --manifest "$W/m" "$ROOT" "$W/big"
check_not "a disk that does not exist is refused" apply "$W/m" "$W/none"
check "nothing was created for it" test ! -e "$W/none"
finish
