# Private networks for Strata's network-boot tests: network namespaces, a bridge, veth
# pairs, taps, and processes inside them.  Source it from a bash test run as root.
#
# Why namespaces: boot clients broadcast DHCP and need a segment of their own; inside
# namespaces the test creates, nothing reaches the host's networks, and deleting a
# namespace removes every interface in it.  Namespace names carry the test shell's PID
# ($$), so concurrent runs never collide; interface names live inside the namespaces
# and need no such suffix.
#
#   netns_init [CMD]             install the cleanup trap (EXIT, INT, TERM, HUP); CMD
#                                (eval'd) runs after the cleanup, e.g. to remove files
#   netns_add VAR NAME           create namespace "st$$-NAME" with lo up; VAR = its name
#   netns_bridge NS BR CIDR      bridge BR in NS, forward delay 0, address CIDR, up
#   netns_veth NS1 IF1 NS2 IF2   veth pair IF1 (in NS1) <-> IF2 (in NS2), both up
#   netns_enslave NS IF BR       put IF under bridge BR
#   netns_addr NS IF CIDR        add an address to IF in NS
#   netns_tap NS TAP BR          persistent tap TAP in NS under BR, up (for QEMU)
#   netns_mcast_loss NS PORT PCT the bridge in NS drops PCT % of the multicast out of PORT
#   netns_mcast_clean NS PORT    ... and no longer does
#   netns_spawn VAR NS LOG CMD.. run CMD inside NS in the background, output to LOG;
#                                VAR = its PID (ip netns exec execs, so it is CMD's)
#   netns_stop PID               SIGTERM, up to 5 s grace, then SIGKILL; reaps it
#   netns_cleanup                stop every spawned process, then any other process
#                                left inside our namespaces, then delete them
#
# Every helper returns non-zero on failure and says why on stderr.

NETNS_LIST=""   # namespaces created, in creation order
NETNS_PIDS=""   # processes spawned, in start order
NETNS_AFTER=""  # command run after the cleanup

netns_init() {
	NETNS_AFTER=${1:-}
	trap netns_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# Helpers that store into a caller's variable name their locals with a _netns_ prefix, so
# a caller's variable of the same name is never shadowed.
netns_add() {
	local _netns_ns="st$$-$2"
	ip netns add "$_netns_ns" \
		|| { echo "netns: cannot create namespace $_netns_ns" >&2; return 1; }
	NETNS_LIST="$NETNS_LIST $_netns_ns"
	ip -n "$_netns_ns" link set lo up \
		|| { echo "netns: cannot bring up lo in $_netns_ns" >&2; return 1; }
	printf -v "$1" '%s' "$_netns_ns"
}

netns_bridge() {
	local ns=$1 br=$2 cidr=$3
	ip -n "$ns" link add "$br" type bridge forward_delay 0 stp_state 0 \
		|| { echo "netns: cannot create bridge $br in $ns" >&2; return 1; }
	ip -n "$ns" addr add "$cidr" dev "$br" \
		|| { echo "netns: cannot give $br the address $cidr" >&2; return 1; }
	ip -n "$ns" link set "$br" up || { echo "netns: cannot bring up $br" >&2; return 1; }
}

netns_veth() {
	local ns1=$1 if1=$2 ns2=$3 if2=$4
	ip -n "$ns1" link add "$if1" type veth peer name "$if2" netns "$ns2" \
		|| { echo "netns: cannot create veth $if1/$if2" >&2; return 1; }
	ip -n "$ns1" link set "$if1" up && ip -n "$ns2" link set "$if2" up \
		|| { echo "netns: cannot bring up veth $if1/$if2" >&2; return 1; }
}

netns_enslave() {
	ip -n "$1" link set "$2" master "$3" \
		|| { echo "netns: cannot put $2 under $3 in $1" >&2; return 1; }
}

netns_addr() {
	ip -n "$1" addr add "$3" dev "$2" \
		|| { echo "netns: cannot add $3 to $2 in $1" >&2; return 1; }
}

netns_tap() {
	local ns=$1 tap=$2 br=$3
	ip -n "$ns" tuntap add dev "$tap" mode tap \
		|| { echo "netns: cannot create tap $tap in $ns" >&2; return 1; }
	ip -n "$ns" link set "$tap" master "$br" up \
		|| { echo "netns: cannot put tap $tap under $br" >&2; return 1; }
}

netns_spawn() {
	local _netns_var=$1 _netns_ns=$2 _netns_log=$3
	shift 3
	ip netns exec "$_netns_ns" "$@" >"$_netns_log" 2>&1 </dev/null &
	NETNS_PIDS="$NETNS_PIDS $!"
	printf -v "$_netns_var" '%s' "$!"
}

# Whether PID is still running (and not a zombie we have yet to reap).
netns_alive() {
	[ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

netns_stop() {
	local pid=$1 i
	netns_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		netns_alive "$pid" || break
		sleep 0.1
	done
	netns_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

netns_cleanup() {
	local pid ns
	trap - EXIT INT TERM HUP
	for pid in $NETNS_PIDS; do
		netns_stop "$pid"
	done
	NETNS_PIDS=""
	for ns in $NETNS_LIST; do
		# Whatever is left inside was started by this test (daemons that forked).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null || echo "netns: cannot delete namespace $ns" >&2
	done
	NETNS_LIST=""
	[ -z "$NETNS_AFTER" ] || eval "$NETNS_AFTER"
}

# netns_mcast_loss NS PORT PERCENT: the bridge in NS drops PERCENT % (0.01 steps) of the
# IPv4 multicast (224.0.0.0/4) it sends out of its port PORT, forwarded or from the
# bridge's own address (an nftables table of the bridge family, one per port, gone with the
# namespace); unicast, DHCP and TCP pass untouched.  Why: a lossy multicast receiver
# behind PORT whose boot and HTTP repairs stay clean.  (This kernel has no netem.)
netns_mcast_loss() {
	local ns=$1 port=$2 n
	n=$(awk -v p="$3" 'BEGIN { printf "%d", p * 100 + 0.5 }')
	ip netns exec "$ns" nft -f - <<EOF ||
table bridge loss_$port {
	chain forwarded { type filter hook forward priority 0; policy accept;
		oifname "$port" ip daddr 224.0.0.0/4 numgen random mod 10000 < $n drop; }
	chain sent { type filter hook output priority 0; policy accept;
		oifname "$port" ip daddr 224.0.0.0/4 numgen random mod 10000 < $n drop; }
}
EOF
		{ echo "netns: cannot make $port in $ns drop $3 % of its multicast (nft)" >&2; return 1; }
}

# netns_mcast_clean NS PORT: undo netns_mcast_loss NS PORT (a bench's clean run after a
# lossy one on the same namespaces).
netns_mcast_clean() {
	ip netns exec "$1" nft delete table bridge "loss_$2" ||
		{ echo "netns: cannot end the multicast loss of $2 in $1 (nft)" >&2; return 1; }
}
