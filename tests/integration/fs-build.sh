#!/bin/bash
# strata-image build by used blocks (filesystem-aware layers), against the filesystems' own
# tools.  For ext4, NTFS and FAT32 images made over random bytes (free space full of old
# data), with a marker file written and then deleted (NTFS: shrunk, as ntfs-3g's tools
# cannot delete):
#   - the image still holds the marker, the store does not: every chunk file is inflated
#     and searched;
#   - free chunks are counted by build and inspect, and the index is version 3;
#   - the layer applied to a target full of random bytes checks clean (e2fsck -fn,
#     ntfsfix -n and ntfsinfo, fsck.fat -n) and a kept file reads back intact;
#   - --no-fsmap stores every block (the marker is then in the store);
#   - ext4: apply --wipe zeroes every free chunk (read back from the file), e2fsck stays
#     clean, and a second --wipe writes nothing.
# A dirty ext4, a dirty FAT and a hibernated NTFS are each refused with their message and
# fix, and build with --force, which the layer records (inspect says "forced").
#
# Usage: bash tests/integration/fs-build.sh   (needs build/san/strata-image)
# Prints "ok   ..." / "FAIL ..." per check and "N passed, N failed" last.
. "$(dirname "$0")/../lib/common.sh"
SI=${STRATA_IMAGE:-build/san/strata-image}
need_built "$SI"
need_tools mkfs.ext4 debugfs e2fsck mkfs.vfat fsck.fat mcopy mdel mkntfs ntfscp ntfscat \
	ntfsls ntfstruncate ntfsfix ntfsinfo openssl python3
W=$(mktemp -d /tmp/strata-fsbuild.XXXXXX) || exit 1
trap 'rm -rf "$W"; exit 130' INT TERM HUP
trap 'rm -rf "$W"' EXIT
MARK=STRATA-DELETED-MARKER

# rand FILE BYTES SEED: reproducible, incompressible bytes.
rand() { openssl enc -aes-128-ctr -pass "pass:$3" -nosalt -pbkdf2 -in /dev/zero 2> /dev/null |
	head -c "$2" > "$1"; }
rand "$W/keep" 1500000 keep
yes "$MARK" | head -c 600000 > "$W/marker"
printf 'small\n' > "$W/small"

# build IMG [ARGS...]: build into $W/store (a fresh one per image), the id in $W/id.
build() { local img=$1; shift; rm -rf "$W/store"
	"$SI" build --store "$W/store" "$@" "$img" > "$W/id" 2> "$W/build.log"; }
# store_has_marker: some chunk file of the store, inflated, holds the marker.
store_has_marker() { python3 - "$W/store" "$MARK" << 'PY'
import os, sys, zlib
hit = False
for d, _, files in os.walk(os.path.join(sys.argv[1], "chunks")):
    for f in files:
        b = open(os.path.join(d, f), "rb").read()
        try:
            b = zlib.decompress(b)
        except zlib.error:
            pass
        hit |= sys.argv[2].encode() in b
sys.exit(0 if hit else 1)
PY
}
# apply_random IMG: apply the built layer to $W/t.img, first filled with random bytes.
apply_random() { rand "$W/t.img" "$(stat -c %s "$1")" target &&
	"$SI" apply --store "$W/store" "$(tail -1 "$W/id")" "$W/t.img" > "$W/apply.log" 2>&1; }
free_chunks() { "$SI" inspect --store "$W/store" "$(tail -1 "$W/id")" |
	sed -n 's/^chunks .*, \([0-9]*\) free,.*/\1/p'; }
says() { local want=$1; shift; "$@" > "$W/says.out" 2>&1; cat "$W/says.out"; grep -qF -- "$want" "$W/says.out"; }

# common_checks NAME IMG: the checks every filesystem shares, before its fsck.
common_checks() { local fs=$1 img=$2
	check "$fs: the image holds the deleted marker" grep -q "$MARK" "$img"
	check "$fs: builds" build "$img"
	check "$fs: free chunks counted" test "$(free_chunks)" -gt 0
	check "$fs: index version 3" says "(version 3," "$SI" inspect --store "$W/store" \
		"$(tail -1 "$W/id")"
	check "$fs: the deleted marker is not in the store" eval '! store_has_marker'
	check "$fs: applies onto random bytes" apply_random "$img"
	check "$fs: free chunks neither fetched nor written" says " 0 failed;" cat "$W/apply.log"
}

# --- ext4 --------------------------------------------------------------------------------
rand "$W/ext4.img" $((64 << 20)) old
mkfs.ext4 -q -F -b 4096 "$W/ext4.img" > /dev/null 2>&1
debugfs -w -R "write $W/marker marker" "$W/ext4.img" > /dev/null 2>&1
debugfs -w -R "write $W/keep keep" "$W/ext4.img" > /dev/null 2>&1
debugfs -w -R "rm marker" "$W/ext4.img" > /dev/null 2>&1
common_checks ext4 "$W/ext4.img"
check "ext4: e2fsck -fn is clean after apply" e2fsck -fn "$W/t.img"
check "ext4: the kept file reads back" eval "debugfs -R 'cat keep' '$W/t.img' 2> /dev/null |
	cmp -s - '$W/keep'"
# --wipe (the manifest's wipe=yes): the free chunks, random after apply_random, become zero.
free_zero() { "$SI" inspect --store "$W/store" --chunks "$(tail -1 "$W/id")" |
	awk '/^chunk [0-9]/ && $9 == "free" { print $4, $6 }' | python3 -c '
import sys
f = open(sys.argv[1], "rb")
for line in sys.stdin:
    off, n = map(int, line.split())
    f.seek(off)
    if f.read(n).strip(b"\0"):
        sys.exit("free chunk at byte %d is not zero" % off)' "$W/t.img"; }
wipe_json() { "$SI" apply --wipe --json "$W/wipe.json" --store "$W/store" "$(tail -1 "$W/id")" \
	"$W/t.img" > "$W/apply.log" 2>&1 && grep -q "\"$1\": $2," "$W/wipe.json"; }
check "ext4 --wipe: every free chunk zeroed ($(free_chunks))" wipe_json chunks_wiped "$(free_chunks)"
check "ext4 --wipe: the free chunks read as zeros" free_zero
check "ext4 --wipe: e2fsck -fn is clean" e2fsck -fn "$W/t.img"
check "ext4 --wipe again: nothing written" wipe_json target_written 0
check "ext4 --no-fsmap: every block stored, marker included" eval \
	"build '$W/ext4.img' --no-fsmap && store_has_marker"

cp "$W/ext4.img" "$W/ext4-dirty.img"
debugfs -w -R "ssv state 0" "$W/ext4-dirty.img" > /dev/null 2>&1
check_not "ext4 not clean: refused" build "$W/ext4-dirty.img"
check "ext4 not clean: the message names the image, the state and --force" eval \
	"grep -F 'ext4-dirty.img (ext4): ' '$W/build.log' | grep -q -- '--force'"
check "ext4 not clean: builds with --force" build "$W/ext4-dirty.img" --force
check "ext4 not clean: the layer records --force" says "forced" "$SI" inspect \
	--store "$W/store" "$(tail -1 "$W/id")"

# --- NTFS --------------------------------------------------------------------------------
rand "$W/ntfs.img" $((64 << 20)) old
mkntfs -q -F -f "$W/ntfs.img" > /dev/null 2>&1
ntfscp "$W/ntfs.img" "$W/marker" /marker > /dev/null
ntfscp "$W/ntfs.img" "$W/keep" /keep > /dev/null
ino=$(ntfsls -i "$W/ntfs.img" | awk '$2 == "marker" { print $1 }')
ntfstruncate "$W/ntfs.img" "$ino" 0 > /dev/null 2>&1         # frees all its clusters
check "ntfs: the marker file is emptied" eval "ntfsls -l '$W/ntfs.img' | grep -q ' 0 .* marker'"
common_checks ntfs "$W/ntfs.img"
check "ntfs: ntfsfix -n is clean after apply" ntfsfix -n "$W/t.img"
check "ntfs: ntfsinfo reads the volume, not dirty" eval \
	"ntfsinfo -f -m '$W/t.img' > '$W/ni' 2>&1 && ! grep -q DIRTY '$W/ni'"
check "ntfs: the kept file reads back" eval "ntfscat '$W/t.img' /keep | cmp -s - '$W/keep'"

{ printf 'hibr'; head -c 65532 /dev/zero; } > "$W/hibr"
cp "$W/ntfs.img" "$W/ntfs-hib.img"
ntfscp "$W/ntfs-hib.img" "$W/hibr" /hiberfil.sys > /dev/null
check_not "ntfs hibernated: refused" build "$W/ntfs-hib.img"
check "ntfs hibernated: the message names the image and the fix" says \
	"ntfs-hib.img (NTFS): Windows was hibernated or shut down with Fast Startup; boot Windows" \
	cat "$W/build.log"
check "ntfs hibernated: builds with --force" build "$W/ntfs-hib.img" --force
check "ntfs hibernated: the layer records --force" says "forced" "$SI" inspect \
	--store "$W/store" "$(tail -1 "$W/id")"

# --- FAT32 -------------------------------------------------------------------------------
rand "$W/fat.img" $((80 << 20)) old
mkfs.vfat -F 32 "$W/fat.img" > /dev/null
mcopy -i "$W/fat.img" "$W/marker" ::/marker && mcopy -i "$W/fat.img" "$W/keep" ::/keep &&
	mdel -i "$W/fat.img" ::/marker
common_checks fat32 "$W/fat.img"
check "fat32: fsck.fat -n is clean after apply" fsck.fat -n "$W/t.img"
check "fat32: the kept file reads back" eval "mtype -i '$W/t.img' ::/keep | cmp -s - '$W/keep'"

cp "$W/fat.img" "$W/fat-dirty.img"
printf '\001' | dd of="$W/fat-dirty.img" bs=1 seek=65 conv=notrunc 2> /dev/null
check_not "fat32 dirty bit: refused" build "$W/fat-dirty.img"
check "fat32 dirty bit: the message names the image and the fix" says \
	"fat-dirty.img (FAT32): the dirty bit is set" cat "$W/build.log"
check "fat32 dirty bit: builds with --force" build "$W/fat-dirty.img" --force
check "fat32 dirty bit: the layer records --force" says "forced" "$SI" inspect \
	--store "$W/store" "$(tail -1 "$W/id")"

finish
