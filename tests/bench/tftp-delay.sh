#!/bin/bash
# Benchmark of strata-server's TFTP windowsize against tftpd-hpa across a link with a real
# round trip: server and client in two network namespaces, joined through a third that
# delays every frame by DELAY_US (default 1000 us) each way.
#
# usage: bash tests/bench/tftp-delay.sh BUILD_DIR      (root: it makes namespaces)
#
# Why: on loopback (server.sh) a TFTP round trip costs only the two processes' CPU time,
# so windowing saves little; across a network each window of W blocks costs one round
# trip where tftpd-hpa (no windowsize, RFC 7440) pays one per block.  The kernel here has
# neither netem nor fq (which would honour a BPF program's departure times), so the delay
# is tests/tools/delay_link.c, compiled here: an AF_PACKET relay between two veth pairs
#     server ns: s0 10.77.0.1 <-> a0 [relay ns: delay_link a0 b0] b0 <-> c0 10.77.0.2 :client ns
# Before each transfer, ping (5 echoes after a warm-up one) measures the round trip the
# transfer will see.  A file of TFTP_KIB (default 8192) random KiB is fetched with atftp at
# blksize 1468 and windowsize 1, 4 and 16 from strata-server and from tftpd-hpa (in.tftpd
# -L), TFTP_RUNS (default 3) runs each, servers alternating; every download is compared
# with cmp.  Goal: window 16 at least 3x tftpd-hpa's speed (medians).  A benchmark, not a
# test: it fails only when something could not be measured, a download came back wrong or
# the relay dropped a frame.
#
# Results: a table on stdout, BUILD_DIR/bench/results/tftp-delay.md, and the "TFTP across
# a delayed link" section of docs/benchmarks.md between <!-- bench:tftp-delay begin -->
# and <!-- bench:tftp-delay end -->.  Takes about 3 minutes (tftpd-hpa's window-1 pace).
# Environment: STRATA_BENCH_DELAY_US (default 1000), STRATA_BENCH_TFTP_KIB (default 8192),
# STRATA_BENCH_TFTP_RUNS (default 3).
set -uo pipefail

BENCH=tftp-delay.sh
. "$(dirname "$0")/lib/common.sh"
[ $# -eq 1 ] || die "usage: tftp-delay.sh BUILD_DIR"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
bench_dirs "$1"
SRV=$BUILD/rel/strata-server
[ -x "$SRV" ] || die "$SRV not found: run 'make build-all' first"
PATH=$PATH:/usr/sbin:/sbin
need atftp atftp
need in.tftpd tftpd-hpa
need ping iputils-ping
need ip iproute2
need cc gcc
need cmp diffutils
need curl curl

DELAY_US=${STRATA_BENCH_DELAY_US:-1000}
TFTP_KIB=${STRATA_BENCH_TFTP_KIB:-8192}
TFTP_RUNS=${STRATA_BENCH_TFTP_RUNS:-3}
BLK=1468
RES=$BUILD/bench/results
mkdir -p "$RES"
SIP=10.77.0.1
CIP=10.77.0.2

T=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-tftpdelay.XXXXXX") || die "mktemp failed"
chmod 755 "$T"   # strata-server and in.tftpd serve as nobody
. "$ROOT/tests/lib/netns.sh"
netns_init 'rm -rf "$T"'

cc -O2 -Wall -Wextra -Werror -std=gnu11 -o "$T/delay_link" "$ROOT/tests/tools/delay_link.c" ||
	die "cannot compile tests/tools/delay_link.c"

# --- the link ---------------------------------------------------------------------------------
netns_add NS_S tftps && netns_add NS_M tftpm && netns_add NS_C tftpc || die "cannot create namespaces"
netns_veth "$NS_S" s0 "$NS_M" a0 && netns_veth "$NS_C" c0 "$NS_M" b0 || die "cannot create veths"
netns_addr "$NS_S" s0 "$SIP/24" && netns_addr "$NS_C" c0 "$CIP/24" || die "cannot address veths"
netns_spawn RELAY_PID "$NS_M" "$T/relay.log" "$T/delay_link" a0 b0 "$DELAY_US"
sleep 0.2
netns_alive "$RELAY_PID" || { cat "$T/relay.log" >&2; die "delay_link did not start"; }
inc() { ip netns exec "$NS_C" "$@"; }

# rtt: the mean round trip of 5 pings (after one to settle ARP and caches), in ms.
rtt() {
	inc ping -c 1 -W 2 "$SIP" >/dev/null 2>&1
	inc ping -c 5 -i 0.1 -W 2 "$SIP" 2>/dev/null | awk -F/ '/^rtt/ { print $5 }'
}
RTT0=$(rtt)
[ -n "$RTT0" ] || die "no ping across the relay"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "work folder $T; load average $LOAD_AT_START; round trip $RTT0 ms with $DELAY_US us each way"

# --- the servers ------------------------------------------------------------------------------
mkdir -p "$T/root/boot" "$T/root/store" "$T/hpa"
printf '# tftp-delay benchmark: no machines\ndefault local\n' >"$T/root/inventory.conf"
head -c $((TFTP_KIB << 10)) /dev/urandom >"$T/root/boot/big.bin"
ln "$T/root/boot/big.bin" "$T/hpa/big.bin"
chmod -R a+rX "$T/root" "$T/hpa"
netns_spawn SRV_PID "$NS_S" "$T/server.log" "$SRV" --root "$T/root" --addr "$SIP" \
	--http-port 8080 --tftp-port 69 --dhcp off
netns_spawn HPA_PID "$NS_S" "$T/hpa.log" in.tftpd -L -s "$T/hpa" -a "$SIP:6969"
for _ in $(seq 100); do
	ip netns exec "$NS_S" curl -s -o /dev/null "http://$SIP:8080/ipxe/boot.ipxe" && break
	netns_alive "$SRV_PID" || break
	sleep 0.1
done
netns_alive "$SRV_PID" || { tail -n 5 "$T/server.log" >&2; die "strata-server did not start"; }
netns_alive "$HPA_PID" || { cat "$T/hpa.log" >&2; die "in.tftpd did not start"; }

# --- transfers --------------------------------------------------------------------------------
# fetch PORT WINDOW: one atftp download into $T/got; its wall seconds (ms precision) in
# $T/time.out.  Returns atftp's status.
fetch() {
	local t0 rc
	rm -f "$T/got"
	t0=$(date +%s%N)
	timeout 600 ip netns exec "$NS_C" atftp --option "blksize $BLK" --option "windowsize $2" \
		-g -r big.bin -l "$T/got" "$SIP" "$1" >>"$T/atftp.log" 2>&1
	rc=$?
	echo "$t0 $(date +%s%N)" | awk '{ printf "%.3f\n", ($2 - $1) / 1e9 }' >"$T/time.out"
	return $rc
}
# One untimed transfer from each (the first after the setup is slower, as on loopback).
fetch 69 16; fetch 6969 16
: >"$T/runs.tsv"
for w in 1 4 16; do
	for r in $(seq "$TFTP_RUNS"); do
		for who in strata hpa; do
			[ $who = strata ] && port=69 || port=6969
			ms=$(rtt)
			fetch "$port" "$w"
			rc=$?
			cmp -s "$T/got" "$T/root/boot/big.bin" ||
				die "$who windowsize $w run $r: download differs (atftp rc $rc; see $T/atftp.log)"
			# who window run seconds rtt_ms
			echo -e "$who\t$w\t$r\t$(cat "$T/time.out")\t$ms" >>"$T/runs.tsv"
			log "$who window $w run $r: $(cat "$T/time.out") s, round trip $ms ms"
		done
	done
done
rm -f "$T/got"
netns_stop "$RELAY_PID"
RELAY=$(cat "$T/relay.log")
DROPS=$(awk '/^delay_link/ { for (i = 1; i <= NF; i++) if ($i ~ /^dropped=/) d += substr($i, 9) } END { print d + 0 }' "$T/relay.log")
[ "$DROPS" = 0 ] || die "the relay dropped $DROPS frames: the figures would measure retransmission ($RELAY)"
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F '\t' -v a="$1" -v w="$2" -v c="$3" '$1 == a && $2 == w { print $c }' "$T/runs.tsv"; }
med() { col "$1" "$2" "${3:-4}" | median; }
all() { col "$1" "$2" 4 | paste -sd, - | sed 's/,/, /g'; }
BYTES=$((TFTP_KIB << 10))
BLOCKS=$(( (BYTES + BLK) / BLK ))   # RFC 1350: a final short (or empty) block
RTT_MED=$(awk -F '\t' '{ print $5 }' "$T/runs.tsv" | median)
# model W: seconds if every window of W blocks costs one measured round trip and nothing else.
model() { awk -v b="$BLOCKS" -v w="$1" -v r="$RTT_MED" 'BEGIN { printf "%.2f", int((b + w - 1) / w) * r / 1000 }'; }
mbs() { awk -v b="$BYTES" -v s="$1" 'BEGIN { if (s > 0) printf "%.2f", b / s / 1e6; else print "n/a" }'; }
rows=()
for w in 1 4 16; do
	s=$(med strata $w); h=$(med hpa $w)
	rows+=("| $w | $s ($(mbs "$s") MB/s) | $h ($(mbs "$h") MB/s) | $(ratio "$h" "$s") | $(model "$w") | $(all strata $w) | $(all hpa $w) |")
done
R16=$(ratio "$(med hpa 16)" "$(med strata 16)")
awk -v r="$R16" 'BEGIN { exit !(r != "n/a" && r >= 3) }' && V16=met || V16="NOT met"
MD=$RES/tftp-delay.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r); load average $LOAD_AT_START at the start, $LOAD_AT_END at the end."
	echo "Link: strata-server and tftpd-hpa in one network namespace, atftp in another, joined by two veth pairs through a third namespace where tests/tools/delay_link (AF_PACKET) holds every frame $DELAY_US us, each way (this kernel has no netem and no fq, so tc cannot delay).  Round trip by ping before each transfer: $RTT_MED ms median (min $(awk -F '\t' '{ print $5 }' "$T/runs.tsv" | sort -g | head -n1), max $(awk -F '\t' '{ print $5 }' "$T/runs.tsv" | sort -g | tail -n1)); the relay dropped no frame ($(echo "$RELAY" | tr '\n' ';' | sed 's/;$//; s/;/; /g'))."
	echo "Peers: $(in.tftpd -V 2>&1 | head -n1 | cut -d, -f1) (in.tftpd -L), strata-server ${SRV#"$ROOT"/} (release build); client $(atftp --version 2>&1 | head -n1)."
	echo
	echo "A $(mib "$BYTES") MiB file of random bytes ($BLOCKS blocks of $BLK), \`atftp --option 'blksize $BLK' --option 'windowsize W'\`; seconds, median of $TFTP_RUNS runs after one untimed transfer from each server, servers alternating; every download compared with cmp. tftpd-hpa does not implement windowsize (RFC 7440) and sends one block per ACK whatever the client asks. \"One round trip per window\" is ceil(blocks / W) x the median ping round trip: the time a transfer takes when the round trip is all it pays."
	echo
	echo "| windowsize | strata-server s | tftpd-hpa s | hpa/strata | one round trip per window, s | strata runs | hpa runs |"
	echo "| ---: | ---: | ---: | ---: | ---: | --- | --- |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Goal: window 16 at least 3x tftpd-hpa: **$V16** (${R16}x)."
} >"$MD"
{
	echo
	printf '%-34s %14s %14s %8s %10s\n' "TFTP $(mib "$BYTES") MiB, rtt $RTT_MED ms" strata-server tftpd-hpa hpa/str "model s"
	for w in 1 4 16; do
		printf '%-34s %13ss %13ss %8s %10s\n' "  windowsize $w (median of $TFTP_RUNS)" "$(med strata $w)" "$(med hpa $w)" "$(ratio "$(med hpa $w)" "$(med strata $w)")" "$(model $w)"
	done
	echo "goal: window 16 at least 3x tftpd-hpa: $V16 (${R16}x)"
} | tee "$RES/tftp-delay.txt"
doc_section "$ROOT/docs/benchmarks.md" tftp-delay "TFTP across a delayed link" \
	"Measured by tests/bench/tftp-delay.sh." "$MD" || die "cannot update docs/benchmarks.md"
log "wrote $MD and the tftp-delay section of docs/benchmarks.md"
