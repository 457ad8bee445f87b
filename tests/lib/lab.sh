# A virtual lab for Strata's end-to-end tests and the demo: a "site" namespace running
# dnsmasq as the site DHCP server (addresses only), a "lab" namespace with a bridge, the
# real strata-server on it (proxyDHCP, TFTP, HTTP), and QEMU VMs with OVMF on taps of that
# bridge.  Source it from a bash script run as root, after tests/lib/netns.sh.
#
#   lab_start ROOT KEY              namespaces, dnsmasq, strata-server --root ROOT --key KEY
#   lab_stop_services, lab_services ROOT KEY   restart dnsmasq and strata-server
#   lab_vm NAME MAC DISK [ARGS..]   boot one VM (iPXE ROM first, then the disk) until it
#                                   powers off, reboots (unless LAB_REBOOT=1) or
#                                   LAB_VM_TIMEOUT passes; background it
#                                   with & to boot several at once.  Logs in $LAB_RUN:
#                                   NAME.serial (console), NAME.debug (strata.efi's log)
#   lab_console FILE                the serial log without ANSI escapes
#   lab_wait FILE PATTERN SECONDS   wait until FILE has a line matching PATTERN (grep);
#                                   non-zero if it has none after SECONDS
#   lab_url                         the server's base URL
#   lab_curl ARGS..                 curl inside the lab namespace, with the lab's admin
#                                   credential (LAB_TOKEN, in $LAB_RUN/api-tokens, which
#                                   the lab's server takes with --api-tokens)
#   lab_machines                    the server's /machines.json
#   lab_sb_enroll VARS KEYDIR ENROLL
#                                   Secure Boot: boot OVMF's empty variables (setup mode)
#                                   copied to VARS from an ESP holding the enroller ENROLL
#                                   (strata-enroll.efi) and KEYDIR's db.auth, KEK.auth and
#                                   PK.auth; VARS then enforces the lab's keys (LAB_SECURE_BOOT=1
#                                   with LAB_VARS_FROM=VARS).  Logs in $LAB_RUN/enroll.*;
#                                   non-zero unless it enrolled.  No network: runs anywhere
# Each MAC is one PC with its own NVRAM ($LAB_RUN/nvram-MAC.fd, from OVMF's template on its
# first boot), kept from boot to boot as a real PC's is: strata.efi's machine key and
# rollback counter live there.  After a boot NAME.vars holds a copy of it.  Every VM has a
# virtio-rng device (OVMF's EFI_RNG_PROTOCOL).
# Environment: LAB_VM_TIMEOUT (s, default 300); LAB_NIC_OPTS (appended to the NIC's -device);
# LAB_VARS_FROM (an earlier VM's NAME.vars: the PC's NVRAM becomes that one);
# LAB_NVRAM=fresh (the PC's NVRAM wiped back to OVMF's template first, as a firmware
# update or a CMOS reset may do);
# LAB_DNSMASQ_OPTS and LAB_SERVER_OPTS (extra words for dnsmasq and strata-server);
# LAB_SECURE_BOOT=1 (OVMF_CODE_4M.secboot.fd with SMM and a secure pflash, as Secure Boot
# needs; the NVRAM decides whether it enforces: give an enrolled one with LAB_VARS_FROM);
# LAB_REBOOT=1 (a reboot restarts the VM, as on a PC, instead of ending QEMU); LAB_DRIVE
# (the disk's -drive options before ",if=none,id=d0", default "file=DISK,format=raw": e.g. a
# blkdebug filter that injects errors); LAB_VM_NS and LAB_VM_BR (the namespace and bridge
# the VM's tap joins, default the lab's and br0: another site's segment); LAB_NETDEV (the
# NIC's -netdev instead of the tap, id=n0: e.g. a socket to a relay that holds the tap).
# LAB_MCAST_LOSS (a percentage: the VM's tap drops that share of the multicast frames it
# carries to the VM, netns_mcast_loss; a lossy client for tests/bench/multicast.sh);
# LAB_DISK_DEV=nvme (the disk as an NVMe controller, which OVMF offers Block I/O 2 on,
# instead of virtio-blk; lab_disk_dev).  Each VM's
# tap is named after its MAC, so VMs with different MACs can run at once.
# Traffic stays inside the namespaces; netns_cleanup (installed by netns_init) removes
# them and every process in them.

LAB_IP=10.78.0.2
SITE_IP=10.78.0.3
LAB_VM_TIMEOUT=${LAB_VM_TIMEOUT:-300}
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
OVMF_CODE_SB=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd

lab_url() { echo "http://$LAB_IP"; }

lab_curl() { ip netns exec "$LAB_NS" curl -H "Authorization: Bearer ${LAB_TOKEN:-}" "$@"; }

lab_machines() { lab_curl -s "$(lab_url)/machines.json"; }

# The lab's admin credential, made once per lab: "lab TOKEN" in $LAB_RUN/api-tokens.
_lab_token() {
	[ -n "${LAB_TOKEN:-}" ] && return 0
	LAB_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf 'lab %s\n' "$LAB_TOKEN" > "$LAB_RUN/api-tokens"
}

lab_console() { sed 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' "$1" | tr -d '\r'; }

lab_wait() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

lab_start() {
	LAB_RUN=${LAB_RUN:-$(mktemp -d /tmp/strata-lab.XXXXXX)}
	chmod 755 "$LAB_RUN"
	netns_add LAB_NS lab && netns_add SITE_NS site &&
	netns_bridge "$LAB_NS" br0 "$LAB_IP/24" &&
	netns_veth "$LAB_NS" site0 "$SITE_NS" eth0 &&
	netns_enslave "$LAB_NS" site0 br0 &&
	netns_addr "$SITE_NS" eth0 "$SITE_IP/24" || return 1
	lab_services "$@"
}

# lab_services ROOT KEY: start dnsmasq and strata-server (again, after lab_stop_services),
# with the LAB_DNSMASQ_OPTS and LAB_SERVER_OPTS of the moment and the lab's credential.
# Logs: dnsmasq.log, server.log.
lab_services() {
	local root=$1 key=$2
	_lab_token
	netns_spawn LAB_DNSMASQ "$SITE_NS" "$LAB_RUN/dnsmasq.log" dnsmasq --no-daemon \
		--conf-file=/dev/null --port=0 --interface=eth0 --bind-interfaces --user=root \
		--group=root --dhcp-range=10.78.0.100,10.78.0.199,1h \
		--dhcp-leasefile="$LAB_RUN/leases" --log-facility=- ${LAB_DNSMASQ_OPTS:-}
	lab_wait "$LAB_RUN/dnsmasq.log" 'DHCP, IP range' 5 || { echo "lab: dnsmasq did not start" >&2; return 1; }
	netns_spawn LAB_SERVER "$LAB_NS" "$LAB_RUN/server.log" "${STRATA_SERVER:-build/san/strata-server}" \
		--root "$root" --key "$key" --addr "$LAB_IP" --http-port 80 --tftp-port 69 --dhcp proxy \
		--api-tokens "$LAB_RUN/api-tokens" ${LAB_SERVER_OPTS:-}
	lab_wait "$LAB_RUN/server.log" 'strata-server: serving' 20 \
		|| { echo "lab: strata-server did not start:" >&2; tail -5 "$LAB_RUN/server.log" >&2; return 1; }
}

lab_stop_services() {
	netns_stop "$LAB_SERVER"
	netns_stop "$LAB_DNSMASQ"
}

# lab_vm NAME MAC DISK [QEMU ARGS...]: the NIC boots first (iPXE ROM unless ARGS add
# romfile=), the disk second.  Returns QEMU's status (124 on timeout).  LAB_SMP=N gives
# the VM N vCPUs; LAB_ACCEL replaces -accel tcg (tcg,thread=multi: one host thread each).
lab_vm() {
	local name=$1 mac=$2 disk=$3 tap="tap${2//:/}" rc reboot=-no-reboot
	local machine=q35 code=$OVMF_CODE sb=
	[ "${LAB_REBOOT:-0}" = 1 ] && reboot=
	[ "${LAB_SECURE_BOOT:-0}" = 1 ] && { machine=q35,smm=on; code=$OVMF_CODE_SB
		sb="-global driver=cfi.pflash01,property=secure,value=on"; }
	local nv="$LAB_RUN/nvram-${mac//:/}.fd"
	shift 3
	if [ -n "${LAB_VARS_FROM:-}" ]; then
		cp "$LAB_VARS_FROM" "$nv"
	elif [ "${LAB_NVRAM:-}" = fresh ] || [ ! -f "$nv" ]; then
		cp "$OVMF_VARS" "$nv"
	fi
	local ns=${LAB_VM_NS:-$LAB_NS}
	netns_tap "$ns" "$tap" "${LAB_VM_BR:-br0}" || return 1
	[ -z "${LAB_MCAST_LOSS:-}" ] || netns_mcast_loss "$ns" "$tap" "$LAB_MCAST_LOSS" || return 1
	ip netns exec "$ns" timeout "$LAB_VM_TIMEOUT" \
		qemu-system-x86_64 -machine "$machine" -accel "${LAB_ACCEL:-tcg}" -m 1024 -nodefaults -display none \
		$reboot -monitor none $sb ${LAB_SMP:+-smp "$LAB_SMP"} \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
		-drive "if=pflash,format=raw,unit=1,file=$nv" -device virtio-rng-pci \
		-serial "file:$LAB_RUN/$name.serial" -debugcon "file:$LAB_RUN/$name.debug" \
		-uuid "5a7a0000-0000-4000-8000-${mac//:/}" \
		-netdev "${LAB_NETDEV:-tap,id=n0,ifname=$tap,script=no,downscript=no}" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,bootindex=1${LAB_NIC_OPTS:-}" \
		-drive "${LAB_DRIVE:-file=$disk,format=raw},if=none,id=d0" \
		-device "$(lab_disk_dev "$mac")" "$@" >"$LAB_RUN/$name.qemu.log" 2>&1
	rc=$?
	cp "$nv" "$LAB_RUN/$name.vars"
	ip netns exec "$ns" ip link del "$tap" 2>/dev/null
	return $rc
}

# The VM's disk device for drive d0 (LAB_DISK_DEV): virtio-blk, which OVMF drives with
# Block I/O only, or nvme, which it also drives with Block I/O 2 (asynchronous writes).
lab_disk_dev() {
	case "${LAB_DISK_DEV:-virtio}" in
	nvme) echo "nvme,drive=d0,serial=lab${1//:/},bootindex=2" ;;
	*) echo "virtio-blk-pci,drive=d0,bootindex=2" ;;
	esac
}

lab_sb_enroll() {
	local vars=$1 keys=$2 img=$LAB_RUN/enroll.img f
	rm -f "$img"
	mkfs.vfat -C -n ENROLL "$img" 16384 >/dev/null && mmd -i "$img" ::/EFI ::/EFI/BOOT &&
		mcopy -i "$img" "$3" ::/EFI/BOOT/BOOTX64.EFI || return 1
	for f in db KEK PK; do mcopy -i "$img" "$keys/$f.auth" ::/EFI/BOOT/ || return 1; done
	cp "$OVMF_VARS" "$vars"
	timeout 120 qemu-system-x86_64 -nodefaults -machine q35,smm=on -accel tcg -m 512 \
		-display none -no-reboot -monitor none \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE_SB" \
		-drive "if=pflash,format=raw,unit=1,file=$vars" \
		-drive "file=$img,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,bootindex=1 \
		-serial "file:$LAB_RUN/enroll.serial" -debugcon "file:$LAB_RUN/enroll.debug" \
		>"$LAB_RUN/enroll.qemu.log" 2>&1 &&
		grep -q "strata-enroll.efi: enrolled: setup mode has ended" "$LAB_RUN/enroll.debug"
}
