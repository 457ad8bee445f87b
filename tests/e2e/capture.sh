#!/bin/bash
# Capture uploads from strata.efi on every boot path, end to end in QEMU with OVMF under TCG,
# in the lab of tests/lib/lab.sh (dnsmasq as the site DHCP server, strata-server with
# proxyDHCP, TFTP and HTTP).  An admin orders a gold capture of vm1 (POST /api/capture/vm1);
# at each boot strata.efi registers its machine key, reads its orders (action=capture
# kind=gold profile=...), confirms the task (GET /capture/task) and sends a have/need batch
# (POST /capture/need) naming its disk's first chunk, both signed by its per-boot machine
# session (no task token on the PC); the server answers 200.  strata.efi has no capture
# engine yet, so each run then reports a failure saying so, and the task stays open.
#   1. the iPXE option ROM: downloads through iPXE's download protocol, the POST through the
#      firmware's EFI_HTTP on the same NIC
#   2. UEFI HTTP Boot (PXE off): everything through EFI_HTTP
#   3. OVMF's own PXE: the proxyDHCP hands a machine with an open capture task strata.efi
#      itself (not snponly.efi) with its arguments in DHCP option 224; strata.efi reads
#      them from the PXE base code's mode, stops it, and uses EFI_HTTP for everything
# CAPTURE_CASES="1 3" runs only those cases.  Needs root, QEMU, OVMF and iPXE; without them
# it says so and counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" capture
MAC=52:54:00:5a:00:01
LAB_VM_TIMEOUT=${LAB_VM_TIMEOUT:-240}

want() { [ -z "${CAPTURE_CASES:-}" ] || [[ " $CAPTURE_CASES " == *" $1 "* ]]; }

gold
inventory "$ROOT1"
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }
ORDER=$(lab_curl -s -X POST "$(lab_url)/api/capture/vm1?as=captured1&prepared=yes")
check "the admin's gold capture order is taken" grep -q '"token": "[0-9a-f]\{64\}"' <<<"$ORDER"
truncate -s 200M "$W/disk.img"
printf 'strata capture probe\n' | dd of="$W/disk.img" conv=notrunc status=none
NEEDS=0
SUM=$(head -c 65536 "$W/disk.img" | sha256sum | cut -d' ' -f1)

# capture_checks N NAME BACKEND: what every path must show.
capture_checks() {
	local n=$1 vm=$2 be=$3
	check "$n: orders say capture kind=gold" grep -q "capture: gold capture as profile captured1 ordered" <(debug "$vm")
	check "$n: GET /capture/task answered for the machine's task" grep -q "capture: server: task=open kind=gold mac=$MAC profile=captured1" <(debug "$vm")
	check "$n: POST /capture/need answered, naming the disk's first chunk" grep -q "capture: need: the server lacks 1 of 1 chunk (${SUM:0:16}" <(debug "$vm")
	check "$n: the server logged one more signed POST /capture/need 200" \
		test "$(grep -c 'POST /capture/need 200' "$LAB_RUN/server.log")" -gt "$NEEDS"
	NEEDS=$(grep -c 'POST /capture/need 200' "$LAB_RUN/server.log")
	check "$n: uploads over $be" grep -q "capture: upload path ok over $be" <(debug "$vm")
	check "$n: the run ends saying the engine is missing" grep -q "capture is not built into this strata.efi" <(debug "$vm")
}

# Case 3 boots first: the PC keeps its NVRAM from boot to boot, and once OVMF has made an
# HTTP Boot option (case 2) it tries that before PXEv4.
if want 3; then
	LAB_NIC_OPTS=",romfile=" lab_vm cap-pxe "$MAC" "$W/disk.img"
	check "3: the proxyDHCP handed firmware PXE strata.efi itself" grep -q "agent-tftp" "$LAB_RUN/server.log"
	check "3: strata.efi took its server from the PXE reply" grep -q "args: server=$(lab_url)\(:80\)\? (from the PXE reply)" <(debug cap-pxe)
	capture_checks 3 cap-pxe efi-http
fi

if want 1; then
	lab_vm cap-ipxe "$MAC" "$W/disk.img"
	capture_checks 1 cap-ipxe ipxe
	check "1: the POST went through the firmware's HTTP service beside iPXE" grep -q "uploads go through the firmware's HTTP service beside iPXE" <(debug cap-ipxe)
fi

if want 2; then
	LAB_NIC_OPTS=",romfile=" lab_vm cap-http "$MAC" "$W/disk.img" \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
	capture_checks 2 cap-http efi-http
fi


lab_curl -s -X POST "$(lab_url)/api/capture-cancel/vm1" >/dev/null
finish
