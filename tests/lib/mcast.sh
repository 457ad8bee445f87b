# What the multicast tests, the multicast benchmark and the demo share: a lab's multicast
# profile, the server's and a VM's byte counts, and what one copy of some layers costs
# (docs/multicast.md).  Source it after tests/lib/lab.sh (lab_curl, lab_url).
#
#   MCAST_GROUP             the group every lab session uses (239.255.83.1)
#   mcast_profile_keys RATE the keys that make a profile multicast at RATE (e.g. 4M)
#   mcast_mac I             the MAC of the multicast lab's machine vmI (1..239)
#   mcast_inventory ROOT RATE ESP ROOTLAYER N
#                           ROOT/inventory.conf: the profile gold at RATE carrying ESP
#                           (16M) and the root layer (48M), CIDATA beside them (its machine
#                           layer is private, so not carried), machines vm1..vmN
#                           (mcast_mac), action deploy
#   mcast_sent              the store bytes the server's session has sent so far (the last
#                           session's "bytes" in /api/mcast.json); empty without a session
#   mcast_rx_bytes          on stdin a strata.efi log: the store bytes its multicast phases
#                           took from datagrams (the "left after" lines; a repeated chunk's
#                           once), summed
#   mcast_chunk_files STORE LAYER..
#                           the stored file of each chunk of the layers, in index order (not
#                           the zero or free ones), once per chunk: a chunk that recurs is
#                           listed each time.  Needs $SI (strata-image)
#   mcast_copy_bytes STORE LAYER..
#                           one copy: the bytes of those files, each distinct one once; what
#                           one unicast deployment fetches, and what one carousel pass sends
#                           (each digest once)

MCAST_GROUP=239.255.83.1

mcast_profile_keys() { echo "multicast=yes group=$MCAST_GROUP rate=$1"; }

mcast_mac() { printf '52:54:00:5a:00:%02x' $((0x10 + $1)); }

mcast_inventory() {
	local i
	{
		echo "default local"
		echo "profile gold $(mcast_profile_keys "$2")"
		echo "part label=ESP type=esp size=16M layer=$3"
		echo "part label=root type=linux size=48M layer=$4"
		echo "part label=CIDATA type=basic size=4M layer=machine"
		for i in $(seq "$5"); do
			echo "machine $(mcast_mac "$i") name=vm$i profile=gold action=deploy"
		done
	} > "$1/inventory.conf"
}

mcast_sent() {
	lab_curl -s "$(lab_url)/api/mcast.json" | tr -d ' \n' | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p'
}

mcast_rx_bytes() {
	sed -n 's/.*mcast: part .*: left after .* chunks delivered (\([0-9]*\) bytes).*/\1/p' |
		awk '{s += $1} END {print s + 0}'
}

mcast_chunk_files() {
	local store=$1 layer
	shift
	for layer in "$@"; do
		$SI inspect --store "$store" --chunks "$layer" |
			awk '$1 == "chunk" && $3 == "offset" && $9 != "zero" && $9 != "free" { print substr($10, 1, 2) "/" $10 }' |
			sed "s|^|$store/chunks/|"
	done
}

mcast_copy_bytes() { mcast_chunk_files "$@" | sort -u | xargs -r stat -c %s | awk '{ s += $1 } END { print s + 0 }'; }
