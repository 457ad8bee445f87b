#!/bin/bash
# Benchmark of strata-server (release build) against its peers, on 127.0.0.1 only.
#
# usage: bash tests/bench/server.sh BUILD_DIR
#
# Needs BUILD_DIR/rel/strata-server and BUILD_DIR/rel/strata-image (make build-all), and
# atftp, tftpd-hpa (in.tftpd), nginx, wrk, curl.  A benchmark, not a test: it prints what it
# measured and which goals were met; it fails only when something could not be measured
# or a download came back wrong.
#
#   (a) TFTP, a 64 MiB file: strata-server's TFTP vs tftpd-hpa (in.tftpd -L), fetched with
#       atftp at blksize 1468 and windowsize 1, 4, 16; each the median of 3 runs, every
#       download compared with cmp.  tftpd-hpa 5.2 does not implement windowsize (RFC
#       7440): it sends one block per ACK whatever the client asks, which is the point of
#       the comparison.  Goals: equal at window 1 (within 10 %), >= 3x faster at window 16.
#   (b) HTTP chunk serving: a store holding a realistic layer (a 768 MiB ext4 image made by
#       mkfs.ext4 -d from a copy of this machine's /usr/bin and /usr/share/doc, about
#       500 MB), served by strata-server and by nginx (tests/lib/common.sh nginx_start) from
#       the same folder.  wrk (-t2 -c32) with tests/bench/wrk-chunks.lua requests random
#       chunk URLs of the layer; strata-server's run endpoint (/store/runs/LAYER/A-B, 64
#       chunks a request) is loaded the same way and compared in bytes/s with nginx serving
#       the same chunks one by one.  Passes alternate between the servers.  Goal: strata's
#       throughput at least nginx's.  Each server's CPU time over each wrk run (/proc) gives
#       its CPU per request, which the scheduler's split of the cores with wrk does not sway.
#   (c) 64 concurrent clients over 8 layers (16 MiB slices of that image): even clients run
#       `strata-image apply --store http://...`, odd ones `curl` the whole layer as one
#       run; every apply must exit 0 and reproduce its slice, every run must equal the
#       concatenation of its chunk files.  strata-server's VmRSS is sampled every 0.5 s;
#       the round is run twice on the same server.  Goals: no errors; memory flat (round
#       2's peak and end RSS at most round 1's peak + 10 % + 1 MiB).  The server's log
#       says what the clients asked for: indexes, runs, single chunks.
# TFTP across a network with a round trip is tests/bench/tftp-delay.sh.
#
# Results: a table on stdout, BUILD_DIR/bench/results/server.md, and the "## strata-server"
# section of docs/benchmarks.md, which is replaced between the markers
# <!-- bench:server begin --> and <!-- bench:server end --> (appended when absent); the
# rest of the file is kept as it is.  Takes about 3-4 minutes on 2 cores.
# Environment: STRATA_BENCH_WRK_SECONDS (default 10), STRATA_BENCH_WRK_PASSES (default 3),
# STRATA_BENCH_TFTP_RUNS (default 3).
set -uo pipefail

BENCH=server.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -eq 1 ] || die "usage: server.sh BUILD_DIR"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib/doc.sh"
BUILD=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such folder"
SRV=$BUILD/rel/strata-server
SI=$BUILD/rel/strata-image
[ -x "$SRV" ] || die "$SRV not found: run 'make build-all' first"
[ -x "$SI" ] || die "$SI not found: run 'make build-all' first"
PATH=$PATH:/usr/sbin:/sbin
need atftp atftp
need in.tftpd tftpd-hpa
need nginx nginx-light
need wrk wrk
need curl curl
need cmp diffutils
need perl perl-base
need ss iproute2
need mkfs.ext4 e2fsprogs

. "$REPO/tests/lib/common.sh"   # free_port, nginx_start, nginx_stop

WRK_SECONDS=${STRATA_BENCH_WRK_SECONDS:-10}
WRK_PASSES=${STRATA_BENCH_WRK_PASSES:-3}
TFTP_RUNS=${STRATA_BENCH_TFTP_RUNS:-3}
LUA=$HERE/wrk-chunks.lua
RES=$BUILD/bench/results
mkdir -p "$RES"

T=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-server.XXXXXX") || die "mktemp failed"
chmod 755 "$T"   # strata-server, nginx workers and in.tftpd run as nobody when we are root
SRV_PID=
HPA_PID=
SAMPLER_PID=
CLIENT_PIDS=
# Clients write their downloads to tmpfs when there is room, so the client's disk writes
# (and the writeback of the store just built) do not time the servers.
OUT=
if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt $((3 << 20)) ] 2>/dev/null; then
	OUT=$(mktemp -d /dev/shm/strata-bench-server.XXXXXX) || OUT=
fi
[ -n "$OUT" ] || { OUT=$T/out; mkdir -p "$OUT"; }
cleanup() {
	# Clients are subshells: end their children (apply, curl, cmp) first, by parent id.
	for p in $CLIENT_PIDS; do pkill -P "$p" 2>/dev/null; done
	for p in $CLIENT_PIDS $SAMPLER_PID $HPA_PID $SRV_PID; do kill "$p" 2>/dev/null; done
	for p in $CLIENT_PIDS $SAMPLER_PID $HPA_PID $SRV_PID; do wait "$p" 2>/dev/null; done
	nginx_stop 2>/dev/null
	rm -f "$T_OUT"
	rm -rf "$T" "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now_ns() { date +%s%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# start_server LOG [ARGS...]: strata-server on $T/root; sets SRV_PID, HTTP_PORT, TFTP_PORT, U.
# Every client here comes from 127.0.0.1, standing for many PCs as a site cache does, so
# that address is a trusted proxy: the per-address connection cap would otherwise refuse
# wrk's 32 connections and the 64 clients.
start_server() {
	local out=$1
	shift
	HTTP_PORT=$(free_port) && TFTP_PORT=$(free_port) || die "no free port"
	"$SRV" --root "$T/root" --addr 127.0.0.1 --http-port "$HTTP_PORT" --tftp-port "$TFTP_PORT" \
		--dhcp off --trusted-proxies 127.0.0.1 "$@" 2>>"$out" &
	SRV_PID=$!
	U=http://127.0.0.1:$HTTP_PORT
	for _ in $(seq 100); do
		curl -s -o /dev/null "$U/ipxe/boot.ipxe" && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 5 "$out" >&2
	die "strata-server did not start"
}
stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}

# idle_pct: the share of all CPUs idle over one second (other work on the machine skews
# every figure here, so the report says how much there was).
idle_pct() {
	local a b
	a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	echo "$a $b" | awk '{ printf "%.0f\n", 100 * ($3 - $1) / ($4 - $2) }'
}
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
IDLE_AT_START=$(idle_pct)
log "work folder $T; load average $LOAD_AT_START; CPU idle before the run $IDLE_AT_START %"

# --- inputs -----------------------------------------------------------------------------------
# A realistic layer: an ext4 image made by mkfs.ext4 -d from a copy of this machine's
# /usr/bin (ELF binaries) and /usr/share/doc (text, gzip), about 500 MB in 768 MiB (more
# when those folders are larger).
log "making an ext4 image of /usr/bin and /usr/share/doc"
mkdir -p "$T/src/usr/share"
cp -a /usr/bin "$T/src/usr/bin" && cp -a /usr/share/doc "$T/src/usr/share/doc" ||
	die "cannot copy /usr/bin and /usr/share/doc"
SRC_MB=$(du -sm "$T/src" | cut -f1)
V1=$T/v1.img
IMG_MB=$(( (SRC_MB * 3 / 2 + 63) / 64 * 64 ))
[ "$IMG_MB" -ge 768 ] || IMG_MB=768
mkfs.ext4 -F -q -b 4096 -E root_owner=0:0 -d "$T/src" "$V1" "${IMG_MB}M" >"$T/mkfs.log" 2>&1 ||
	{ cat "$T/mkfs.log" >&2; die "mkfs.ext4 -d failed"; }
rm -rf "$T/src"
mkdir -p "$T/root/boot" "$T/hpa"
printf '# strata-server benchmark: no machines\ndefault local\n' >"$T/root/inventory.conf"
head -c $((64 << 20)) /dev/urandom >"$T/root/boot/big.bin"
ln "$T/root/boot/big.bin" "$T/hpa/big.bin"
S=$T/root/store
log "strata-image build: the image ($(($(stat -c %s "$V1") >> 20)) MiB) into the store"
LV1=$("$SI" build --store "$S" "$V1" 2>"$T/build.log" | tail -n1)
case $LV1 in sha256:*) ;; *) cat "$T/build.log" >&2; die "strata-image build printed no layer id" ;; esac
# Eight small layers for (c): 16 MiB slices of the image (file data).
LAYERS=()
for k in 0 1 2 3 4 5 6 7; do
	dd if="$V1" of="$T/slice$k.img" bs=1M skip=$((64 + 48 * k)) count=16 status=none
	LAYERS[k]=$("$SI" build --store "$S" "$T/slice$k.img" 2>>"$T/build.log" | tail -n1)
	case ${LAYERS[k]} in sha256:*) ;; *) die "strata-image build of slice $k failed" ;; esac
done
chmod -R a+rX "$T/root"

"$SI" inspect --store "$S" --chunks "$LV1" >"$T/v1.chunks" || die "strata-image inspect failed"
# Distinct stored chunks of v1, as URL paths; and runs of 64 chunks holding data.
awk '$1 == "chunk" && $3 == "offset" && $9 != "zero" && $9 != "free" { print "/store/chunks/" substr($10, 1, 2) "/" $10 }' \
	"$T/v1.chunks" | sort -u >"$T/chunks.list"
awk -v l="${LV1#sha256:}" '$1 == "chunk" && $3 == "offset" {
		g = int($2 / 64); s[g] += $8; last[g] = $2; if (!(g in first)) first[g] = $2
	} END { for (g in s) if (s[g] > 0) print "/store/runs/" l "/" first[g] "-" last[g] "\t" s[g] }' \
	"$T/v1.chunks" | sort -t/ -k5 -n >"$T/runs.tsv"
cut -f1 "$T/runs.tsv" >"$T/runs.list"
NCHUNKS=$(wc -l <"$T/chunks.list")
NRUNS=$(wc -l <"$T/runs.list")
CHUNK_BYTES=$(cd "$T/root" && sed 's|^/||' "$T/chunks.list" | xargs stat -c %s | awk '{ s += $1 } END { print s }')
RUN_BYTES=$(awk -F '\t' '{ s += $2 } END { print s }' "$T/runs.tsv")
V1_CHUNKS=$(awk '$1 == "chunk" && $3 == "offset"' "$T/v1.chunks" | wc -l)
log "layer $LV1: $V1_CHUNKS chunks, $NCHUNKS distinct stored ($((CHUNK_BYTES >> 20)) MiB); $NRUNS runs of 64 chunks with data"
# Write back what building made (so writeback does not overlap the measurements) and warm
# the page cache, so both servers see the same (warm) cache.
sync
cat "$T/root/boot/big.bin" >/dev/null
find "$S" -type f -exec cat {} + >/dev/null

# --- (a) TFTP ---------------------------------------------------------------------------------
start_server "$T/server-ab.log"
HPA_PORT=$(free_port) || die "no free port"
in.tftpd -L -s "$T/hpa" -a "127.0.0.1:$HPA_PORT" 2>>"$T/hpa.log" &
HPA_PID=$!
sleep 0.3
kill -0 "$HPA_PID" 2>/dev/null || die "in.tftpd did not start (see $T/hpa.log)"
log "(a) TFTP: strata-server on $TFTP_PORT, tftpd-hpa on $HPA_PORT"
: >"$T/tftp.tsv"
# cpu_ms PID: CPU time of a process and its threads, in ms.  (tftpd-hpa serves each transfer
# in a child it does not wait for, so its figure stays 0 and is not reported.)
TICK_MS=$((1000 / $(getconf CLK_TCK)))
cpu_ms() { awk -v t="$TICK_MS" '{ print ($14 + $15 + $16 + $17) * t }' "/proc/$1/stat"; }
TIMEFORMAT='%3R %3U %3S'
# One untimed transfer from each server first (the first transfer after the setup was
# several times slower than the rest in trial runs, for both servers).
for port in "$TFTP_PORT" "$HPA_PORT"; do
	timeout 120 atftp --option "blksize 1468" --option "windowsize 16" -g -r big.bin \
		-l "$OUT/tftp" 127.0.0.1 "$port" >>"$T/atftp.log" 2>&1
done
for w in 1 4 16; do
	for r in $(seq "$TFTP_RUNS"); do
		for who in strata hpa; do
			[ $who = strata ] && { port=$TFTP_PORT; spid=$SRV_PID; } || { port=$HPA_PORT; spid=$HPA_PID; }
			rm -f "$OUT/tftp"
			c0=$(cpu_ms "$spid")
			{ time timeout 120 atftp --option "blksize 1468" --option "windowsize $w" \
				-g -r big.bin -l "$OUT/tftp" 127.0.0.1 "$port" >>"$T/atftp.log" 2>&1; } 2>"$T/time.out"
			rc=$?
			c1=$(cpu_ms "$spid")
			cmp -s "$OUT/tftp" "$T/root/boot/big.bin" ||
				die "TFTP $who windowsize $w run $r: download differs (atftp rc $rc; see $T/atftp.log)"
			# who window run wall_s client_cpu_s server_cpu_ms
			read -r wall cu cs <"$T/time.out"
			echo -e "$who\t$w\t$r\t$wall\t$(calc %.3f "$cu + $cs")\t$((c1 - c0))" >>"$T/tftp.tsv"
		done
	done
done
rm -f "$OUT/tftp"
kill "$HPA_PID" 2>/dev/null
wait "$HPA_PID" 2>/dev/null
HPA_PID=
# tftp_med WHO WINDOW [COLUMN]: median of a column of tftp.tsv (default 4, wall seconds).
tftp_med() { awk -F '\t' -v a="$1" -v w="$2" -v c="${3:-4}" '$1 == a && $2 == w { print $c }' "$T/tftp.tsv" | median; }
tftp_min() { awk -F '\t' -v a="$1" -v w="$2" '$1 == a && $2 == w { print $4 }' "$T/tftp.tsv" | sort -g | head -n1; }
tftp_all() { awk -F '\t' -v a="$1" -v w="$2" '$1 == a && $2 == w { printf "%s%s", s, $4; s = ", " }' "$T/tftp.tsv"; }

# --- (b) HTTP ---------------------------------------------------------------------------------
nginx_start "$T/root" || die "nginx did not start"
NG_URL=http://127.0.0.1:$NGINX_PORT
log "(b) HTTP: strata-server $U, nginx $NG_URL"
# Both serve the same bytes: 20 random chunks and 3 runs, compared.
for c in $(shuf -n 20 "$T/chunks.list"); do
	curl -sf "$U$c" -o "$OUT/a" && curl -sf "$NG_URL$c" -o "$OUT/b" &&
		cmp -s "$OUT/a" "$T/root$c" && cmp -s "$OUT/b" "$T/root$c" || die "chunk $c served wrong"
done
for rl in $(shuf -n 3 "$T/runs.list"); do
	range=${rl##*/}
	awk -v a="${range%-*}" -v b="${range#*-}" '$1 == "chunk" && $3 == "offset" && $2 >= a && $2 <= b && $9 != "zero" && $9 != "free" {
		print "store/chunks/" substr($10, 1, 2) "/" $10 }' "$T/v1.chunks" |
		(cd "$T/root" && xargs cat) >"$OUT/want"
	curl -sf "$U$rl" -o "$OUT/a" && cmp -s "$OUT/a" "$OUT/want" || die "run $rl served wrong"
done
rm -f "$OUT/a" "$OUT/b" "$OUT/want"

: >"$T/wrk.tsv"
# cpu_sum PIDS: CPU ms of the processes PIDS (the server's, for CPU time per request: unlike
# throughput, it does not depend on how the scheduler splits the 2 cores with wrk).
cpu_sum() { local p t=0; for p in "$@"; do t=$((t + $(cpu_ms "$p"))); done; echo "$t"; }
# wrk_run LABEL URL LIST PASS PIDS...: one wrk run; a line of numbers into wrk.tsv.
wrk_run() {
	local label=$1 url=$2 list=$3 pass=$4 line c0 c1
	shift 4
	log "wrk $label, pass $pass"
	c0=$(cpu_sum "$@")
	wrk -t2 -c32 -d"${WRK_SECONDS}s" --timeout 10s -s "$LUA" "$url" -- "$list" "$pass" \
		>"$T/wrk.out" 2>&1 || { cat "$T/wrk.out" >&2; die "wrk failed"; }
	c1=$(cpu_sum "$@")
	cat "$T/wrk.out" >>"$T/wrk.log"
	line=$(grep '^WRK_RESULT' "$T/wrk.out") || { cat "$T/wrk.out" >&2; die "wrk printed no result"; }
	# label pass requests bytes seconds errors(connect+read+write+timeout) non2xx p50us p99us
	# server_cpu_ms
	echo "$line" | LABEL=$label PASS=$pass CPU=$((c1 - c0)) perl -ne '
		my %v = /(\w+)=(\d+)/g;
		printf "%s\t%d\t%d\t%d\t%.3f\t%d\t%d\t%d\t%d\t%d\n", $ENV{LABEL}, $ENV{PASS}, $v{requests},
			$v{bytes}, $v{duration_us} / 1e6, $v{connect} + $v{read} + $v{write} + $v{timeout},
			$v{status}, $v{latency_p50_us}, $v{latency_p99_us}, $ENV{CPU};
	' >>"$T/wrk.tsv"
}
# nginx's CPU: its workers' (the master only accepts signals).
NG_PIDS=$(pgrep -P "$(cat "$NGINX_DIR/nginx.pid")" | tr '\n' ' ')
[ -n "$NG_PIDS" ] || die "no nginx workers found"
for pass in $(seq "$WRK_PASSES"); do
	wrk_run "nginx chunks" "$NG_URL" "$T/chunks.list" "$pass" $NG_PIDS
	wrk_run "strata chunks" "$U" "$T/chunks.list" "$pass" "$SRV_PID"
	wrk_run "strata runs" "$U" "$T/runs.list" "$pass" "$SRV_PID"
done
nginx_stop
stop_server
# wrk_stat LABEL FIELD: mean over passes of requests/s (rps), MB/s (mbs, 10^6 bytes), errors;
# over all passes, the server's CPU us per request (cpu) and ms per MB (cpumb).
wrk_stat() {
	awk -F '\t' -v l="$1" -v f="$2" '$1 == l {
		n++; rps += $3 / $5; mbs += $4 / $5 / 1e6; err += $6 + $7; p50 += $8; p99 += $9
		req += $3; by += $4; cpu += $10
	} END {
		if (!n) { print "n/a"; exit }
		if (f == "rps") printf "%.0f\n", rps / n
		else if (f == "mbs") printf "%.1f\n", mbs / n
		else if (f == "err") printf "%d\n", err
		else if (f == "p50") printf "%.2f\n", p50 / n / 1000
		else if (f == "p99") printf "%.2f\n", p99 / n / 1000
		else if (f == "cpu") printf "%.1f\n", cpu * 1000 / req
		else if (f == "cpumb") printf "%.2f\n", cpu / (by / 1e6)
	}' "$T/wrk.tsv"
}

# pass_ratios: strata/nginx chunk MB/s of each pass, for the spread.
pass_ratios() {
	awk -F '\t' '$1 == "nginx chunks" { n[$2] = $4 / $5 } $1 == "strata chunks" { s[$2] = $4 / $5 }
		END { for (p = 1; p in n; p++) printf "%s%.2f", (p > 1 ? ", " : ""), (p in s) ? s[p] / n[p] : 0 }' "$T/wrk.tsv"
}

# --- (c) 64 clients over 8 layers, memory ------------------------------------------------------
start_server "$T/server-c.log"
log "(c) 64 clients over 8 layers: strata-server pid $SRV_PID at $U"
for k in 0 1 2 3 4 5 6 7; do
	n=$("$SI" inspect --store "$S" --chunks "${LAYERS[k]}" | awk '$1 == "chunk" && $3 == "offset"' | wc -l)
	RUNURL[k]="/store/runs/${LAYERS[k]#sha256:}/0-$((n - 1))"
	"$SI" inspect --store "$S" --chunks "${LAYERS[k]}" |
		awk '$1 == "chunk" && $3 == "offset" && $9 != "zero" && $9 != "free" { print "store/chunks/" substr($10, 1, 2) "/" $10 }' |
		(cd "$T/root" && xargs -r cat) >"$T/run$k.want"
done
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$SRV_PID/status" 2>/dev/null; }
: >"$T/rounds.tsv"
for round in 1 2; do
	rss_start=$(rss)
	( while kill -0 "$SRV_PID" 2>/dev/null; do rss; sleep 0.5; done ) >"$T/rss$round" &
	SAMPLER_PID=$!
	CLIENT_PIDS=
	t0=$(now_ns)
	for i in $(seq 0 63); do
		k=$((i % 8))
		if [ $((i % 2)) = 0 ]; then
			( "$SI" apply --store "$U/store" "${LAYERS[k]}" "$OUT/c$i" >"$OUT/c$i.log" 2>&1 &&
				cmp -s "$OUT/c$i" "$T/slice$k.img"
			  echo $? >"$OUT/c$i.rc" ) &
		else
			( curl -sf -o "$OUT/c$i" "$U${RUNURL[k]}" >"$OUT/c$i.log" 2>&1 &&
				cmp -s "$OUT/c$i" "$T/run$k.want"
			  echo $? >"$OUT/c$i.rc" ) &
		fi
		CLIENT_PIDS="$CLIENT_PIDS $!"
	done
	for p in $CLIENT_PIDS; do wait "$p"; done
	CLIENT_PIDS=
	t1=$(now_ns)
	sleep 1
	rss_end=$(rss)
	kill "$SAMPLER_PID" 2>/dev/null
	wait "$SAMPLER_PID" 2>/dev/null
	SAMPLER_PID=
	bad=0
	for i in $(seq 0 63); do
		[ "$(cat "$OUT/c$i.rc" 2>/dev/null)" = 0 ] || { bad=$((bad + 1)); sed 's/^/  client '"$i"': /' "$OUT/c$i.log" | tail -n 3 >&2; }
	done
	bytes=$(du -cb "$OUT"/c[0-9] "$OUT"/c[0-9][0-9] 2>/dev/null | tail -n1 | cut -f1)
	rm -f "$OUT"/c[0-9]*
	read -r rmin rmax < <(sort -n "$T/rss$round" | awk 'NR == 1 { a = $1 } { b = $1 } END { print a, b }')
	echo -e "$round\t$(calc %.2f "$(((t1 - t0) / 1000)) / 1e6")\t$bad\t$rss_start\t$rmin\t$rmax\t$rss_end\t$(wc -l <"$T/rss$round")\t$bytes" >>"$T/rounds.tsv"
	log "round $round: $bad of 64 clients failed; RSS start $rss_start kB, min $rmin, max $rmax, end $rss_end kB"
done
kill -0 "$SRV_PID" 2>/dev/null || die "strata-server died during (c) (see $T/server-c.log)"
c_non200=$(grep '^http: ' "$T/server-c.log" | grep -vc ' 200 [0-9]* bytes [0-9.]*s$')
c_reqs=$(grep -c '^http: ' "$T/server-c.log")
# What the clients asked for: indexes, runs (and the chunks they covered), single chunks.
# The curl clients make one run request each; the rest is strata-image apply's choice.
read -r c_idx c_runs c_run_chunks c_chunks < <(awk '$1 == "http:" {
		if ($4 ~ /^\/store\/layers\//) i++
		else if ($4 ~ /^\/store\/runs\//) { r++; n = split($4, p, "/"); split(p[n], a, "-"); k += a[2] - a[1] + 1 }
		else if ($4 ~ /^\/store\/chunks\//) c++
	} END { print i + 0, r + 0, k + 0, c + 0 }' "$T/server-c.log")
stop_server

# --- report -----------------------------------------------------------------------------------
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)
IDLE_AT_END=$(idle_pct)
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)
verdict() { [ "$1" = 1 ] && echo met || echo "NOT met"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && b != "n/a" && a + 0 >= b + 0) }'; }

rows_a=()
goals=()
for w in 1 4 16; do
	ts=$(tftp_med strata $w); th=$(tftp_med hpa $w)
	sp=$(calc %.2f "$th / $ts")
	mbs_s=$(calc %.1f "67108864 / $ts / 1e6"); mbs_h=$(calc %.1f "67108864 / $th / 1e6")
	goal=""; v=""
	if [ $w = 1 ]; then
		goal="equal (strata <= 1.10x hpa's time)"
		ge "$(calc %.4f "$th * 1.10")" "$ts" && v=met || v="NOT met"
		goals+=("TFTP window 1 equal to tftpd-hpa: **$v** (hpa/strata time $sp)")
	elif [ $w = 16 ]; then
		goal=">= 3.00x"
		ge "$sp" 3 && v=met || v="NOT met"
		goals+=("TFTP window 16 at least 3x tftpd-hpa: **$v** ($sp x)")
	fi
	rows_a+=("| $w | $ts ($mbs_s MB/s) | $th ($mbs_h MB/s) | $sp | $(tftp_min strata $w) / $(tftp_min hpa $w) ($(calc %.2f "$(tftp_min hpa $w) / $(tftp_min strata $w)")) | $(tftp_med strata $w 6) | $(tftp_med strata $w 5) / $(tftp_med hpa $w 5) | $goal | $v |")
done

ng_rps=$(wrk_stat "nginx chunks" rps); ng_mbs=$(wrk_stat "nginx chunks" mbs)
st_rps=$(wrk_stat "strata chunks" rps); st_mbs=$(wrk_stat "strata chunks" mbs)
ru_rps=$(wrk_stat "strata runs" rps); ru_mbs=$(wrk_stat "strata runs" mbs)
r_rps=$(calc %.2f "$st_rps / $ng_rps"); r_mbs=$(calc %.2f "$st_mbs / $ng_mbs")
r_run=$(calc %.2f "$ru_mbs / $ng_mbs")
wrk_err=$(awk -F '\t' '{ e += $6 + $7 } END { print e + 0 }' "$T/wrk.tsv")
ge "$r_mbs" 1 && v_chunks=met || v_chunks="NOT met"
ge "$r_run" 1 && v_runs=met || v_runs="NOT met"
goals+=("HTTP chunks, strata throughput >= nginx's: **$v_chunks** ($r_mbs x in MB/s)")
goals+=("HTTP runs (strata) bytes/s >= nginx serving the same chunks one by one: **$v_runs** ($r_run x)")

read -r _ c1_time c1_bad c1_start c1_min c1_max c1_end c1_n c1_bytes < <(sed -n 1p "$T/rounds.tsv")
read -r _ c2_time c2_bad c2_start c2_min c2_max c2_end c2_n c2_bytes < <(sed -n 2p "$T/rounds.tsv")
[ $((c1_bad + c2_bad + c_non200)) = 0 ] && v_err=met || v_err="NOT met"
awk -v a="$c1_max" -v b="$c2_max" -v d="$c2_end" \
	'BEGIN { exit !(b <= a * 1.10 + 1024 && d <= a * 1.10 + 1024) }' && v_mem=met || v_mem="NOT met"
goals+=("64 clients, no errors: **$v_err** ($((c1_bad + c2_bad)) failed clients of 128, $c_non200 non-200 responses of $c_reqs)")
goals+=("64 clients, memory flat between rounds (round 2's peak and end within round 1's peak + 10 % + 1 MiB): **$v_mem** (peak $c1_max -> $c2_max kB, end $c1_end -> $c2_end kB)")
nmet=0
for g in "${goals[@]}"; do case $g in *"**met**"*) nmet=$((nmet + 1)) ;; esac; done

MD=$RES/server.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $CPU, $MEM, Linux $(uname -r); load average $LOAD_AT_START at start, $LOAD_AT_END at the end; CPU idle in the second before the run $IDLE_AT_START %, after it $IDLE_AT_END % (below 100 % means other work on the machine, which makes the numbers noisier). Everything on 127.0.0.1, client and server on the same 2 cores, warm page cache."
	echo "Peers: $(in.tftpd -V 2>&1 | head -n1 | cut -d, -f1) (in.tftpd), $(nginx -v 2>&1 | sed 's/.*: //'); clients $(atftp --version 2>&1 | head -n1), $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), $(curl --version | head -n1 | cut -d' ' -f1-2). strata-server: ${SRV#"$REPO"/} (release build, libmicrohttpd thread pool of $(nproc))."
	echo
	echo "### TFTP: 64 MiB file, atftp, blksize 1468"
	echo
	echo "Seconds, median of $TFTP_RUNS runs after one untimed transfer from each server (each download compared with cmp). tftpd-hpa does not implement windowsize (RFC 7440) and sends one block per ACK whatever the client asks."
	echo
	echo "| windowsize | strata-server (s) | tftpd-hpa (s) | hpa/strata | best of runs, strata / hpa (ratio) | strata-server CPU ms | atftp CPU s, with strata / hpa | goal | |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
	printf '%s\n' "${rows_a[@]}"
	echo
	echo "CPU: strata-server's user+system time during the transfer (from /proc; tftpd-hpa's per-transfer children are not counted, its parent ignores SIGCHLD), and atftp's; medians. On loopback the round trip costs only the two processes' CPU time per block, so window 1 is bound by per-packet CPU, not by the network round trip it hides on a real link; larger windows save the wakeups, not the per-block system calls, so their gain here is smaller than it would be on a network."
	echo
	echo "Raw times (s): $(for w in 1 4 16; do printf 'window %s: strata %s; hpa %s. ' $w "$(tftp_all strata $w)" "$(tftp_all hpa $w)"; done)"
	echo
	echo "### HTTP: chunks and runs under wrk"
	echo
	echo "Store: one layer, a $IMG_MB MiB ext4 image made by \`mkfs.ext4 -d\` from a copy of /usr/bin and /usr/share/doc ($SRC_MB MiB of files): $V1_CHUNKS chunks of 64 KiB, $NCHUNKS distinct stored chunk files ($(calc %.1f "$CHUNK_BYTES / 1048576") MiB, mean $(calc %.0f "$CHUNK_BYTES / $NCHUNKS") bytes); $NRUNS runs of 64 chunks that hold data ($(calc %.1f "$RUN_BYTES / 1048576") MiB, mean $(calc %.0f "$RUN_BYTES / $NRUNS") bytes a run). Both servers serve the same folder; nginx as configured by tests/lib/common.sh (2 workers, sendfile, access log). Each wrk run \`-t2 -c32 -d${WRK_SECONDS}s\`, random paths from the list (tests/bench/wrk-chunks.lua); $WRK_PASSES passes alternating the servers; figures are the mean over passes. MB/s is 10^6 bytes/s of everything wrk read (headers included)."
	echo
	echo "| load | requests/s | MB/s | p50 ms | p99 ms | errors | vs nginx chunks (MB/s) | server CPU us/request | server CPU ms/MB |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for l in "nginx chunks:nginx, chunks:1.00" "strata chunks:strata-server, chunks:$r_mbs" "strata runs:strata-server, runs of 64 chunks:$r_run"; do
		IFS=: read -r key name vs <<<"$l"
		echo "| $name | $(wrk_stat "$key" rps) | $(wrk_stat "$key" mbs) | $(wrk_stat "$key" p50) | $(wrk_stat "$key" p99) | $(wrk_stat "$key" err) | $vs | $(wrk_stat "$key" cpu) | $(wrk_stat "$key" cpumb) |"
	done
	echo
	echo "strata/nginx for chunks: requests/s $r_rps, MB/s $r_mbs (per pass: $(pass_ratios)); server CPU per chunk request, strata/nginx: $(ratio "$(wrk_stat "strata chunks" cpu)" "$(wrk_stat "nginx chunks" cpu)") (server CPU: the process's user+system time from /proc over the wrk run, nginx's two workers; 10 ms ticks). Socket errors and non-2xx answers over all wrk runs: $wrk_err. Raw wrk runs (label, pass, requests, bytes, seconds, socket errors, non-2xx, p50 us, p99 us, server CPU ms):"
	echo
	echo '```'
	cat "$T/wrk.tsv"
	echo '```'
	echo
	echo "### 64 concurrent clients over 8 layers"
	echo
	echo "8 layers (16 MiB slices of the ext4 image), 64 clients at once: 32 \`strata-image apply --store $U/store\` (default jobs, at least 8 connections each; exit status and cmp with the slice) and 32 \`curl\` of the whole layer as one run (cmp with its chunk files). strata-server's VmRSS sampled every 0.5 s; two rounds on the same server."
	echo
	echo "| round | seconds | failed clients | bytes verified | RSS start kB | RSS min kB | RSS max kB | RSS end kB | samples |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	echo "| 1 | $c1_time | $c1_bad | $c1_bytes | $c1_start | $c1_min | $c1_max | $c1_end | $c1_n |"
	echo "| 2 | $c2_time | $c2_bad | $c2_bytes | $c2_start | $c2_min | $c2_max | $c2_end | $c2_n |"
	echo
	echo "Server log over both rounds: $c_reqs requests, $c_non200 not answered 200 (or aborted): $c_idx indexes, $c_runs runs ($((2 * 32)) of them the curl clients'; $c_run_chunks chunks in all), $c_chunks single chunks."
	echo
	echo "### Commands"
	echo
	echo '```'
	echo "strata-server --root ROOT --addr 127.0.0.1 --http-port P --tftp-port P2 --dhcp off --trusted-proxies 127.0.0.1"
	echo "in.tftpd -L -s DIR -a 127.0.0.1:P3"
	echo "atftp --option 'blksize 1468' --option 'windowsize N' -g -r big.bin -l OUT 127.0.0.1 PORT"
	echo "wrk -t2 -c32 -d${WRK_SECONDS}s --timeout 10s -s tests/bench/wrk-chunks.lua URL -- chunks.list|runs.list PASS"
	echo "strata-image apply --store http://127.0.0.1:P/store LAYER OUT;  curl -sf -o OUT http://127.0.0.1:P/store/runs/LAYER/0-N"
	echo '```'
	echo
	echo "### Goals"
	echo
	for g in "${goals[@]}"; do echo "- $g"; done
	echo
	echo "$nmet of ${#goals[@]} goals met in this run."
} >"$MD"

# The table on stdout.
{
	echo
	printf '%-44s %14s %14s %8s  %s\n' "TFTP 64 MiB, atftp blksize 1468" strata-server tftpd-hpa hpa/str ""
	for w in 1 4 16; do
		printf '%-44s %13ss %13ss %8s\n' "  windowsize $w (median of $TFTP_RUNS)" "$(tftp_med strata $w)" "$(tftp_med hpa $w)" "$(calc %.2f "$(tftp_med hpa $w) / $(tftp_med strata $w)")"
	done
	printf '%-44s %14s %14s %8s\n' "HTTP wrk -t2 -c32, mean of $WRK_PASSES" "req/s" "MB/s" "vs nginx"
	printf '%-44s %14s %14s %8s\n' "  nginx chunks" "$ng_rps" "$ng_mbs" 1.00
	printf '%-44s %14s %14s %8s\n' "  strata-server chunks" "$st_rps" "$st_mbs" "$r_mbs"
	printf '%-44s %14s %14s %8s\n' "  strata-server runs (64 chunks)" "$ru_rps" "$ru_mbs" "$r_run"
	printf '%-44s %14s %14s\n' "  server CPU us/request: nginx, strata" "$(wrk_stat "nginx chunks" cpu)" "$(wrk_stat "strata chunks" cpu)"
	printf '%-44s %s\n' "64 clients x 8 layers, 2 rounds" "round 1: ${c1_time}s, $c1_bad failed, RSS ${c1_start}/${c1_min}/${c1_max}/${c1_end} kB (start/min/max/end)"
	printf '%-44s %s\n' "" "round 2: ${c2_time}s, $c2_bad failed, RSS ${c2_start}/${c2_min}/${c2_max}/${c2_end} kB"
	echo
	for g in "${goals[@]}"; do echo "goal: $g" | tr -d '*'; done
	echo "$nmet of ${#goals[@]} goals met."
} | tee "$RES/server.txt"

# docs/benchmarks.md: replace only our section (between the markers), keep everything else.
DOC=$REPO/docs/benchmarks.md
mkdir -p "$REPO/docs"
doc_section "$DOC" server strata-server "Measured by tests/bench/server.sh." "$MD" || die "cannot update $DOC"
log "wrote $RES/server.md and the strata-server section of ${DOC#"$REPO"/}"
