#!/bin/bash
# Benchmark of strata.efi in a lab VM against iPXE alone, in the same VM and network.
#
# usage: bash tests/bench/efi.sh BUILD_DIR
#
# The lab is tests/lib/lab.sh's: network namespaces, dnsmasq as the site DHCP server,
# strata-server (release build), one QEMU VM with OVMF under TCG booting the iPXE ROM.
# The layer is a STRATA_BENCH_EFI_MIB (default 128) MiB ext4 image of this machine's
# /usr/share/doc and programs, about 60 % full.  Each round measures three boots:
#   full       strata.efi deploys the layer to an empty disk
#   unchanged  strata.efi redeploys it to the same disk: every chunk is already in place
#   plain      iPXE alone `imgfetch`es the layer's compressed chunks, concatenated into
#              one file, over HTTP from the same server (strata-server's /boot/ route;
#              dnsmasq hands iPXE the script by DHCP and strata-server's proxyDHCP is off)
# Times are taken on the host from strata-server's request log, stamped as lines arrive
# (a line is logged when its request completes, with its duration): strata.efi from the
# request for strata.efi to its final report (so its download, start, self-test, manifest,
# disk scan, fetch, inflate, verify and write all count against it); iPXE from a marker
# request before the imgfetch to one after it.  A round with a missing mark stops the run.  The agent's own clock
# (its final line) is shown beside.  Medians of STRATA_BENCH_RUNS rounds (default 3).
# Goals (issue 4): full <= 1.3x plain; unchanged < 0.1x full.
#
# Results: a table on stdout, BUILD_DIR/bench/results/efi.md, and the "strata.efi" section
# of docs/benchmarks.md between <!-- bench:efi begin --> and <!-- bench:efi end -->.
# Needs root (namespaces), qemu-system-x86, ovmf, ipxe-qemu, dnsmasq and `make build-all`.
# Takes about 1 minute per round on 2 cores.
set -uo pipefail

BENCH=efi.sh
. "$(dirname "$0")/lib/common.sh"

[ $# -eq 1 ] || die "usage: efi.sh BUILD_DIR"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such folder"
SI=$BUILD/rel/strata-image
EFI=$BUILD/efi/strata.efi
KEY=$BUILD/keys/strata.key
export STRATA_SERVER=$BUILD/rel/strata-server
RUNS=${STRATA_BENCH_RUNS:-3}
MIB=${STRATA_BENCH_EFI_MIB:-128}
MAC=52:54:00:5a:0b:01
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for f in "$SI" "$STRATA_SERVER" "$EFI" "$KEY"; do [ -f "$f" ] || die "$f not found: run 'make build-all'"; done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run 'make deps'"
. "$REPO/tests/lib/netns.sh"
. "$REPO/tests/lib/lab.sh"
. "$HERE/lib/doc.sh"

W=$(mktemp -d /tmp/strata-bench-efi.XXXXXX)
chmod 755 "$W"
LAB_RUN=$W/run
mkdir -p "$LAB_RUN" "$W/root/boot" "$BUILD/bench/results"
STAMPER=
netns_init '[ -n "$STAMPER" ] && kill -- -"$STAMPER" 2>/dev/null; [ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"'
LAB_VM_TIMEOUT=600

# The layer: docs and programs of this machine, deterministic UUIDs so runs compare.
make_layer() {
	local cap=$((MIB * 6 / 10 << 20)) sum=0 f sz
	mkdir -p "$W/tree"
	find /usr/share/doc /usr/bin -type f -size -8M | sort > "$W/files"
	while read -r f; do
		sz=$(stat -c %s "$f")
		[ $((sum + sz)) -lt "$cap" ] || break
		cp -p --parents "$f" "$W/tree/" 2>/dev/null && sum=$((sum + sz))
	done < "$W/files"
	mkfs.ext4 -q -F -U 5f1a2b3c-0000-4000-8000-00000000be01 -d "$W/tree" "$W/root.img" "${MIB}M" || return 1
	LAYER=$($SI build --store "$W/root/store" "$W/root.img" 2>/dev/null | tail -1)
	[ -n "$LAYER" ] || return 1
	# iPXE's file: every stored (non-zero) chunk of the layer, compressed, in order.
	$SI inspect --store "$W/root/store" --chunks "$LAYER" |
		awk '$1 == "chunk" && $3 == "offset" && $9 != "zero" { print substr($10, 1, 2) "/" $10 }' |
		(cd "$W/root/store/chunks" && xargs cat) > "$W/root/boot/bench-blob"
	BLOB_BYTES=$(stat -c %s "$W/root/boot/bench-blob")
	rm -rf "$W/tree"
}

setup_root() {
	cp "$EFI" "$W/root/boot/"
	echo start > "$W/root/boot/bench-start"
	echo end > "$W/root/boot/bench-end"
	cat > "$W/root/boot/bench.ipxe" <<EOF
#!ipxe
imgfetch http://$LAB_IP/boot/bench-start
imgfetch http://$LAB_IP/boot/bench-blob
imgfetch http://$LAB_IP/boot/bench-end
poweroff
EOF
	cat > "$W/root/inventory.conf" <<EOF
default local
profile bench
part label=root type=linux size=${MIB}M layer=$LAYER
machine $MAC name=bench1 profile=bench action=deploy
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

strata_boot() {   # strata_boot NAME: prints "span agent_s bytes"
	local n ms bytes t
	lab_curl -s -X POST "$(lab_url)/api/deploy/bench1" >/dev/null
	n=$(lines)
	lab_vm "$1" "$MAC" "$W/disk.img" || log "$1: the VM ended with status $?"
	sleep 0.5
	grep -q "strata.efi: deployment complete" "$LAB_RUN/$1.debug" || die "$1: no deployment (see $LAB_RUN/$1.debug)"
	ms=$(sed -n 's/.*deployment complete:.*, \([0-9]*\) ms.*/\1/p' "$LAB_RUN/$1.debug" | tr -d '\r')
	bytes=$(sed -n 's/.*chunks fetched (\([0-9]*\) bytes).*/\1/p' "$LAB_RUN/$1.debug" | tr -d '\r')
	t=$(span "$n" 'GET /boot/strata.efi ' 'GET /report/') || exit 1
	echo "$t $(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }') $bytes"
}

plain_boot() {   # plain_boot NAME: prints "span"
	local n pid i
	n=$(lines)
	truncate -s 64M "$W/plain.img"
	lab_vm "$1" "$MAC" "$W/plain.img" -pidfile "$W/$1.pid" & pid=$!
	for i in $(seq 3000); do
		tail -n +"$((n + 1))" "$W/stamped.log" | grep -q 'GET /boot/bench-end ' && break
		sleep 0.2
	done
	sleep 1
	[ -f "$W/$1.pid" ] && kill "$(cat "$W/$1.pid")" 2>/dev/null   # if iPXE has no poweroff
	wait "$pid"
	span "$n" 'GET /boot/bench-start ' 'GET /boot/bench-end '
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$W/$1.tsv" | median; }
verdict() { awk -v r="$1" -v g="$2" -v op="$3" 'BEGIN { if (r == "n/a") print "n/a"; else print ((op == "le" ? r <= g : r < g) ? "met" : "NOT met") }'; }

log "making a ${MIB} MiB layer"
make_layer || die "could not make the layer"
setup_root
log "layer $LAYER: $BLOB_BYTES compressed bytes"
lab_start "$W/root" "$KEY" || die "the lab did not start"
stamp_start
for r in $(seq "$RUNS"); do
	[ "$r" = 1 ] || services strata   # lab_start began with them
	rm -f "$W/disk.img"; truncate -s $((MIB + 8))M "$W/disk.img"
	strata_boot "full$r" >> "$W/full.tsv"
	strata_boot "same$r" >> "$W/same.tsv"
	services plain
	plain_boot "plain$r" >> "$W/plain.tsv"
	log "round $r: full $(tail -1 "$W/full.tsv"); unchanged $(tail -1 "$W/same.tsv"); plain $(tail -1 "$W/plain.tsv")"
done
stamp_stop

FULL=$(col full 1); SAME=$(col same 1); PLAIN=$(col plain 1)
R_FULL=$(ratio "$FULL" "$PLAIN"); R_SAME=$(ratio "$SAME" "$FULL")
MD=$BUILD/bench/results/efi.md
cat > "$MD" <<EOF
One VM (q35, OVMF, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }'), TCG, 1 GiB, virtio-net and virtio-blk) on a
bridge in a network namespace; $(nproc) host cores; strata-server release build; layer: a
$MIB MiB ext4 image, $(awk -v b="$BLOB_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MiB of compressed chunks.  Medians of $RUNS rounds, seconds on the host's clock
(the agent's own clock in brackets).

| run | time (s) | bytes fetched | vs | ratio | goal |
| --- | ---: | ---: | --- | ---: | --- |
| iPXE \`imgfetch\` of the compressed chunks | $PLAIN | $BLOB_BYTES | | | |
| strata.efi, full deployment to an empty disk | $FULL ($(col full 2)) | $(col full 3) | iPXE | $R_FULL | <= 1.3: $(verdict "$R_FULL" 1.3 le) |
| strata.efi, unchanged redeployment | $SAME ($(col same 2)) | $(col same 3) | full | $R_SAME | < 0.1: $(verdict "$R_SAME" 0.1 lt) |

Every round: full $(awk '{ printf "%s%s", s, $1; s = ", " }' "$W/full.tsv"); unchanged $(awk '{ printf "%s%s", s, $1; s = ", " }' "$W/same.tsv"); iPXE $(awk '{ printf "%s%s", s, $1; s = ", " }' "$W/plain.tsv").
Run: \`bash tests/bench/efi.sh build\` ($(date -u +%Y-%m-%d)).
EOF
cat "$MD"
doc_section "$REPO/docs/benchmarks.md" efi "strata.efi in a VM" "Measured by tests/bench/efi.sh." "$MD" \
	|| die "cannot update docs/benchmarks.md"
log "wrote $MD and the strata.efi section of docs/benchmarks.md"
