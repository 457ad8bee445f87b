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
LAB_SERVER_OPTS="--trusted-proxies 10.80.0.2" lab_start "$W/root" "$KEY" ||
	{ check "lab starts" false; finish; exit; }

# Branch B: a namespace routed to the lab's (10.80.0.0/30), its segment brb 10.79.0.0/24.
netns_add B_NS branch &&
netns_veth "$LAB_NS" wan0 "$B_NS" wan0 &&
netns_addr "$LAB_NS" wan0 10.80.0.1/30 && netns_addr "$B_NS" wan0 10.80.0.2/30 &&
ip -n "$LAB_NS" route add 10.79.0.0/24 via 10.80.0.2 &&
ip -n "$B_NS" route add default via 10.80.0.1 &&
ip netns exec "$B_NS" sysctl -qw net.ipv4.ip_forward=1 &&
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
boot() {
	truncate -s 200M "$W/disk-$1.img"
	lab_vm "vm1-$1" "$MAC" "$W/disk-$1.img"
}

# 1. Through the cache.
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

# 2. Served by the cache alone.
mark
boot 2
check "2: deployment complete" grep -q "strata.efi: deployment complete" <(debug vm1-2)
check "2: the disk holds the layers" disk_ok "$W/disk-2.img"
check "2: the server's log has no store request for it" test "$(store_lines)" = "$n1"

# 3. The cache stopped: the central server's store.
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

# 4. A poisoned cache: the last byte of one cached chunk of the root layer flipped.  The
# server's store gives the second pass the root's index and a run of the one chunk.
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
finish
