#!/bin/bash
# strata-server's multicast sessions (server/mcast*.c, docs/multicast.md) against an
# independent client, tests/tools/mcast_peer.py, in a network namespace of its own (a veth
# pair, the server on 10.99.0.1, the peers joined to the group there).  Inventory keys: a
# profile with multicast=yes gets the statement in its machines' signed manifests, and a
# bad key is refused naming file:line.  The carousel: nothing sent while nobody needs
# anything; datagrams that parse by the documented layout and reassemble into chunks that
# verify against the index; only the chunks a client needs; sending stops once it is
# done; the rate held (wire bytes over time, generous bounds); two peers needing the same
# layer at once cost about one copy (each digest once: the layer's last 16 chunks repeat
# one block, and a pass carries that block once); a pass that sends nothing (an unreadable store file) is
# not counted.  The status route: unsigned, a body not matching b=,
# a replayed counter, another profile's session, a part not in the session, a body that
# does not parse, an unknown session (GONE), statuses too close together (503); a peer
# reporting a loss that makes multicast pointless is sent to repair before a pass, one with
# little loss stays;
# /api/mcast.json needs a credential; a silent client is dropped after 30 s.
# Needs root (ip netns), curl, python3-cryptography.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/netns.sh"
need_tools curl python3 ip
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; echo "0 passed, 0 failed"; exit 0; }
STRATA_IMAGE_BIN=${STRATA_IMAGE:-build/san/strata-image}
PEER="python3 $(dirname "$0")/../tools/mcast_peer.py"
SC="python3 $(dirname "$0")/../tools/session_client.py"
W=$(mktemp -d /tmp/strata-mcast.XXXXXX)
chmod 755 "$W"
netns_init "rm -rf '$W'"
netns_add NS mc || exit 1
netns_veth "$NS" v0 "$NS" v1 && netns_addr "$NS" v0 10.99.0.1/24 || exit 1
inns() { ip netns exec "$NS" "$@"; }
IP=10.99.0.1 HP=8080 U=http://10.99.0.1:8080
M1=52:54:00:5e:00:01 M2=52:54:00:5e:00:02 M3=52:54:00:5e:00:03 M4=52:54:00:5e:00:04

# Two layers: A (3 MiB of random data and one random 64 KiB block 16 times: 64 stored
# chunks of 64 KiB, 49 distinct) for profile lab, B for profile lab2.
srv_root "$W"
head -c $((3 << 20)) /dev/urandom > "$W/a.img"
head -c 65536 /dev/urandom > "$W/rep"
for _ in $(seq 16); do cat "$W/rep" >> "$W/a.img"; done
head -c $((1 << 20)) /dev/urandom > "$W/b.img"
LA=$("$STRATA_IMAGE_BIN" build --store "$W/root/store" "$W/a.img" 2>/dev/null | tail -1)
LB=$("$STRATA_IMAGE_BIN" build --store "$W/root/store" "$W/b.img" 2>/dev/null | tail -1)
IA=$W/root/store/layers/${LA#sha256:}.idx
inventory() {
	cat > "$W/root/inventory.conf" <<EOC
default local
profile lab multicast=yes group=239.255.83.1 rate=$1 port=5083
disk min-size=1G
part label=root type=linux size=64M layer=$LA
part label=CIDATA type=basic size=8M layer=machine
profile lab2 multicast=yes group=239.255.83.2 rate=8M
part label=root type=linux size=64M layer=$LB
profile plain
part label=root type=linux size=64M layer=$LA
machine $M1 name=pc01 profile=lab
machine $M2 name=pc02 profile=lab
machine $M3 name=pc03 profile=lab2
machine $M4 name=pc04 profile=plain
EOC
}
inventory 8M
chown -R nobody "$W/root/store" 2>/dev/null
netns_spawn SPID "$NS" "$W/log" "$SRV" --root "$W/root" --addr $IP --http-port $HP \
	--tftp-port 0 --dhcp off --api-tokens "$W/api-tokens"
for _ in $(seq 300); do grep -q '^strata-server: serving ' "$W/log" && break; sleep 0.1; done
check "server starts with two multicast profiles" grep -q '^strata-server: serving ' "$W/log"
check "each session is logged" grep -q "mcast: lab: session .* on 239.255.83.1:5083 at 8000000 bit/s, 1 parts, 64 chunks a pass" "$W/log"

json() { inns curl -s -H "$SRV_AUTH" "$U/api/mcast.json"; }
jq_() { json | P=$1 E=$2 python3 -c "import json,os,sys; d=json.load(sys.stdin); s=[x for x in d['sessions'] if x['profile']==os.environ['P']][0]; print(eval(os.environ['E']))"; }
SA=$(jq_ lab "s['session']")
SB=$(jq_ lab2 "s['session']")
check "/api/mcast.json needs a credential" test "$(inns curl -s -o /dev/null -w '%{http_code}' "$U/api/mcast.json")" = 401
check "sessions have ids" test ${#SA} = 16 -a ${#SB} = 16 -a "$SA" != "$SB"

manifest() { inns curl -s -H "$SRV_AUTH" "$U/manifest/$1"; }
check "pc01's manifest announces lab's session" \
	grep -qx "multicast group=239.255.83.1 port=5083 session=$SA rate=8M payload=1432 parity=0 parts=1" <(manifest $M1)
check "pc04's (no multicast=yes) has no statement" bash -c "! grep -q multicast <<<'$(manifest $M4)'"

reg() { inns $SC key "$W/$1.key" >/dev/null && inns $SC register "$U" "$1" "$W/$1.key" "$W/$1.state" >/dev/null; }
# A machine gets a session while an order is pending (trust on first use).
regs() {
	inns curl -sf -X POST -H "$SRV_AUTH" "$U/api/deploy/all" >/dev/null &&
		reg $M1 && reg $M2 && reg $M3
}
check "sessions registered" regs

sleep 1
check "idle: nothing sent while nobody needs anything" test "$(jq_ lab "s['datagrams']")" = 0

# One peer needing chunks 10..19 and 40..44 of 64: only those are sent, each verifies, and
# sending stops when it is done.
run_peer() {  # MAC NEED OUT
	inns $PEER run "$W/$1.state" "$1" "$U" "$IA" 239.255.83.1 $IP 5083 "$SA" 1 "$2" "$3" 60
}
pj() { python3 -c "import json; d=json.load(open('$1')); print($2)"; }
# A session at rest gathers (STRATA_MC_GATHER_*): the pass starts once joins stop for 3 s.
run_peer $M1 10:10,40:5 "$W/p1.json" & P0=$!
joined() { [ "$(jq_ lab "len(s['clients'])")" -ge 1 ]; }
eventually_for 10 joined
check "a session at rest gathers: nothing sent right after the first join" \
	test "$(jq_ lab "s['gathering'], s['datagrams']")" = "(True, 0)"
wait $P0; R0=$?
check "a peer needing 15 chunks takes them all and leaves with DONE" test $R0 = 0
check "the pass started once the joins settled (logged)" \
	grep -q "mcast: lab: the pass starts after [0-9.]* s of joins (1 clients)" "$W/log"
check "every chunk it took verified (zlib, SHA-256) and no datagram was malformed" \
	test "$(pj "$W/p1.json" "'%d %d %d' % (d['chunks_ok'], d['chunks_bad'], d['bad'])")" = "15 0 0"
check "no datagram carried a chunk it did not need" test "$(pj "$W/p1.json" "d['unneeded']")" = 0
SENT1=$(jq_ lab "s['bytes']")
check "bytes sent about one copy of what it needed ($SENT1)" \
	test "$SENT1" -ge "$(pj "$W/p1.json" "d['wanted_stored']")" -a "$SENT1" -le "$(pj "$W/p1.json" "int(d['wanted_stored'] * 1.3)")"
check "the join and the departure are logged" grep -q "mcast: lab: $M1 part 1 done" "$W/log"
D1=$(jq_ lab "s['datagrams']")
sleep 2
check "sending stops once nobody needs anything" test "$(jq_ lab "s['datagrams']")" = "$D1"
check "no client left" test "$(jq_ lab "len(s['clients'])")" = 0

# Two peers needing the whole layer at once: about one copy, at about the rate (measured
# once the pass has started, after the gathering).
B0=$(jq_ lab "s['wire_bytes']")
P0=$(jq_ lab "s['bytes']")
run_peer $M1 all "$W/p2.json" & P1=$!
run_peer $M2 all "$W/p3.json" & P2=$!
for _ in $(seq 100); do [ "$(jq_ lab "s['wire_bytes']")" -gt "$B0" ] && break; sleep 0.1; done
B0=$(jq_ lab "s['wire_bytes']")
T0=$(now_ms)
sleep 3
B1=$(jq_ lab "s['wire_bytes']")
T1=$(now_ms)
wait $P1; R1=$?
wait $P2; R2=$?
check "two peers needing the layer both finish" test $R1 = 0 -a $R2 = 0
check "both verified all 64 chunks" test "$(pj "$W/p2.json" "d['chunks_ok']")/$(pj "$W/p3.json" "d['chunks_ok']")" = 64/64
check "a pass carries each digest once (the repeated block under one chunk)" \
	test "$(pj "$W/p2.json" "d['digest_twice']")/$(pj "$W/p3.json" "d['digest_twice']")" = 0/0
ONE=$(pj "$W/p2.json" "d['wanted_stored']")
P1B=$(jq_ lab "s['bytes']")
check "bytes sent for two peers about one copy ($((P1B - P0)) for $ONE)" \
	test $((P1B - P0)) -ge "$ONE" -a $((P1B - P0)) -le $((ONE * 5 / 4))
RATE=$(( (B1 - B0) * 8 * 1000 / (T1 - T0) ))
check "the rate held: $RATE bit/s for 8M (0.5 .. 1.15)" test "$RATE" -ge 4000000 -a "$RATE" -le 9200000
check "a cycle line is logged" grep -q "mcast: lab: cycle [0-9]*: .* MB to .* clients in" "$W/log"

st() {  # MAC SESSION PART LAYER FLAGS NEED [MODE]
	inns $PEER post "$W/$1.state" "$1" "$U" "$IA" "$2" "$3" "$4" "$5" "$6" ${7:-}
}
LAH=${LA#sha256:}
# A pass that sends nothing is not a pass: a peer needing only chunk 5, whose store file
# cannot be read, gets no datagram, the cycle count stays, and after 3 s (hundreds of such
# passes, were they counted) its need of one chunk is still answered stay, not repair.
C5=$(python3 -c "import sys; sys.path.insert(0, '$(dirname "$0")/../tools'); import mcast_peer as m; print(m.read_index('$IA')[1][5][0].hex())")
F5=$(find "$W/root/store" -type f -name "$C5*" | head -1)
mv "$F5" "$W/c5"
CY0=$(jq_ lab "s['cycle']")
check "a peer needing an unreadable chunk joins: stay" test "$(st $M1 $SA 1 $LAH 1 5:1)" = "200 stay"
sleep 3
CY1=$(jq_ lab "s['cycle']")
check "no pass counted while nothing can be sent (cycle $CY0 -> $CY1)" test "$CY1" -le $((CY0 + 1))
# One pass may close after the join (a pass the earlier peers' statuses began); after a
# real pass a need of one chunk is rightly sent to HTTP.  Without one it must stay.
if [ "$CY1" = "$CY0" ]; then
	check "... and its next status is still answered stay" test "$(st $M1 $SA 1 $LAH 0 5:1)" = "200 stay"
else
	check "... and its next status is stay, or repair after the one real pass" sh -c "case '$(st $M1 $SA 1 $LAH 0 5:1)' in '200 stay'|'200 repair') exit 0;; *) exit 1;; esac"
fi
check "it leaves with DONE" grep -q "^200 " <(st $M1 $SA 1 $LAH 2 0:0)
mv "$W/c5" "$F5"

# Leaving early for HTTP (docs/multicast.md, "Leaving early for HTTP"): layer A's chunks
# are 46 fragments, so from 1.5 % loss fewer than half would arrive whole.  pc01 reports
# 10 % loss over 330 datagrams (too little evidence: stay), then 3 % over 1,340 in all
# (repair); pc02 0.4 % over 1,300, then 0.2 % over 2,600 (stay).  A pass of the 64 chunks
# would send pc02 (a need of 64 chunks is small) to repair too: its stay says none went by.
check "a lossy peer joins: stay" test "$(st $M1 $SA 1 $LAH 1 all)" = "200 stay"
check "a clean peer joins: stay" test "$(st $M2 $SA 1 $LAH 1 all)" = "200 stay"
sleep 0.5
check "10 % loss over 330 datagrams: stay (too little evidence)" test "$(st $M1 $SA 1 $LAH 0 all loss=300:30)" = "200 stay"
check "0.4 % loss over 1,300 datagrams: stay" test "$(st $M2 $SA 1 $LAH 0 all loss=1295:5)" = "200 stay"
sleep 0.5
check "3 % loss over 1,340 datagrams: repair, before a pass" test "$(st $M1 $SA 1 $LAH 0 all loss=1000:10)" = "200 repair"
check "0.2 % loss over 2,600 datagrams: stay (so no pass went by)" test "$(st $M2 $SA 1 $LAH 0 all loss=1300:0)" = "200 stay"
check "the lossy peer leaves for HTTP" grep -q "^200 " <(st $M1 $SA 1 $LAH 4 all)
check "... logged with its datagrams" grep -q "mcast: lab: $M1 part 1 left for HTTP: .* datagrams: 1300 seen, 40 lost" "$W/log"
check "the clean peer leaves with DONE" grep -q "^200 " <(st $M2 $SA 1 $LAH 2 0:0)

# The status route's refusals.
check "unsigned: 403" test "$(st $M1 $SA 1 $LAH 1 0:4 unsigned)" = "403 -"
check "a body not matching b=: 403" test "$(st $M1 $SA 1 $LAH 1 0:4 bad-b)" = "403 -"
check "another profile's session: 409" test "$(st $M1 $SB 1 $LAH 1 0:4)" = "409 -"
check "a part not in the session: 409" test "$(st $M1 $SA 2 $LAH 1 0:4)" = "409 -"
check "another layer: 409" test "$(st $M1 $SA 1 ${LB#sha256:} 1 0:4)" = "409 -"
check "a body that does not parse: 400" test "$(st $M1 $SA 1 $LAH 1 0:4 garbage)" = "400 -"
check "an unknown session: GONE" test "$(st $M1 0123456789abcdef 1 $LAH 1 0:4)" = "200 gone"
check "a JOIN: stay" test "$(st $M3 $SB 1 ${LB#sha256:} 1 0:4)" = "200 stay"
check "a replayed counter: 409" test "$(st $M3 $SB 1 ${LB#sha256:} 0 0:4 replay)" = "409 -"
check "too soon after the last: 503" test "$(st $M3 $SB 1 ${LB#sha256:} 0 0:4 twice)" = "503 -"
check "the JOINed client is listed" test "$(jq_ lab2 "len(s['clients'])")" = 1

# A silent client is dropped after 30 s (pc03's JOIN above, never followed).
for _ in $(seq 40); do
	[ "$(jq_ lab2 "len(s['clients'])")" = 0 ] && break
	sleep 1
done
check "a silent client is dropped after 30 s" grep -q "mcast: lab2: $M3 part 1 silent for 30 s: dropped" "$W/log"

# A bad key names the file and line; the old inventory stays.
cp "$W/root/inventory.conf" "$W/good.conf"
sed -i 's/rate=8M port=5083/rate=8M port=80/' "$W/root/inventory.conf"
inns kill -HUP "$SPID"
sleep 1
check "a bad multicast key is refused naming file:line" grep -q "inventory.conf:2: port= must be 1024..65535, not '80'" "$W/log"
check "the server runs on" test -n "$(jq_ lab "s['session']")"

# A reload that changes the rate and payload: the session (same id) sends as the new
# manifests say, not as the old ones did.
SID=$(jq_ lab "s['session']")
sed 's/rate=8M port=5083/rate=16M port=5083 payload=1000/' "$W/good.conf" > "$W/root/inventory.conf"
inns kill -HUP "$SPID"
for _ in $(seq 50); do [ "$(jq_ lab "s['payload']")" = 1000 ] && break; sleep 0.1; done
check "after a reload the live session has the new rate and payload" test "$(jq_ lab "(s['session'], s['rate'], s['payload'])")" = "('$SID', 16000000, 1000)"
check "... as the manifest says" grep -q "^multicast .*session=$SID rate=16M payload=1000 " <(manifest $M1)
netns_stop "$SPID"
check "the server stops cleanly, no sanitizer or leak report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$W/log'"
finish
