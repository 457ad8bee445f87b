#!/bin/bash
# Benchmark of the layer format and strata-image against casync (and curl | gunzip).
#
# usage: bash tests/bench/image.sh BUILD_DIR
#
# Needs BUILD_DIR/rel/strata-image (make build/rel/strata-image).  Makes its images with
# mkimages.sh (cached in BUILD_DIR/bench/images), then in one run measures on v1/v2:
#   (a) build:  strata-image build vs casync make (blob index), cold store; and the v2
#               build into a store that already holds v1;
#   (b) full apply to an empty file: from a folder store, and over HTTP from nginx on
#               127.0.0.1 (strata-image apply, casync extract, curl | gunzip of a gzip -6
#               of the image served by the same nginx);
#   (c) delta apply v1 -> v2 over HTTP: time, and bytes fetched (strata: --json
#               bytes_fetched; casync --seed=v1.img: body bytes of chunk requests in
#               nginx's access log).
# Every timed command ends by flushing its output file (`sync FILE`), so tools that do not
# fsync are not favoured.  When /proc/sys/vm/drop_caches is writable the page cache is
# dropped before every timed run (cold cache); otherwise (or with STRATA_BENCH_CACHE=warm)
# each command gets one warm-up run and the numbers are warm-cache numbers.
# Each figure is the median of STRATA_BENCH_RUNS (default 3) runs, timed by hyperfine.
#
# Results: a table on stdout, BUILD_DIR/bench/results/image.{txt,md}, and the section
# "Layer format and strata-image" of docs/benchmarks.md (replaced between its markers).
# All traffic stays on 127.0.0.1; nginx and the temporary folder are removed on exit.
set -euo pipefail

BENCH=image.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -eq 1 ] || die "usage: image.sh BUILD_DIR"
bench_dirs "$1"
[ -x "$SI" ] || die "$SI not found: run 'make build/rel/strata-image' first"
PATH=$PATH:/usr/sbin:/sbin
need casync casync
need nginx nginx-light
need curl curl
need gzip gzip
need hyperfine hyperfine
need perl perl-base
need sync coreutils

RUNS=${STRATA_BENCH_RUNS:-3}
CACHE=${STRATA_BENCH_CACHE:-auto}
if [ "$CACHE" = auto ]; then
	if [ -w /proc/sys/vm/drop_caches ] && (echo 1 >/proc/sys/vm/drop_caches) 2>/dev/null; then
		CACHE=cold
	else
		CACHE=warm
	fi
fi
case $CACHE in
	cold) DROP='sync; echo 3 >/proc/sys/vm/drop_caches'; WARMUP=0 ;;
	warm) DROP=':'; WARMUP=1 ;;
	*) die "STRATA_BENCH_CACHE must be cold, warm or auto" ;;
esac

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
IMG=$BUILD/bench/images
RES=$BUILD/bench/results
mkdir -p "$RES"
bash "$HERE/mkimages.sh" "$IMG"
V1=$IMG/v1.img
V2=$IMG/v2.img
if [ ! -f "$IMG/v2.img.gz" ] || [ "$IMG/v2.img.gz" -ot "$V2" ]; then
	log "gzip -6 of v2.img (the curl | gunzip baseline's input)"
	gzip -6 -c "$V2" >"$IMG/v2.img.gz.tmp"
	mv "$IMG/v2.img.gz.tmp" "$IMG/v2.img.gz"
fi

T=$(mktemp -d "$BUILD/bench/run.XXXXXX")
chmod 755 "$T"
NGINX_PID=
cleanup() {
	if [ -n "$NGINX_PID" ]; then
		kill "$NGINX_PID" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.2; done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
WWW=$T/www
mkdir -p "$WWW" "$T/nginx" "$T/out"
ln "$IMG/v2.img.gz" "$WWW/v2.img.gz" 2>/dev/null || cp "$IMG/v2.img.gz" "$WWW/v2.img.gz"

: >"$RES/times.tsv"
# bench NAME PREPARE COMMAND: median/min/max seconds of COMMAND into times.tsv.
bench() {
	local name=$1 prep=$2 cmd=$3
	log "$name"
	if ! hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" -n "$name" \
		--prepare "$prep; $DROP" --export-json "$T/h.json" "$cmd" >"$T/h.out" 2>&1; then
		cat "$T/h.out" >&2
		die "$name failed: $cmd"
	fi
	perl -MJSON::PP -e '
		local $/; open(my $f, "<", $ARGV[0]) or die; my $r = decode_json(<$f>)->{results}[0];
		printf "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n", $ARGV[1], $r->{median}, $r->{min},
			$r->{max}, $r->{user}, $r->{system};
	' "$T/h.json" "$name" >>"$RES/times.tsv"
}
t_of() { awk -F '\t' -v n="$1" '$1 == n { print $2 }' "$RES/times.tsv"; }

# --- (a) build ------------------------------------------------------------------------------
S=$WWW/store
C=$WWW/castore
bench "build v1 strata" "rm -rf $S" "$SI build --store $S $V1 >$T/v1.id 2>$T/build1.log"
bench "build v1 casync" "rm -rf $C $WWW/v1.caibx" "casync make --store=$C $WWW/v1.caibx $V1"
# Both tools write chunks under a temporary name and rename them into place and never
# modify a chunk file, so a hard-linked copy of a store is a faithful "store with v1".
rm -rf "$T/store.v1" "$T/castore.v1"
cp -al "$S" "$T/store.v1"
cp -al "$C" "$T/castore.v1"
bench "build v2 strata (store has v1)" "rm -rf $S && cp -al $T/store.v1 $S" \
	"$SI build --store $S $V2 >$T/v2.id 2>$T/build2.log"
bench "build v2 casync (store has v1)" "rm -rf $C $WWW/v2.caibx && cp -al $T/castore.v1 $C" \
	"casync make --store=$C $WWW/v2.caibx $V2"
rm -rf "$T/store.v1" "$T/castore.v1"
L2=$(tail -n1 "$T/v2.id")
case $L2 in sha256:*) ;; *) die "strata-image build printed no layer id" ;; esac
store_files=$(find "$S/chunks" -type f | wc -l)
store_bytes=$(du -sb "$S" | cut -f1)
castore_files=$(find "$C" -type f -name '*.cacnk' | wc -l)
castore_bytes=$(du -sb "$C" | cut -f1)
idx_bytes=$(stat -c %s "$S/layers/${L2#sha256:}.idx")
caibx_bytes=$(stat -c %s "$WWW/v2.caibx")

# --- nginx on 127.0.0.1 ---------------------------------------------------------------------
NG=$T/nginx
start_nginx() {
	local port
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 40000))
		cat >"$NG/nginx.conf" <<EOF
worker_processes 2;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
$( [ "$(id -u)" = 0 ] && echo 'user nobody nogroup;' )
events { worker_connections 512; }
http {
	log_format bench '\$request_uri \$status \$body_bytes_sent';
	access_log $NG/access.log bench;
	client_body_temp_path $NG/body;
	proxy_temp_path $NG/proxy;
	fastcgi_temp_path $NG/fastcgi;
	uwsgi_temp_path $NG/uwsgi;
	scgi_temp_path $NG/scgi;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	server {
		listen 127.0.0.1:$port;
		root $WWW;
	}
}
EOF
		if nginx -p "$NG" -e "$NG/error.log" -c "$NG/nginx.conf" 2>"$NG/start.err"; then
			for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$NG/nginx.pid" ] && break; sleep 0.1; done
			NGINX_PID=$(cat "$NG/nginx.pid")
			PORT=$port
			return 0
		fi
		grep -q 'in use' "$NG/start.err" "$NG/error.log" 2>/dev/null || { cat "$NG/start.err" >&2; die "nginx did not start"; }
	done
	die "no free port for nginx after 10 tries"
}
start_nginx
URL=http://127.0.0.1:$PORT
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/store/layers/${L2#sha256:}.idx")
[ "$code" = 200 ] || die "nginx answers $code for the layer index (is $WWW readable by user nobody?)"
log "nginx pid $NGINX_PID on 127.0.0.1:$PORT"
# log_sum REGEX: "requests bytes" of the access log lines whose URI matches REGEX.
log_sum() { awk -v re="$1" '$1 ~ re && ($2 == 200 || $2 == 206) { n++; b += $3 } END { printf "%d %d\n", n, b }' "$NG/access.log"; }
CLEARLOG=": >$NG/access.log"

# --- (b) full apply to an empty file --------------------------------------------------------
O=$T/out/target
bench "full dir strata" "rm -f $O" "$SI apply --store $S $L2 $O 2>/dev/null && sync $O"
cmp -s "$O" "$V2" || die "strata-image apply (folder) did not reproduce v2.img"
bench "full dir casync" "rm -f $O" "casync extract --store=$C $WWW/v2.caibx $O && sync $O"
cmp -s "$O" "$V2" || die "casync extract (folder) did not reproduce v2.img"
bench "full http strata" "rm -f $O; $CLEARLOG" \
	"$SI apply --store $URL/store --json $T/full.json $L2 $O 2>/dev/null && sync $O"
cmp -s "$O" "$V2" || die "strata-image apply (HTTP) did not reproduce v2.img"
read -r full_strata_req full_strata_bytes < <(log_sum '^/store/')
bench "full http casync" "rm -f $O; $CLEARLOG" \
	"casync extract --store=$URL/castore $URL/v2.caibx $O && sync $O"
cmp -s "$O" "$V2" || die "casync extract (HTTP) did not reproduce v2.img"
read -r full_casync_req full_casync_bytes < <(log_sum '^/(castore/|v2\.caibx)')
bench "full http curl|gunzip" "rm -f $O" "curl -sf $URL/v2.img.gz | gunzip >$O && sync $O"
cmp -s "$O" "$V2" || die "curl | gunzip did not reproduce v2.img"
gz_bytes=$(stat -c %s "$IMG/v2.img.gz")

# --- (c) delta apply v1 -> v2 over HTTP -----------------------------------------------------
bench "delta http strata" "rm -f $O; cp --sparse=always $V1 $O; $CLEARLOG" \
	"$SI apply --store $URL/store --json $T/delta.json $L2 $O 2>/dev/null && sync $O"
cmp -s "$O" "$V2" || die "strata-image delta apply did not reproduce v2.img"
read -r delta_strata_req delta_strata_http < <(log_sum '^/store/chunks/')
read -r _ delta_strata_idx < <(log_sum '^/store/layers/')
delta_strata_bytes=$(perl -ne 'print $1 if /"bytes_fetched": (\d+)/' "$T/delta.json")
delta_strata_chunks=$(perl -ne 'print $1 if /"chunks_fetched": (\d+)/' "$T/delta.json")
bench "delta http casync" "rm -f $O; $CLEARLOG" \
	"casync extract --store=$URL/castore --seed=$V1 $URL/v2.caibx $O && sync $O"
cmp -s "$O" "$V2" || die "casync delta extract did not reproduce v2.img"
read -r delta_casync_req delta_casync_bytes < <(log_sum '^/castore/')
read -r _ delta_casync_idx < <(log_sum '^/v2\.caibx')
rm -f "$O"

# --- report ---------------------------------------------------------------------------------
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "n/a" && r <= g) ? "met" : "NOT met" }'; }
trim() { local x=$1; x=${x#"${x%%[! ]*}"}; printf '%s' "${x%"${x##*[! ]}"}"; }

rows=()
goal_lines=()
# row LABEL STRATA_NAME PEER_NAME
row() {
	local s p r v
	s=$(t_of "$2"); p=$(t_of "$3"); r=$(ratio "$s" "$p"); v=$(verdict "$r" 0.5)
	rows+=("| $1 | $s | $p | $r | <= 0.50 | $v |")
	goal_lines+=("$v")
}
row "build v1, cold store (s)" "build v1 strata" "build v1 casync"
row "build v2 into store with v1 (s)" "build v2 strata (store has v1)" "build v2 casync (store has v1)"
row "full apply, folder store (s)" "full dir strata" "full dir casync"
row "full apply, HTTP (s)" "full http strata" "full http casync"
row "delta apply v1->v2, HTTP (s)" "delta http strata" "delta http casync"
br=$(ratio "$delta_strata_bytes" "$delta_casync_bytes")
bv=$(verdict "$br" 1)
rows+=("| delta chunk bytes fetched (MiB) | $(mib "$delta_strata_bytes") | $(mib "$delta_casync_bytes") | $br | <= 1.00 | $bv |")
cr=$(ratio "$(t_of "full http strata")" "$(t_of "full http curl|gunzip")")

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
SHANI=$(grep -qw sha_ni /proc/cpuinfo && echo "has SHA-NI" || echo "no SHA-NI")
MD=$RES/image.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $CPU ($SHANI), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)."
	echo "Tools: strata-image (${SI#"$ROOT"/}), $(casync --version 2>&1 | head -n1), $(nginx -v 2>&1 | sed 's/.*: //'), $(hyperfine --version)."
	echo "Load average (1/5/15 min) when the run started: $LOAD0; when it ended: $(cut -d' ' -f1-3 /proc/loadavg). strata-image runs on every core, casync on one, so other jobs on the machine slow strata more; see min and max in the raw timings."
	echo "Cache: **$CACHE** ($( [ "$CACHE" = cold ] && echo 'page cache dropped before every timed run' || echo 'one warm-up run per command, warm page cache' )); each time is the median of $RUNS runs; every command ends with \`sync\` of its output file."
	echo
	echo "Images (tests/bench/mkimages.sh):"
	echo
	echo '```'
	cat "$IMG/images.txt"
	echo '```'
	echo
	echo "Stores: strata $store_files chunk files, $(mib "$store_bytes") MiB (64 KiB chunks, zlib -6); casync $castore_files chunk files, $(mib "$castore_bytes") MiB (64 KiB average, zstd). Index of v2: strata $idx_bytes bytes, casync caibx $caibx_bytes bytes."
	echo
	echo "| measurement | strata | casync | strata/casync | goal | |"
	echo "| --- | ---: | ---: | ---: | --- | --- |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Full apply over HTTP, baseline \`curl | gunzip\` of a $(mib "$gz_bytes") MiB gzip -6 file: $(t_of "full http curl|gunzip") s; strata/curl = $cr."
	echo
	echo "HTTP traffic (nginx access log): full apply: strata $full_strata_req requests, $(mib "$full_strata_bytes") MiB; casync $full_casync_req requests, $(mib "$full_casync_bytes") MiB."
	echo "Delta apply: strata $delta_strata_chunks chunks, $delta_strata_req chunk requests, $delta_strata_http bytes of chunk bodies in the log (--json bytes_fetched $delta_strata_bytes) plus the $delta_strata_idx-byte index; casync $delta_casync_req chunk requests, $delta_casync_bytes bytes of chunk bodies plus the $delta_casync_idx-byte caibx."
	echo
	echo "Raw timings (seconds; median, min, max, user CPU, system CPU):"
	echo
	echo "| command | median | min | max | user | sys |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	awk -F '\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RES/times.tsv"
	echo
	echo "Commands (\$S strata store, \$C casync store, \$URL http://127.0.0.1:PORT served by nginx):"
	echo
	echo '```'
	echo "strata-image build --store \$S v1.img              casync make --store=\$C v1.caibx v1.img"
	echo "strata-image apply --store \$S \$L2 out             casync extract --store=\$C v2.caibx out"
	echo "strata-image apply --store \$URL/store \$L2 out     casync extract --store=\$URL/castore \$URL/v2.caibx out"
	echo "curl -s \$URL/v2.img.gz | gunzip > out"
	echo "cp v1.img out; strata-image apply --store \$URL/store --json j \$L2 out"
	echo "casync extract --store=\$URL/castore --seed=v1.img \$URL/v2.caibx out"
	echo '```'
	echo
	met=0; total=0
	for v in "${goal_lines[@]}" "$bv"; do total=$((total + 1)); [ "$v" = met ] && met=$((met + 1)); done
	echo "Goals (from the issue): delta bytes <= casync's: **$bv**; every time at most half of casync's: $(printf '%s\n' "${goal_lines[@]}" | grep -cx met) of ${#goal_lines[@]} met. $met of $total goals met in this run."
} >"$MD"

{
	printf '%-34s %10s %10s %8s  %s\n' measurement strata casync ratio goal
	for r in "${rows[@]}"; do
		IFS='|' read -r _ a b c d e f _ <<<"$r"
		printf '%-34s %10s %10s %8s  %s %s\n' "$(trim "$a")" "$(trim "$b")" "$(trim "$c")" "$(trim "$d")" "$(trim "$e")" "$(trim "$f")"
	done
	printf '%-34s %10s %10s %8s\n' "full apply HTTP vs curl|gunzip (s)" "$(t_of "full http strata")" "$(t_of "full http curl|gunzip")" "$cr"
} | tee "$RES/image.txt"

# docs/benchmarks.md: replace this script's section, keep everything else.
DOC=$ROOT/docs/benchmarks.md
mkdir -p "$ROOT/docs"
[ -f "$DOC" ] || printf '# Benchmarks\n\nMeasured by `make bench` (tests/bench/run.sh).  Generated sections sit between their markers; re-running a bench replaces only its own section.\n' >"$DOC"
doc_section "$DOC" image "Layer format and strata-image" "Generated by tests/bench/image.sh." "$MD" || die "cannot update $DOC"
log "wrote $RES/image.md and the section in ${DOC#"$ROOT"/}"
