#!/bin/bash
# Build a realistic pair of disk images for the benchmarks, without network.
#
# usage: bash tests/bench/mkimages.sh OUTDIR
#
# Writes OUTDIR/v1.img, OUTDIR/v2.img and OUTDIR/images.txt (what they hold).
#
#   v1  an ext4 filesystem image (STRATA_BENCH_IMAGE_MIB, default 1024 MiB) made by
#       `mkfs.ext4 -d` from about 360 MB of real files copied from this machine: ELF
#       binaries (/usr/bin), shared libraries (/usr/lib/<triplet>), Python sources and
#       bytecode, gzip-compressed manuals and docs.  Fixed UUID, hash seed and timestamps
#       (E2FSPROGS_FAKE_TIME, touch -d, debugfs set_inode_field) so two runs on the same machine give the same bytes.
#
#   v2  an "OS update" of v1, made the way a real update changes a disk: v1.img is copied
#       and modified *in place* with `debugfs -w`, so every block the update does not touch
#       stays where it was.  (Rebuilding v2 with `mkfs.ext4 -d` from a modified tree would
#       re-lay out the whole filesystem and make nearly every block move, which no real
#       update does and which would measure the allocator, not the delta transfer.)
#       The update:
#         - 24 binaries from /usr/bin "upgraded" the way dpkg does it: a new file (the
#           old bytes with three small patches and 8 KiB added) is written beside the old
#           one, then renamed over it (debugfs: write X.dpkg-new, rm X, ln, unlink), so it
#           lands in newly allocated blocks and the old blocks are freed;
#         - 40 files (docs, Python sources) edited in place: one 4 KiB block in the middle
#           of each is rewritten where it lies (a config/database-style edit);
#         - a new directory /usr/share/locale-v2 of about 24 MB of real .mo files and
#           other files (a new package);
#         - 30 manual pages deleted (their blocks are freed but keep their old bytes, as on
#           a real disk).
#       e2fsck -fn checks the result.
#
# Inputs are real files of this machine, so the exact bytes differ between machines; the
# sizes and the kinds of change do not.  The images are cached: when OUTDIR holds images
# made by this same script version and size, nothing is rebuilt.
set -euo pipefail

BENCH=mkimages.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -eq 1 ] || die "usage: mkimages.sh OUTDIR"
OUT=$1
need mkfs.ext4 e2fsprogs
need debugfs e2fsprogs
need dumpe2fs e2fsprogs
need e2fsck e2fsprogs
need perl perl-base
need tar tar

VERSION=6
MIB=${STRATA_BENCH_IMAGE_MIB:-1024}
UUID=5a7a7a00-be7c-4d00-9000-000000000001
HASH_SEED=5a7a7a00-be7c-4d00-9000-000000000002
export E2FSPROGS_FAKE_TIME=1700000000
STAMP="mkimages v$VERSION ${MIB}MiB"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ -f "$OUT/v1.img" ] && [ -f "$OUT/v2.img" ] && [ -f "$OUT/images.txt" ] &&
   [ "$(head -n1 "$OUT/.stamp" 2>/dev/null)" = "$STAMP" ]; then
	echo "mkimages.sh: $OUT already holds v1.img and v2.img ($STAMP)" >&2
	exit 0
fi
rm -f "$OUT/v1.img" "$OUT/v2.img" "$OUT/images.txt" "$OUT/.stamp"

WORK=$(mktemp -d "$OUT/mkimages.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/src
mkdir -p "$SRC"

# pick ROOT BUDGET_MB: regular files (up to 16 MB each) and symlinks under ROOT, in path
# order, while they fit in the budget.  Prints "TYPE<tab>SIZE<tab>PATH" lines, PATH relative to /.
pick() {
	[ -d "$1" ] || return 0
	find "$1" -xdev \( -type f -o -type l \) -printf '%y\t%s\t%P\n' 2>/dev/null |
		LC_ALL=C sort -t "$(printf '\t')" -k3 |
		awk -F '\t' -v b=$(($2 * 1000000)) -v r="${1#/}" \
			'$2 <= 16000000 && s + $2 <= b { s += $2; print $1 "\t" $2 "\t" r "/" $3 }'
}

triplet=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
py=$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | sort -V | tail -n1 || true)
{
	pick /usr/bin 130
	pick /usr/sbin 15
	pick "/usr/lib/$triplet" 90
	[ -n "$py" ] && pick "$py" 50
	pick /usr/share/doc 45
	pick /usr/share/man 30
} >"$WORK/v1.files"
cut -f3- "$WORK/v1.files" >"$WORK/v1.list"
[ -s "$WORK/v1.list" ] || die "found no files under /usr to build the images from"

log "copying $(wc -l <"$WORK/v1.list") files into the v1 tree" >&2
tar -C / --no-recursion -cf - -T "$WORK/v1.list" 2>/dev/null | tar -C "$SRC" -xf -
log "copied"
find "$SRC" -exec touch -h -d @1700000000 {} +
src_bytes=$(du -sb "$SRC" | cut -f1)

log "mkfs.ext4 -d: v1.img, $MIB MiB" >&2
mkfs.ext4 -F -q -b 4096 -L strata-bench -U "$UUID" \
	-E root_owner=0:0,hash_seed=$HASH_SEED,lazy_itable_init=0 \
	-d "$SRC" "$WORK/v1.img" "${MIB}M"
# mkfs -d copies each inode's atime and ctime from the source tree, and those are whatever
# the copy above left (ctime cannot be set from user space).  mkfs allocates inodes in
# order with none freed, so inodes 1..used are the used ones: give them all fixed times.
used=$(dumpe2fs -h "$WORK/v1.img" 2>/dev/null |
	awk -F: '/^Inode count/ { c = $2 } /^Free inodes/ { f = $2 } END { print c - f }')
{
	echo "sif <2> atime @1700000000"
	echo "sif <2> ctime @1700000000"
	echo "sif <2> crtime @1700000000"
	for ((ino = 11; ino <= used; ino++)); do
		printf 'sif <%d> atime @1700000000\nsif <%d> ctime @1700000000\nsif <%d> crtime @1700000000\n' \
			"$ino" "$ino" "$ino"
	done
} >"$WORK/times.cmds"
debugfs -w -f "$WORK/times.cmds" "$WORK/v1.img" >"$WORK/times.log" 2>&1 ||
	{ tail -n 5 "$WORK/times.log" >&2; die "debugfs could not fix the inode times"; }

# --- v2: v1 modified in place -------------------------------------------------------------
log "preparing v2"
cp --sparse=always "$WORK/v1.img" "$WORK/v2.img"
BS=$(dumpe2fs -h "$WORK/v1.img" 2>/dev/null | awk -F: '/^Block size/ { gsub(/ /, "", $2); print $2 }')
[ -n "$BS" ] || die "cannot read the block size of v1.img"
CMDS=$WORK/debugfs.cmds
: >"$CMDS"
mkdir -p "$WORK/upd" "$WORK/new"

# every_nth REGEX N COUNT MINSIZE: COUNT regular files of at least MINSIZE bytes whose path
# matches REGEX, spread evenly over the v1 file list (paths relative to /).
every_nth() {
	awk -F '\t' -v re="$1" -v n="$2" -v c="$3" -v min="$4" \
		'$1 == "f" && $2 >= min && $3 ~ re { if (++m % n == 0 && k < c) { print $3; k++ } }' \
		"$WORK/v1.files"
}

# 1. package upgrades: unlink, write new file (new blocks).
every_nth '^usr/bin/' 5 24 65536 >"$WORK/upgrade.list"
i=0
while IFS= read -r p; do
	i=$((i + 1))
	f=$WORK/upd/$i
	cp -p "/$p" "$f"
	perl -e '
		my ($f, $i) = @ARGV;
		open(my $h, "+<:raw", $f) or die "$f: $!";
		my $n = -s $f;
		for my $q (1, 2, 3) {
			seek($h, int($n * $q / 4), 0);
			print $h sprintf("strata-bench-v2 update %04d.%d--", $i, $q);
		}
		seek($h, 0, 0); read($h, my $head, 8192);
		seek($h, 0, 2); print $h $head;
		close($h) or die;
	' "$f" "$i"
	touch -d @1700100000 "$f"
	# dpkg order: the new file is written beside the old one, then renamed over it.
	printf 'write %s /%s.dpkg-new\nrm /%s\nln /%s.dpkg-new /%s\nunlink /%s.dpkg-new\n' \
		"$f" "$p" "$p" "$p" "$p" "$p" >>"$CMDS"
done <"$WORK/upgrade.list"

# 2. deletions.
every_nth '^usr/share/man/' 7 30 1 >"$WORK/delete.list"
sed 's|^|rm /|' "$WORK/delete.list" >>"$CMDS"

# 3. a new package: a new directory of real files.
printf 'mkdir /usr/share/locale-v2\n' >>"$CMDS"
pick /usr/share/locale 24 | awk -F '\t' '$1 == "f" { print $3 }' >"$WORK/new.list"
if [ ! -s "$WORK/new.list" ]; then
	pick "/usr/lib/$triplet" 300 | awk -F '\t' '$1 == "f" { print $3 }' | tail -n 200 >"$WORK/new.list"
fi
j=0
while IFS= read -r p; do
	j=$((j + 1))
	name=$(printf '%s' "${p#*/*/*/}" | tr '/ ' '__')
	cp -p "/$p" "$WORK/new/$j"
	touch -d @1700100000 "$WORK/new/$j"
	printf 'write %s /usr/share/locale-v2/%05d-%s\n' "$WORK/new/$j" "$j" "$name" >>"$CMDS"
done <"$WORK/new.list"
new_bytes=$(du -sb "$WORK/new" | cut -f1)
upd_bytes=$(du -sb "$WORK/upd" | cut -f1)

log "debugfs -w: v2.img = v1.img + $(wc -l <"$CMDS") changes" >&2
debugfs -w -f "$CMDS" "$WORK/v2.img" >"$WORK/debugfs.log" 2>&1 ||
	{ tail -n 20 "$WORK/debugfs.log" >&2; die "debugfs failed"; }
if grep -qiE 'error|could not|not found|cannot' "$WORK/debugfs.log"; then
	grep -iE 'error|could not|not found|cannot' "$WORK/debugfs.log" | head >&2
	die "debugfs reported errors while making v2"
fi

log "in-place edits"
# 4. in-place edits: one block in the middle of each file, rewritten where it lies.
every_nth '^usr/(share/doc|lib/python)' 11 40 16384 >"$WORK/edit.list"
: >"$WORK/edit.offsets"
while IFS= read -r p; do
	lblk=$(( $(stat -c %s "/$p") / BS / 2 ))
	pblk=$(debugfs -R "bmap /$p $lblk" "$WORK/v2.img" 2>/dev/null | tail -n1)
	case $pblk in ''|*[!0-9]*|0) die "bmap failed for /$p: '$pblk'" ;; esac
	echo $((pblk * BS)) >>"$WORK/edit.offsets"
done <"$WORK/edit.list"
perl -e '
	my ($img, $bs, $list) = @ARGV;
	open(my $h, "+<:raw", $img) or die "$img: $!";
	open(my $l, "<", $list) or die "$list: $!";
	my $k = 0;
	while (my $off = <$l>) {
		chomp $off; $k++;
		seek($h, $off, 0); read($h, my $b, $bs) == $bs or die "short read at $off";
		substr($b, 64 * ($_ * 7 % 64), 16) = sprintf("edit%04d-%07d", $k, $_) for 0 .. 15;
		seek($h, $off, 0); print $h $b;
	}
	close($h) or die;
' "$WORK/v2.img" "$BS" "$WORK/edit.offsets"

log "e2fsck -fn v2.img"
e2fsck -fn "$WORK/v2.img" >"$WORK/fsck.log" 2>&1 ||
	{ tail -n 20 "$WORK/fsck.log" >&2; die "v2.img does not pass e2fsck -fn"; }

log "comparing v1 and v2"
changed_blocks=$(perl -e '
	my ($a, $b, $bs) = @ARGV;
	open(my $x, "<:raw", $a) or die; open(my $y, "<:raw", $b) or die;
	my $n = 0;
	while ((my $k = read($x, my $p, 1 << 20)) > 0) {
		read($y, my $q, 1 << 20);
		next if $p eq $q;
		for (my $o = 0; $o < $k; $o += $bs) {
			$n++ if substr($p, $o, $bs) ne substr($q, $o, $bs);
		}
	}
	print "$n\n";
' "$WORK/v1.img" "$WORK/v2.img" "$BS")

mv "$WORK/v1.img" "$WORK/v2.img" "$OUT/"
cat >"$OUT/images.txt" <<EOF
v1.img: ext4, ${MIB} MiB, block size $BS, made by mkfs.ext4 -d from $(wc -l <"$WORK/v1.list") files
  ($((src_bytes / 1000000)) MB: /usr/bin, /usr/sbin, /usr/lib/$triplet, ${py:-no python}, /usr/share/doc,
  /usr/share/man subsets of this machine); fixed UUID, hash seed and timestamps.
v2.img: v1.img modified in place with debugfs -w: $(wc -l <"$WORK/upgrade.list") binaries upgraded (new file renamed over the old,
  $((upd_bytes / 1000000)) MB written), $(wc -l <"$WORK/edit.list") files edited in place (one 4 KiB block each),
  $j new files in /usr/share/locale-v2 ($((new_bytes / 1000000)) MB), $(wc -l <"$WORK/delete.list") files deleted;
  $changed_blocks of $((MIB * 1048576 / BS)) filesystem blocks differ from v1 ($((changed_blocks * BS / 1000000)) MB).
EOF
echo "$STAMP" >"$OUT/.stamp"
cat "$OUT/images.txt" >&2
