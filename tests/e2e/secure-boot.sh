#!/bin/bash
# Secure Boot from power-on to the deployed disk, with the lab's own keys, in QEMU with
# OVMF_CODE_4M.secboot.fd (q35 with SMM, a secure pflash) under TCG.  Chained on one PC (one
# MAC, one NVRAM) where it can be:
#   enroll-net  the PC, with OVMF's empty variables (setup mode, so the unsigned enroller
#             runs), given an enroll order (POST /api/enroll/vm1), network-boots through
#             firmware PXE -> snponly.efi -> iPXE's script, which for the order chains the
#             server's strata-enroll.efi with server= (and uses the order up); it fetches
#             strata-image sb keygen's payloads from the server's boot folder over iPXE,
#             writes db, KEK and PK, and resets; its NVRAM is the lab PC's from then on.
#             (Not by HTTP Boot: its boot entry would then come before PXE's, and the pxe
#             case would boot by HTTP.  The order's HTTP Boot path is tests/server/enroll.sh's.)
#   enroll    (make soak, and make demo --secure-boot) the same from an ESP: strata-enroll.efi
#             with the payloads beside it
#   pxe       firmware PXE -> snponly.efi signed with the lab's db key (TFTP) -> iPXE ->
#             strata.efi signed with it: a fresh disk is deployed, the agent says Secure Boot
#             is enforcing, /machines.json shows it
#   http      UEFI HTTP Boot -> signed strata.efi: the same, on another fresh disk
#   refuse    an unsigned strata.efi in the boot folder: the firmware refuses it, the agent
#             never runs (no line on the debug port, no key registration), the disk is
#             untouched, and /machines.json notes "vm1 fetched strata.efi at HH:MM and never
#             started: Secure Boot may have refused it; is the lab's db key enrolled?"
#   other     (make soak) the same with strata.efi signed by another lab's db key
#   snakeoil  Debian's snakeoil variables and key (no keys of ours): a strata.efi signed with
#             the snakeoil key boots from a disk, says Secure Boot is enforcing and passes
#             its self-test
# The signed files are made here with sbsign, as `make SB_KEY= SB_CERT=` makes them
# (mk/sb.mk; tests/integration/sb-sign.sh checks that make path), from the build's
# strata.efi with any signature removed first.
# SB_CASES="enroll http" runs some (pxe, http, refuse and other need enroll or enroll-net);
# default "enroll-net pxe http refuse snakeoil".  Needs root, QEMU, OVMF, iPXE, sbsigntool, efitools.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" sb sbsign sbattach sign-efi-sig-list mkfs.vfat mcopy
MAC=52:54:00:5a:00:01
CASES=${SB_CASES:-enroll-net pxe http refuse snakeoil}
want() { [[ " $CASES " == *" $1 "* ]]; }
ENROLL=$(dirname "$EFI")/strata-enroll.efi
SNAKEOIL=/usr/share/ovmf/PkKek-1-snakeoil

# unsigned IN OUT: IN with every signature removed (a build made with SB_KEY has one).
unsigned() {
	cp "$1" "$2"
	while sbverify --list "$2" 2>/dev/null | grep -q '^signature [0-9]'; do
		sbattach --remove "$2" >/dev/null || return 1
	done
}
# sign IN OUT KEY CERT: OUT is the unsigned IN signed with KEY, checked with CERT.
sign() {
	unsigned "$1" "$2.u" && sbsign --key "$3" --cert "$4" --output "$2" "$2.u" 2>/dev/null &&
		sbverify --cert "$4" "$2" >/dev/null && rm -f "$2.u"
}
# esp IMG FILE: a FAT image with FILE as EFI/BOOT/BOOTX64.EFI.
esp() {
	mkfs.vfat -C -n SBTEST "$1" 16384 >/dev/null && mmd -i "$1" ::/EFI ::/EFI/BOOT &&
		mcopy -i "$1" "$2" ::/EFI/BOOT/BOOTX64.EFI
}
# disk_vm NAME CODE VARS DISK: boot DISK alone (no network) until QEMU ends, strata.efi
# hands back to the firmware, or 120 s; sets VM_WAIT.  Logs in $LAB_RUN/NAME.*.
disk_vm() {
	local name=$1
	timeout 120 qemu-system-x86_64 -nodefaults -machine q35,smm=on -accel tcg -m 512 \
		-display none -no-reboot -monitor none \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$2" \
		-drive "if=pflash,format=raw,unit=1,file=$3" \
		-drive "file=$4,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,bootindex=1 \
		-serial "file:$LAB_RUN/$name.serial" -debugcon "file:$LAB_RUN/$name.debug" \
		>"$LAB_RUN/$name.qemu.log" 2>&1 &
	wait_vm $! "$LAB_RUN/$name.debug"
}
# note_within S: /machines.json carries the never-started note within S seconds.
NOTE="vm1 fetched strata.efi at [0-9][0-9]:[0-9][0-9] and never started: Secure Boot may have refused it; is the lab's db key enrolled?"
note_within() {
	local i
	for i in $(seq "$1"); do
		lab_machines | grep -q "\"note\": \"$NOTE\"" && return 0
		sleep 1
	done
	lab_machines
	return 1
}
# refused VM: strata.efi in the boot folder is one the PC must refuse; boot it by HTTP.
# (Not "name": check sets that one.)
refused() {
	local vm=$1 lines sum
	mark
	sum=$(sha256sum < "$W/disk-http.img")
	lines=$(wc -l < "$LAB_RUN/server.log")
	LAB_VM_TIMEOUT=60 LAB_NIC_OPTS=",romfile=" LAB_SECURE_BOOT=1 lab_vm "$vm" "$MAC" "$W/disk-http.img" \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
	check "$vm: the PC fetched strata.efi" sh -c "tail -n +$((lines + 1)) '$LAB_RUN/server.log' | grep -q 'GET /boot/strata.efi 200 '"
	check "$vm: the firmware refused it (Access Denied)" grep -q 'failed to load .*UEFI HTTPv4.*: Access Denied' <(lab_console "$LAB_RUN/$vm.serial")
	check "$vm: the agent wrote no line" test ! -s "$LAB_RUN/$vm.debug"
	check "$vm: and never registered" sh -c "! tail -n +$((lines + 1)) '$LAB_RUN/server.log' | grep -q 'GET /key/'"
	check "$vm: disk untouched" test "$(sha256sum < "$W/disk-http.img")" = "$sum"
	check "$vm: /machines.json: \"vm1 fetched strata.efi at HH:MM and never started ...\"" note_within 40
}

sbsign_ok=1
$SI sb keygen "$W/keys" >"$W/keygen.log" 2>&1 || sbsign_ok=0
check "the lab's keys (strata-image sb keygen)" test "$sbsign_ok" = 1
mkdir -p "$W/signed"
sign "$EFI" "$W/signed/strata.efi" "$W/keys/db.key" "$W/keys/db.crt"
check "strata.efi signed with the lab's db key" sbverify --cert "$W/keys/db.crt" "$W/signed/strata.efi"
sign /usr/lib/ipxe/snponly.efi "$W/signed/snponly.efi" "$W/keys/db.key" "$W/keys/db.crt"
check "snponly.efi signed with the lab's db key" sbverify --cert "$W/keys/db.crt" "$W/signed/snponly.efi"

# enrolled CASE LOG VM_STATUS: the checks of an enrollment.
enrolled() {
	check "$1: the PC started in setup mode" grep -qx "strata-enroll.efi: secure boot: setup" "$2"
	check "$1: read the three payloads" grep -q "strata-enroll.efi: PK.auth: [0-9]* bytes" "$2"
	check "$1: wrote db, KEK, PK in that order" test "$(grep -o 'wrote [A-Za-z]*.auth' "$2" | tr '\n' ' ')" = "wrote db.auth wrote KEK.auth wrote PK.auth "
	check "$1: setup mode ended, then it reset (QEMU ended: $3)" sh -c "grep -q 'strata-enroll.efi: enrolled: setup mode has ended' '$2' && test '$3' = 0"
}

if want enroll; then
	lab_sb_enroll "$W/enroll.vars" "$W/keys" "$ENROLL"
	enrolled enroll "$LAB_RUN/enroll.debug" $?
	check "enroll: from the files beside it" grep -q "strata-enroll.efi: reading the payloads next to it" "$LAB_RUN/enroll.debug"
	cp "$W/enroll.vars" "$LAB_RUN/nvram-${MAC//:/}.fd"   # the lab PC's NVRAM from now on
fi

if want enroll-net || want pxe || want http || want refuse || want other; then
	gold
	inventory "$ROOT1"
	lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }
fi

if want enroll-net; then
	cp "$ENROLL" "$W/root/boot/strata-enroll.efi"
	cp "$W/keys/db.auth" "$W/keys/KEK.auth" "$W/keys/PK.auth" "$W/root/boot/"
	chmod a+r "$W/root/boot/"*
	truncate -s 200M "$W/disk-enroll.img"
	check "enroll-net: POST /api/enroll/vm1" test "$(lab_curl -s -X POST "$(lab_url)/api/enroll/vm1")" = "enroll pending on 1 machines"
	LAB_NVRAM=fresh LAB_NIC_OPTS=",romfile=" LAB_SECURE_BOOT=1 lab_vm vm1-enroll "$MAC" "$W/disk-enroll.img"
	enrolled enroll-net "$LAB_RUN/vm1-enroll.debug" $?
	check "enroll-net: the order's script chained strata-enroll.efi, and the order was used up" sh -c "grep -q 'enroll: $MAC: order used up (enroll script served)' '$LAB_RUN/server.log' && grep -q 'GET /boot/strata-enroll.efi 200 ' '$LAB_RUN/server.log' && ! grep -q 'GET /boot/strata.efi ' '$LAB_RUN/server.log'"
	check "enroll-net: from the server's boot folder, over iPXE" sh -c "grep -q 'strata-enroll.efi: fetching the payloads from http://$LAB_IP:80/boot/' '$LAB_RUN/vm1-enroll.debug' && grep -q 'fetch: using the ipxe back-end' '$LAB_RUN/vm1-enroll.debug' && grep -q 'GET /boot/PK.auth 200 ' '$LAB_RUN/server.log'"
	check "enroll-net: /machines.json: \"pending\": \"none\" after it" grep -q '"name": "vm1".*"pending": "none"' <(lab_machines)
fi
cp "$W/signed/strata.efi" "$W/signed/snponly.efi" "$W/root/boot/" 2>/dev/null

# Firmware PXE first: the enrolled NVRAM's boot order puts PXE before HTTP Boot.
if want pxe; then
	truncate -s 200M "$W/disk-pxe.img"
	mark
	LAB_NIC_OPTS=",romfile=" LAB_SECURE_BOOT=1 lab_vm vm1-pxe "$MAC" "$W/disk-pxe.img"
	check "pxe: OVMF's PXE loaded the signed snponly.efi over TFTP" grep -q '^tftp: .* "snponly\.efi" ok, ' "$LAB_RUN/server.log"
	check "pxe: which started strata.efi (its iPXE back-end)" grep -q "using the ipxe back-end" <(debug vm1-pxe)
	check "pxe: strata.efi says Secure Boot is enforcing" grep -qx "strata.efi: secure boot: enforcing" <(debug vm1-pxe)
	check "pxe: deploys" grep -q "strata.efi: deployment complete" <(debug vm1-pxe)
	check "pxe: root equals its layer" part_equals "$W/disk-pxe.img" 2 "$W/root-v1.img"
	check "pxe: /machines.json: \"secure_boot\": \"enforcing\"" grep -q '"name": "vm1".*"secure_boot": "enforcing"' <(lab_machines)
fi

if want http; then
	truncate -s 200M "$W/disk-http.img"
	mark
	LAB_NIC_OPTS=",romfile=" LAB_SECURE_BOOT=1 lab_vm vm1-http "$MAC" "$W/disk-http.img" \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
	check "http: strata.efi says Secure Boot is enforcing" grep -qx "strata.efi: secure boot: enforcing" <(debug vm1-http)
	check "http: server taken from the boot URI" grep -q "server=http://$LAB_IP:80 (from boot URI)" <(debug vm1-http)
	check "http: deploys" grep -q "strata.efi: deployment complete" <(debug vm1-http)
	check "http: root equals its layer" part_equals "$W/disk-http.img" 2 "$W/root-v1.img"
	check "http: /machines.json: \"secure_boot\": \"enforcing\"" grep -q '"name": "vm1".*"secure_boot": "enforcing"' <(lab_machines)
fi

[ -f "$W/disk-http.img" ] || truncate -s 200M "$W/disk-http.img"
if want refuse; then
	unsigned "$EFI" "$W/root/boot/strata.efi"
	refused vm1-unsigned
fi
if want other; then
	$SI sb keygen --own-keys-only "$W/other" >/dev/null 2>&1
	sign "$EFI" "$W/root/boot/strata.efi" "$W/other/db.key" "$W/other/db.crt"
	check "other: strata.efi signed by another lab's db key" sbverify --cert "$W/other/db.crt" "$W/root/boot/strata.efi"
	refused vm1-other
fi

if want snakeoil; then
	openssl pkey -in "$SNAKEOIL.key" -passin pass:snakeoil -out "$W/snakeoil.key" 2>/dev/null
	sign "$EFI" "$W/snakeoil.efi" "$W/snakeoil.key" "$SNAKEOIL.pem"
	esp "$W/snakeoil.img" "$W/snakeoil.efi"
	cp /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd "$W/snakeoil.vars"
	disk_vm snakeoil /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd "$W/snakeoil.vars" "$W/snakeoil.img"
	check "snakeoil: strata.efi signed with Debian's snakeoil key runs, Secure Boot enforcing" \
		grep -qx "strata.efi: secure boot: enforcing" "$LAB_RUN/snakeoil.debug"
	check "snakeoil: its self-test passes and it hands back (no server)" sh -c "grep -q 'strata.efi: self-test ok' '$LAB_RUN/snakeoil.debug' && test '$VM_WAIT' = returned"
fi

finish
