#!/bin/bash
# The used-block maps and verdicts of images/core/fsmap.c against the filesystems' own tools.
#
# tests/tools/fsmap_tool prints the core's view of a partition image.  For images made by
# mkfs.ext4 (flex_bg + 64bit, and a small 1 KiB-block one without either or a journal),
# mkfs.vfat (FAT12, FAT16, FAT32) and mkntfs, with files written, deleted and rewritten by
# debugfs, mtools and ntfs-3g's tools (no mounting), this script checks:
#   - the free blocks equal those of a peer: partclone's domain log (`partclone.<fs> -D`,
#     its own used-block bitmap) for every type, dumpe2fs's free block list for ext4, and
#     fsck.fat's used-cluster count for FAT (partclone 0.3.23 misreads FAT12 tables, so
#     FAT12 is checked against fsck.fat alone);
#   - a clean ext4's journal log area is a zero range, and only its superblock is used;
#   - each unsafe state, made with the peers' tools, is refused with its fix, and the peer
#     sees the same state: ext4 needs_recovery and state not clean (debugfs, dumpe2fs),
#     the FAT dirty bit (fsck.fat), the NTFS dirty flag (ntfsfix after a damaged $MFTMirr,
#     ntfsinfo), hiberfil.sys starting with "hibr" (ntfscp);
#   - swap keeps its header page only; BitLocker, unknown data and metadata that does not
#     check out are fully used.
#
# Usage: bash tests/integration/fsmap.sh [BUILD_DIR]   (needs build/san/tests/tools/fsmap_tool)
# Prints "ok   ..." / "FAIL ..." per check and "N passed, N failed" last.
. "$(dirname "$0")/../lib/common.sh"

# The build directory: the argument, else the one make test's STRATA_IMAGE lives in.
BUILD=${1:-${STRATA_IMAGE:+${STRATA_IMAGE%/san/strata-image}}}
TOOL=${BUILD:-build}/san/tests/tools/fsmap_tool
W=$(mktemp -d /tmp/strata-fsmap.XXXXXX) || exit 1
trap 'rm -rf "$W"; exit 130' INT TERM HUP
trap 'rm -rf "$W"' EXIT

for t in "$TOOL" mkfs.ext4 debugfs dumpe2fs mkfs.vfat fsck.fat mcopy mkntfs ntfscp ntfsinfo \
	partclone.extfs partclone.fat partclone.ntfs; do
	if ! command -v "$t" > /dev/null; then
		check "$t is present (e2fsprogs, dosfstools, mtools, ntfs-3g, partclone)" false
		finish
		exit 1
	fi
done

# rand FILE BYTES SEED: reproducible, incompressible file contents.
rand() { openssl enc -aes-128-ctr -pass "pass:$3" -nosalt -pbkdf2 -in /dev/zero 2> /dev/null |
	head -c "$2" > "$1"; }
rand "$W/f1" 700000 one
rand "$W/f2" 300000 two
rand "$W/f3" 1200000 three
rand "$W/f4" 90000 four

# field IMG NAME: a header field of the core's map ("type", "verdict", "fs-bytes", ...).
field() { "$TOOL" map --unit 512 "$1" | sed -n "s/^$2 //p"; }
# Our free units (unit bytes BS) of IMG as one number per line, below the filesystem's end.
ours_free() { local n=$(( $(field "$1" fs-bytes) / $2 ))
	"$TOOL" free --unit "$2" "$1" | awk -F- -v n="$n" '/^[0-9]+-[0-9]+$/ {
		for (b = $1; b <= $2 && b < n; b++) print b }'; }
# partclone's free blocks of BS bytes, from its domain log of used byte ranges.
pc_free() { local img=$1 fs=$2 bs=$3 n=$(( $(field "$1" fs-bytes) / $3 ))
	rm -f "$W/dom"; partclone."$fs" -q -s "$img" -D -o "$W/dom" > /dev/null 2>&1 || return 1
	awk -v bs="$bs" -v n="$n" 'function hex(s,  v, i) { v = 0; s = tolower(substr(s, 3))
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
		!/^#/ && $3 == "+" { a = hex($1) / bs; e = (hex($1) + hex($2)) / bs
		for (b = a; b < e; b++) used[b] = 1 }
		END { for (b = 0; b < n; b++) if (!(b in used)) print b }' "$W/dom"; }
# dumpe2fs's free blocks, one per line.
e2_free() { dumpe2fs "$1" 2>/dev/null | sed -n 's/^  Free blocks: //p' | tr ',' '\n' |
	awk -F- 'NF { gsub(/ /, ""); a = $1; e = (NF > 1 ? $2 : $1); for (b = a; b <= e; b++) print b }'; }
# same A B: the two commands' outputs are identical (and not both empty by accident).
same() { diff <(eval "$1") <(eval "$2") > "$W/diff"; local rc=$?; head -5 "$W/diff"; return $rc; }
says() { local want=$1; shift; "$@" > "$W/says.out" 2>&1; cat "$W/says.out"; grep -qF -- "$want" "$W/says.out"; }

# --- ext4 --------------------------------------------------------------------------------
# debugfs commands: write, delete, rewrite.
cat > "$W/e2cmds" <<EOF
write $W/f1 f1
write $W/f2 f2
mkdir d
write $W/f3 d/f3
rm f1
write $W/f4 f4
rm d/f3
write $W/f3 d/f3again
EOF
ext4_case() { local fs=$1 size=$2; shift 2
	local img=$W/$fs.img bs
	truncate -s "$size" "$img"
	mkfs.ext4 -q -F "$@" "$img" || return 1
	debugfs -w -f "$W/e2cmds" "$img" > /dev/null 2>&1
	check "$fs: files written, deleted, rewritten (debugfs)" eval \
		"debugfs -R 'ls -l d' '$img' 2> /dev/null | grep -q f3again"
	bs=$(field "$img" block-size)
	check "$fs: detected as ext4, clean" test "$(field "$img" type)/$(field "$img" verdict)" = ext4/ok
	check "$fs: free blocks equal dumpe2fs's" same "ours_free $img $bs" "e2_free $img"
	check "$fs: free blocks equal partclone's" same "ours_free $img $bs" "pc_free $img extfs $bs"
}
ext4_case ext4-flex 96M -O flex_bg,64bit -b 4096 -g 4096 -E lazy_itable_init=1
ext4_case ext4-small 8M -b 1024 -O ^flex_bg,^64bit,^has_journal,^resize_inode
ext4_case ext4-1k-journal 48M -b 1024 -O flex_bg,^64bit -J size=4
ext4_case ext4-sparse2 64M -b 4096 -g 2048 -O sparse_super2,flex_bg,64bit

IMG=$W/ext4-flex.img
# The journal's blocks as debugfs lists them, and our zero ranges as blocks.
debugfs -R "blocks <8>" "$IMG" 2> /dev/null | tr ' ' '\n' | grep . > "$W/jblocks"
ours_zero() { "$TOOL" map --unit 4096 "$1" | awk '$1 == "zero" { for (b = $2 / 4096;
	b < ($2 + $3) / 4096; b++) print b }'; }
check "ext4: journal log area (all but its superblock) is zero, per debugfs" same \
	"ours_zero $IMG" "tail -n +2 $W/jblocks"
check "ext4: journal superblock stays used" eval "'$TOOL' map --unit 4096 '$IMG' |
	awk -v b=\$(( \$(head -1 $W/jblocks) * 4096 )) '\$1 == \"used\" && \$2 <= b && b < \$2 + \$3 { f = 1 }
	END { exit !f }'"
check "ext4: 64 KiB chunks of the log are zero-log" eval "'$TOOL' chunks '$IMG' | grep -Eq 'zero-log [1-9]'"

cp "$IMG" "$W/recover.img"
debugfs -w -R "feature needs_recovery" "$W/recover.img" > /dev/null 2>&1
check "ext4 needs_recovery: dumpe2fs agrees" says "needs_recovery" dumpe2fs -h "$W/recover.img"
check "ext4 needs_recovery: refused with the fix" says \
	"state the journal needs recovery (not cleanly unmounted); mount and unmount it, or run e2fsck" \
	"$TOOL" map "$W/recover.img"
check "ext4 needs_recovery: the log is not zeroed" eval "! '$TOOL' map '$W/recover.img' | grep -q '^zero'"
cp "$IMG" "$W/dirty.img"
debugfs -w -R "ssv state 0" "$W/dirty.img" > /dev/null 2>&1
check "ext4 state not clean: dumpe2fs agrees" says "Filesystem state:         not clean" \
	dumpe2fs -h "$W/dirty.img"
check "ext4 state not clean: refused" says "verdict refuse" "$TOOL" map "$W/dirty.img"
cp "$IMG" "$W/errors.img"
debugfs -w -R "ssv state 3" "$W/errors.img" > /dev/null 2>&1
check "ext4 with recorded errors: refused" says "recorded errors; run e2fsck -f" "$TOOL" map "$W/errors.img"
truncate -s 64M "$W/cut.img"
dd if="$IMG" of="$W/cut.img" bs=1M count=64 conv=notrunc 2> /dev/null
check "ext4 larger than its partition: fully used" eval "'$TOOL' map '$W/cut.img' |
	grep -q '^fallback ext4 is larger than its partition' && '$TOOL' chunks '$W/cut.img' |
	grep -q 'used 1024 free 0 zero-log 0'"

# --- FAT ---------------------------------------------------------------------------------
fat_files() { local img=$1
	mcopy -i "$img" "$W/f1" ::/f1 && mcopy -i "$img" "$W/f2" ::/f2 && mmd -i "$img" ::/d &&
	mcopy -i "$img" "$W/f3" ::/d/f3 && mdel -i "$img" ::/f1 && mcopy -i "$img" "$W/f4" ::/f4 &&
	mdel -i "$img" ::/d/f3 && mcopy -i "$img" "$W/f2" ::/d/f2again; }
# fsck.fat's free cluster count, and ours (free sectors / sectors per cluster).
fsck_free() { fsck.fat -n -v "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\)\/\([0-9]*\) clusters$/\2 \1/p' |
	awk '{ print $1 - $2 }'; }
ours_free_clusters() { local c=$(field "$1" block-size)
	echo $(( $(ours_free "$1" 512 | wc -l) / (c / 512) )); }
fat_case() { local fs=$1 size=$2 bits=$3 peer=$4 img=$W/$1.img bs
	truncate -s "$size" "$img"
	mkfs.vfat -F "$bits" "$img" > /dev/null || return 1
	check "$fs: files written, deleted, rewritten (mtools)" fat_files "$img"
	check "$fs: detected as FAT$bits, clean" test "$(field "$img" type)/$(field "$img" verdict)" = \
		"FAT$bits/ok"
	check "$fs: free clusters equal fsck.fat's count" same "ours_free_clusters $img" "fsck_free $img"
	bs=$(field "$img" block-size)
	[ "$peer" = partclone ] && check "$fs: free sectors equal partclone's" same \
		"ours_free $img 512" "pc_free $img fat 512"
	cp "$img" "$W/$fs-dirty.img"
	local at=37; [ "$bits" = 32 ] && at=65
	printf '\001' | dd of="$W/$fs-dirty.img" bs=1 seek=$at conv=notrunc 2> /dev/null
	check "$fs dirty bit: fsck.fat agrees" says "Dirty bit is set" fsck.fat -n "$W/$fs-dirty.img"
	check "$fs dirty bit: refused with the fix" says \
		"state the dirty bit is set (not cleanly unmounted, or a check is pending); run fsck.fat -a" \
		"$TOOL" map "$W/$fs-dirty.img"
}
fat_case fat12 4M 12 fsck
fat_case fat16 48M 16 partclone
fat_case fat32 80M 32 partclone

# --- NTFS --------------------------------------------------------------------------------
IMG=$W/ntfs.img
truncate -s 96M "$IMG"
mkntfs -q -F -f "$IMG" > /dev/null 2>&1
ntfscp "$IMG" "$W/f1" /f1 > /dev/null && ntfscp "$IMG" "$W/f2" /f2 > /dev/null &&
	ntfscp "$IMG" "$W/f3" /f3 > /dev/null
ino=$(ntfsls -i "$IMG" | awk '$2 == "f1" { print $1 }')
ntfstruncate "$IMG" "$ino" 5000 > /dev/null 2>&1          # shrink: frees clusters
ntfscp "$IMG" "$W/f4" /f3 > /dev/null                     # rewrite smaller
ntfscp "$IMG" "$W/f3" /f5 > /dev/null
check "ntfs: files written, shrunk, rewritten (ntfs-3g tools)" eval \
	"ntfsls -l '$IMG' | grep -q ' 5000 .* f1' && ntfscat '$IMG' /f3 | cmp -s - '$W/f4'"
check "ntfs: detected, clean" test "$(field "$IMG" type)/$(field "$IMG" verdict)" = NTFS/ok
check "ntfs: free clusters equal partclone's" same "ours_free $IMG 4096" "pc_free $IMG ntfs 4096"
check "ntfs: the backup boot sector past the volume is used" eval "'$TOOL' map --unit 512 '$IMG' |
	awk '\$1 == \"used\" && \$2 + \$3 == $((96 * 1048576)) { f = 1 } END { exit !f }'"
# 64 KiB, so that $DATA is non-resident (tests/unit/test_fsmap.c covers a resident one).
{ printf 'wake'; head -c 65532 /dev/zero; } > "$W/wake"
{ printf 'hibr'; head -c 65532 /dev/zero; } > "$W/hibr"
cp "$IMG" "$W/resumed.img"
ntfscp "$W/resumed.img" "$W/wake" /hiberfil.sys > /dev/null
check "ntfs: hiberfil.sys after a resume (wake): clean" says "verdict ok" "$TOOL" map "$W/resumed.img"
cp "$IMG" "$W/hib.img"
ntfscp "$W/hib.img" "$W/hibr" /hiberfil.sys > /dev/null
check "ntfs hibernated: ntfs-3g agrees" says "ibernated, refused to mount" ntfs-3g.probe --readwrite "$W/hib.img"
check "ntfs hibernated: refused with the fix" says \
	"state Windows was hibernated or shut down with Fast Startup; boot Windows and choose Restart, or disable Fast Startup" \
	"$TOOL" map "$W/hib.img"
cp "$IMG" "$W/ndirty.img"
mirr=$(od -An -t u8 -j 56 -N 8 "$IMG" | tr -d ' ')
printf '\021' | dd of="$W/ndirty.img" bs=1 seek=$((mirr * 4096 + 8)) conv=notrunc 2> /dev/null
ntfsfix "$W/ndirty.img" > /dev/null 2>&1                  # repairs, and schedules chkdsk
check "ntfs dirty flag: ntfsinfo agrees" says "DIRTY" ntfsinfo -f -m "$W/ndirty.img"
check "ntfs dirty flag: refused with the fix" says "state the volume's dirty flag is set" \
	"$TOOL" map "$W/ndirty.img"
cp "$IMG" "$W/badmft.img"
mft=$(od -An -t u8 -j 48 -N 8 "$IMG" | tr -d ' ')
printf 'XXXX' | dd of="$W/badmft.img" bs=1 seek=$((mft * 4096 + 6 * 1024)) conv=notrunc 2> /dev/null
check "ntfs with a damaged \$Bitmap record: fully used" says "fallback NTFS structure has a bad magic" \
	"$TOOL" map "$W/badmft.img"

# --- swap, BitLocker, unknown ------------------------------------------------------------
truncate -s 16M "$W/swap.img"
mkswap "$W/swap.img" > /dev/null 2>&1
check "swap: only the header page is used" same "'$TOOL' map '$W/swap.img' | grep ^used" \
	"echo 'used 0 4096'"
printf 'S1SUSPEND\0' | dd of="$W/swap.img" bs=1 seek=4086 conv=notrunc 2> /dev/null
check "swap with a hibernation image: refused" says "swap holds a hibernated Linux system" \
	"$TOOL" map "$W/swap.img"
cp "$W/fat32.img" "$W/bl.img"
printf -- '-FVE-FS-' | dd of="$W/bl.img" bs=1 seek=3 conv=notrunc 2> /dev/null
check "BitLocker: warned, named" says "state BitLocker volume: copied raw" "$TOOL" map "$W/bl.img"
check "BitLocker: fully used" says "chunks used 1280 free 0" "$TOOL" chunks "$W/bl.img"
head -c 1048576 /dev/urandom > "$W/junk.img"
check "unknown data: fully used" eval "'$TOOL' chunks '$W/junk.img' | grep -q 'used 16 free 0' &&
	'$TOOL' map '$W/junk.img' | grep -q '^type unknown'"

finish
