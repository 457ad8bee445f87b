#!/bin/bash
# Benchmark of the layer index's size against casync's (issue 18, "A compact index": at most
# 0.5x casync's index bytes on a 2 GiB mostly empty layer).
#
# usage: bash tests/bench/index.sh BUILD_DIR
#
# Two layers, each a 2 GiB ext4 made by mkfs.ext4 -d of regular files of /usr (/usr/bin,
# /usr/share/doc, /usr/lib, taken in path order, each file that still fits the budget):
# INDEX_DATA_MIB (default "390 512") MiB, about 19 % and 25 % of the image; the rest is
# empty.  Each is built with strata-image build (the current index version, the free class
# on: what a build writes) and with casync make (default chunking: 16/64/256 KiB), and the
# index files are compared: strata's layers/<id>.idx against casync's .caibx.  Also shown:
# the index the same chunks take in version 2 (40-byte entries, arithmetic from inspect's
# counts), so the change of version 3 reads off the table.  Sizes are deterministic for a
# given tree; time is not measured.  Images are cached in BUILD_DIR/bench/index.
#
# Results: BUILD_DIR/bench/results/index.md and the section "Compact index" of
# docs/benchmarks.md (between its markers).  Ratios, not pass/fail: the goal is the
# issue's.
set -euo pipefail

BENCH=index.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -eq 1 ] || die "usage: index.sh BUILD_DIR"
bench_dirs "$1"
[ -x "$SI" ] || die "$SI not found: run 'make build/rel/strata-image' first"
PATH=$PATH:/usr/sbin:/sbin
need casync casync
need mkfs.ext4 e2fsprogs
need dumpe2fs e2fsprogs

SIZES=${INDEX_DATA_MIB:-"390 512"}
IMAGE_MIB=2048
CACHE=$BUILD/bench/index
RES=$BUILD/bench/results
mkdir -p "$CACHE" "$RES"
T=$(mktemp -d "$BUILD/bench/index-run.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# make_image MIB IMG: a 2 GiB ext4 holding MIB MiB of /usr's files (cached).
make_image() {
	local mib=$1 img=$2 tree=$T/tree-$1
	[ -f "$img" ] && return 0
	log "making $img: $IMAGE_MIB MiB ext4 with $mib MiB of /usr"
	mkdir -p "$tree"
	find /usr/bin /usr/share/doc /usr/lib -xdev -type f -readable -printf '%s\t%p\n' 2>/dev/null |
		LC_ALL=C sort -t"$(printf '\t')" -k2 |
		awk -F'\t' -v cap=$((mib * 1048576)) 'sum + $1 <= cap { sum += $1; print $2 }' >"$T/list-$mib"
	tar -cf - --no-recursion -T "$T/list-$mib" 2>/dev/null | tar -xf - -C "$tree"
	rm -f "$img.tmp"
	mkfs.ext4 -q -F -d "$tree" "$img.tmp" "${IMAGE_MIB}M" || die "mkfs.ext4 -d failed"
	rm -rf "$tree"
	mv "$img.tmp" "$img"
}

# used_mib IMG: MiB the filesystem uses (dumpe2fs).
used_mib() {
	dumpe2fs -h "$1" 2>/dev/null | awk -F': *' '/^Block count/ { b = $2 } /^Free blocks/ { f = $2 }
		/^Block size/ { s = $2 } END { printf "%.0f", (b - f) * s / 1048576 }'
}

# field NAME FILE: the number after NAME at the start of a line of strata-image inspect.
field() { awk -v n="$1" '$1 == n { print $2; exit }' "$2"; }

# measure MIB: one table row into $T/rows, and "ratio" into $T/ratio-MIB.
measure() {
	local mib=$1 img=$CACHE/ext4-$1.img id ib cb chunks zero free data runs v2 ent
	make_image "$mib" "$img"
	log "strata-image build and casync make of $(basename "$img")"
	id=$("$SI" build --store "$T/s-$mib" "$img" 2>"$T/build-$mib.log" | tail -1)
	case $id in sha256:*) ;; *) cat "$T/build-$mib.log" >&2; die "strata-image build printed no layer id" ;; esac
	"$SI" inspect --store "$T/s-$mib" "$id" >"$T/inspect-$mib"
	ib=$(stat -c %s "$T/s-$mib/layers/${id#sha256:}.idx")
	casync make --store="$T/c-$mib.castr" "$T/c-$mib.caibx" "$img" >"$T/casync-$mib.log" 2>&1 ||
		{ cat "$T/casync-$mib.log" >&2; die "casync make failed"; }
	cb=$(stat -c %s "$T/c-$mib.caibx")
	chunks=$(field chunks "$T/inspect-$mib")
	read -r zero free < <(sed -n 's/^chunks *[0-9]* (\([0-9]*\) zero, \([0-9]*\) free,.*/\1 \2/p' "$T/inspect-$mib")
	runs=$(sed -n 's/^index .*, \([0-9]*\) runs)/\1/p' "$T/inspect-$mib")
	data=$((chunks - zero - free))
	ent=$(( (ib - 64 - runs * 24) / data ))
	v2=$((64 + runs * 24 + data * 40))
	echo "| $mib MiB of /usr ($(used_mib "$img") MiB used, $((100 * data / chunks)) % of chunks data) | $data / $zero / $free | $runs | **$ib** ($ent B/entry) | $v2 | $cb | **$(ratio "$ib" "$cb")** | $(ratio "$v2" "$cb") |" >>"$T/rows"
	ratio "$ib" "$cb" >"$T/ratio-$mib"
	log "$mib MiB: strata $ib bytes, casync $cb bytes: $(ratio "$ib" "$cb")"
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$T/rows"
for mib in $SIZES; do
	measure "$mib"
done

MD=$RES/index.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load average $LOAD0 at the start (sizes do not depend on it)."
	echo "Tools: strata-image (${SI#"$ROOT"/}; index version $(sed -n 's/^index .*(version \([0-9]*\),.*/\1/p' "$T/inspect-${SIZES%% *}"), 64 KiB chunks), $(casync --version 2>&1 | head -n1) (default chunking, 16/64/256 KiB)."
	echo
	echo "Each layer: a $IMAGE_MIB MiB ext4 made by \`mkfs.ext4 -d\` of regular files of /usr (/usr/bin, /usr/share/doc, /usr/lib in path order, each that still fits). Index bytes: strata's layers/<id>.idx, casync's .caibx; \"version 2\" is what the same chunks took in the previous format (64 + 24 per run + 40 per data chunk)."
	echo
	echo "| layer | strata chunks data / zero / free | runs | strata index bytes | same in version 2 | casync .caibx bytes | strata / casync | version 2 / casync |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	cat "$T/rows"
	echo
	echo "Goal (issue 18): strata / casync <= 0.50 on each layer."
} >"$MD"
DOC=$ROOT/docs/benchmarks.md
doc_section "$DOC" index "Compact index" "Generated by tests/bench/index.sh." "$MD" || die "cannot update $DOC"
log "results in $MD and $DOC"
