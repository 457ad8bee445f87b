#!/bin/bash
# Benchmark of filesystem-aware layers (issue 11), in one run:
#
# usage: bash tests/bench/fsaware.sh BUILD_DIR
#
# (a) Deployment onto a used disk.  A FSAWARE_MIB (default 4096) MiB ext4 about 5 % used
#     (random files written, some deleted, new ones written into the freed blocks) and a
#     target of the same size full of random bytes ("old data").  Onto a fresh copy of that
#     target each time, on this host:
#       - strata-image apply of the layer built with the free class (strata-image build),
#       - strata-image apply of the same image built with --no-fsmap (every block),
#       - partclone.ext4 -r of an image made by partclone.ext4 -c of the same filesystem.
#     strata-image apply runs the same engine as strata.efi (images/core/deploy.c).  Bytes:
#     strata's own counts (--json target_read, target_written, bytes_fetched,
#     chunks_blind); for every command also the block I/O the kernel charged it (GNU time
#     %I/%O, 512-byte units, page cache dropped first when /proc/sys/vm/drop_caches is
#     writable).  Time: wall clock of the command plus `sync` of the target.  Each target
#     then passes e2fsck -fn.
# (b) A realistic gold update (needs root, debootstrap and a reachable Debian mirror; else
#     skipped and said so): a GOLD_MIB (default 2048) MiB ext4 loop-mounted, debootstrap
#     --variant=minbase bookworm into it, unmounted (v1); a copy loop-mounted again, chroot
#     apt-get install of GOLD_PKGS, unmounted (v2).  Delta bytes v1 -> v2: strata's (sum of
#     the stored sizes of v2's chunks whose digest v1's layer lacks: what an apply fetches),
#     casync's (casync make with default chunking; the bytes of v2's chunk files not in
#     v1's store).  The same for strata's --no-fsmap layers, to show what the free class
#     and the journal's zero class save.  The debootstrap's packages are cached in
#     BUILD_DIR/bench/fsaware/debs, the images in BUILD_DIR/bench/fsaware.
#
# Results: BUILD_DIR/bench/results/fsaware.md and the section "Filesystem-aware layers" of
# docs/benchmarks.md (between its markers).  Ratios, not pass/fail: the goals are the
# issue's.
set -euo pipefail

BENCH=fsaware.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -eq 1 ] || die "usage: fsaware.sh BUILD_DIR"
bench_dirs "$1"
[ -x "$SI" ] || die "$SI not found: run 'make build/rel/strata-image' first"
PATH=$PATH:/usr/sbin:/sbin
need partclone.ext4 partclone
need e2fsck e2fsprogs
need debugfs e2fsprogs
need casync casync
need perl perl-base
[ -x /usr/bin/time ] || die "missing /usr/bin/time (install: time)"

MIB=${FSAWARE_MIB:-4096}
GOLD_MIB=${GOLD_MIB:-2048}
GOLD_PKGS=${GOLD_PKGS:-"less nano curl openssh-client rsync"}
CACHE=$BUILD/bench/fsaware
RES=$BUILD/bench/results
mkdir -p "$CACHE" "$RES"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -w /proc/sys/vm/drop_caches ] && (echo 1 >/proc/sys/vm/drop_caches) 2>/dev/null; then
	DROP='sync; echo 3 >/proc/sys/vm/drop_caches'; CACHE_MODE=cold
else
	DROP='sync'; CACHE_MODE=warm
fi

T=$(mktemp -d "$BUILD/bench/fsaware-run.XXXXXX")
MNT=
cleanup() {
	[ -n "$MNT" ] && { umount -R "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true; }
	umount "$T/m1" "$T/m2" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
json() { perl -ne 'print $1 if /"'"$1"'": ([0-9.]+)/' "$2"; }

# --- (a) the images ---------------------------------------------------------------------
SRC=$CACHE/src-$MIB.img
OLD=$CACHE/old-$MIB.img
if [ ! -f "$SRC" ]; then
	log "making $SRC: ${MIB} MiB ext4, random files written, deleted and rewritten"
	mkdir -p "$T/tree/data"
	for i in $(seq 10); do head -c 16M /dev/urandom >"$T/tree/data/f$i"; done
	cp -a /usr/share/doc "$T/tree/doc"
	rm -f "$SRC.tmp"
	mkfs.ext4 -q -F -d "$T/tree" "$SRC.tmp" "${MIB}M"
	for i in 1 2 3 4; do head -c 24M /dev/urandom >"$T/old$i"; done
	debugfs -w -f - "$SRC.tmp" >/dev/null 2>&1 <<EOF
write $T/old1 old1
write $T/old2 old2
write $T/old3 old3
write $T/old4 old4
rm old1
rm old2
rm old3
rm old4
rm data/f2
rm data/f5
rm data/f8
EOF
	for i in 1 2; do head -c 16M /dev/urandom >"$T/new$i"; done
	printf 'write %s data/new1\nwrite %s data/new2\n' "$T/new1" "$T/new2" |
		debugfs -w -f - "$SRC.tmp" >/dev/null 2>&1
	e2fsck -fn "$SRC.tmp" >/dev/null 2>&1 || die "the source filesystem does not check clean"
	mv "$SRC.tmp" "$SRC"
	rm -rf "$T/tree" "$T"/old? "$T"/new?
fi
if [ ! -f "$OLD" ]; then
	log "making $OLD: ${MIB} MiB of random bytes (the old data on the target)"
	head -c "${MIB}M" /dev/urandom >"$OLD.tmp"
	mv "$OLD.tmp" "$OLD"
fi
BS=$(dumpe2fs -h "$SRC" 2>/dev/null | awk -F': *' '/^Block size/ { print $2 }')
BLOCKS=$(dumpe2fs -h "$SRC" 2>/dev/null | awk -F': *' '/^Block count/ { print $2 }')
FREEB=$(dumpe2fs -h "$SRC" 2>/dev/null | awk -F': *' '/^Free blocks/ { print $2 }')
USED=$(( (BLOCKS - FREEB) * BS ))
log "source: $(mib "$USED") MiB used of $MIB MiB"

# --- (a) layers and the partclone image ------------------------------------------------------
S1=$T/store-fsmap
S2=$T/store-nofsmap
L1=$("$SI" build --store "$S1" "$SRC" 2>"$T/build1.log" | tail -1)
L2=$("$SI" build --no-fsmap --store "$S2" "$SRC" 2>"$T/build2.log" | tail -1)
case "$L1$L2" in sha256:*sha256:*) ;; *) die "strata-image build printed no layer id" ;; esac
partclone.ext4 -c -s "$SRC" -o "$T/pc.img" >"$T/pc-c.log" 2>&1 || die "partclone.ext4 -c failed"
PC_BYTES=$(stat -c %s "$T/pc.img")
log "layers built; partclone image $(mib "$PC_BYTES") MiB"

# run NAME CMD: restore the old data on $T/target, drop caches, time CMD + sync target;
# "NAME seconds inblock_bytes outblock_bytes" into $T/runs.tsv; the target must fsck clean.
TGT=$T/target
: >"$T/runs.tsv"
run() {
	local name=$1 cmd=$2 t0 t1 io
	cp "$OLD" "$TGT"
	sh -c "$DROP"
	log "$name"
	t0=$(date +%s.%N)
	/usr/bin/time -o "$T/time.out" -f '%I %O' sh -c "$cmd && sync $TGT" >"$T/$name.log" 2>&1 ||
		{ cat "$T/$name.log" >&2; die "$name failed: $cmd"; }
	t1=$(date +%s.%N)
	io=$(tail -n1 "$T/time.out")
	e2fsck -fn "$TGT" >"$T/$name.fsck" 2>&1 || { cat "$T/$name.fsck" >&2; die "$name: the target does not fsck clean"; }
	echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $(echo "$io" | awk '{ print $1 * 512, $2 * 512 }')" >>"$T/runs.tsv"
}
run strata "$SI apply --jobs $(nproc) --store $S1 --json $T/strata.json $L1 $TGT"
run nofsmap "$SI apply --jobs $(nproc) --store $S2 --json $T/nofsmap.json $L2 $TGT"
run partclone "partclone.ext4 -r -s $T/pc.img -O $TGT"
f() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$T/runs.tsv"; }

# --- (b) a realistic gold update -------------------------------------------------------------
GOLD_NOTE=
gold_skip() { GOLD_NOTE="Gold update: skipped: $*"; log "$GOLD_NOTE"; }
# in_loop IMG CMD: IMG loop-mounted on $MNT while CMD runs; unmounted cleanly after.
in_loop() {
	MNT=$T/mnt
	mkdir -p "$MNT"
	mount -o loop "$1" "$MNT" || return 1
	local rc=0
	bash -c "$2" >>"$T/gold.log" 2>&1 || rc=$?
	umount -R "$MNT" || rc=1
	MNT=
	return $rc
}
gold_images() {
	local g1=$CACHE/gold-v1-$GOLD_MIB.img g2=$CACHE/gold-v2-$GOLD_MIB.img
	local g3=$CACHE/gold-v2clean-$GOLD_MIB.img
	mkdir -p "$CACHE/debs"
	if [ ! -f "$g1" ]; then
		log "gold v1: debootstrap --variant=minbase bookworm into a loop-mounted ${GOLD_MIB} MiB ext4"
		rm -f "$g1.tmp"
		mkfs.ext4 -q -F "$g1.tmp" "${GOLD_MIB}M"
		in_loop "$g1.tmp" "debootstrap --variant=minbase --cache-dir=$CACHE/debs bookworm $T/mnt http://deb.debian.org/debian" ||
			{ gold_skip "debootstrap failed (no Debian mirror?): see the log"; tail -5 "$T/gold.log" >&2; return 1; }
		mv "$g1.tmp" "$g1"
	fi
	if [ ! -f "$g2" ]; then
		log "gold v2: chroot apt-get install $GOLD_PKGS"
		cp "$g1" "$g2.tmp"
		in_loop "$g2.tmp" "mount -t proc proc $T/mnt/proc && mount --bind /dev $T/mnt/dev &&
			cp /etc/resolv.conf $T/mnt/etc/resolv.conf 2>/dev/null;
			chroot $T/mnt apt-get -q update && DEBIAN_FRONTEND=noninteractive chroot $T/mnt apt-get -q -y install $GOLD_PKGS" ||
			{ gold_skip "apt-get install in the chroot failed: see the log"; tail -5 "$T/gold.log" >&2; return 1; }
		mv "$g2.tmp" "$g2"
	fi
	if [ ! -f "$g3" ]; then
		log "gold v2 tidied: chroot apt-get clean"
		cp "$g2" "$g3.tmp"
		in_loop "$g3.tmp" "chroot $T/mnt apt-get -q clean" ||
			{ gold_skip "apt-get clean in the chroot failed: see the log"; return 1; }
		mv "$g3.tmp" "$g3"
	fi
	G1=$g1 G2=$g2 G3=$g3
}
# strata_delta BUILD_OPTS OLD NEW: "chunks bytes" of NEW's chunks an OLD target lacks (the
# stored sizes of NEW's distinct chunk digests not in OLD's index): what an apply fetches.
strata_delta() {
	local s=$T/gs a b
	rm -rf "$s"
	a=$("$SI" build $1 --store "$s" "$2" 2>/dev/null | tail -1)
	b=$("$SI" build $1 --store "$s" "$3" 2>/dev/null | tail -1)
	"$SI" inspect --store "$s" --chunks "$a" | awk '/^chunk [0-9]/ { print $10 }' | sort -u >"$T/a.dig"
	"$SI" inspect --store "$s" --chunks "$b" |
		awk '/^chunk [0-9]/ && $9 != "zero" && $9 != "free" { print $10, $8 }' | sort -u |
		awk 'NR == FNR { have[$1] = 1; next } !($1 in have) { n++; b += $2 } END { printf "%d %d\n", n, b }' "$T/a.dig" -
	rm -rf "$s"
}
# casync_delta OLD NEW: "chunks bytes" of NEW's chunk files not in OLD's store.
casync_delta() {
	local c1=$T/ca1 c2=$T/ca2
	rm -rf "$c1" "$c2"
	casync make --store="$c1" "$T/g1.caibx" "$1" >/dev/null
	casync make --store="$c2" "$T/g2.caibx" "$2" >/dev/null
	(cd "$c2" && find . -name '*.cacnk' -printf '%P %s\n') | sort >"$T/c2.lst"
	(cd "$c1" && find . -name '*.cacnk' -printf '%P\n') | sort >"$T/c1.lst"
	awk 'NR == FNR { have[$1] = 1; next } !($1 in have) { n++; b += $2 } END { printf "%d %d\n", n, b }' "$T/c1.lst" "$T/c2.lst"
	rm -rf "$c1" "$c2"
}
# changed_files: the regular files of v2 that v1 lacks or holds differently (both mounted
# read-only), their bytes per top folder, and those bytes through gzip -6 (strata's zlib
# level) and zstd -3: what any delta of the two images must carry, whatever its chunking.
changed_files() {
	local m1=$T/m1 m2=$T/m2
	mkdir -p "$m1" "$m2"
	mount -o loop,ro,noload "$G1" "$m1" && mount -o loop,ro,noload "$G2" "$m2" || return 1
	(cd "$m2" && python3 -c '
import os, sys
old = sys.argv[1]
for dp, dn, fn in os.walk("."):
    for f in fn:
        p = os.path.join(dp, f)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        q = os.path.join(old, p)
        try:
            if os.path.getsize(q) == os.path.getsize(p) and open(q, "rb").read() == open(p, "rb").read():
                continue
        except OSError:
            pass
        print(p)
' "$m1" >"$T/changed.lst"
	 tr '\n' '\0' <"$T/changed.lst" | du -b --files0-from=- | awk '{ split($2, d, "/"); k = d[2] "/" d[3]; s[k] += $1; t += $1 }
		END { for (k in s) if (s[k] >= 1048576) printf "%s %.1f MiB, ", k, s[k] / 1048576; printf "in all %.1f MiB", t / 1048576 }' >"$T/changed.txt"
	 tar -cf - -T "$T/changed.lst" | gzip -6 | wc -c >"$T/changed.gz"
	 tar -cf - -T "$T/changed.lst" | zstd -3 -q -c | wc -c >"$T/changed.zst")
	umount "$m1" "$m2"
}
GOLD_ROWS=
if [ "$(id -u)" != 0 ]; then
	gold_skip "needs root (loop mounts, chroot)"
elif ! command -v debootstrap >/dev/null || ! command -v zstd >/dev/null ||
	! command -v python3 >/dev/null; then
	gold_skip "needs debootstrap, zstd and python3 (apt-get install debootstrap zstd python3)"
elif gold_images; then
	log "gold: deltas"
	read -r sn sb < <(strata_delta "" "$G1" "$G2")
	read -r nn nb < <(strata_delta --no-fsmap "$G1" "$G2")
	read -r cn cb < <(casync_delta "$G1" "$G2")
	read -r sn3 sb3 < <(strata_delta "" "$G1" "$G3")
	read -r nn3 nb3 < <(strata_delta --no-fsmap "$G1" "$G3")
	read -r cn3 cb3 < <(casync_delta "$G1" "$G3")
	changed_files || die "cannot mount the gold images read-only"
	CHANGED="$(wc -l <"$T/changed.lst") files of v2 are new or differ from v1's ($(cat "$T/changed.txt")); through tar | gzip -6 they are $(mib "$(cat "$T/changed.gz")") MiB, through zstd -3 $(mib "$(cat "$T/changed.zst")") MiB"
	jn=$(debugfs -R "stat <8>" "$G2" 2>/dev/null | awk '/^User:/ {} /Size:/ { print $NF; exit }')
	GOLD_ROWS="| strata (free class, stale journal as zeros) | $sn | $(mib "$sb") | $(ratio "$sb" "$cb") |
| strata --no-fsmap (every block) | $nn | $(mib "$nb") | $(ratio "$nb" "$cb") |
| casync make (default chunking) | $cn | $(mib "$cb") | 1.00 |
| changed files alone, tar \\| gzip -6 | | $(mib "$(cat "$T/changed.gz")") | $(ratio "$(cat "$T/changed.gz")" "$cb") |"
	GOLD_ROWS3="| strata (free class, stale journal as zeros) | $sn3 | $(mib "$sb3") | $(ratio "$sb3" "$cb3") |
| strata --no-fsmap (every block) | $nn3 | $(mib "$nb3") | $(ratio "$nb3" "$cb3") |
| casync make (default chunking) | $cn3 | $(mib "$cb3") | 1.00 |"
	GOLD_SIZES="v1 $(dumpe2fs -h "$G1" 2>/dev/null | awk -F': *' '/^Block count/ { b = $2 } /^Free blocks/ { f = $2 } /^Block size/ { s = $2 } END { printf "%.0f MiB used", (b - f) * s / 1048576 }'), v2 $(dumpe2fs -h "$G2" 2>/dev/null | awk -F': *' '/^Block count/ { b = $2 } /^Free blocks/ { f = $2 } /^Block size/ { s = $2 } END { printf "%.0f MiB used", (b - f) * s / 1048576 }') of $GOLD_MIB MiB; journal $(mib "${jn:-0}") MiB"
fi

# --- report -----------------------------------------------------------------------------------
SR=$(json target_read "$T/strata.json"); SW=$(json target_written "$T/strata.json")
SF=$(json bytes_fetched "$T/strata.json")
SB=$(json chunks_blind "$T/strata.json"); NB=$(json chunks_blind "$T/nofsmap.json")
NR=$(json target_read "$T/nofsmap.json"); NW=$(json target_written "$T/nofsmap.json")
NF=$(json bytes_fetched "$T/nofsmap.json")
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MD=$RES/fsaware.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $CPU, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end. Cache: $CACHE_MODE. One run of each command."
	echo "Tools: strata-image (${SI#"$ROOT"/}), $(partclone.ext4 --version 2>&1 | head -n1 | sed 's/ *$//'), $(casync --version 2>&1 | head -n1)."
	echo
	echo "**(a) Deployment onto old data.** A $MIB MiB ext4 ($BS-byte blocks), **$(mib "$USED") MiB used** (dumpe2fs), with deleted files in its free space; the target holds $MIB MiB of random bytes before each command. Layers: $(tail -n2 "$T/build1.log" | head -n1 | sed 's/^[^:]*: //') (free class); $(tail -n2 "$T/build2.log" | head -n1 | sed 's/^[^:]*: //') (--no-fsmap). partclone image: $(mib "$PC_BYTES") MiB."
	echo
	echo "| command | time (s) | target read (MiB) | target written (MiB) | source read (MiB) | (read + written) / used | block I/O in / out (MiB) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	echo "| strata-image apply, free class | $(f strata 2) | $(mib "$SR") | $(mib "$SW") | $(mib "$SF") (store) | $(ratio $((SR + SW)) "$USED") | $(mib "$(f strata 3)") / $(mib "$(f strata 4)") |"
	echo "| strata-image apply, --no-fsmap layer | $(f nofsmap 2) | $(mib "$NR") | $(mib "$NW") | $(mib "$NF") (store) | $(ratio $((NR + NW)) "$USED") | $(mib "$(f nofsmap 3)") / $(mib "$(f nofsmap 4)") |"
	echo "| partclone.ext4 -r | $(f partclone 2) | 0 | $(mib "$(f partclone 4)") (block I/O) | $(mib "$PC_BYTES") (image) | $(ratio "$(f partclone 4)" "$USED") (written only) | $(mib "$(f partclone 3)") / $(mib "$(f partclone 4)") |"
	echo
	echo "Ratios: strata time / partclone time = **$(ratio "$(f strata 2)" "$(f partclone 2)")** (goal <= 1.00); strata's target (read + written) / used data = **$(ratio $((SR + SW)) "$USED")** (goal <= 1.10), of which written / used = $(ratio "$SW" "$USED") and read / used = $(ratio "$SR" "$USED"); free class / --no-fsmap: time $(ratio "$(f strata 2)" "$(f nofsmap 2)"), target bytes $(ratio $((SR + SW)) $((NR + NW))). Counting the source instead of the target's reads (what crosses from the store or image, plus what is written): strata $(ratio $((SF + SW)) "$USED") x used, partclone $(ratio $((PC_BYTES + $(f partclone 4))) "$USED") x used. Written blind (used chunks the scan did not read, images/core/deploy.h): $SB (free class), $NB (--no-fsmap)."
	echo
	echo "Commands (\$SRC the ext4 image, \$T a copy of the old data):"
	echo
	echo '```'
	echo "strata-image build --store S1 \$SRC;  strata-image apply --store S1 --json j \$L1 \$T"
	echo "strata-image build --no-fsmap --store S2 \$SRC;  strata-image apply --store S2 --json j \$L2 \$T"
	echo "partclone.ext4 -c -s \$SRC -o pc.img;  partclone.ext4 -r -s pc.img -O \$T   # -O: write into the existing target"
	echo "e2fsck -fn \$T   # after each"
	echo '```'
	echo
	if [ -n "$GOLD_ROWS" ]; then
		echo "**(b) Gold update.** debootstrap --variant=minbase bookworm into a loop-mounted ext4, then chroot \`apt-get install $GOLD_PKGS\` ($GOLD_SIZES). Bytes a v1 target must fetch to become v2:"
		echo
		echo "Chunk files: strata zlib -6, casync zstd (its default)."
		echo
		echo "| tool | chunks | bytes (MiB) | / casync |"
		echo "| --- | ---: | ---: | ---: |"
		echo "$GOLD_ROWS"
		echo
		echo "Goal: strata <= 0.80 x casync's bytes: strata / casync = **$(ratio "$sb" "$cb")**. $CHANGED."
		echo
		echo "The same v2 tidied as admins often do before capture (chroot \`apt-get clean\`: the downloaded .debs and apt's binary caches deleted, their blocks left free with their old bytes), v1 -> v2 tidied:"
		echo
		echo "| tool | chunks | bytes (MiB) | / casync |"
		echo "| --- | ---: | ---: | ---: |"
		echo "$GOLD_ROWS3"
		echo
		echo "strata / casync = **$(ratio "$sb3" "$cb3")**."
	else
		echo "**(b) Gold update.** $GOLD_NOTE"
	fi
} >"$MD"
cat "$MD"
DOC=$ROOT/docs/benchmarks.md
doc_section "$DOC" fsaware "Filesystem-aware layers" "Generated by tests/bench/fsaware.sh (other helpers' builds and tests were running on the machine: compare ratios within one run)." "$MD" || die "cannot update $DOC"
log "wrote $MD and the section in ${DOC#"$ROOT"/}"
