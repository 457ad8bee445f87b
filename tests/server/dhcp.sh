#!/bin/bash
# End-to-end test of strata-dhcpd (server/dhcp*.c, sanitizer build) with real peers.
#
# Network (all inside namespaces this test creates; nothing touches the host's links):
#
#   namespace "site": dnsmasq, the site DHCP server, assigning 10.77.0.100-150 only
#        | veth
#   namespace "lab":  bridge br0 10.77.0.2 (forward delay 0) holding
#                     strata-dhcpd (proxyDHCP, ports 67 and 4011), a TFTP server
#                     (build/san/strata-tftpd if built, else tftpd-hpa's in.tftpd),
#                     nginx on :8080 serving the iPXE script and snponly.efi,
#                     and one tap per QEMU VM (q35, OVMF, TCG, 512 MiB)
#
# dnsmasq lives in its own namespace because two DHCP daemons in one namespace do not
# both see the DISCOVERs.  Three VMs boot one after the other, each with a hard timeout:
#   1. OVMF's own PXE (romfile= empty): proxyDHCP sends it to snponly.efi over TFTP; that
#      iPXE DHCPs again with user class "iPXE" and gets the script URL; the script prints
#      STRATA-MARKER-OK on the serial console;
#   2. the iPXE option ROM of ipxe-qemu: gets the script URL at once;
#   3. OVMF UEFI HTTP Boot (PXE switched off through fw_cfg, so HTTP is the first boot
#      option): gets the http URL of snponly.efi, fetches it from nginx, and that iPXE
#      then runs the script as in 1.
# Each VM's check reads the serial console (ANSI escapes stripped), strata-dhcpd's log
# (one line per decision), the TFTP and nginx logs and dnsmasq's leases.  A filter-dump
# pcap per VM is kept with the logs when a check fails.
# Before the VMs, a quick check on loopback in a third namespace sends the seed packets
# of tests/fuzz/corpus/dhcp/ to non-default ports, including garbage.
#
# Usage: bash tests/server/dhcp.sh [BUILD_DIR]   (needs root and `make test-targets`)
# BUILD_DIR defaults to the one tests/run.sh exported through STRATA_IMAGE, else build.
# Environment: VM_TIMEOUT (s, default 150); STRATA_TFTPD=/none forces in.tftpd.
# Prints one line per check and, last, "N passed, N failed"; exits non-zero on failure.
# Without root, KVM-less QEMU, OVMF, dnsmasq or nginx it says so and counts nothing.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"

if [ -n "${1:-}" ]; then
	BUILD=$1
elif [ -n "${STRATA_IMAGE:-}" ]; then
	BUILD=${STRATA_IMAGE%/san/strata-image}
else
	BUILD=build
fi
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DHCPD=$BUILD/san/strata-dhcpd
TFTPD=${STRATA_TFTPD:-$BUILD/san/strata-tftpd}   # a missing file selects in.tftpd
CORPUS=$ROOT/tests/fuzz/corpus/dhcp
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
SNPONLY=/usr/lib/ipxe/snponly.efi
VM_TIMEOUT=${VM_TIMEOUT:-150}
LAB_IP=10.77.0.2
SITE_IP=10.77.0.1
HTTP_PORT=8080
SCRIPT_URL=http://$LAB_IP:$HTTP_PORT/boot.ipxe
HTTP_URL=http://$LAB_IP:$HTTP_PORT/snponly.efi
MARKER=STRATA-MARKER-OK

pass=0
fail=0
now_ms() { echo $(($(date +%s%N) / 1000000)); }
T0=$(now_ms)
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
summary() {
	printf '%d passed, %d failed (dhcp.sh, %d s)\n' "$pass" "$fail" \
		"$((($(now_ms) - T0) / 1000))"
}
skip() { echo "skip: $*"; summary; exit 0; }
give_up() { bad "$*"; summary; exit 1; }

# --- prerequisites ----------------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces and taps"
for c in ip qemu-system-x86_64 dnsmasq nginx curl timeout; do
	command -v "$c" >/dev/null || skip "missing $c"
done
for f in "$OVMF_CODE" "$OVMF_VARS" "$SNPONLY" /dev/net/tun; do
	[ -e "$f" ] || skip "missing $f"
done
[ -x "$DHCPD" ] || give_up "missing $DHCPD (run 'make test-targets' first)"
if [ ! -x "$TFTPD" ]; then
	command -v in.tftpd >/dev/null || skip "neither $TFTPD nor in.tftpd"
fi

RUN=$(mktemp -d /tmp/strata-dhcp.XXXXXX) || exit 1
chmod 755 "$RUN"          # nginx workers and in.tftpd run as nobody
keep_or_remove() {
	if [ "$fail" -eq 0 ]; then rm -rf "$RUN"; else echo "logs kept in $RUN"; fi
}
netns_init keep_or_remove

# Wait up to $3 seconds for file $1 to match the extended regexp $2.
wait_log() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Serial console text without ANSI escapes and carriage returns.
console() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$1" 2>/dev/null; }

# --- quick check on loopback -------------------------------------------------------------
# Send file $2 to 127.0.0.1:$3 inside namespace $1 from a connected UDP socket and print
# what comes back within a second, bytes other than printable ASCII as dots.
udp_ask() {
	ip netns exec "$1" bash -c 'exec 3<>"/dev/udp/127.0.0.1/$2" || exit 1
		cat "$1" >&3
		timeout 1 dd bs=4096 count=1 <&3 2>/dev/null' _ "$2" "$3" \
		| LC_ALL=C tr -c '[:print:]' .
}

loopback_checks() {
	local LO pid got
	netns_add LO lo || give_up "cannot create the loopback namespace"
	netns_spawn pid "$LO" "$RUN/lo-dhcpd.log" "$DHCPD" --addr 127.0.0.1 --port 10067 \
		--alt-port 14011 --boot-script-url "$SCRIPT_URL" --http-url "$HTTP_URL" --verbose
	wait_log "$RUN/lo-dhcpd.log" 'proxyDHCP for 127.0.0.1 on port 10067 and port 14011' 5 \
		|| give_up "strata-dhcpd did not start on loopback: $(tail -3 "$RUN/lo-dhcpd.log")"
	got=$(udp_ask "$LO" "$CORPUS/ovmf-pxe-request-4011" 14011)
	check "loopback: OVMF's port-4011 REQUEST gets snponly.efi" \
		grep -q 'snponly\.efi' <<<"$got"
	got=$(udp_ask "$LO" "$CORPUS/ipxe-request-67" 14011)
	check "loopback: an iPXE REQUEST on port 4011 gets the script URL" \
		grep -qF "$SCRIPT_URL" <<<"$got"
	got=$(udp_ask "$LO" "$CORPUS/ovmf-pxe-discover" 14011)
	check "loopback: a DISCOVER on port 4011 gets no reply" test -z "$got"
	head -c 700 /dev/urandom >"$RUN/garbage"
	got=$(udp_ask "$LO" "$RUN/garbage" 14011)
	check "loopback: garbage gets no reply" test -z "$got"
	check "loopback: garbage is logged as ignored with a reason" \
		wait_log "$RUN/lo-dhcpd.log" 'ignored 700 bytes from 127\.0\.0\.1:[0-9]+: ' 2
	got=$(udp_ask "$LO" "$CORPUS/ovmf-pxe-request-4011" 14011)
	check "loopback: still answering after garbage" grep -q 'snponly\.efi' <<<"$got"
	stop_dhcpd "$pid" "$RUN/lo-dhcpd.log" loopback
}

# SIGTERM strata-dhcpd: it must exit 0 with no sanitizer report in its log.
stop_dhcpd() {
	local pid=$1 log=$2 what=$3 rc
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	check "$what: strata-dhcpd exits 0 on SIGTERM" test "$rc" -eq 0
	check "$what: no sanitizer report" \
		bash -c '! grep -Eq "AddressSanitizer|LeakSanitizer|runtime error" "$1"' _ "$log"
}

# --- the lab ------------------------------------------------------------------------------
write_nginx_conf() {
	cat >"$RUN/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $RUN/nginx.pid;
error_log $RUN/nginx-error.log;
events { worker_connections 64; }
http {
	access_log $RUN/access.log;
	client_body_temp_path $RUN/nginx-tmp;
	proxy_temp_path $RUN/nginx-tmp;
	fastcgi_temp_path $RUN/nginx-tmp;
	uwsgi_temp_path $RUN/nginx-tmp;
	scgi_temp_path $RUN/nginx-tmp;
	types { application/efi efi; text/plain ipxe; }
	default_type application/octet-stream;
	server {
		listen $LAB_IP:$HTTP_PORT;
		root $RUN/www;
	}
}
EOC
}

setup_files() {
	mkdir -p "$RUN/tftp" "$RUN/www" "$RUN/nginx-tmp"
	cp "$SNPONLY" "$RUN/tftp/snponly.efi"
	cp "$SNPONLY" "$RUN/www/snponly.efi"
	[ -f /usr/lib/ipxe/undionly.kpxe ] && cp /usr/lib/ipxe/undionly.kpxe "$RUN/tftp/"
	# poweroff is not built into Debian's iPXE; reboot ends QEMU too (-no-reboot).
	printf '#!ipxe\necho %s\npoweroff || reboot\n' "$MARKER" >"$RUN/www/boot.ipxe"
	chmod -R a+rX "$RUN/tftp" "$RUN/www"
	write_nginx_conf
}

setup_net() {
	netns_add LAB lab && netns_add SITE site &&
	netns_bridge "$LAB" br0 "$LAB_IP/24" &&
	netns_veth "$LAB" site0 "$SITE" eth0 &&
	netns_enslave "$LAB" site0 br0 &&
	netns_addr "$SITE" eth0 "$SITE_IP/24"
}

start_site_dhcp() {
	netns_spawn DNSMASQ "$SITE" "$RUN/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null \
		--port=0 --interface=eth0 --bind-interfaces --user=root --group=root \
		--dhcp-range=10.77.0.100,10.77.0.150,1h --dhcp-leasefile="$RUN/leases" \
		--log-dhcp --log-facility=-
	wait_log "$RUN/dnsmasq.log" 'DHCP, IP range' 5
}

start_lab_servers() {
	netns_spawn DHCPD_PID "$LAB" "$RUN/dhcpd.log" "$DHCPD" --addr "$LAB_IP" --iface br0 \
		--boot-script-url "$SCRIPT_URL" --http-url "$HTTP_URL" --verbose
	wait_log "$RUN/dhcpd.log" "proxyDHCP for $LAB_IP on port 67 and port 4011" 5 || return 1
	if [ -x "$TFTPD" ]; then
		TFTP_KIND=strata-tftpd
		netns_spawn TFTP_PID "$LAB" "$RUN/tftpd.log" "$TFTPD" --root "$RUN/tftp" \
			--addr "$LAB_IP" --port 69
		wait_log "$RUN/tftpd.log" 'serving' 5 || return 1
	else
		TFTP_KIND=in.tftpd
		netns_spawn TFTP_PID "$LAB" "$RUN/tftpd.log" in.tftpd -L -s "$RUN/tftp" \
			-a "$LAB_IP:69"
	fi
	netns_spawn NGINX_PID "$LAB" "$RUN/nginx.out" nginx -e "$RUN/nginx-error.log" \
		-c "$RUN/nginx.conf"
	local i
	for i in $(seq 50); do
		ip netns exec "$LAB" curl -sf -o /dev/null "$SCRIPT_URL" && return 0
		sleep 0.1
	done
	return 1
}

# --- VMs -------------------------------------------------------------------------------------
# boot_vm NAME TAP MAC DEVICE_SUFFIX [QEMU ARGS...]: boot until the marker shows (then
# give QEMU 20 s to power off by itself) or VM_TIMEOUT passes.  Sets VM_SECS.
boot_vm() {
	local name=$1 tap=$2 mac=$3 dev=$4 qpid start i
	shift 4
	cp "$OVMF_VARS" "$RUN/$name.vars"
	netns_tap "$LAB" "$tap" br0 || return 1
	start=$(now_ms)
	netns_spawn qpid "$LAB" "$RUN/$name.qemu.log" timeout "$VM_TIMEOUT" \
		qemu-system-x86_64 -machine q35 -accel tcg -m 512 -nodefaults -display none \
		-no-reboot -monitor none \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$RUN/$name.vars" \
		-serial "file:$RUN/$name.serial" \
		-uuid "5a7a0000-0000-4000-8000-${mac//:/}" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,bootindex=1$dev" \
		-object "filter-dump,id=f0,netdev=n0,file=$RUN/$name.pcap" "$@"
	for i in $(seq $((VM_TIMEOUT * 2))); do
		netns_alive "$qpid" || break
		console "$RUN/$name.serial" | grep -q "$MARKER" && break
		sleep 0.5
	done
	for i in $(seq 40); do
		netns_alive "$qpid" || break
		sleep 0.5
	done
	netns_stop "$qpid"
	VM_SECS=$((($(now_ms) - start) / 1000))
}

# Lines of strata-dhcpd's log about one MAC.
decisions() { grep -F "dhcp: $1 " "$RUN/dhcpd.log"; }
has_decision() { decisions "$1" | grep -Eq "$2"; }
marker_seen() { console "$RUN/$1.serial" | grep -q "$MARKER"; }
leased() { grep -qi " $1 10\.77\.0\.1[0-9][0-9] " "$RUN/leases"; }
access_since() { tail -n +"$(($1 + 1))" "$RUN/access.log" | grep -q "\"GET $2 "; }
access_lines() { wc -l <"$RUN/access.log" 2>/dev/null || echo 0; }
# OVMF says so on its console; strata-tftpd also logs the transfer (in.tftpd logs to syslog).
tftp_served() {
	console "$RUN/ovmf-pxe.serial" | grep -q 'NBP file downloaded successfully' || return 1
	[ "$TFTP_KIND" != strata-tftpd ] && return 0
	grep -q '"snponly\.efi" ok' "$RUN/tftpd.log"
}

vm_ovmf_pxe() {
	local mac=52:54:00:77:00:01 a
	a=$(access_lines)
	boot_vm ovmf-pxe tap1 "$mac" ",romfile=" || { bad "ovmf-pxe: cannot start"; return; }
	check "ovmf-pxe: $MARKER on the serial console (${VM_SECS} s)" marker_seen ovmf-pxe
	check "ovmf-pxe: site dnsmasq leased it an address" leased "$mac"
	local ovmf='arch 7 class "PXEClient:Arch:00007:UNDI:003000" user ""'
	check "ovmf-pxe: OVMF (PXEClient arch 7, no user class) offered efi-tftp snponly.efi" \
		has_decision "$mac" "DISCOVER .* $ovmf .*-> OFFER efi-tftp \"snponly\\.efi\""
	check "ovmf-pxe: OVMF asked on port 4011 and got the ACK with snponly.efi" \
		has_decision "$mac" "REQUEST .* to port 4011 $ovmf .*-> ACK efi-tftp \"snponly\\.efi\""
	check "ovmf-pxe: TFTP ($TFTP_KIND) served snponly.efi" tftp_served
	check "ovmf-pxe: snponly.efi's iPXE (user class iPXE) got the script URL" \
		has_decision "$mac" "user \"iPXE\" .*-> (OFFER|ACK) ipxe-script \"$SCRIPT_URL\""
	check "ovmf-pxe: nginx served the script" access_since "$a" /boot.ipxe
}

vm_ipxe_rom() {
	local mac=52:54:00:77:00:02 a
	a=$(access_lines)
	boot_vm ipxe-rom tap2 "$mac" "" || { bad "ipxe-rom: cannot start"; return; }
	check "ipxe-rom: $MARKER on the serial console (${VM_SECS} s)" marker_seen ipxe-rom
	check "ipxe-rom: the ROM (user class iPXE) got the script URL" \
		has_decision "$mac" "user \"iPXE\" .*-> OFFER ipxe-script \"$SCRIPT_URL\""
	check "ipxe-rom: it was never sent to snponly.efi" \
		bash -c '! grep -F "dhcp: $1 " "$2" | grep -q efi-tftp' _ "$mac" "$RUN/dhcpd.log"
	check "ipxe-rom: nginx served the script" access_since "$a" /boot.ipxe
}

vm_http_boot() {
	local mac=52:54:00:77:00:03 a
	a=$(access_lines)
	boot_vm http-boot tap3 "$mac" ",romfile=" \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no \
		|| { bad "http-boot: cannot start"; return; }
	check "http-boot: HTTPClient arch 16 was offered the http URL" \
		has_decision "$mac" \
		"DISCOVER .* arch 16 class \"HTTPClient:Arch:00016:UNDI:003000\" .*-> OFFER http \"$HTTP_URL\""
	check "http-boot: OVMF fetched snponly.efi from nginx" access_since "$a" /snponly.efi
	check "http-boot: that iPXE got the script URL" \
		has_decision "$mac" "user \"iPXE\" .*-> (OFFER|ACK) ipxe-script \"$SCRIPT_URL\""
	check "http-boot: $MARKER on the serial console (${VM_SECS} s)" marker_seen http-boot
}

# --- run ------------------------------------------------------------------------------------
loopback_checks
setup_files
setup_net || give_up "cannot build the lab network"
start_site_dhcp || give_up "dnsmasq did not start: $(tail -3 "$RUN/dnsmasq.log")"
start_lab_servers || give_up "lab servers did not start: $(tail -3 "$RUN"/*.log)"
vm_ovmf_pxe
vm_ipxe_rom
vm_http_boot
stop_dhcpd "$DHCPD_PID" "$RUN/dhcpd.log" lab
summary
[ "$fail" -eq 0 ]
