#!/bin/bash
# Regenerate the seed corpora of the filesystem fuzzers (tests/fuzz/corpus/fs_*/) from
# images made by the real mkfs tools.  Seeds are in fsmap_tool's sparse form (see
# tests/fuzz/fuzz_fs.h): only non-zero sectors are kept, and each image is made small and
# stripped of what no parser reads, so a seed is a few KB (NTFS: its MFT's first records).
# Usage: bash tests/fuzz/mkseeds-fs.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
TOOL=$BUILD/san/tests/tools/fsmap_tool
C=tests/fuzz/corpus
W=$(mktemp -d /tmp/strata-seeds.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$C/fs_ext4" "$C/fs_fat" "$C/fs_ntfs" "$C/fs_swap"
printf 'hello\n' > "$W/small"

# zero IMG OFFSET LEN: blank bytes no parser reads.
zero() { dd if=/dev/zero of="$1" bs=512 seek=$(($2 / 512)) count=$(($3 / 512)) conv=notrunc 2> /dev/null; }

truncate -s 4M "$W/e1"
mkfs.ext4 -q -F -b 1024 -N 16 -O flex_bg,^resize_inode,^metadata_csum,uninit_bg -J size=1 "$W/e1"
debugfs -w -R "write $W/small small" "$W/e1" > /dev/null 2>&1
"$TOOL" seed "$W/e1" "$C/fs_ext4/1k-journal"
truncate -s 16M "$W/e4"
mkfs.ext4 -q -F -b 4096 -g 1024 -N 64 -O flex_bg,64bit,^resize_inode,^metadata_csum,uninit_bg "$W/e4"
"$TOOL" seed "$W/e4" "$C/fs_ext4/4k-64bit-uninit"
truncate -s 2M "$W/e2"
mkfs.ext4 -q -F -b 1024 -N 16 -O ^has_journal,^flex_bg,^resize_inode,^metadata_csum "$W/e2"
"$TOOL" seed "$W/e2" "$C/fs_ext4/ext2-like"

for f in 12:2M:1 16:20M:4 32:40M:1; do
	IFS=: read -r bits size spc <<< "$f"
	truncate -s "$size" "$W/f$bits"
	mkfs.vfat -F "$bits" -s "$spc" "$W/f$bits" > /dev/null 2>&1
	mcopy -i "$W/f$bits" "$W/small" ::/small
	"$TOOL" seed "$W/f$bits" "$C/fs_fat/fat$bits"
done

truncate -s 8M "$W/n"
mkntfs -q -F -f "$W/n" > /dev/null 2>&1
printf 'wake%0508d' 0 > "$W/wake"
ntfscp "$W/n" "$W/wake" /hiberfil.sys > /dev/null
# $UpCase (128 KiB, found by its first entries) and MFT records not in use.
up=$(grep -obUaP '\x00\x00\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00' "$W/n" | head -1 | cut -d: -f1)
[ -n "$up" ] && zero "$W/n" "$up" 131072
mft=$(( $(od -An -t u8 -j 48 -N 8 "$W/n" | tr -d ' ') * 4096 ))
for r in $(seq 16 63); do
	flags=$(od -An -t u2 -j $((mft + r * 1024 + 22)) -N 2 "$W/n" | tr -d ' ')
	[ "$((flags & 1))" = 0 ] && zero "$W/n" $((mft + r * 1024)) 1024
done
"$TOOL" seed "$W/n" "$C/fs_ntfs/ntfs-wake"

truncate -s 1M "$W/s"
mkswap "$W/s" > /dev/null 2>&1
"$TOOL" seed "$W/s" "$C/fs_swap/swap"
ls -l "$C"/fs_*/
