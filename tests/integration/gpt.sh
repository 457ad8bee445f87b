#!/bin/bash
# The GPT module (images/core/gpt.c) against the real partitioning tools.
#
# tests/tools/gpt_tool does on an image file what strata.efi does on a disk, through the
# same core calls.  This script checks, with sgdisk (gdisk) and fdisk/sfdisk (util-linux)
# as the peers:
#   - tables we write for 512- and 4096-byte blocks: `sgdisk -v` finds no problems (it
#     checks both headers, both arrays and their CRCs), `sgdisk -p`/`-i N`, `sfdisk -d` and
#     `fdisk -l` show the planned partitions, names, GUIDs and usable range, the backup
#     array equals the primary, the protective MBR is byte-identical to sgdisk's own, and
#     sgdisk can load the table from the backup alone;
#   - at 4096-byte blocks sgdisk reads through a loop device with 4 KiB sectors when the
#     machine allows one (otherwise that check is skipped and said so);
#   - layouts that do not fit or violate min-size are refused with the core's message;
#   - tables sgdisk writes (odd entry numbers, attributes, 16 entries) read back field for
#     field; 256 entries, a grown disk and damaged copies give the documented verdicts;
#   - the agent's decisions (`gpt_tool check`): keep a preserved partition in place, refuse
#     to move, shrink or overwrite it, create it on a blank disk, restore only when missing.
#
# Usage: bash tests/integration/gpt.sh [BUILD_DIR]   (needs build/san/tests/tools/gpt_tool)
# Prints "ok   ..." / "FAIL ..." per check and "N passed, N failed" last.
. "$(dirname "$0")/../lib/common.sh"

if [ -n "${1:-}" ]; then
	BUILD=$1
elif [ -n "${STRATA_IMAGE:-}" ]; then
	BUILD=${STRATA_IMAGE%/san/strata-image}
else
	BUILD=build
fi
TOOL=$BUILD/san/tests/tools/gpt_tool
W=$(mktemp -d /tmp/strata-gpt.XXXXXX) || exit 1
LOOP=
cleanup() {
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ ! -x "$TOOL" ] || ! command -v sgdisk >/dev/null || ! command -v sfdisk >/dev/null; then
	check "gpt_tool ($TOOL), sgdisk (gdisk) and sfdisk (fdisk) are present" false
	finish
	exit 1
fi

LAYER=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
DISK_GUID=8A1C37E2-5B0D-4C4B-9D3E-0A1B2C3D4E5F
G1=11111111-2222-3333-4444-555555555555
G2=22222222-3333-4444-5555-666666666666
G3=33333333-4444-5555-6666-777777777777
ESP_T=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
LINUX_T=0FC63DAF-8483-4772-8E79-3D69D8477DE4
SWAP_T=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F
ODD_T=DEADBEEF-0123-4567-89AB-CDEF01234567
LABEL36=abcdefghijklmnopqrstuvwxyz.0123456-_

# manifest FILE [part lines...]: an unsigned manifest with the given partitions.
manifest() {
	local f=$1
	shift
	{
		printf 'strata-manifest 1\nversion 1\nmachine pc01\n'
		printf 'disk guid=%s%s\n' "$DISK_GUID" "${MINSIZE:+ min-size=$MINSIZE}"
		for p in "$@"; do printf '%s\n' "$p"; done
	} > "$f"
}
P_ESP="part 1 label=ESP type=esp guid=$G1 start=1M size=64M policy=write layer=$LAYER"
p_root() { echo "part 2 label=root type=linux guid=$G2 start=65M size=$1 policy=restore layer=$LAYER"; }
p_data() { echo "part 3 label=data type=linux guid=$G3 start=$1 size=$2 policy=preserve"; }
MINSIZE=1G manifest "$W/m1" "$P_ESP" "$(p_root 512M)" "$(p_data 577M rest)"

# sgdisk's partition list as "num start end name" lines.
sg_list() { sgdisk -p "$1" 2>/dev/null | awk '/^Number/ {t = 1; next} t && NF >= 6 {
	n = $7; for (i = 8; i <= NF; i++) n = n " " $i; print $1, $2, $3, n}'; }
# One field of `sgdisk -i N IMG`.
sg_field() { sgdisk -i "$2" "$1" | sed -n "s/^$3: //p"; }
# gpt_tool's partition list as "num first last guid name".
our_list() { "$TOOL" read "$@" 2>/dev/null | awk '/^part/ {sub("first=", "", $3); sub("last=", "", $4);
	sub("guid=", "", $6); n = substr($0, index($0, "name=") + 5); print $2, $3, $4, $6, n}'; }
# sgdisk's view of the same, for IMG and partition numbers.
sg_as_our() { local img=$1 n; shift; for n in "$@"; do
	echo "$n $(sg_field "$img" "$n" 'First sector' | cut -d' ' -f1)" \
	     "$(sg_field "$img" "$n" 'Last sector' | cut -d' ' -f1)" \
	     "$(sg_field "$img" "$n" 'Partition unique GUID')" \
	     "$(sg_field "$img" "$n" 'Partition name' | sed "s/^'//; s/'$//")"; done; }
# expect FILE TEXT: FILE holds exactly TEXT.
same() { diff <(printf '%s\n' "$2") "$1"; }
no_problems() { sgdisk -v "$1" > "$W/v.out" 2>&1; cat "$W/v.out"; grep -q '^No problems found' "$W/v.out"; }
# Output of a command must contain a string (the command may fail).
says() { local want=$1; shift; "$@" > "$W/says.out" 2>&1; cat "$W/says.out"; grep -qF -- "$want" "$W/says.out"; }
# The command must fail and say the string.
refuses() { local want=$1; shift; ! "$@" > "$W/says.out" 2>&1 && cat "$W/says.out" &&
	grep -qF -- "$want" "$W/says.out"; }

# --- what we write, at 512-byte blocks ---------------------------------------------------
IMG=$W/disk512
check "--help" "$TOOL" --help
check "write manifest to a 1 GiB image" "$TOOL" write "$W/m1" "$IMG" 1G
check "sgdisk -v: no problems (headers, arrays, CRCs, backup)" no_problems "$IMG"
sg_list "$IMG" > "$W/list"
check "sgdisk -p: partitions, extents, names" same "$W/list" "1 2048 133119 ESP
2 133120 1181695 root
3 1181696 2097118 data"
check "sgdisk -p: disk GUID" says "Disk identifier (GUID): $DISK_GUID" sgdisk -p "$IMG"
check "sgdisk -p: 128 entries, usable 34..2097118" \
	says "First usable sector is 34, last usable sector is 2097118" sgdisk -p "$IMG"
for n in 1 2 3; do
	eval "g=\$G$n"
	t=$LINUX_T; [ $n = 1 ] && t=$ESP_T
	check "sgdisk -i $n: partition GUID" test "$(sg_field "$IMG" $n 'Partition unique GUID')" = "$g"
	check "sgdisk -i $n: type GUID" says "Partition GUID code: $t" sgdisk -i $n "$IMG"
	check "sgdisk -i $n: attributes 0" says "Attribute flags: 0000000000000000" sgdisk -i $n "$IMG"
done
check "sgdisk -i 3: name" says "Partition name: 'data'" sgdisk -i 3 "$IMG"
sfdisk -d "$IMG" > "$W/sf" 2> "$W/sf.err"
check "sfdisk -d: label, id, usable range" grep -qzE \
	"label: gpt.*label-id: $DISK_GUID.*first-lba: 34.*last-lba: 2097118" "$W/sf"
check "sfdisk -d: partition 2" grep -qF \
	"start=      133120, size=     1048576, type=$LINUX_T, uuid=$G2, name=\"root\"" "$W/sf"
check "sfdisk: no warnings" test ! -s "$W/sf.err"
fdisk -l "$IMG" > "$W/fd" 2> "$W/fd.err"
check "fdisk -l: gpt, no warnings" eval "grep -q 'Disklabel type: gpt' '$W/fd' && test ! -s '$W/fd.err'"
check "backup array equals the primary" cmp <(dd if="$IMG" bs=512 skip=2 count=32 2>/dev/null) \
	<(dd if="$IMG" bs=512 skip=2097119 count=32 2>/dev/null)
truncate -s 1G "$W/ref"
sgdisk -o "$W/ref" > /dev/null 2>&1
check "protective MBR identical to sgdisk's" cmp <(dd if="$IMG" bs=1 skip=440 count=72 2>/dev/null) \
	<(dd if="$W/ref" bs=1 skip=440 count=72 2>/dev/null)
check "our reader: same table as sgdisk" same <(our_list "$IMG") "$(sg_as_our "$IMG" 1 2 3)"
check "our reader: backup copy gives the same partitions" same <(our_list --backup "$IMG") \
	"$(our_list "$IMG")"

# sgdisk -v really looks at the backup: one changed byte of the backup array is noticed.
cp "$IMG" "$W/badback"
printf 'X' | dd of="$W/badback" bs=1 seek=$((2097119 * 512 + 200)) conv=notrunc 2>/dev/null
check_not "sgdisk -v notices a damaged backup array" no_problems "$W/badback"

# The backup alone: wipe the primary header; sgdisk must still load the same table.
cp "$IMG" "$W/noprim"
dd if=/dev/zero of="$W/noprim" bs=512 seek=1 count=1 conv=notrunc 2>/dev/null
check "sgdisk -v notices the wiped primary" says "Main header: ERROR" sgdisk -v "$W/noprim"
check "sgdisk loads the table from our backup" same <(sg_list "$W/noprim") "$(cat "$W/list")"
check "our reader falls back to the backup" same <(our_list "$W/noprim") "$(our_list "$IMG")"

# --- 4096-byte blocks --------------------------------------------------------------------
IMG4=$W/disk4k
check "write with 4096-byte blocks" "$TOOL" write --block-size 4096 "$W/m1" "$IMG4" 1G
fdisk -b 4096 -l "$IMG4" > "$W/fd4" 2> "$W/fd4.err"
check "fdisk -b 4096: extents" eval "awk '/disk4k[0-9]/ {print \$2, \$3}' '$W/fd4' | tr '\n' ' ' |
	grep -qx '256 16639 16640 147711 147712 262138 '"
check "fdisk -b 4096: no warnings" test ! -s "$W/fd4.err"
check "our reader at 4096" same <(our_list --block-size 4096 "$IMG4" | cut -d' ' -f1-3) "1 256 16639
2 16640 147711
3 147712 262138"
if LOOP=$(losetup --sector-size 4096 -f --show -r "$IMG4" 2>/dev/null) && [ -n "$LOOP" ]; then
	check "sgdisk -v on a 4 KiB-sector loop device: no problems" no_problems "$LOOP"
	check "sgdisk -p on the loop device" same <(sg_list "$LOOP") "1 256 16639 ESP
2 16640 147711 root
3 147712 262138 data"
	losetup -d "$LOOP"
	LOOP=
else
	LOOP=
	echo "skip sgdisk at 4096-byte sectors (no loop device with 4 KiB sectors here)"
fi

# --- other layouts -----------------------------------------------------------------------
manifest "$W/m2" \
	"part 1 label=$LABEL36 type=$ODD_T guid=$G1 start=1M size=4M policy=write layer=$LAYER" \
	"part 3 label=swap type=swap guid=$G2 start=8M size=8M policy=write layer=$LAYER" \
	"part 7 label=last type=linux guid=$G3 start=20M size=12M policy=preserve"
check "write entries 1, 3, 7 with gaps" "$TOOL" write "$W/m2" "$W/gaps" 64M
check "gaps: sgdisk -v no problems" no_problems "$W/gaps"
check "gaps: sgdisk -p" same <(sg_list "$W/gaps" | cut -d' ' -f1-3) "1 2048 10239
3 16384 32767
7 40960 65535"
check "gaps: 36-character name" says "Partition name: '$LABEL36'" sgdisk -i 1 "$W/gaps"
check "gaps: our reader agrees with sgdisk" same <(our_list "$W/gaps") "$(sg_as_our "$W/gaps" 1 3 7)"
check "gaps: custom type GUID" says "Partition GUID code: $ODD_T" sgdisk -i 1 "$W/gaps"
check "gaps: swap type GUID" says "Partition GUID code: $SWAP_T" sgdisk -i 3 "$W/gaps"
check "gaps: entry 2 unused" says "Partition #2 does not exist" sgdisk -i 2 "$W/gaps"

# --- refusals when writing ---------------------------------------------------------------
check "min-size larger than the disk" refuses "smaller than the manifest's min-size" \
	"$TOOL" write "$W/m1" "$W/small" 512M
manifest "$W/m3" "$P_ESP" "$(p_root 512M)"
check "layout larger than the disk" refuses "partition ends past the disk's last usable block" \
	"$TOOL" write "$W/m3" "$W/small" 256M
manifest "$W/m4" "$P_ESP" "$(p_root 512M)" "$(p_data 577M rest)"
# Root ends exactly at the last usable block of this disk; data has not one block left.
check "size=rest with no room left" refuses "partition starts past the disk's last usable block" \
	"$TOOL" write "$W/m4" "$W/small" $((577 * 1048576 + 33 * 512))
check "the same disk holds the layout without data" "$TOOL" write "$W/m3" "$W/small" \
	$((577 * 1048576 + 33 * 512))
check "... root ends at the last usable block" says "part 2 first=133120 last=1181695" \
	"$TOOL" read "$W/small"

# --- tables sgdisk writes, read by us ----------------------------------------------------
SG=$W/sg
truncate -s 256M "$SG"
sgdisk -o -U 01234567-89AB-CDEF-0123-456789ABCDEF -n 1:2048:+32M -t 1:ef00 -c 1:boot \
	-u 1:AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE -n 5:0:+64M -c 5:"x y" -A 5:set:2 \
	-n 7:0:0 "$SG" > /dev/null 2>&1
check "sgdisk table: our reader agrees field for field" same <(our_list "$SG") "$(sg_as_our "$SG" 1 5 7)"
check "sgdisk table: attributes read" says "attrs=0x4 name=x y" "$TOOL" read "$SG"
check "sgdisk table: disk GUID read" says "disk-guid=01234567-89AB-CDEF-0123-456789ABCDEF" \
	"$TOOL" read "$SG"
cp "$SG" "$W/sg16"
sgdisk --resize-table=16 "$W/sg16" > /dev/null 2>&1
check "sgdisk table with 16 entries" eval "'$TOOL' read '$W/sg16' | grep -q 'first-usable=6 .*entries=16'"
check "16 entries: same partitions" same <(our_list "$W/sg16") "$(our_list "$SG")"
truncate -s 256M "$W/sg256"
sgdisk -o --resize-table=256 -n 1:2048:+32M "$W/sg256" > /dev/null 2>&1
check "sgdisk table with 256 entries: refused" refuses "more than 128 partition entries" \
	"$TOOL" read "$W/sg256"
cp "$SG" "$W/grown"
truncate -s 300M "$W/grown"
check "grown disk: refused, says why" refuses "(resized?)" "$TOOL" read "$W/grown"
truncate -s 128M "$W/blank"
check "blank disk: no gpt" says "no gpt" "$TOOL" read "$W/blank"

# --- the agent's decisions ---------------------------------------------------------------
check "same manifest again: write, verify, keep" same <("$TOOL" check "$W/m1" "$IMG" 2>/dev/null) \
	"disk: gpt
part 1 write first=2048 last=133119
part 2 verify first=133120 last=1181695
part 3 keep first=1181696 last=2097118"
sgdisk -c 2:renamed -t 3:8200 "$IMG" > /dev/null 2>&1
check "after sgdisk edits names and types: still keep" says "part 3 keep" "$TOOL" check "$W/m1" "$IMG"
MINSIZE=1G manifest "$W/moved" "$P_ESP" "$(p_root 512M)" "$(p_data 600M rest)"
check "moved preserved partition: refused" refuses "refused: partition 3: preserved partition would move" \
	"$TOOL" check "$W/moved" "$IMG"
MINSIZE=1G manifest "$W/shrunk" "$P_ESP" "$(p_root 512M)" "$(p_data 577M 200M)"
check "shrunk preserved partition: refused" refuses "refused: partition 3: preserved partition would shrink" \
	"$TOOL" check "$W/shrunk" "$IMG"
MINSIZE=1G manifest "$W/over" "$P_ESP" "$(p_root 600M)" "$(p_data 665M rest)"
check "written partition over preserved data: refused" \
	refuses "refused: partition 2: partition to be written overlaps a preserved partition's data" \
	"$TOOL" check "$W/over" "$IMG"
MINSIZE= manifest "$W/mb" "$P_ESP" "$(p_root 16M)" "$(p_data 81M rest)"
check "blank disk: create the preserve partition, restore root" same \
	<("$TOOL" check "$W/mb" "$W/blank" 2>/dev/null | cut -d' ' -f1-3) "disk: no gpt
part 1 write
part 2 restore
part 3 create-empty"
check "root moved: restore it" says "part 2 restore" "$TOOL" check \
	<(MINSIZE=1G manifest /dev/stdout "$P_ESP" "$(p_root 256M)" "$(p_data 577M rest)") "$IMG"
check "primary wiped: decisions from the backup" says "part 3 keep" "$TOOL" check "$W/m1" "$W/noprim"
cp "$IMG" "$W/bothbad"
printf 'X' | dd of="$W/bothbad" bs=1 seek=$((512 + 60)) conv=notrunc 2>/dev/null
printf 'X' | dd of="$W/bothbad" bs=1 seek=$((2097151 * 512 + 60)) conv=notrunc 2>/dev/null
check "both copies damaged: refused while data must be preserved" \
	refuses "refused: the disk has a GPT that is not valid" "$TOOL" check "$W/m1" "$W/bothbad"

finish
