#!/bin/bash
# Two sites, end to end (docs/sites.md): the central strata-server in the lab's namespace,
# and branch B in a second namespace routed to it (no NAT), with its own segment: dnsmasq
# as B's DHCP server, which hands iPXE the central server's script URL itself (no
# proxyDHCP on B's segment), and the shipped nginx cache (server/strata-cache.conf).  The
# inventory puts vm1 at site B, whose store= and boot= are the cache.  One PC (vm1, its
# NVRAM kept) boots four times, each on an empty disk:
#   1. through the cache: strata.efi comes from it, every public chunk is asked of the
#      server once, by the cache, never by the PC; the disk equals the layers
#   2. again: the cache serves everything: the server's log has no store request for it
#   3. the cache stopped: the agent falls back to the central server's store, says so on
#      screen and in its report, and the disk equals the layers
#   4. the cache back, one cached chunk of the root layer tampered with: the agent names
#      the chunk, falls back for what the cache could not give (that chunk, from the
#      server), and the disk equals the layers (only verified data was written)
# Then the two other ways of docs/sites.md to boot at a site without the server on its
# segment, one boot each on an empty disk (B's dnsmasq above stopped):
#   5. a DHCP relay: B's router relays the segment's DHCP (dnsmasq's dhcp-relay) to the
#      lab's dnsmasq, which gives the address, and to the central strata-server, whose
#      proxyDHCP answers the relay (giaddr); the iPXE ROM boots through it and deploys
#   6. a proxyDHCP alone at B: strata-dhcpd --addr B's router, beside B's plain DHCP
#      server (dnsmasq, addresses only, on a host of its own); the iPXE ROM takes the
#      central script from it and deploys
#   7. UEFI HTTP Boot (no iPXE, PXE off): B's plain DHCP server hands HTTPClient clients
#      the central server's /boot/strata.efi (option 60 HTTPClient and the boot file URL)
# SITES_CASES="5 7" runs only those cases (2-4 build on 1; the others stand alone).
# Needs root (namespaces), QEMU, OVMF, iPXE, nginx, dnsmasq; without them it says so.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" e2e-sites nginx dnsmasq
MAC=52:54:00:5a:00:0b
B_IP=10.79.0.1
CACHE=http://$B_IP:8080

gold
cat > "$W/root/inventory.conf" <<EOF
default local
site b subnet=10.79.0.0/24 store=$CACHE/store boot=$CACHE/boot
profile gold
part label=ESP type=esp size=16M layer=$ESP
part label=root type=linux size=48M layer=$ROOT1
part label=CIDATA type=basic size=4M layer=machine
part label=data type=linux size=rest policy=preserve
machine $MAC name=vm1 profile=gold site=b action=deploy
EOF
want() { [ -z "${SITES_CASES:-}" ] || [[ " $SITES_CASES " == *" $1 "* ]]; }
# The lab's dnsmasq also serves B's segment, for requests relayed from it (case 5).
LAB_DNSMASQ_OPTS="--dhcp-range=set:relayed,10.79.0.100,10.79.0.199,255.255.255.0,1h --dhcp-option=tag:relayed,option:router,$B_IP" \
LAB_SERVER_OPTS="--trusted-proxies 10.80.0.2" lab_start "$W/root" "$KEY" ||
	{ check "lab starts" false; finish; exit; }

# Branch B: a namespace routed to the lab's (10.80.0.0/30), its segment brb 10.79.0.0/24.
netns_add B_NS branch &&
netns_veth "$LAB_NS" wan0 "$B_NS" wan0 &&
netns_addr "$LAB_NS" wan0 10.80.0.1/30 && netns_addr "$B_NS" wan0 10.80.0.2/30 &&
ip -n "$LAB_NS" route add 10.79.0.0/24 via 10.80.0.2 &&
ip -n "$B_NS" route add default via 10.80.0.1 &&
ip netns exec "$B_NS" sysctl -qw net.ipv4.ip_forward=1 &&
ip netns exec "$LAB_NS" sysctl -qw net.ipv4.ip_forward=1 &&
ip -n "$SITE_NS" route add 10.79.0.0/24 via "$LAB_IP" &&
netns_bridge "$B_NS" brb "$B_IP/24" || { check "branch B's network" false; finish; exit; }
check "B reaches the central server" ip netns exec "$B_NS" curl -sf -o /dev/null "$(lab_url)/ipxe/boot.ipxe"
# B's DHCP server: addresses, and for iPXE the central server's script (option 67).
netns_spawn B_DHCP "$B_NS" "$LAB_RUN/dnsmasq-b.log" dnsmasq --no-daemon --conf-file=/dev/null \
	--port=0 --interface=brb --bind-interfaces --user=root --group=root \
	--dhcp-range=10.79.0.100,10.79.0.199,1h --dhcp-leasefile="$LAB_RUN/leases-b" \
	--dhcp-userclass=set:ipxe,iPXE --dhcp-boot=tag:ipxe,"$(lab_url)/ipxe/boot.ipxe" \
	--log-facility=- --log-dhcp
lab_wait "$LAB_RUN/dnsmasq-b.log" 'DHCP, IP range' 5 || check "B's dnsmasq starts" false
# B's cache: the shipped configuration with B's address and the central server.
site_cache_conf "$W" 10.78.0.2:80 "$B_IP:8080" off
cache_start() {
	netns_spawn B_CACHE "$B_NS" "$LAB_RUN/nginx.log" nginx -c "$W/nginx.conf" -e "$W/nginx-error.log"
	for _ in $(seq 50); do ip netns exec "$B_NS" curl -s -o /dev/null "$CACHE/boot/strata.efi" && return 0; sleep 0.1; done
	return 1
}
check "B's cache starts" cache_start

LAB_VM_NS=$B_NS
LAB_VM_BR=brb
# Lines of the server's log for store files: all, or from one address (the cache's is
# 10.80.0.2, B's route to the server).
store_lines() { grep -c "^http: ${1:-[0-9.]*} GET /store/" "$LAB_RUN/server.log"; }
disk_ok() {
	part_equals "$1" 1 "$W/esp.img" && part_equals "$1" 2 "$W/root-v1.img" &&
		cidata_names "$1" vm1
}
# boot N [QEMU ARGS..]: vm1 boots on the empty disk disk-N.img; logs vm1-N.*.
boot() {
	local n=$1
	shift
	truncate -s 200M "$W/disk-$n.img"
	lab_vm "vm1-$n" "$MAC" "$W/disk-$n.img" "$@"
}

# 1. Through the cache.
n1=0 n3=1
if want 1; then
boot 1
check "1: VM ends by itself after deploying" test $? -eq 0
check "1: the agent came from B's cache" grep -q "$CACHE/boot/strata.efi\|deploying vm1" <(lab_console "$LAB_RUN/vm1-1.serial")
check "1: the cache served strata.efi" grep -q "GET /boot/strata.efi" "$W/nginx-access.log"
check "1: the agent fetched from its site's store" grep -q "store: this machine's site store $CACHE/store" <(debug vm1-1)
check "1: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-1)
check "1: the disk holds the layers" disk_ok "$W/disk-1.img"
check "1: the server sent store files, to the cache only" sh -c "test $(store_lines 10.80.0.2) -gt 0 && test $(store_lines) = $(store_lines 10.80.0.2)"
check "1: each chunk asked of the server once" sh -c "! grep -o 'GET /store/chunks/[^ ]*' '$LAB_RUN/server.log' | sort | uniq -d | grep -q ."
n1=$(store_lines)
fi

# 2. Served by the cache alone.
if want 2; then
mark
boot 2
check "2: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-2)
check "2: the disk holds the layers" disk_ok "$W/disk-2.img"
check "2: the server's log has no store request for it" test "$(store_lines)" = "$n1"
fi

# 3. The cache stopped: the central server's store.
if want 3; then
netns_stop "$B_CACHE"
mark
boot 3
check "3: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-3)
check "3: strata.efi came from the server after B's cache failed" grep -q "^http: 10\.79\.0\.[0-9]* GET /boot/strata.efi 200 " "$LAB_RUN/server.log"
debug vm1-3 > "$W/vm1-3.log"
check "3: the agent says it fell back" sh -c "grep -q 'store: site store $CACHE/store failed (.*): falling back to the central server $(lab_url)[:0-9]*/store' '$W/vm1-3.log' || { grep -i 'store\|layer' '$W/vm1-3.log' | head; false; }"
check "3: ... and so does its report" sh -c "lab_machines() { ip netns exec '$LAB_NS' curl -s -H 'Authorization: Bearer $LAB_TOKEN' '$(lab_url)/machines.json'; }; lab_machines | grep -q 'site store failed'"
check "3: the disk holds the layers" disk_ok "$W/disk-3.img"
check "3: the PC fetched store files from the server itself" test "$(grep -c '^http: 10\.79\.0\.[0-9]* GET /store/' "$LAB_RUN/server.log")" -gt 0
n3=$(wc -l < "$LAB_RUN/server.log")
fi

# 4. A poisoned cache: the last byte of one cached chunk of the root layer flipped.  The
# server's store gives the second pass the root's index and a run of the one chunk.  The
# byte is flipped back afterwards, for the cases after it.
if want 4; then
check "4: B's cache starts again" cache_start
BAD=
for h in $($SI inspect --store "$W/root/store" --chunks "$ROOT1" | awk '/^chunk [0-9]/ && $9 != "zero" && $9 != "free" {print $NF}'); do
	grep -rlq "KEY: /store/chunks/${h:0:2}/$h" "$W/cache" && { BAD=$h; break; }
done
f=$(grep -rl "KEY: /store/chunks/${BAD:0:2}/$BAD" "$W/cache" | head -1)
check "4: a cached root chunk to tamper with (${BAD:0:12}..)" test -n "$BAD" -a -n "$f"
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-1]^=0xff; open(p,'wb').write(bytes(b))" "$f"
mark
boot 4
check "4: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-4)
check "4: the agent named the bad chunk" grep -q "layer root: chunk [0-9]* (disk LBA [0-9]*): " <(debug vm1-4)
check "4: ... and fell back" grep -q "site store $CACHE/store failed (layer root: chunk [0-9]*: .*): falling back" <(debug vm1-4)
N=$(sed -n 's/.*layer root: chunk \([0-9]*\) (disk LBA.*/\1/p' <(debug vm1-4) | head -1)
check "4: from the server: the root's index and that chunk (${N:-?}) alone" test "$(tail -n +"$n3" "$LAB_RUN/server.log" | grep -o 'GET /store/[^ ]*' | sort -u | tr '\n' ' ')" = "GET /store/layers/${ROOT1#sha256:}.idx GET /store/runs/${ROOT1#sha256:}/$N-$N "
check "4: the disk holds the layers" disk_ok "$W/disk-4.img"
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-1]^=0xff; open(p,'wb').write(bytes(b))" "$f"
fi

# Cases 5-7 each replace B's DHCP set-up: its dnsmasq above goes.
netns_stop "$B_DHCP"
# Addresses on B's segment, in the logs.
B_PC='10\.79\.0\.[0-9]*'

# 5. A DHCP relay on B's router, to the lab's dnsmasq (addresses) and the central
# strata-server (proxyDHCP).  It listens on wan0 too: the servers' replies come there.
if want 5; then
netns_spawn B_RELAY "$B_NS" "$LAB_RUN/relay-b.log" dnsmasq --no-daemon --conf-file=/dev/null \
	--port=0 --interface=brb --interface=wan0 --user=root --group=root \
	--dhcp-relay="$B_IP,$SITE_IP" --dhcp-relay="$B_IP,$LAB_IP" --log-facility=- --log-dhcp
lab_wait "$LAB_RUN/relay-b.log" 'DHCP relay' 5 || check "B's relay starts" false
t5=$(wc -l < "$LAB_RUN/server.log")
mark
boot 5
check "5: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-5)
check "5: the disk holds the layers" disk_ok "$W/disk-5.img"
check "5: the lab's dnsmasq gave B's PC its address through the relay" grep -q "DHCPACK(eth0) $B_PC $MAC" "$LAB_RUN/dnsmasq.log"
check "5: the central proxyDHCP answered iPXE's relayed request with the script" grep -q "^dhcp: $MAC [A-Z]* from $B_IP:67 .* user \"iPXE\" .* -> [A-Z]* ipxe-script \"$(lab_url)\(:80\)\?/ipxe/boot.ipxe\"" "$LAB_RUN/server.log"
check "5: the PC's requests reached the server from B's segment" grep -q "^http: $B_PC GET /ipxe/" <(tail -n +"$t5" "$LAB_RUN/server.log")
netns_stop "$B_RELAY"
fi

# B's plain DHCP server for cases 6 and 7, on a host of its own on B's segment (it and
# strata-dhcpd each listen on port 67): addresses, B's router, and for UEFI HTTP Boot
# clients the central server's strata.efi.
bsite_dhcp() {
	[ -n "${BS_DHCP:-}" ] && return 0
	netns_add BS_NS bsite && netns_veth "$B_NS" bs0 "$BS_NS" eth0 &&
		netns_enslave "$B_NS" bs0 brb && netns_addr "$BS_NS" eth0 10.79.0.3/24 || return 1
	netns_spawn BS_DHCP "$BS_NS" "$LAB_RUN/dnsmasq-bs.log" dnsmasq --no-daemon \
		--conf-file=/dev/null --port=0 --interface=eth0 --bind-interfaces --user=root \
		--group=root --dhcp-range=10.79.0.100,10.79.0.199,1h \
		--dhcp-leasefile="$LAB_RUN/leases-bs" --dhcp-option=option:router,"$B_IP" \
		--dhcp-vendorclass=set:http,HTTPClient --dhcp-option-force=tag:http,60,HTTPClient \
		--dhcp-boot=tag:http,"$(lab_url)/boot/strata.efi" --log-facility=- --log-dhcp
	lab_wait "$LAB_RUN/dnsmasq-bs.log" 'DHCP, IP range' 5
}

# 6. strata-dhcpd alone at B: the iPXE ROM gets the central script from it.
if want 6; then
check "6: B's plain DHCP server starts" bsite_dhcp
DHCPD=${STRATA_DHCPD:-$(dirname "$STRATA_SERVER")/strata-dhcpd}
netns_spawn B_PROXY "$B_NS" "$LAB_RUN/dhcpd-b.log" "$DHCPD" --addr "$B_IP" --iface brb \
	--tftp-server "$LAB_IP" --boot-script-url "$(lab_url)/ipxe/boot.ipxe" \
	--http-url "$(lab_url)/boot/strata.efi"
lab_wait "$LAB_RUN/dhcpd-b.log" 'strata-dhcpd: proxyDHCP for' 5 || check "6: strata-dhcpd starts" false
t6=$(wc -l < "$LAB_RUN/server.log")
mark
boot 6
check "6: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-6)
check "6: the disk holds the layers" disk_ok "$W/disk-6.img"
check "6: strata-dhcpd gave iPXE the central script" grep -q "^dhcp: $MAC .* user \"iPXE\" .* -> [A-Z]* ipxe-script \"$(lab_url)/ipxe/boot.ipxe\"" "$LAB_RUN/dhcpd-b.log"
check "6: iPXE fetched it from the central server" grep -q "^http: $B_PC GET /ipxe/" <(tail -n +"$t6" "$LAB_RUN/server.log")
check "6: B's DHCP server gave the address" grep -q "DHCPACK(eth0) $B_PC $MAC" "$LAB_RUN/dnsmasq-bs.log"
netns_stop "$B_PROXY"
check "6: strata-dhcpd exits cleanly" sh -c "! grep -q 'Sanitizer\|runtime error' '$LAB_RUN/dhcpd-b.log'"
fi

# 7. UEFI HTTP Boot from B's plain DHCP server alone.
if want 7; then
check "7: B's plain DHCP server starts" bsite_dhcp
mark
LAB_NIC_OPTS=",romfile=" boot 7 -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
check "7: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-7)
check "7: the disk holds the layers" disk_ok "$W/disk-7.img"
check "7: B's DHCP server handed the central strata.efi's URL" grep -q "option: 67 bootfile-name  $(lab_url)/boot/strata.efi" "$LAB_RUN/dnsmasq-bs.log"
check "7: the firmware fetched it from the central server" grep -q "^http: $B_PC GET /boot/strata.efi 200 " "$LAB_RUN/server.log"
check "7: strata.efi took its server from the boot URI" grep -q "server=$(lab_url) (from boot URI)" <(debug vm1-7)
fi
finish
