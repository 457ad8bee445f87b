#!/bin/bash
# Wake-on-LAN (server/wol.c, docs/wol.md) on a private segment, no VM: strata-server in
# namespace "srv" on bridge br0 (10.78.0.1/24), tests/tools/wol_listen.py on UDP 9 in
# namespace "pc" (10.78.0.50/24, a veth under br0).  The inventory has room a (pc01..pc03),
# room b (pc04, pc05), room big (100 machines), and pc06 (room c) at site annex
# (10.78.1.0/24, a second subnet on br0, wol=10.78.1.255).  Checked: GET /api/unknown
# lists the PCs the proxyDHCP saw (the PXE, HTTP Boot and iPXE DISCOVER seeds of
# tests/fuzz/corpus/dhcp) and one GET /ipxe/MAC, not an inventory machine's, with how, ip,
# seen and served; the server finds br0's directed broadcast itself; POST /api/wake
# room=a gives exactly 9 magic packets, each of room a's MACs 3 times about 100 ms apart,
# all to 10.78.0.255, none of room b's; pc06's go to its site's 10.78.1.255 only; room
# big's 300 packets all arrive, at 1,000 a second at most; names= wakes the machines it
# names; strata-ctl wake --room and wake NAME; one audit row "wake" per order (target
# room:a), machines marked "sent"; 401 without a credential, 403 to a cookie from another
# Origin, 200 to the same cookie with its CSRF token and the server's Origin; 404 for an
# unknown room or name; POST /api/accept-key room=R answers for the room, names= still
# works; a site's wol= with /N refused; --addr 0.0.0.0 without --wol-broadcast refused at
# start, and --wol-broadcast A.B.C.D sends there.  Needs root, ip, curl, python3, sqlite3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/admin_login.sh"
. "$(dirname "$0")/../lib/server.sh"
need_tools ip curl python3 sqlite3
[ "$(id -u)" = 0 ] || t_give_up "wol.sh needs root (network namespaces)"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${STRATA_CTL:-$(dirname "$SRV")/strata-ctl}
need_built "$SRV" "$CTL"
SRV=$(cd "$(dirname "$SRV")" && pwd)/$(basename "$SRV")
CTL=$(cd "$(dirname "$CTL")" && pwd)/$(basename "$CTL")
server_sanitizers
W=$(mktemp -d /tmp/strata-wol.XXXXXX)
chmod 755 "$W"
netns_init "rm -rf '$W'"

SIP=10.78.0.1
U=http://$SIP:8080
srv_root "$W"
for i in 1 2 3; do sed -i "s/^machine 52:54:00:5e:00:0$i name=pc0$i profile=lab$/& room=a/" "$W/root/inventory.conf"; done
printf 'machine 52:54:00:5e:00:04 name=pc04 profile=lab room=b\nmachine 52:54:00:5e:00:05 name=pc05 profile=lab room=b\n' >> "$W/root/inventory.conf"
# Room big: 100 machines, for the rate (1,000 packets a second at most).
for i in $(seq 100); do printf 'machine 52:54:00:6b:00:%02x name=big%03d profile=lab room=big\n' "$i" "$i"; done >> "$W/root/inventory.conf"
# A site on a second subnet of the same segment, with its own broadcast address.
printf 'site annex subnet=10.78.1.0/24 store=http://10.78.1.1/store wol=10.78.1.255\nmachine 52:54:00:5e:00:06 name=pc06 profile=lab room=c site=annex\n' >> "$W/root/inventory.conf"
admin_file "$W/admins" alice 'correct horse'

netns_add SNS srv || t_give_up "cannot make namespaces"
netns_add PNS pc
netns_bridge "$SNS" br0 "$SIP/24"
# brd +: the directed broadcast is a broadcast route on both ends (not an ARP target).
ip -n "$SNS" addr del "$SIP/24" dev br0 && ip -n "$SNS" addr add "$SIP/24" brd + dev br0
netns_veth "$SNS" v0 "$PNS" v1
netns_enslave "$SNS" v0 br0
ip -n "$PNS" addr add 10.78.0.50/24 brd + dev v1
ip -n "$SNS" addr add 10.78.1.1/24 brd + dev br0
ip -n "$PNS" addr add 10.78.1.50/24 brd + dev v1

in_srv() { ip netns exec "$SNS" "$@"; }
code() { in_srv curl -s -o /dev/null -w '%{http_code}' "$@"; }
# start_srv LOG ARGS..: the server in "srv" on port 8080; waits until it serves
start_srv() {
	local log=$1
	shift
	netns_spawn SPID "$SNS" "$log" "$SRV" --root "$W/root" --http-port 8080 --tftp-port 0 \
		--dhcp off --api-tokens "$W/api-tokens" --admins "$W/admins" "$@"
	for _ in $(seq 300); do
		grep -q '^strata-server: serving ' "$log" && return 0
		netns_alive "$SPID" || return 1
		sleep 0.1
	done
	return 1
}
# listen: a fresh listener in "pc", its lines in $W/heard
listen() {
	rm -f "$W/heard" "$W/heard.ready"
	netns_spawn LPID "$PNS" "$W/listen.log" python3 "$ROOT/tests/tools/wol_listen.py" "$W/heard"
	for _ in $(seq 50); do [ -e "$W/heard.ready" ] && return 0; sleep 0.1; done
	return 1
}
# heard_after S: wait S seconds, stop the listener
heard_after() { sleep "$1"; netns_stop "$LPID"; }
# packets MAC: how many magic packets of MAC were heard
packets() { grep -c " $1\$" "$W/heard"; }
wake() { in_srv curl -s -o "$W/answer" -w '%{http_code}' -H "$SRV_AUTH" -X POST "$@"; }

check "server starts on 10.78.0.1 (proxyDHCP on port 6767)" start_srv "$W/log" --addr "$SIP" --url "$U" --dhcp proxy --dhcp-port 6767 --dhcp-alt-port 6768
check "  it found br0's directed broadcast" grep -q "Wake-on-LAN to 10.78.0.255 port 9 (br0's broadcast)" "$W/log"

# Unknown PCs: the proxyDHCP's boot clients and /ipxe/MAC, not the inventory's.
CORPUS=$ROOT/tests/fuzz/corpus/dhcp
for seed in ovmf-pxe-discover http-discover ipxe-discover; do
	ip netns exec "$PNS" bash -c 'exec 3<>/dev/udp/10.78.0.1/6767 && cat "$1" >&3' _ "$CORPUS/$seed"
done
in_srv curl -s -o /dev/null "$U/ipxe/52:54:00:77:00:09"
in_srv curl -s -o /dev/null "$U/ipxe/52:54:00:5e:00:01"
sleep 0.3
unknown() { in_srv curl -s -H "$SRV_AUTH" "$U/api/unknown" | python3 -c "import json, sys; j = json.load(sys.stdin); pcs = {p['mac']: p for p in j['pcs']}; sys.exit(0 if ($1) else 1)"; }
check "GET /api/unknown: the 3 DHCP boot clients and the /ipxe/MAC one, no inventory machine" unknown "sorted(pcs) == ['52:54:00:77:00:01', '52:54:00:77:00:02', '52:54:00:77:00:03', '52:54:00:77:00:09'] and j['forgotten'] == 0"
check "  how: pxe, http-boot, ipxe (DHCP user class and /ipxe/MAC)" unknown "[pcs[m]['how'] for m in sorted(pcs)] == ['pxe', 'ipxe', 'http-boot', 'ipxe']"
check "  the /ipxe/MAC one from 10.78.0.1, seen once, not served (no default profile)" unknown "pcs['52:54:00:77:00:09']['ip'] == '10.78.0.1' and pcs['52:54:00:77:00:09']['seen'] == 1 and not pcs['52:54:00:77:00:09']['served'] and pcs['52:54:00:77:00:09']['last'] >= pcs['52:54:00:77:00:09']['first'] > 0"
check "  the most recent first" unknown "j['pcs'][0]['last'] >= j['pcs'][-1]['last']"
check "GET /api/unknown without a credential: 401" test "$(code "$U/api/unknown")" = 401

# A room of three: exactly 9 correct packets, 3 per MAC, about 100 ms apart; room b none.
check "listener on UDP 9 in the PCs' namespace" listen
check "POST /api/wake room=a: 200" test "$(wake --data 'room=a' "$U/api/wake")" = 200
check "  the answer names room a's three machines" python3 -c "import json; j = json.load(open('$W/answer')); assert j['target'] == 'room:a' and sorted(m['name'] for m in j['machines']) == ['pc01', 'pc02', 'pc03'], j"
heard_after 0.8
check "exactly 9 datagrams heard" test "$(wc -l < "$W/heard")" = 9
check "  all magic packets, from the server, to 10.78.0.255" test "$(grep -c " $SIP 10.78.0.255 52:54:00:5e:00:0[123]\$" "$W/heard")" = 9
for i in 1 2 3; do
	check "  pc0$i's MAC 3 times" test "$(packets 52:54:00:5e:00:0$i)" = 3
done
check "  none of room b's" test "$(grep -c '52:54:00:5e:00:0[45]' "$W/heard")" = 0
check "  each MAC's repeats 80..400 ms apart" python3 -c "
import collections
t = collections.defaultdict(list)
for l in open('$W/heard'):
    ms, src, dst, mac = l.split()
    t[mac].append(int(ms))
for mac, v in t.items():
    gaps = [b - a for a, b in zip(v, v[1:])]
    assert all(80 <= g <= 400 for g in gaps), (mac, gaps)
"
check "one audit row: wake room:a by admin, 3 machines sent" test "$(srv_sql "$W" "SELECT o.token_name || '|' || o.target || '|' || count(*) || '|' || min(m.outcome) FROM orders o JOIN order_machines m ON m.order_id = o.id WHERE o.action = 'wake' GROUP BY o.id")" = "admin|room:a|3|sent"

# A site's wol= address: pc06's packets go there, not to the server's broadcast.
check "listener again" listen
check "POST /api/wake room=c (pc06, site annex): 200" test "$(wake --data 'room=c' "$U/api/wake")" = 200
heard_after 0.6
check "  pc06's 3 packets, to the site's 10.78.1.255 only" test "$(grep -c " 10.78.1.255 52:54:00:5e:00:06\$" "$W/heard")$(wc -l < "$W/heard")" = 33

# The rate: 300 packets take 0.3 s at least, and none is lost.
check "listener again" listen
check "POST /api/wake room=big (100 machines): 200" test "$(wake --data 'room=big' "$U/api/wake")" = 200
heard_after 1.5
check "  300 magic packets, 3 for each MAC" python3 -c "
import collections
c = collections.Counter(l.split()[3] for l in open('$W/heard'))
assert sum(c.values()) == 300 and len(c) == 100 and set(c.values()) == {3}, c
"
check "  at most 40 in any 10 ms (1,000 a second: one tick sends 10; slack for a loaded host), 0.25 s or more in all" python3 -c "
t = sorted(int(l.split()[0]) for l in open('$W/heard'))
busiest = max(sum(1 for u in t if v <= u < v + 10) for v in t)
assert busiest <= 40 and t[-1] - t[0] >= 250, (busiest, t[-1] - t[0])
"

# names= and strata-ctl.
check "listener again" listen
check "POST /api/wake names=pc04,52:54:00:5e:00:05: 200" test "$(wake --data 'names=pc04,52:54:00:5e:00:05' "$U/api/wake")" = 200
heard_after 0.6
check "  6 packets: pc04's and pc05's, 3 each" test "$(packets 52:54:00:5e:00:04)$(packets 52:54:00:5e:00:05)$(wc -l < "$W/heard")" = 336
check "listener again" listen
check "strata-ctl wake --room b --yes: exit 0" in_srv env STRATA_URL="$U" STRATA_TOKEN_FILE="$W/api-tokens" "$CTL" wake --room b --yes
check "strata-ctl wake pc01 --yes --json: exit 0, JSON naming pc01" sh -c "ip netns exec '$SNS' env STRATA_URL='$U' STRATA_TOKEN_FILE='$W/api-tokens' '$CTL' wake pc01 --yes --json | python3 -c 'import json,sys; j = json.load(sys.stdin); assert j[\"machines\"][0][\"name\"] == \"pc01\"'"
heard_after 0.6
check "  room b's and pc01's packets: 3 each, 9 in all" test "$(packets 52:54:00:5e:00:04)$(packets 52:54:00:5e:00:05)$(packets 52:54:00:5e:00:01)$(wc -l < "$W/heard")" = 3339
check "strata-ctl wake without a target: exit 2" in_srv env STRATA_URL="$U" STRATA_TOKEN_FILE="$W/api-tokens" sh -c "'$CTL' wake --yes; test \$? = 2"
check "strata-ctl wake --room nosuch: exit 4" in_srv env STRATA_URL="$U" STRATA_TOKEN_FILE="$W/api-tokens" sh -c "'$CTL' wake --room nosuch --yes; test \$? = 4"

# Refusals.
check "unknown room: 404" test "$(wake --data 'room=zz' "$U/api/wake")" = 404
check "unknown name: 404 naming it" sh -c "test \"\$(ip netns exec '$SNS' curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'names=pc01,nosuch' '$U/api/wake')\" = 404 && grep -q nosuch '$W/answer'"
check "neither names= nor room=: 400" test "$(wake --data 'x=1' "$U/api/wake")" = 400
check "both names= and room=: 400" test "$(wake --data 'names=pc01&room=a' "$U/api/wake")" = 400
check "GET /api/wake: 405" test "$(code -H "$SRV_AUTH" "$U/api/wake")" = 405
check "no credential: 401" test "$(code -X POST --data 'room=a' "$U/api/wake")" = 401
CSRF=$(admin_login "$U" alice 'correct horse' "$W/jar" ip netns exec "$SNS")
check "alice logs in" test -n "$CSRF"
check "cookie from another Origin: 403" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H 'Origin: http://evil.example' --data 'room=a' "$U/api/wake")" = 403
check "cookie without the CSRF token: 403" test "$(code -b "$W/jar" -H "Origin: $U" --data 'room=a' "$U/api/wake")" = 403
check "cookie, CSRF and Origin: 200" test "$(code -b "$W/jar" -H "X-Strata-CSRF: $CSRF" -H "Origin: $U" --data 'room=b' "$U/api/wake")" = 200
check "  audited as alice via session" test "$(srv_sql "$W" "SELECT token_name || '|' || via FROM orders WHERE action = 'wake' ORDER BY id DESC LIMIT 1")" = "alice|session"

# accept-key for a room.
check "POST /api/accept-key room=a: 200 (no key pending: 0 machines)" sh -c "test \"\$(ip netns exec '$SNS' curl -s -o '$W/answer' -w '%{http_code}' -H '$SRV_AUTH' --data 'room=a' '$U/api/accept-key')\" = 200 && grep -q 'of 0 machines' '$W/answer'"
check "POST /api/accept-key names=pc01 still: 200" sh -c "ip netns exec '$SNS' curl -s -H '$SRV_AUTH' -X POST '$U/api/accept-key?names=pc01' | grep -q 'of 0 machines'"
check "POST /api/accept-key room=zz: 404" test "$(code -H "$SRV_AUTH" --data 'room=zz' "$U/api/accept-key")" = 404
check "POST /api/accept-key room=a, no credential: 401" test "$(code --data 'room=a' "$U/api/accept-key")" = 401
netns_stop "$SPID"
check "sanitizers quiet" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$W/log'"

# A site's wol= must be one address.
sed 's|wol=10.78.1.255|wol=10.78.1.0/24|' "$W/root/inventory.conf" > "$W/bad.conf"
check "a site's wol=10.78.1.0/24: refused at start, naming the line" sh -c "timeout 20 '$SRV' --root '$W/root' --inventory '$W/bad.conf' --state '$W/bad-state' --addr 127.0.0.1 --http-port $(free_port) --tftp-port 0 --dhcp off 2>&1 | grep -q 'bad.conf:[0-9]*: wol= must be an IPv4 address'"

# --addr 0.0.0.0: --wol-broadcast is required, and is where packets go.
check "--addr 0.0.0.0 without --wol-broadcast: refused at start" sh -c "'$SRV' --root '$W/root' --addr 0.0.0.0 --url '$U' --dhcp off 2>&1 | grep -q 'wol-broadcast A.B.C.D is required'"
check "--wol-broadcast 10.78.0.0/24: refused" sh -c "'$SRV' --root '$W/root' --addr 0.0.0.0 --url '$U' --wol-broadcast 10.78.0.0/24 2>&1 | grep -q 'without /N'"
check "server on 0.0.0.0 with --wol-broadcast 10.78.0.255 starts" start_srv "$W/log2" --addr 0.0.0.0 --url "$U" --wol-broadcast 10.78.0.255
check "listener again" listen
check "POST /api/wake names=pc02: 200" test "$(wake --data 'names=pc02' "$U/api/wake")" = 200
heard_after 0.6
check "  pc02's 3 packets" test "$(packets 52:54:00:5e:00:02)$(wc -l < "$W/heard")" = 33
netns_stop "$SPID"
check "sanitizers quiet (second server)" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$W/log2'"
# More --wol-broadcast addresses (12) than a tick's budget of packets (10): each job goes
# alone at a tick's start (it once waited for ever, and the API said sent).
MANY=10.78.0.255$(printf ',10.78.0.%d' $(seq 201 211))
check "server with 12 --wol-broadcast addresses starts" start_srv "$W/log3" --addr 0.0.0.0 --url "$U" --wol-broadcast "$MANY"
check "listener again" listen
check "POST /api/wake names=pc02: 200" test "$(wake --data 'names=pc02' "$U/api/wake")" = 200
heard_after 0.6
check "  pc02's 3 packets at the broadcast address" test "$(packets 52:54:00:5e:00:02)$(wc -l < "$W/heard")" = 33
netns_stop "$SPID"
check "sanitizers quiet (third server)" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$W/log3'"
finish
