#!/bin/bash
# Benchmark of capture (issue 12) against Clonezilla's pipeline and casync, in one run.
#
# usage: bash tests/bench/capture.sh BUILD_DIR [--vm]
#
# The images are tests/bench/mkimages.sh's v1.img and v2.img (cached in
# BUILD_DIR/bench/images, the same as image.sh's): a 1 GiB ext4 of real files, and v2 the
# same filesystem after a small "OS update" written in place with debugfs -w.
#
# (a) First capture of v1.img, each timed (median of STRATA_BENCH_RUNS, default 3; page
#     cache dropped first when /proc/sys/vm/drop_caches is writable; every command ends
#     with `sync` of what it wrote):
#       - partclone.ext4 -c -s v1.img -o - | gzip -c > FILE  (Clonezilla's pipeline;
#         gzip at its default level 6, one core, as partclone's image through gzip)
#       - casync make --store=DIR v1.caibx v1.img  (default chunking)
#       - strata-image build --store DIR v1.img  (a folder store: the reference)
#       - strata-image build --store URL --token T --part data v1.img: a machine capture
#         uploaded to a fresh strata-server (release build) in a network namespace of its
#         own, over its loopback (hello, need, sealed chunk uploads, commit).  A new
#         server root and task before each run (not timed).
# (b) Repeat capture: on the server that holds v1's capture, `strata-image capture-done`,
#     a new task, then v2.img uploaded the same way.  Bytes: strata-image's --json
#     bytes_uploaded; every byte on the namespace's loopback during the upload (both
#     directions, TCP/IP headers included: rx_bytes of lo); the server's recorded
#     generations.uploaded.  The yardstick is the stored size of the changed chunks: the
#     chunk files a folder store that holds v1's layer gains when v2 is built into it.
#     Beside it what the peers move for v2: partclone | gzip writes the whole image again,
#     casync make into a store holding v1 adds the chunk files it lacks.
#
# (c) With --vm, only this (run it under `flock /work/vm.lock`): in tests/lib/lab.sh's lab
#     (QEMU/OVMF under TCG, the iPXE ROM, strata-server's release build), a
#     STRATA_BENCH_CAPVM_MIB (default 256) MiB ext4 of this machine's /usr/share/doc as the
#     layer of a capture=yes partition: boot 1 deploys it to an empty disk (full
#     deployment), then a machine capture is ordered and boot 2 captures it (have/need,
#     sealed uploads, commit, done).  One boot each; time: the host's wall clock of each
#     boot (QEMU start to power-off: firmware and iPXE count in both), the agent's own
#     clock for the deployment beside it.
#
# Results: BUILD_DIR/bench/results/capture.md (capture-vm.md) and the section "Capture"
# ("Capture in a VM") of docs/benchmarks.md (between its markers).  Ratios, not pass/fail:
# the goals are the issue's.  Needs root (the namespaces), partclone, casync, curl,
# sqlite3; --vm also QEMU, OVMF, ipxe-qemu, dnsmasq and BUILD_DIR/efi/strata.efi.
# Takes about 5 minutes with 3 runs on 2 cores; --vm about 3 minutes.
set -euo pipefail

BENCH=capture.sh
. "$(dirname "$0")/lib/common.sh"

case ${1:-} in
	-h|--help) sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
VM=0
[ "${2:-}" = --vm ] && { VM=1; set -- "$1"; }
[ $# -eq 1 ] || die "usage: capture.sh BUILD_DIR [--vm] (or --help)"
bench_dirs "$1"
SRV=$BUILD/rel/strata-server
for f in "$SI" "$SRV"; do
	[ -x "$f" ] || die "$f not found: run 'make build/rel/strata-image build/rel/strata-server'"
done
[ "$(id -u)" = 0 ] || die "needs root (a network namespace for the server's loopback)"
PATH=$PATH:/usr/sbin:/sbin
need partclone.ext4 partclone
need casync casync
need gzip gzip
need curl curl
need sqlite3 sqlite3
need ip iproute2
need perl perl-base
[ -x /usr/bin/time ] || die "missing /usr/bin/time (install: time)"

RUNS=${STRATA_BENCH_RUNS:-3}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -w /proc/sys/vm/drop_caches ] && (echo 1 >/proc/sys/vm/drop_caches) 2>/dev/null; then
	DROP='sync; echo 3 >/proc/sys/vm/drop_caches'; CACHE_MODE=cold
else
	DROP='sync'; CACHE_MODE=warm
fi

IMG=$BUILD/bench/images
bash "$HERE/mkimages.sh" "$IMG" || die "mkimages.sh failed"
V1=$IMG/v1.img
V2=$IMG/v2.img
RES=$BUILD/bench/results
mkdir -p "$RES"

T=$(mktemp -d /tmp/strata-bench-capture.XXXXXX)
chmod 755 "$T"
. "$ROOT/tests/lib/netns.sh"
netns_init 'rm -rf "$T"'
netns_add NS capbench || die "cannot create a network namespace"
PORT=8080
U=http://127.0.0.1:$PORT
MAC=52:54:00:5e:00:02
inns() { ip netns exec "$NS" "$@"; }
lo_bytes() { inns cat /sys/class/net/lo/statistics/rx_bytes; }

# --- (c) in a VM: --vm ---------------------------------------------------------------------------
# vm_layer: the VM's layer, a VMMIB MiB ext4 of /usr/share/doc, built into $VR/store; sets
# VLAYER.
vm_layer() {
	log "making a $VMMIB MiB ext4 of /usr/share/doc as the layer"
	mkfs.ext4 -q -F -b 4096 -U 5f1a2b3c-0000-4000-8000-00000000ca01 -d /usr/share/doc "$T/layer.img" "${VMMIB}M" ||
		die "mkfs.ext4 -d /usr/share/doc failed (is it over $VMMIB MiB? set STRATA_BENCH_CAPVM_MIB)"
	VLAYER=$("$SI" build --store "$VR/store" "$T/layer.img" 2>"$T/layer.log" | tail -n1)
	case $VLAYER in sha256:*) ;; *) die "strata-image build printed no layer id" ;; esac
}
# vm_boot NAME: boot the lab's VM on $T/disk.img; prints the host's seconds for the boot.
vm_boot() {
	local t0 t1
	log "boot: $1"
	t0=$(date +%s.%N)
	lab_vm "$1" "$VMAC" "$T/disk.img" >&2 || log "$1: the VM ended with status $?"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
}
# vm_part: deploy the layer in the lab, then capture it; the section "Capture in a VM".
vm_part() {
	local efi=$BUILD/efi/strata.efi key=$BUILD/keys/strata.key dt ct ms line chunks
	for f in "$efi" "$key"; do [ -f "$f" ] || die "$f not found: run 'make build-all'"; done
	need qemu-system-x86_64 qemu-system-x86
	need dnsmasq dnsmasq-base
	export STRATA_SERVER=$SRV
	local timeout=${LAB_VM_TIMEOUT:-1200}   # lab.sh, sourced next, sets its own default
	. "$ROOT/tests/lib/lab.sh"
	LAB_RUN=$T/lab
	LAB_VM_TIMEOUT=$timeout
	VMMIB=${STRATA_BENCH_CAPVM_MIB:-256} VR=$T/vmroot VMAC=52:54:00:5a:0c:01
	mkdir -p "$LAB_RUN" "$VR/boot" "$VR/store"
	vm_layer
	cp "$efi" "$VR/boot/"
	printf 'default local\nprofile bench\npart label=data type=linux size=%sM layer=%s capture=yes\nmachine %s name=bench1 profile=bench action=deploy\n' \
		"$VMMIB" "$VLAYER" "$VMAC" >"$VR/inventory.conf"
	chmod -R a+rwX "$VR"
	lab_start "$VR" "$key" || die "the lab did not start (see $LAB_RUN)"
	truncate -s $((VMMIB + 8))M "$T/disk.img"
	lab_curl -s -X POST "$(lab_url)/api/deploy/bench1" >/dev/null
	dt=$(vm_boot deploy)
	grep -aq "strata.efi: deployment complete" "$LAB_RUN/deploy.debug" || die "no deployment (see $LAB_RUN/deploy.debug)"
	ms=$(sed -n 's/.*deployment complete:.*, \([0-9]*\) ms.*/\1/p' "$LAB_RUN/deploy.debug" | tr -d '\r')
	lab_curl -s -X POST "$(lab_url)/api/capture/bench1" | grep -q '"kind": "machine"' || die "the capture order was refused"
	chunks=$(grep -c 'POST /capture/chunk/[0-9a-f]* 200' "$LAB_RUN/server.log" || true)
	ct=$(vm_boot capture)
	grep -aq "strata.efi: capture complete" "$LAB_RUN/capture.debug" || die "no capture (see $LAB_RUN/capture.debug)"
	grep -aq "capture: part data (ext4): layer ${VLAYER:0:23}\.\." "$LAB_RUN/capture.debug" ||
		die "the captured layer is not the deployed one ($VLAYER; see $LAB_RUN/capture.debug)"
	line=$(grep -a 'capture: part data (ext4)' "$LAB_RUN/capture.debug" | tr -d '\r' | sed 's/.*: layer/layer/')
	chunks=$(($(grep -c 'POST /capture/chunk/[0-9a-f]* 200' "$LAB_RUN/server.log" || true) - chunks))
	MD=$RES/capture-vm.md
	{
		echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); one VM (q35, OVMF, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }'), TCG, 1 GiB, virtio-net and virtio-blk, the iPXE ROM) in tests/lib/lab.sh's lab; $(nproc) host cores, load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; strata-server release build.  Layer: a $VMMIB MiB ext4 of /usr/share/doc ($(tail -n2 "$T/layer.log" | head -n1 | sed 's/^[^:]*: //')).  One boot each; seconds on the host's clock from QEMU's start to its power-off (firmware, iPXE and strata.efi's download count in both)."
		echo
		echo "| boot | time (s) | / full deployment |"
		echo "| --- | ---: | ---: |"
		echo "| full deployment to an empty disk (agent's clock: $(awk -v m="${ms:-0}" 'BEGIN { printf "%.1f", m / 1000 }') s) | $dt | 1.00 |"
		echo "| machine capture of the same partition ($chunks chunk uploads answered 200) | $ct | $(ratio "$ct" "$dt") |"
		echo
		echo "strata.efi's capture line: \`$line\`."
	} >"$MD"
	cat "$MD"
	doc_section "$ROOT/docs/benchmarks.md" capture-vm "Capture in a VM" "Generated by \`flock /work/vm.lock bash tests/bench/capture.sh build --vm\` (other helpers' builds, tests and VMs were running on the shared 2-core machine: compare ratios within one run only)." "$MD" ||
		die "cannot update docs/benchmarks.md"
	log "wrote $MD and the section in docs/benchmarks.md"
}
if [ "$VM" = 1 ]; then
	vm_part
	exit 0
fi

# --- the server ---------------------------------------------------------------------------
SRV_PID=
ADMIN=
# server_fresh: stop the server if one runs, make a new root (pc02's data partition
# capture=yes, as in tests/security/capture-seal.sh) and start it; sets SRV_PID.
server_fresh() {
	[ -z "$SRV_PID" ] || netns_stop "$SRV_PID"
	SRV_PID=
	rm -rf "$T/root"
	mkdir -p "$T/root/boot" "$T/root/store"
	cat >"$T/root/inventory.conf" <<EOF
default local

profile lab
disk min-size=2G
part label=CIDATA type=basic size=8M layer=machine
part label=data type=linux size=rest policy=preserve capture=yes

machine 52:54:00:5e:00:02 name=pc02 profile=lab
EOF
	ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf 'admin %s\n' "$ADMIN" >"$T/root/api-tokens"
	chmod -R a+rwX "$T/root"
	netns_spawn SRV_PID "$NS" "$T/server.log" "$SRV" --root "$T/root" --addr 127.0.0.1 \
		--http-port "$PORT" --tftp-port 6969 --dhcp off --api-tokens "$T/root/api-tokens"
	for _ in $(seq 300); do
		grep -q '^strata-server: serving ' "$T/server.log" && return 0
		netns_alive "$SRV_PID" || break
		sleep 0.1
	done
	tail -n 5 "$T/server.log" >&2
	die "strata-server did not start"
}
# order: a new machine capture task for pc02; prints its token.
order() {
	inns curl -s -X POST -H "Authorization: Bearer $ADMIN" "$U/api/capture/pc02" |
		sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p'
}

# --- timing -----------------------------------------------------------------------------
: >"$T/runs.tsv"
# timed NAME PREP CMD: RUNS times: PREP (not timed), drop caches, CMD timed by GNU time;
# "NAME wall user sys" lines into $T/runs.tsv.  PREP and CMD run in bash.
timed() {
	local name=$1 prep=$2 cmd=$3 r
	for r in $(seq "$RUNS"); do
		bash -c "$prep" >>"$T/prep.log" 2>&1 || die "$name: preparation failed (see $T/prep.log)"
		sh -c "$DROP"
		log "$name ($r/$RUNS)"
		/usr/bin/time -o "$T/time.out" -f '%e %U %S' bash -c "$cmd" >"$T/cmd.log" 2>&1 ||
			{ tail -n 20 "$T/cmd.log" >&2; die "$name failed: $cmd"; }
		echo "$name $(tail -n1 "$T/time.out")" >>"$T/runs.tsv"
	done
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
t_of() { awk -v n="$1" -v c="${2:-2}" '{ k = $1; for (i = 2; i <= NF - 3; i++) k = k " " $i } k == n { print $(NF - 3 + c - 1) }' "$T/runs.tsv" | median; }

# --- (a) first capture -----------------------------------------------------------------------
PC=$T/pc.img.gz
timed "partclone.ext4 -c | gzip" "rm -f $PC" \
	"partclone.ext4 -c -s $V1 -o - -L $T/pc.log 2>/dev/null | gzip -c >$PC && sync $PC"
PC1_BYTES=$(stat -c %s "$PC")
rm -f "$PC"
timed "casync make" "rm -rf $T/ca $T/v1.caibx" \
	"casync make --store=$T/ca $T/v1.caibx $V1 && sync -f $T/ca"
CA1_BYTES=$(du -sb "$T/ca" | cut -f1)
timed "strata-image build --store DIR" "rm -rf $T/dir" \
	"$SI build --store $T/dir $V1 >$T/dir.id 2>/dev/null && sync -f $T/dir"
DIR1_BYTES=$(du -sb "$T/dir/chunks" | cut -f1)
L1=$(tail -n1 "$T/dir.id")
for r in $(seq "$RUNS"); do
	server_fresh
	TK=$(order)
	[ -n "$TK" ] || die "the capture order for pc02 was refused (see $T/server.log)"
	sh -c "$DROP"
	log "strata-image build --store URL ($r/$RUNS)"
	/usr/bin/time -o "$T/time.out" -f '%e %U %S' ip netns exec "$NS" \
		"$SI" build --store "$U" --token "$TK" --part data --json "$V1" >"$T/up1.json" 2>"$T/up1.err" ||
		{ tail -n 20 "$T/up1.err" >&2; die "the capture of v1.img failed"; }
	echo "strata-image build --store URL $(tail -n1 "$T/time.out")" >>"$T/runs.tsv"
done
json() { perl -ne 'print $1 if /"'"$1"'": "?([0-9a-z:.]+)/' "$2"; }
[ "$(json layer "$T/up1.json")" = "$L1" ] || die "the uploaded layer is not the folder store's ($L1)"
UP1=$(json bytes_uploaded "$T/up1.json")

# --- (b) repeat capture after a small change ---------------------------------------------------
inns "$SI" capture-done --store "$U" --token "$TK" >/dev/null 2>&1 || die "capture-done failed"
TK=$(order)
[ -n "$TK" ] || die "the second capture order was refused"
sh -c "$DROP"
log "repeat capture of v2.img"
LO0=$(lo_bytes)
/usr/bin/time -o "$T/time.out" -f '%e %U %S' ip netns exec "$NS" \
	"$SI" build --store "$U" --token "$TK" --part data --json "$V2" >"$T/up2.json" 2>"$T/up2.err" ||
	{ tail -n 20 "$T/up2.err" >&2; die "the capture of v2.img failed"; }
LO1=$(lo_bytes)
echo "repeat strata-image build --store URL $(tail -n1 "$T/time.out")" >>"$T/runs.tsv"
UP2=$(json bytes_uploaded "$T/up2.json")
CH2=$(json chunks_uploaded "$T/up2.json")
PR2=$(json chunks_present "$T/up2.json")
WIRE2=$((LO1 - LO0))
GEN2=$(sqlite3 "$T/root/state/strata.db" "SELECT uploaded FROM generations ORDER BY id DESC LIMIT 1")
netns_stop "$SRV_PID"; SRV_PID=

# The yardstick: chunk files the folder store holding v1 gains with v2.
(cd "$T/dir/chunks" && find . -type f -printf '%P %s\n' | sort) >"$T/dir1.lst"
timed "repeat strata-image build --store DIR" "" \
	"$SI build --store $T/dir $V2 >/dev/null 2>&1 && sync -f $T/dir"
(cd "$T/dir/chunks" && find . -type f -printf '%P %s\n' | sort) >"$T/dir2.lst"
read -r NCH NCB < <(awk 'NR == FNR { have[$1] = 1; next } !($1 in have) { n++; b += $2 } END { printf "%d %d\n", n, b }' "$T/dir1.lst" "$T/dir2.lst")
# casync: chunk files a store holding v1 gains with v2.
(cd "$T/ca" && find . -name '*.cacnk' -printf '%P\n' | sort) >"$T/ca1.lst"
casync make --store="$T/ca" "$T/v2.caibx" "$V2" >/dev/null
read -r CAN CAB < <((cd "$T/ca" && find . -name '*.cacnk' -printf '%P %s\n' | sort) |
	awk 'NR == FNR { have[$1] = 1; next } !($1 in have) { n++; b += $2 } END { printf "%d %d\n", n, b }' "$T/ca1.lst" -)
partclone.ext4 -c -s "$V2" -o - -L "$T/pc2.log" 2>/dev/null | gzip -c >"$PC"
PC2_BYTES=$(stat -c %s "$PC")
rm -f "$PC"

# --- report -------------------------------------------------------------------------------------
P=$(t_of "partclone.ext4 -c | gzip")
CA=$(t_of "casync make")
SD=$(t_of "strata-image build --store DIR")
SU=$(t_of "strata-image build --store URL")
RU=$(t_of "repeat strata-image build --store URL")
RD=$(t_of "repeat strata-image build --store DIR")
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "n/a" && r <= g) ? "met" : "NOT met" }'; }
R_TIME=$(ratio "$SU" "$P")
R_UP=$(ratio "$UP2" "$NCB")
R_WIRE=$(ratio "$WIRE2" "$NCB")
row() { echo "| $1 | $(t_of "$2" 2) | $(t_of "$2" 3) | $(t_of "$2" 4) | $(ratio "$(t_of "$2")" "$P") | $(ratio "$(t_of "$2")" "$CA") | $3 |"; }
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MD=$RES/capture.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $CPU, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end. Cache: $CACHE_MODE. Times: medians of $RUNS runs (the repeat captures: one run), wall seconds with user and system CPU seconds."
	echo "Tools: strata-image and strata-server (${SI#"$ROOT"/}, ${SRV#"$ROOT"/}), $(partclone.ext4 --version 2>&1 | head -n1 | sed 's/ *$//'), $(gzip --version | head -n1), $(casync --version 2>&1 | head -n1)."
	echo
	echo "Images (tests/bench/mkimages.sh):"
	echo
	echo '```'
	cat "$IMG/images.txt"
	echo '```'
	echo
	echo "**(a) First capture of v1.img.**"
	echo
	echo "| command | wall (s) | user (s) | sys (s) | / partclone+gzip | / casync | output (MiB) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	row "partclone.ext4 -c \\| gzip" "partclone.ext4 -c | gzip" "$(mib "$PC1_BYTES")"
	row "casync make" "casync make" "$(mib "$CA1_BYTES")"
	row "strata-image build --store DIR" "strata-image build --store DIR" "$(mib "$DIR1_BYTES")"
	row "strata-image build --store URL --token T --part data (upload)" "strata-image build --store URL" "$(mib "$UP1") uploaded"
	echo
	echo "Goal: capture time <= 1.00 x partclone+gzip: strata (upload) / partclone+gzip = **$R_TIME**: $(verdict "$R_TIME" 1.0)."
	echo
	echo "**(b) Repeat capture of v2.img** (v1.img's capture committed, capture-done, a new task): $PR2 chunks present, $CH2 uploaded; $(t_of "repeat strata-image build --store URL") s (the folder-store build of v2 into the store holding v1: $RD s)."
	echo
	echo "| bytes | MiB | / changed chunks' stored size |"
	echo "| --- | ---: | ---: |"
	echo "| changed chunks' stored size (the $NCH chunk files a folder store holding v1 gains with v2) | $(mib "$NCB") | 1.00 |"
	echo "| strata-image --json bytes_uploaded | $(mib "$UP2") | $R_UP |"
	echo "| the server's generations.uploaded | $(mib "$GEN2") | $(ratio "$GEN2" "$NCB") |"
	echo "| every byte on the namespace's loopback during the upload (both directions, TCP/IP headers) | $(mib "$WIRE2") | $R_WIRE |"
	echo "| casync make: chunk files a store holding v1 gains ($CAN) | $(mib "$CAB") | $(ratio "$CAB" "$NCB") |"
	echo "| partclone.ext4 -c \\| gzip of v2 (the whole image again) | $(mib "$PC2_BYTES") | $(ratio "$PC2_BYTES" "$NCB") |"
	echo
	echo "Goal: bytes uploaded <= 1.10 x the changed chunks' stored size: **$R_UP** (bytes_uploaded), **$R_WIRE** (all loopback traffic): $(verdict "$R_WIRE" 1.1)."
	echo
	echo "Commands:"
	echo
	echo '```'
	echo "partclone.ext4 -c -s v1.img -o - | gzip -c > pc.img.gz"
	echo "casync make --store=CA v1.caibx v1.img"
	echo "strata-image build --store DIR v1.img"
	echo "strata-image build --store http://127.0.0.1:$PORT --token \$T1 --part data --json v1.img   # fresh server"
	echo "strata-image capture-done --store http://127.0.0.1:$PORT --token \$T1"
	echo "strata-image build --store http://127.0.0.1:$PORT --token \$T2 --part data --json v2.img"
	echo '```'
} >"$MD"
cat "$MD"
DOC=$ROOT/docs/benchmarks.md
doc_section "$DOC" capture "Capture" "Generated by tests/bench/capture.sh (the load averages below say what else ran on the machine: compare ratios within one run only)." "$MD" || die "cannot update $DOC"
log "wrote $MD and the section in ${DOC#"$ROOT"/}"
