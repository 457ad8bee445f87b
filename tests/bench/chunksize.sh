#!/bin/bash
# The measurement behind the default chunk size (STRATA_CHUNK_SHIFT_DEFAULT, images/core/format.h).
#
# usage: bash tests/bench/chunksize.sh [BUILD_DIR]      (default BUILD_DIR: build)
#
# For each chunk size in STRATA_BENCH_CHUNK_SIZES (default 16K 32K 64K 128K 256K 1M), into
# a fresh folder store: build v2 and v1r (v1 with 200 random 4 KiB writes), then apply v2
# and v1r each onto a copy of v1 with --json (v1 itself need not be in the store: apply
# reads it from the target).  Records
#   - delta bytes and chunks fetched for the v1 -> v2 update (mkimages.sh) and for the 200
#     scattered 4 KiB writes;
#   - for a full deployment of v2: requests per GiB (non-zero unique chunks / image GiB)
#     and the bytes a fresh target fetches (sum of their stored sizes);
#   - index overhead (index bytes / image bytes) and the time of the v2 build into an
#     empty store (all cores, zlib -6; indicative only on a shared machine).
# Writes BUILD_DIR/bench/results/chunksize.{tsv,md} and the generated section of
# docs/chunk-size.md (between its markers; the text around it is kept).
set -euo pipefail

BENCH=chunksize.sh
. "$(dirname "$0")/lib/common.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib/doc.sh"
B=${1:-build}
mkdir -p "$B"
BUILD=$(cd "$B" && pwd)
SI=$BUILD/rel/strata-image
[ -x "$SI" ] || die "$SI not found: run 'make build/rel/strata-image' first"
need perl perl-base
SIZES=${STRATA_BENCH_CHUNK_SIZES:-16K 32K 64K 128K 256K 1M}

IMG=$BUILD/bench/images
RES=$BUILD/bench/results
mkdir -p "$RES"
bash "$HERE/mkimages.sh" "$IMG"
V1=$IMG/v1.img
V2=$IMG/v2.img
V1R=$IMG/v1r.img

# v1r: 200 writes of 4 KiB of pseudo-random bytes at 4 KiB-aligned offsets drawn uniformly
# over the image, fixed seed (perl's rand is drand48 on every platform since 5.20).
if [ ! -f "$V1R" ] || [ "$V1R" -ot "$V1" ]; then
	log "making v1r.img: v1.img + 200 random 4 KiB writes"
	cp --sparse=always "$V1" "$V1R.tmp"
	perl -e '
		my ($img) = @ARGV;
		open(my $h, "+<:raw", $img) or die "$img: $!";
		my $blocks = int((-s $img) / 4096);
		srand(20240601);
		for my $k (1 .. 200) {
			my $off = int(rand($blocks)) * 4096;
			my $buf = pack("N*", map { int(rand(4294967296)) } 1 .. 1024);
			seek($h, $off, 0) or die; print $h $buf or die;
		}
		close($h) or die;
	' "$V1R.tmp"
	mv "$V1R.tmp" "$V1R"
fi

T=$(mktemp -d "$BUILD/bench/chunksize.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# idx_stats IDX: "count nonzero_unique stored_bytes_of_those image_size index_bytes"
idx_stats() {
	perl -e '
		my ($f) = @ARGV; local $/; open(my $h, "<:raw", $f) or die "$f: $!"; my $d = <$h>;
		my $n = unpack("Q<", substr($d, 24, 8)); my $size = unpack("Q<", substr($d, 16, 8));
		my (%seen, $u, $bytes);
		for my $i (0 .. $n - 1) {
			my ($dig, $ss, $fl) = unpack("a32 V V", substr($d, 64 + 40 * $i, 40));
			next if $fl & 1 or $seen{$dig}++;
			$u++; $bytes += $ss;
		}
		printf "%d %d %d %d %d\n", $n, $u, $bytes, $size, length($d);
	' "$1"
}
json() { perl -ne "print \$1 if /\"$2\": ([0-9.]+)/" "$1"; }
build() {   # build STORE IMAGE CHUNK: prints "layer seconds"
	"$SI" build --store "$1" --chunk-size "$3" "$2" >"$T/id" 2>"$T/build.err" ||
		{ cat "$T/build.err" >&2; die "build of $2 failed"; }
	echo "$(tail -n1 "$T/id") $(perl -ne 'print $1 if /; ([0-9.]+) s$/' "$T/build.err")"
}
apply_onto_v1() {   # apply STORE LAYER EXPECTED JSON
	cp --sparse=always "$V1" "$T/target"
	"$SI" apply --store "$1" --json "$4" "$2" "$T/target" 2>"$T/apply.err" ||
		{ cat "$T/apply.err" >&2; die "apply failed"; }
	cmp -s "$T/target" "$3" || die "apply of $2 did not reproduce $3"
}

TSV=$RES/chunksize.tsv
printf 'chunk\tv2_bytes\tv2_chunks\tv1r_bytes\tv1r_chunks\treq_per_gib\tfull_bytes\tindex_pct\tbuild_v2_s\n' >"$TSV"
for cs in $SIZES; do
	log "chunk size $cs"
	S=$T/store-$cs
	rm -rf "$S"
	read -r L2 t2 < <(build "$S" "$V2" "$cs")
	read -r LR _ < <(build "$S" "$V1R" "$cs")
	apply_onto_v1 "$S" "$L2" "$V2" "$T/v2.json"
	apply_onto_v1 "$S" "$LR" "$V1R" "$T/v1r.json"
	read -r _ u ub size ib < <(idx_stats "$S/layers/${L2#sha256:}.idx")
	printf '%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%.4f\t%s\n' "$cs" \
		"$(json "$T/v2.json" bytes_fetched)" "$(json "$T/v2.json" chunks_fetched)" \
		"$(json "$T/v1r.json" bytes_fetched)" "$(json "$T/v1r.json" chunks_fetched)" \
		"$(awk -v u="$u" -v s="$size" 'BEGIN { print u / (s / 1073741824) }')" "$ub" \
		"$(awk -v i="$ib" -v s="$size" 'BEGIN { printf "%.4f", 100 * i / s }')" "$t2" >>"$TSV"
	rm -rf "$S"
done

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MD=$RES/chunksize.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $CPU; strata-image ${SI#"$ROOT"/}, zlib level 6."
	echo
	echo "Images (tests/bench/mkimages.sh; v1r = v1 + 200 writes of 4 KiB of random bytes at random 4 KiB-aligned offsets, seed 20240601):"
	echo
	echo '```'
	cat "$IMG/images.txt"
	echo '```'
	echo
	echo "| chunk | v1->v2 fetched MiB | chunks | 200x4K fetched MiB | chunks | full deploy: requests/GiB | full deploy MiB | index / image | build v2 s |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk -F '\t' 'NR > 1 { printf "| %s | %.1f | %d | %.1f | %d | %d | %.1f | %.3f %% | %.1f |\n",
		$1, $2 / 1048576, $3, $4 / 1048576, $5, $6, $7 / 1048576, $8, $9 }' "$TSV"
	echo
	echo "\"fetched\" is \`apply --json\` bytes_fetched onto a copy of v1 (chunk bodies, compressed); \"full deploy\" counts the non-zero chunks of v2 with distinct digests, i.e. the requests and bytes of a deployment to a blank disk; index / image is the v2 index size over the image size (budget 0.1 %); build v2 s is the build of v2 into an empty store on all cores (a rough figure: other jobs may share the machine)."
} >"$MD"
cat "$MD"

DOC=$ROOT/docs/chunk-size.md
mkdir -p "$ROOT/docs"
[ -f "$DOC" ] || printf '# Default chunk size\n\nMeasured by `tests/bench/chunksize.sh` (`make bench` with `--all`).\n' >"$DOC"
doc_section "$DOC" chunksize "Measurement" "Generated by tests/bench/chunksize.sh." "$MD" || die "cannot update $DOC"
log "wrote $RES/chunksize.md and the section in ${DOC#"$ROOT"/}"
