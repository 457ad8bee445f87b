#!/bin/bash
# strata.efi receiving a multicast session, end to end: QEMU with OVMF under TCG in the lab
# of network namespaces (tests/lib/lab.sh); the lab's strata-server sends the session from
# the lab namespace to the bridge (docs/multicast.md).
#   1. UEFI HTTP Boot (no iPXE: the firmware's UDP4 is on the NIC) deploys a profile with
#      multicast=yes: the agent joins, receives the ESP and root layers' chunks by
#      multicast and fetches what it missed by HTTP; its disk equals the layers, the
#      server's /api/mcast.json counts bytes sent and the agent's log chunks by multicast
#   2. three VMs at once over the iPXE ROM (UDP4 on iPXE's SNP, no iPXE download open
#      during the phase): every disk equals the layers, each VM's log counts chunks by
#      multicast, and the server sent fewer bytes than three unicast copies (the ratio to
#      one copy, case 1's, is printed)
#   3. OVMF's own PXE loading iPXE's snponly.efi (TFTP via proxyDHCP), which then chains
#      strata.efi: a multicast profile still deploys; the agent says which way it went
#      (joined the session, or "multicast unavailable" and unicast), the disk equals the
#      layers
# E2E_CASES="2" runs only those cases (case 1 always runs: case 2 compares with its copy);
# the default is "1 2", and make soak runs "1 2 3".
# MCAST_RATE sets the session's rate (default 4M: a pass of the root layer takes about 15 s,
# longer than the three VMs' boots spread under TCG, so they share it).
# Needs root (namespaces), QEMU, OVMF; without them it says so and counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
. "$(dirname "$0")/../lib/mcast.sh"
gold_init "${1:-build}" mcast
MAC=52:54:00:5a:00:11

gold
mcast_inventory "$W/root" "${MCAST_RATE:-4M}" "$ESP" "$ROOT1" 5
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }
want() { [[ " ${E2E_CASES:-1 2} " == *" $1 "* ]]; }

# 1. One VM over UEFI HTTP Boot.
truncate -s 100M "$W/disk.img"
LAB_NIC_OPTS=",romfile=" lab_vm vm1 "$MAC" "$W/disk.img" \
	-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
check "1: VM ends by itself after deploying" test $? -eq 0
check "1: EFI_HTTP back-end (HTTP Boot)" grep -q "using the efi-http back-end" <(debug vm1)
check "1: the agent joined the session" grep -q "mcast: part root: joined the session" <(debug vm1)
check "1: clear final line" grep -q "strata.efi: deployment complete" <(debug vm1)
check "1: ESP equals its layer" part_equals "$W/disk.img" 1 "$W/esp.img"
check "1: root equals its layer" part_equals "$W/disk.img" 2 "$W/root-v1.img"
check "1: CIDATA names the machine" cidata_names "$W/disk.img" vm1
MC=$(sed -n 's/.*layer root: \([0-9]*\) chunks (.*) by multicast.*/\1/p' <(debug vm1))
check "1: root: chunks by multicast (${MC:-none})" test "${MC:-0}" -gt 0
SENT=$(mcast_sent)
check "1: the server sent the session (${SENT:-?} bytes)" test "${SENT:-0}" -gt 0
check "1: the agent says how much came by multicast" grep -q "strata.efi: [0-9]* MB by multicast, [0-9]* MB by repair" <(debug vm1)
check "1: server recorded success" grep -q '"result": "ok"' <(lab_machines)
COPY=$(debug vm1 | mcast_rx_bytes)

# 2. Three VMs at once over the iPXE ROM.
if want 2; then
for i in 2 3 4; do truncate -s 0 "$W/disk$i.img"; truncate -s 100M "$W/disk$i.img"; done
lab_vm vm2 52:54:00:5a:00:12 "$W/disk2.img" & P2=$!
lab_vm vm3 52:54:00:5a:00:13 "$W/disk3.img" & P3=$!
lab_vm vm4 52:54:00:5a:00:14 "$W/disk4.img" & P4=$!
wait $P2; R2=$?; wait $P3; R3=$?; wait $P4; R4=$?
check "2: the VMs end by themselves ($R2 $R3 $R4)" test "$R2$R3$R4" = 000
for i in 2 3 4; do
	check "2: vm$i: iPXE back-end" grep -q "using the ipxe back-end" <(debug vm$i)
	check "2: vm$i: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm$i)
	check "2: vm$i: root equals its layer" part_equals "$W/disk$i.img" 2 "$W/root-v1.img"
	check "2: vm$i: ESP equals its layer" part_equals "$W/disk$i.img" 1 "$W/esp.img"
	N=$(sed -n 's/.*layer root: \([0-9]*\) chunks (.*) by multicast.*/\1/p' <(debug vm$i))
	check "2: vm$i: root: chunks by multicast (${N:-none})" test "${N:-0}" -gt 0
done
SENT2=$(( $(mcast_sent) - ${SENT:-0} ))
echo "multicast: 3 VMs: the server sent $SENT2 bytes; one copy is ${COPY:-?} ($(awk -v s="$SENT2" -v c="${COPY:-0}" 'BEGIN { if (c) printf "%.2f", s / c; else print "?" }') copies)"
check "2: fewer bytes than three unicast copies ($SENT2 < 3 x ${COPY:-?})" test "${COPY:-0}" -gt 0 -a "$SENT2" -lt $((3 * ${COPY:-0}))
fi

# 3. Firmware PXE -> snponly.efi -> strata.efi.
if want 3; then
truncate -s 100M "$W/disk5.img"
LAB_NIC_OPTS=",romfile=" lab_vm vm5 52:54:00:5a:00:15 "$W/disk5.img"
HOW=$(debug vm5 | grep -oE "mcast: part root: joined the session|multicast unavailable: [^;]*" | head -1)
check "3: snponly.efi: the agent says how root came (${HOW:-nothing said})" test -n "$HOW"
check "3: snponly.efi: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm5)
check "3: snponly.efi: root equals its layer" part_equals "$W/disk5.img" 2 "$W/root-v1.img"
check "3: snponly.efi: ESP equals its layer" part_equals "$W/disk5.img" 1 "$W/esp.img"
fi
finish
