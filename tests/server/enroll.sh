#!/bin/bash
# The enroll order (server/enroll.h, docs/secure-boot.md): strata-enroll.efi on a machine's
# next network boot, once.
#   1. Loopback: POST /api/enroll/NAME (a token needed, an unknown name 404, audited with
#      the token's name) makes the machine's iPXE script chain the server's
#      /boot/strata-enroll.efi with server=, /machines.json says "pending": "enroll";
#      serving that script uses the order up (audit outcome), so the next script is the
#      machine's usual one, and a restart keeps it used up; `action=enroll` on an
#      inventory line does the same once and a reload does not give it again; a deploy
#      order given after it gives the deploy script.
#   2. In two network namespaces (root): a PC with pc02's MAC asks the proxyDHCP as a UEFI
#      HTTP Boot client and is told strata-enroll.efi's URL while its order is pending;
#      fetching that file uses the order up (its MAC from the server's neighbour table),
#      and the proxyDHCP's next answer is strata.efi again.
# No VM; about 5 s.  Needs curl, sqlite3, python3 (and root, ip for part 2).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/netns.sh"
need_tools curl sqlite3 python3
need_built "$SRV"
W=$(mktemp -d /tmp/strata-enroll.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

post() { curl -s -X POST -H "$SRV_AUTH" "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json() { curl -s -H "$SRV_AUTH" "$U/machines.json"; }
script() { curl -s "$U/ipxe/$1"; }
pending_is() { json | grep -q "\"name\": \"$1\".*\"pending\": \"$2\""; }
enroll_script() { script "$1" > "$W/s" && grep -qx "chain $U/boot/strata-enroll.efi server=$U || goto failed" "$W/s"; }
local_script() { script "$1" | grep -q "boots its local disk"; }
deploy_script() { script "$1" | grep -q "^imgfetch --name agent $U/boot/strata.efi server=$U mac=.* then=reboot"; }
PC1=52-54-00-5e-00-01
PC2=52-54-00-5e-00-02
PC3=52-54-00-5e-00-03

srv_root "$W"
sed -i 's/^\(machine 52:54:00:5e:00:02 .*\)$/\1 action=enroll/' "$W/root/inventory.conf"
echo stub > "$W/root/boot/strata-enroll.efi"
echo stub > "$W/root/boot/strata.efi"
check "server starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"

# 1. The order through the API.
check "pc01 without an order: its local disk" local_script $PC1
check "POST /api/enroll without a token: 401" test "$(code -X POST "$U/api/enroll/pc01")" = 401
check "POST /api/enroll/nosuch: 404" test "$(code -X POST -H "$SRV_AUTH" "$U/api/enroll/nosuch")" = 404
check "POST /api/enroll/pc01: \"enroll pending on 1 machines\"" sh -c "test \"\$(curl -s -X POST -H '$SRV_AUTH' '$U/api/enroll/pc01')\" = 'enroll pending on 1 machines'"
check "/machines.json: pc01 \"pending\": \"enroll\"" pending_is pc01 enroll
check "audited: admin, pc01, enroll" test "$(srv_sql "$W" "SELECT token_name, target, action FROM orders ORDER BY id DESC LIMIT 1")" = "admin|pc01|enroll"
check "pc01's script chains the server's strata-enroll.efi with server=" enroll_script $PC1
check "  and names the machine" grep -q "^echo Strata: enrolling the lab's Secure Boot keys on pc01 from $U" "$W/s"
check "the server logs the decision and the order used up" sh -c "
	grep -q 'boot: 52:54:00:5e:00:01 pc01: enroll pending: run strata-enroll.efi' '$W/log' &&
	grep -q 'enroll: 52:54:00:5e:00:01: order used up (enroll script served)' '$W/log'"
check "once: pc01's next script is its local disk's" local_script $PC1
check "/machines.json: pc01 \"pending\": \"none\"" pending_is pc01 none
check "audit outcome: enroll script served" test "$(srv_sql "$W" "SELECT outcome FROM order_machines WHERE mac = '52:54:00:5e:00:01'")" = "enroll script served"

# The inventory's action=enroll: once, and not again on a reload or a restart.
check "pc02 (action=enroll in the inventory): \"pending\": \"enroll\"" pending_is pc02 enroll
check "pc02's script chains strata-enroll.efi" enroll_script $PC2
check "once: then its local disk" local_script $PC2
kill -HUP "$SRV_PID"
sleep 1
check "a reload (SIGHUP) does not give it again" local_script $PC2
srv_stop
check "server starts again" srv_start "$W" "$W/log2" --api-tokens "$W/api-tokens"
check "after a restart: pc01 and pc02 used up, local disk" sh -c "
	curl -s '$U/ipxe/$PC1' | grep -q 'boots its local disk' && curl -s '$U/ipxe/$PC2' | grep -q 'boots its local disk'"

# Orders in turn: enroll, then deploy after the enrollment.
post "$U/api/enroll/pc03" >/dev/null
check "pc03: enroll first" enroll_script $PC3
post "$U/api/deploy/pc03" >/dev/null
check "pc03: then the deploy order's script (strata.efi)" deploy_script $PC3
srv_stop

# 2. UEFI HTTP Boot: the proxyDHCP's answer, and the order used up by the fetch.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
	echo "skip: part 2 needs root and ip (network namespaces)"
	finish
	exit
fi
netns_init
netns_add NS_S srv && netns_add NS_P pc && netns_veth "$NS_S" s0 "$NS_P" p0 &&
	netns_addr "$NS_S" s0 10.78.0.1/24 && netns_addr "$NS_P" p0 10.78.0.2/24 &&
	ip -n "$NS_P" link set p0 address 52:54:00:5e:00:03
check "two namespaces, the PC with pc03's MAC" test $? = 0
post_ns() { ip netns exec "$NS_P" curl -s -X POST -H "$SRV_AUTH" "$@"; }
HP=$(free_port)
DP=$(free_port)
AP=$(free_port)
netns_spawn SPID "$NS_S" "$W/log3" "$SRV" --root "$W/root" --addr 10.78.0.1 --http-port "$HP" \
	--tftp-port 0 --dhcp proxy --dhcp-port "$DP" --dhcp-alt-port "$AP" --api-tokens "$W/api-tokens"
for _ in $(seq 100); do grep -q '^strata-server: serving ' "$W/log3" && break; sleep 0.1; done
check "server starts in its namespace, proxyDHCP on" grep -q '^strata-server: serving ' "$W/log3"
U=http://10.78.0.1:$HP
# ask: the boot file the proxyDHCP names to a UEFI HTTP Boot client (x64, arch 16) with
# pc03's MAC, through its PXE port (a REQUEST there is answered to its source).
ask() {
	ip netns exec "$NS_P" python3 - 10.78.0.1 "$AP" <<'EOF'
import socket, struct, sys
mac = bytes.fromhex("5254005e0003")
vc = b"HTTPClient:Arch:00016:UNDI:003001"
hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x12345678, 0, 0, bytes(4),
                  bytes(4), bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128))
opts = bytes([53, 1, 3, 60, len(vc)]) + vc + bytes([93, 2, 0, 16, 255])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(hdr + struct.pack("!I", 0x63825363) + opts, (sys.argv[1], int(sys.argv[2])))
b = s.recv(1500)
i = 240
while i < len(b) and b[i] != 255:
    if b[i] == 0:
        i += 1
        continue
    if b[i] == 67:
        print(b[i + 2:i + 2 + b[i + 1]].decode())
    i += 2 + b[i + 1]
EOF
}
check "without an order: HTTP Boot is told strata.efi" test "$(ask)" = "$U/boot/strata.efi"
post_ns "$U/api/enroll/pc03" >/dev/null
check "with pc03's enroll order: told strata-enroll.efi" test "$(ask)" = "$U/boot/strata-enroll.efi"
check "  (and again until it fetches it: DHCP retries use nothing up)" test "$(ask)" = "$U/boot/strata-enroll.efi"
ip netns exec "$NS_P" curl -s -o /dev/null "$U/boot/strata-enroll.efi"
check "fetching it used the order up (MAC from the neighbour table)" grep -q 'enroll: 52:54:00:5e:00:03: order used up (strata-enroll.efi fetched)' "$W/log3"
check "then HTTP Boot is told strata.efi again" test "$(ask)" = "$U/boot/strata.efi"
check "  and /machines.json says pc03 \"pending\": \"none\"" sh -c "ip netns exec '$NS_P' curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q '\"name\": \"pc03\".*\"pending\": \"none\"'"
check "no sanitizer report in the server's logs" sh -c "! grep -q 'Sanitizer\|runtime error' '$W'/log*"
finish
