#!/bin/bash
# strata.efi receiving a multicast session, end to end: QEMU with OVMF under TCG in the lab
# of network namespaces (tests/lib/lab.sh); the lab's strata-server sends the session from
# the lab namespace to the bridge (docs/multicast.md).
#   1. UEFI HTTP Boot (no iPXE: the firmware's UDP4 is on the NIC) deploys a profile with
#      multicast=yes: the agent joins, receives the ESP and root layers' chunks by
#      multicast and fetches what it missed by HTTP; its disk equals the layers, the
#      server's /api/mcast.json counts bytes sent and the agent's log chunks by multicast
# MCAST_RATE sets the session's rate (default 16M: what TCG on 2 cores keeps up with).
# Needs root (namespaces), QEMU, OVMF; without them it says so and counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" mcast
MAC=52:54:00:5a:00:11

gold
cat > "$W/root/inventory.conf" <<EOC
default local
profile gold multicast=yes group=239.255.83.1 rate=${MCAST_RATE:-16M}
part label=ESP type=esp size=16M layer=$ESP
part label=root type=linux size=48M layer=$ROOT1
part label=CIDATA type=basic size=4M layer=machine
machine $MAC name=vm1 profile=gold action=deploy
EOC
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }

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
SENT=$(lab_curl -s "$(lab_url)/api/mcast.json" | tr -d ' \n' | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p')
check "1: the server sent the session (${SENT:-?} bytes)" test "${SENT:-0}" -gt 0
check "1: the agent says how much came by multicast" grep -q "strata.efi: [0-9]* MB by multicast, [0-9]* MB by repair" <(debug vm1)
check "1: server recorded success" grep -q '"result": "ok"' <(lab_machines)
finish
