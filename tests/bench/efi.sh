#!/bin/bash
# Benchmark of strata.efi in a lab VM against iPXE alone, in the same VM and network.
#
# usage: bash tests/bench/efi.sh BUILD_DIR
#
# The lab is tests/lib/lab.sh's: network namespaces, dnsmasq as the site DHCP server,
# strata-server (release build), one QEMU VM with OVMF under multi-threaded TCG (-accel
# tcg,thread=multi: one host thread per vCPU) booting the iPXE ROM.  The layer is a
# STRATA_BENCH_EFI_MIB (default 128) MiB ext4 image of this machine's /usr/share/doc and
# programs, about 60 % full (lib/efilayer.sh).  Each round measures, for each vCPU count
# of STRATA_BENCH_EFI_SMP (default "2 1": every core of this 2-core host, then one), three
# boots in the same VM configuration:
#   full       strata.efi deploys the layer to an empty disk
#   unchanged  strata.efi redeploys it to the same disk: every chunk is already in place
#   plain      iPXE alone `imgfetch`es the layer's compressed chunks, concatenated into
#              one file, over HTTP from the same server (strata-server's /boot/ route;
#              dnsmasq hands iPXE the script by DHCP and strata-server's proxyDHCP is off)
# Times are taken on the host from strata-server's request log, stamped as lines arrive
# (a line is logged when its request completes, with its duration): strata.efi from the
# request for strata.efi to its final report (so its download, start, self-test, manifest,
# disk scan, fetch, inflate, verify and write all count against it); iPXE from a marker
# request before the imgfetch to one after it.  A round with a missing mark stops the run.
# The agent's own clock (its final line) is shown beside, and from the unchanged run's log
# the split of its check (disk reads against hashing, and the chunks each core hashed).
# Each strata.efi boot waits up to 30 s for a quiet host first and the host cores that
# other work kept busy during it are shown (lib/efilayer.sh).
# Medians of STRATA_BENCH_RUNS rounds (default 3).
# Goals (issues 4 and 18): full <= 1.3x plain with every core; unchanged < 0.1x full.
#
# Results: a table on stdout, BUILD_DIR/bench/results/efi.md, and the "strata.efi" section
# of docs/benchmarks.md between <!-- bench:efi begin --> and <!-- bench:efi end -->.
# Needs root (namespaces), qemu-system-x86, ovmf, ipxe-qemu, dnsmasq and `make build-all`.
# Takes about 2 minutes per round on 2 cores.
set -uo pipefail

BENCH=efi.sh
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/efilayer.sh"

[ $# -eq 1 ] || die "usage: efi.sh BUILD_DIR"
RUNS=${STRATA_BENCH_RUNS:-3}
MIB=${STRATA_BENCH_EFI_MIB:-128}
SMPS=${STRATA_BENCH_EFI_SMP:-2 1}
MAC=52:54:00:5a:0b:01
STAMPER=
efilayer_setup "$1" efi '[ -n "$STAMPER" ] && kill -- -"$STAMPER" 2>/dev/null'
LAB_VM_TIMEOUT=600
LAB_ACCEL=tcg,thread=multi

setup_root() {
	efilayer_root "$MAC" "$MIB"
	echo start > "$W/root/boot/bench-start"
	echo end > "$W/root/boot/bench-end"
	cat > "$W/root/boot/bench.ipxe" <<EOF
#!ipxe
imgfetch http://$LAB_IP/boot/bench-start
imgfetch http://$LAB_IP/boot/bench-blob
imgfetch http://$LAB_IP/boot/bench-end
poweroff
EOF
	chmod -R a+rX "$W/root"
}

# Stamp each line of the server's log with the host's clock as it arrives.
stamp_start() {
	setsid bash -c 'tail -n +1 -F "$1" 2>/dev/null | while IFS= read -r l; do
		printf "%s %s\n" "$EPOCHREALTIME" "$l"; done' _ "$LAB_RUN/server.log" >> "$W/stamped.log" &
	STAMPER=$!
}
stamp_stop() { [ -n "$STAMPER" ] && kill -- -"$STAMPER" 2>/dev/null; STAMPER=; }

services() {   # services strata|plain
	stamp_stop
	lab_stop_services
	if [ "$1" = plain ]; then
		LAB_SERVER_OPTS="--dhcp off" LAB_DNSMASQ_OPTS="--dhcp-match=set:ipxe,175 \
--dhcp-boot=tag:ipxe,http://$LAB_IP/boot/bench.ipxe" lab_services "$W/root" "$KEY"
	else
		lab_services "$W/root" "$KEY"
	fi || die "the lab's services did not start"
	stamp_start
}

# Seconds from the request of the first line matching A (the server logs a request when it
# completes, with its duration: the stamp minus that) to the last line matching B, after
# line N; dies when either is missing, so a failed round never counts.
span() {
	local s
	s=$(awk -v n="$1" -v a="$2" -v b="$3" '
		function took(  i) { for (i = NF; i > 2; i--) if ($i ~ /^[0-9]+\.[0-9]+s$/) return $i + 0; return 0 }
		NR > n && !t0 && $0 ~ a { t0 = $1 - took() }
		NR > n && t0 && $0 ~ b { t1 = $1 }
		END { if (t0 && t1) printf "%.2f\n", t1 - t0 }' "$W/stamped.log")
	[ -n "$s" ] || die "no '$2' ... '$3' in the server's log (see $LAB_RUN)"
	echo "$s"
}
lines() { wc -l < "$W/stamped.log"; }

# What boot NAME's agent logged about its check, "check read hashing bsp ap wait" (ms and
# chunks), from "layer root: T ms: check C (disk read R, hashing H), ..." and "layer root:
# cores N: B chunks hashed or inflated on the boot processor, A on the others; W ms
# waiting for them".
check_split() {
	local t
	t=$(efilayer_line "$1" "layer root: [0-9]* ms: check" |
		sed -n 's/.*check \([0-9]*\) (disk read \([0-9]*\), hashing \([0-9]*\)).*/\1 \2 \3/p')
	echo "${t:-n/a n/a n/a} $(efilayer_cores "$1")"
}

# strata_boot NAME SMP, after waiting up to 30 s for a quiet host: prints "span agent_s
# bytes", check_split's six numbers and the host cores other work kept busy meanwhile.
strata_boot() {
	local n ms bytes t
	n=$(lines)
	efilayer_quiet 30 >/dev/null
	LAB_SMP=$2 efilayer_boot "$1" "$MAC"
	sleep 0.5
	ms=$(efilayer_line "$1" "deployment complete:" | sed -n 's/.*, \([0-9]*\) ms.*/\1/p')
	bytes=$(efilayer_line "$1" "chunks fetched (" | sed -n 's/.*chunks fetched (\([0-9]*\) bytes).*/\1/p')
	t=$(span "$n" 'GET /boot/strata.efi ' 'GET /report/') || exit 1
	echo "$t $(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }') $bytes $(check_split "$1") $(efilayer_others "$1")"
}

# plain_boot NAME SMP: prints "span".
plain_boot() {
	local n pid i
	n=$(lines)
	truncate -s 64M "$W/plain.img"
	LAB_SMP=$2 lab_vm "$1" "$MAC" "$W/plain.img" -pidfile "$W/$1.pid" & pid=$!
	for i in $(seq 3000); do
		tail -n +"$((n + 1))" "$W/stamped.log" | grep -q 'GET /boot/bench-end ' && break
		sleep 0.2
	done
	sleep 1
	[ -f "$W/$1.pid" ] && kill "$(cat "$W/$1.pid")" 2>/dev/null   # if iPXE has no poweroff
	wait "$pid"
	span "$n" 'GET /boot/bench-start ' 'GET /boot/bench-end '
}

col() { awk -v c="$2" '{ print $c }' "$W/$1.tsv" | median; }
every() { awk '{ printf "%s%s", s, $1; s = ", " }' "$W/$1.tsv"; }
verdict() { awk -v r="$1" -v g="$2" -v op="$3" 'BEGIN { if (r == "n/a") print "n/a"; else print ((op == "le" ? r <= g : r < g) ? "met" : "NOT met") }'; }

# The table's three rows for S vCPUs.
rows() {
	local s=$1 full plain same rf rs
	full=$(col "full$s" 1); same=$(col "same$s" 1); plain=$(col "plain$s" 1)
	rf=$(ratio "$full" "$plain"); rs=$(ratio "$same" "$full")
	echo "| $s | iPXE \`imgfetch\` of the compressed chunks | $plain | $BLOB_BYTES | | | |"
	echo "| $s | strata.efi, full deployment to an empty disk | $full ($(col "full$s" 2)) | $(col "full$s" 3) | iPXE | $rf | <= 1.3: $(verdict "$rf" 1.3 le) |"
	echo "| $s | strata.efi, unchanged redeployment | $same ($(col "same$s" 2)) | $(col "same$s" 3) | full | $rs | < 0.1: $(verdict "$rs" 0.1 lt) |"
}

# The unchanged run's check for S vCPUs, and every round's times.
split_line() {
	local s=$1
	echo "- $s vCPU(s): check $(col "same$s" 4) ms: disk read $(col "same$s" 5), hashing" \
		"$(col "same$s" 6) (the boot processor's time in the cores' batches); chunks" \
		"hashed or judged $(col "same$s" 7) on the boot processor, $(col "same$s" 8) on the" \
		"others, $(col "same$s" 9) ms waiting for them.  Every round: full $(every "full$s");" \
		"unchanged $(every "same$s"); iPXE $(every "plain$s"); host cores busy with other" \
		"work during the full and unchanged boots: $(awk '{ printf "%s%s", s, $10; s = ", " }' "$W/full$s.tsv");" \
		"$(awk '{ printf "%s%s", s, $10; s = ", " }' "$W/same$s.tsv")."
}

log "making a ${MIB} MiB layer"
efilayer_make "$MIB" 5f1a2b3c-0000-4000-8000-00000000be01 || die "could not make the layer"
BLOB_BYTES=$(efilayer_blob "$W/root/boot/bench-blob")
DATA=$(efilayer_data_bytes)
setup_root
log "layer $LAYER: $BLOB_BYTES compressed bytes, $DATA bytes of data chunks"
lab_start "$W/root" "$KEY" || die "the lab did not start"
stamp_start
FRESH=1                                      # lab_start began with strata's services
for r in $(seq "$RUNS"); do
	for s in $SMPS; do
		[ "$FRESH" = 1 ] || services strata
		FRESH=0
		rm -f "$W/disk.img"; truncate -s $((MIB + 8))M "$W/disk.img"
		strata_boot "full$s-$r" "$s" >> "$W/full$s.tsv"
		strata_boot "same$s-$r" "$s" >> "$W/same$s.tsv"
		services plain
		plain_boot "plain$s-$r" "$s" >> "$W/plain$s.tsv"
		log "round $r, $s vCPU(s): full $(tail -1 "$W/full$s.tsv"); unchanged $(tail -1 "$W/same$s.tsv"); plain $(tail -1 "$W/plain$s.tsv")"
	done
done
stamp_stop

FIRST=${SMPS%% *}
STATS=$(efilayer_line "same$FIRST-1" "layer root: [0-9]* chunks:" | sed 's/.*layer root: //')
MD=$BUILD/bench/results/efi.md
{
	cat <<EOF
One VM (q35, OVMF, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }'), multi-threaded TCG, 1 GiB, virtio-net and virtio-blk) on a
bridge in a network namespace, the same vCPU count for strata.efi and iPXE; $(nproc) host cores
(load average $(cut -d' ' -f1-3 /proc/loadavg) at the end); strata-server release build; layer: a
$MIB MiB ext4 image, $(mib "$BLOB_BYTES") MiB of compressed chunks, $(mib "$DATA") MiB of data chunks.  Medians of $RUNS rounds,
seconds on the host's clock (the agent's own clock in brackets).

| vCPUs | run | time (s) | bytes fetched | vs | ratio | goal |
| ---: | --- | ---: | ---: | --- | ---: | --- |
EOF
	for s in $SMPS; do rows "$s"; done
	echo
	echo "The unchanged redeployment's check, from the agent's log (medians, milliseconds on its clock;"
	echo "its chunks: \`$STATS\`):"
	echo
	for s in $SMPS; do split_line "$s"; done
	echo
	echo "Run: \`bash tests/bench/efi.sh build\` ($(date -u +%Y-%m-%d))."
} > "$MD"
cat "$MD"
doc_section "$REPO/docs/benchmarks.md" efi "strata.efi in a VM" "Measured by tests/bench/efi.sh." "$MD" \
	|| die "cannot update docs/benchmarks.md"
log "wrote $MD and the strata.efi section of docs/benchmarks.md"
