#!/bin/bash
# Faults a deployment survives, in QEMU with OVMF under TCG: one lab (tests/lib/lab.sh), one
# VM disk, the gold disk of tests/lib/gold.sh, and the faults chained as a lab meets them.
#   base  the gold disk (root v1) deployed on an empty disk; a user's files written on the
#         preserved partition
#   cut   power cut: the redeploy to v2 (30 MB changed) has its QEMU SIGKILLed FAULT_CUT_MS
#         after the root layer's first runs request: the disk holds only old or verified
#         new chunks and the preserved partition is bit-identical; booted again, it
#         converges (every partition equals its layer)
#   eio   write errors: a blkdebug filter under the VM's disk fails every write to one
#         block in the middle of v3's changed chunks (EIO): the agent stops, its failure
#         line and its report name the LBA and the partition; the changed chunks before
#         it are new (verified), it and every later one old
#   netem packet loss and latency (tc netem loss FAULT_LOSS% delay 20ms on the lab bridge;
#         on a kernel without sch_netem, a cBPF filter dropping FAULT_LOSS% each way, DHCP
#         excepted, and QEMU's filter-buffer holding packets 20 ms): the iPXE ROM's HTTP
#         path finishes v3; then the same disk in a second PC (vm2: its own MAC, so OVMF's
#         NVRAM fresh from its template, with no boot options left by vm1's boots) boots
#         through OVMF's PXE, which loads snponly.efi over TFTP, which starts strata.efi,
#         which deploys v4; both complete and equal their layers
# It prints its figures (time to converge, bytes refetched, packets dropped) as "figure:"
# lines.  FAULT_CUT_MS (default 700) and FAULT_LOSS (percent, default 5) are picked at
# random by make soak; FAULT_CASES="cut netem" runs some (base always runs).
# Needs root (namespaces), QEMU, OVMF, iPXE, tc; without them it says so and counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
CUT_MS=${FAULT_CUT_MS:-700}
LOSS=${FAULT_LOSS:-5}
gold_init "${1:-build}" faults tc
MAC=52:54:00:5a:00:02
MAC2=52:54:00:5a:00:03   # vm2: the same disk in another PC, for the OVMF PXE boot
DISK=$W/disk.img
SLOG=$LAB_RUN/server.log

want() { [ -z "${FAULT_CASES:-}" ] || [[ " $FAULT_CASES " == *" $1 "* ]]; }
figure() { echo "figure: $*"; }

# serve ROOT [MACHINE]: serve root layer ROOT from now on and order MACHINE (vm1 unless
# named) to deploy it.  The inventory also lists vm2.
serve() {
	inventory "$1"
	echo "machine $MAC2 name=vm2 profile=gold" >> "$W/root/inventory.conf"
	kill -HUP "$LAB_SERVER"
	sleep 2
	lab_curl -s -X POST "$(lab_url)/api/deploy/${2:-vm1}" >/dev/null
}

# boot NAME [QEMU ARGS..]: lab_vm on the disk (as the PC with MAC BOOT_MAC, default vm1's),
# timed; sets BOOT_S (seconds).
boot() {
	local t0
	t0=$(now_ms)
	lab_vm "$1" "${BOOT_MAC:-$MAC}" "$DISK" "${@:2}"
	BOOT_S=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
}

completed() { grep -q "strata.efi: deployment complete" <(debug "$1"); }
# Bytes the root layer fetched in VM NAME's run.
root_fetched() { sed -n 's/.*layer root: .* fetched (\([0-9]*\) bytes).*/\1/p' <(debug "$1"); }

# converged NAME ROOT_IMG [MACHINE]: VM NAME's deployment completed and every partition
# equals its layer (CIDATA MACHINE's, vm1 unless named; the preserved one its user's files).
converged() {
	completed "$1" && part_equals "$DISK" 1 "$W/esp.img" && part_equals "$DISK" 2 "$2" &&
		cidata_names "$DISK" "${3:-vm1}" && test "$(data_sum "$DISK")" = "$DATA_SUM"
}

# power_cut NAME LAYER: boot VM NAME and SIGKILL its QEMU (by its pidfile) CUT_MS after the
# server logs LAYER's first runs request, as a power cut in the middle of the writes.
power_cut() {
	local pidf=$LAB_RUN/$1.pid vm
	rm -f "$pidf"
	lab_vm "$1" "$MAC" "$DISK" -pidfile "$pidf" 2>"$LAB_RUN/$1.stderr" &
	vm=$!
	lab_wait "$SLOG" "GET /store/runs/${2#sha256:}" 120 || echo "power_cut: $2 never requested" >&2
	sleep "$(awk -v ms="$CUT_MS" 'BEGIN { print ms / 1000 }')"
	[ -s "$pidf" ] && kill -KILL "$(cat "$pidf")" 2>/dev/null
	wait "$vm"
}

# map_count MAP LETTER: how many chunks of a chunk_map have LETTER; lacks MAP LETTER: none.
map_count() { local s=${1//[^$2]/}; echo ${#s}; }
lacks() { [[ $1 != *$2* ]]; }

# eio_config FILE SECTOR: a blkdebug rule failing every write that covers SECTOR with EIO.
eio_config() {
	cat > "$1" <<EOF
[inject-error]
event = "pwritev"
iotype = "write"
errno = "5"
sector = "$2"
once = "off"
EOF
}

# Packet loss and latency between the lab's server and its VMs: tc netem on the bridge
# (loss LOSS% delay 20ms on what the server sends) where the kernel has sch_netem.  Where
# it has not (the CI machines' kernel), a classic BPF filter on the bridge's clsact drops
# LOSS% of the packets each way, DHCP excepted (ingress: VM to server; egress: server to
# VM), and QEMU's filter-buffer holds the VM's packets up to 20 ms (DELAY_ARGS, for
# lab_vm).  NET_FAULT names the way taken.
netem_on() {
	DELAY_ARGS=()
	NET_FAULT="tc netem loss $LOSS% delay 20ms"
	tc -n "$LAB_NS" qdisc add dev br0 root netem loss "$LOSS%" delay 20ms 2>/dev/null && return 0
	NET_FAULT="cBPF loss $LOSS% each way, DHCP exempt, + filter-buffer 20 ms (no sch_netem)"
	DELAY_ARGS=(-object "filter-buffer,id=fb0,netdev=n0,interval=20000")
	tc -n "$LAB_NS" qdisc add dev br0 clsact &&
		tc -n "$LAB_NS" filter add dev br0 ingress bpf da bytecode "$(loss_bpf "$LOSS")" &&
		tc -n "$LAB_NS" filter add dev br0 egress bpf da bytecode "$(loss_bpf "$LOSS")"
}
# The filter's program for cls_bpf's direct-action mode (it sees the Ethernet header both
# ways).  DHCP and proxyDHCP (UDP port 67, 68 or 4011, either end) pass: the case is about
# the data path, and iPXE waits only 2 s for a proxy offer, so a lost DHCP round would
# test iPXE's patience, 1 run in 100 at 5 %.  Anything else: A = a random 32-bit number
# (the ancillary load SKF_AD_OFF + SKF_AD_RANDOM); under PERCENT% of 2^32 return
# TC_ACT_SHOT (2: drop), else TC_ACT_OK (0).
loss_bpf() {
	local ip="40 0 0 12,21 0 11 2048,48 0 0 23,21 0 9 17,177 0 0 14"   # IPv4, UDP, X = IHL
	local dst="72 0 0 16,21 8 0 67,21 7 0 68,21 6 0 4011"              # to 15: pass
	local src="72 0 0 14,21 4 0 67,21 3 0 68,21 2 0 4011"
	echo "17,$ip,$dst,$src,32 0 0 4294963256,53 0 1 $(($1 * 4294967296 / 100)),6 0 0 0,6 0 0 2"
}
# Packets dropped so far, over the bridge's qdiscs.
netem_dropped() {
	tc -n "$LAB_NS" -s qdisc show dev br0 | sed -n 's/.*dropped \([0-9]*\).*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}

gold
inventory "$ROOT1"
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }

# base: the gold disk on an empty disk, then a user's files on the preserved partition.
truncate -s 200M "$DISK"
boot vm1-base
check "base: the gold disk deploys on an empty disk ($BOOT_S s)" completed vm1-base
DATA_SUM=$(user_data "$DISK")
CUR=v1

if want cut; then
head -c 30000000 /dev/urandom > "$W/big2"
ROOT2=$(gold_change v1 v2 "write $W/big2 /etc/big2")
serve "$ROOT2"
power_cut vm1-cut "$ROOT2"
MAP=$(chunk_map "$DISK" 2 "$W/root-v1.img" "$W/root-v2.img")
figure "cut ${CUT_MS} ms after the runs request: $(map_count "$MAP" n) of" \
	"$(($(map_count "$MAP" n) + $(map_count "$MAP" o))) changed root chunks were written"
check_not "cut: QEMU killed before the deployment completed" completed vm1-cut
check "cut: root holds only old or verified new chunks" only_known "$DISK" 2 "$W/root-v1.img" "$W/root-v2.img"
check "cut: ESP untouched" part_equals "$DISK" 1 "$W/esp.img"
check "cut: preserved data bit-identical" test "$(data_sum "$DISK")" = "$DATA_SUM"
check "cut: GPT valid (sgdisk -v)" sh -c "sgdisk -v '$DISK' | grep -q 'No problems found'"
boot vm1-conv
check "cut: the next boot converges: every partition equals its layer" converged vm1-conv "$W/root-v2.img"
figure "converged in $BOOT_S s of VM time, refetching $(root_fetched vm1-conv) root bytes"
CUR=v2
fi

# v3: 2 MB more, for the write error and then the HTTP path under loss.
head -c 2000000 /dev/urandom > "$W/blob3"
ROOT3=$(gold_change "$CUR" v3 "write $W/blob3 /etc/blob3")
serve "$ROOT3"

if want eio; then
# The block: the first of the middle chunk among those v3 changes.
MAP=$(chunk_map "$DISK" 2 "$W/root-$CUR.img" "$W/root-v3.img")
mapfile -t CHANGED < <(awk -v m="$MAP" 'BEGIN { for (i = 1; i <= length(m); i++) if (substr(m, i, 1) == "o") print i - 1 }')
BAD=${CHANGED[$((${#CHANGED[@]} / 2))]}
LBA=$((($(part_start "$DISK" 2) + BAD * 65536) / 512))
eio_config "$W/eio.cfg" "$LBA"
LAB_DRIVE="driver=raw,file.driver=blkdebug,file.config=$W/eio.cfg,file.image.driver=file,file.image.filename=$DISK" \
	boot vm1-eio
MAP=$(chunk_map "$DISK" 2 "$W/root-$CUR.img" "$W/root-v3.img")
figure "write error at LBA $LBA: root chunk $BAD, the $((${#CHANGED[@]} / 2 + 1))th of the" \
	"${#CHANGED[@]} v3 changes; $(map_count "$MAP" n) written before it; the VM ended after $BOOT_S s"
check "eio: the deployment failed" grep -q "strata.efi: FAILED" <(debug vm1-eio)
check "eio: the firmware's error names the block" \
	grep -q "disk: WriteBlocks at LBA $LBA (128 blocks): EFI_DEVICE_ERROR" <(debug vm1-eio)
check "eio: the failure line names the LBA and the partition" \
	grep -q "strata.efi: FAILED: disk write failed at LBA $LBA (partition root)" <(debug vm1-eio)
check "eio: the failure reached the server" grep -q "failed: .*disk write failed at LBA $LBA" "$SLOG"
check "eio: root holds only old or verified new chunks" only_known "$DISK" 2 "$W/root-$CUR.img" "$W/root-v3.img"
check "eio: the changed chunks before the block were written" lacks "${MAP:0:$BAD}" o
check "eio: nothing written from the failed block on" lacks "${MAP:$BAD}" n
check "eio: preserved data bit-identical" test "$(data_sum "$DISK")" = "$DATA_SUM"
fi

if want netem; then
netem_on
check "netem: loss and latency on ($NET_FAULT)" test $? -eq 0
boot vm1-http "${DELAY_ARGS[@]}"
check "netem: the iPXE ROM's HTTP path completes v3 ($BOOT_S s)" converged vm1-http "$W/root-v3.img"
DROPPED=$(netem_dropped)
figure "HTTP path, $NET_FAULT: $BOOT_S s, $(root_fetched vm1-http) root bytes, $DROPPED packets dropped"
echo "gold 4" > "$W/release4"
ROOT4=$(gold_change v3 v4 "rm /etc/release" "write $W/release4 /etc/release")
# The OVMF PXE boot is the disk's second PC, vm2: its own MAC, so its NVRAM starts from
# OVMF's template.  In vm1's NVRAM, kept from its iPXE ROM boots, OVMF drops the ROM's
# stale PXEv4 boot options and makes a new one at the end of BootOrder, behind HTTPv4: vm1
# would boot through UEFI HTTP Boot (which the lab also offers) and never use TFTP.
serve "$ROOT4" vm2
FROM=$(($(wc -l < "$SLOG") + 1))
BOOT_MAC=$MAC2 LAB_NIC_OPTS=",romfile=" boot vm2-tftp "${DELAY_ARGS[@]}"
# Under loss OVMF's final ACK can be lost: it has the file, the server cannot know.  Its
# line then says "no final ACK", once the server's retries end (up to 19 s after the last
# window, maybe after the VM): wait for it.  The next check proves the file arrived whole.
tftp_line() { tail -n "+$FROM" "$SLOG" | grep -m1 -E '^tftp: .* "snponly\.efi" (ok|no final ACK [(]every block sent)'; }
eventually_for 25 tftp_line > /dev/null
TFTP_LINE=$(tftp_line)
check "netem: OVMF's PXE loaded snponly.efi over TFTP (${TFTP_LINE#tftp: })" test -n "$TFTP_LINE"
check "netem: snponly.efi started strata.efi (its iPXE back-end, no HTTP Boot)" sh -c \
	"grep -q 'fetch: using the ipxe back-end' '$LAB_RUN/vm2-tftp.debug' &&
	 ! grep -q '^args: boot URI ' '$LAB_RUN/vm2-tftp.debug'"
check "netem: the TFTP boot deploys v4 ($BOOT_S s)" converged vm2-tftp "$W/root-v4.img" vm2
check "netem: packets were dropped during the boots" test "$(netem_dropped)" -gt 0
figure "TFTP boot, $NET_FAULT: $BOOT_S s, $(($(netem_dropped) - DROPPED)) packets dropped;" \
	"${TFTP_LINE:-no snponly.efi delivered over TFTP}"
fi

finish
