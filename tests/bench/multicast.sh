#!/bin/bash
# Benchmark of Strata's multicast sessions (docs/multicast.md) against udpcast, on the same
# layer: what the server sends per client, and how long the slowest client takes, with
# every client clean and with one losing 2 % of the multicast frames (issue 16).
#
# usage: bash tests/bench/multicast.sh BUILD_DIR
#
# The layer: tests/lib/gold.sh's gold disk, its ESP (16 MiB) and root (48 MiB ext4, a 6 MB
# random file and some docs); one copy is the bytes of their distinct stored chunks
# (mcast_copy_bytes), about 6.6 MB, which is also what one pass of the carousel sends: a
# pass sends each digest once (the root's 1 MiB file of one 64 KiB block goes out once).
#   Strata   the lab (tests/lib/lab.sh): strata-server (release build) with the multicast
#            profile of tests/e2e/multicast.sh (tests/lib/mcast.sh's mcast_inventory) at
#            MCAST_RATE (default 4M bit/s), and N QEMU VMs (MBENCH_VMS, default 3; OVMF, TCG, the iPXE ROM)
#            started at once, twice a round: every client clean, then the last losing
#            MBENCH_LOSS % (default 2) of the multicast frames its tap carries
#            (LAB_MCAST_LOSS, an nftables rule on the lab's bridge); MBENCH_ROUNDS rounds
#            (default 3), new VMs (machines) each run.  Server bytes: the
#            session's store bytes sent (/api/mcast.json) during the run and every
#            client's bytes by HTTP (repairs, what multicast missed); a client's time:
#            strata.efi's own deployment time (its final line), which the multicast phase
#            is most of, and its multicast phase (the agent's "left after N ms"), which
#            the carousel sets rather than the VM's CPU; its HTTP repair bytes beside.
#            Then Strata by unicast, once: N more VMs at once with the same parts in a
#            profile without multicast, first on the lab's link, then with the server's
#            link (its bridge) capped at MCAST_RATE (a tbf qdisc): N unicast deployments
#            against one multicast session, on the same layer and link rate.
#   udpcast  udp-sender and N udp-receivers natively, each in a network namespace on a
#            bridge with IGMP snooping and a querier, the sender capped at the same rate
#            (--max-bitrate), sending one file: the layer's stored chunks concatenated, so
#            one copy is the same bytes.  Twice a round, as above, the last receiver's
#            bridge port dropping the same share of multicast (the same nftables rule).  Server
#            bytes: the sender's UDP payload (its interface's bytes less 42 a frame: its
#            data, retransmissions and control); a client's time: from the receivers'
#            start (once the sender listens) to the receiver's exit.
# udpcast runs natively and Strata's clients under emulation, so the goals compare ratios,
# each the median of the rounds' (TCG's run-to-run spread is a few percent, the size of
# the slowdowns compared):
#   bytes     server bytes <= 1.2x one copy for N >= 3 clients (clean run)
#   lossy     the lossy client's time <= 1.2x the slowest other's (lossy run)
#   slowdown  the slowest client's time, lossy run over clean run: Strata's < udpcast's
# Results: a table on stdout, BUILD_DIR/bench/results/multicast.md, and the "Multicast"
# section of docs/benchmarks.md (between <!-- bench:multicast begin/end -->).
# Needs root, qemu-system-x86, ovmf, ipxe-qemu, dnsmasq, udpcast, nftables and
# `make build-all`.  About 2 minutes a round at 4M on 2 cores, and 4 more.  KEEP=1 keeps the work folder.
set -uo pipefail

BENCH=multicast.sh
. "$(dirname "$0")/lib/common.sh"
[ $# -eq 1 ] || die "usage: multicast.sh BUILD_DIR (or --help)"
bench_dirs "$1"
bench_lab_tools
need udp-sender udpcast
need nft nftables
RATE=${MCAST_RATE:-4M}
LOSS=${MBENCH_LOSS:-2}
ROUNDS=${MBENCH_ROUNDS:-3}
N=${MBENCH_VMS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || die "MBENCH_ROUNDS: '$ROUNDS' is not a count of rounds (1 to 99)"
[[ $N =~ ^[1-9][0-9]?$ ]] && [ "$N" -ge 2 ] || die "MBENCH_VMS: '$N' is not a count of VMs (2 to 99)"
[ $((2 * N * ROUNDS + 2 * N)) -le 100 ] ||
	die "MBENCH_VMS x MBENCH_ROUNDS: more VMs ($((2 * N * ROUNDS + 2 * N))) than the lab's DHCP range leases (100)"
[[ $RATE =~ ^[0-9]+[KMG]$ ]] || die "MCAST_RATE: '$RATE' is not a rate such as 4M"
VM_TIMEOUT=${LAB_VM_TIMEOUT:-600}   # lab.sh, sourced next, sets its own default
bench_lab_dir mcast
. "$ROOT/tests/lib/gold.sh"
. "$ROOT/tests/lib/mcast.sh"
LAB_VM_TIMEOUT=$VM_TIMEOUT

# --- Strata ------------------------------------------------------------------------------

# agent_ms NAME: strata.efi's deployment time in VM NAME (its final line), ms.
agent_ms() { debug "$1" | sed -n 's/.*deployment complete:.*, \([0-9]*\) ms$/\1/p' | tail -n 1; }
# http_bytes NAME: the bytes VM NAME fetched by HTTP (repairs and what multicast missed).
http_bytes() { debug "$1" | sed -n 's/.*deployment complete:.* fetched (\([0-9]*\) bytes).*/\1/p' | tail -n 1; }
# mc_ms NAME: how long VM NAME's multicast phase ran (its parts' "left after N ms", the
# longest), ms: the part of its time the carousel sets, not its own CPU.
mc_ms() { debug "$1" | sed -n 's/.*mcast: part .*: left after \([0-9]*\) ms.*/\1/p' | sort -n | tail -n 1; }

# strata_run TAG FIRST LOSS: VMs vmFIRST..vmFIRST+N-1 at once from empty disks, the last
# losing LOSS % of its multicast; into $W/strata.tsv one line per VM "TAG vmN MS HTTP MC
# MCMS", "TAG multicast BYTES" (the session's) and "TAG sent BYTES" (those and every VM's
# HTTP).  Dies when a VM does not deploy the layers.
strata_run() {
	local tag=$1 first=$2 loss=$3 before n i pids=()
	before=$(mcast_sent)
	for i in $(seq 0 $((N - 1))); do
		n=$((first + i))
		truncate -s 100M "$W/disk$n.img"
		LAB_MCAST_LOSS=$([ "$i" = $((N - 1)) ] && [ "$loss" != 0 ] && echo "$loss") lab_vm "vm$n" "$(mcast_mac "$n")" "$W/disk$n.img" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || die "vm$((first + i)) did not end by itself (see $LAB_RUN/vm$((first + i)).debug)"; done
	echo "$tag multicast $(( $(mcast_sent) - ${before:-0} ))" >> "$W/strata.tsv"
	for n in $(seq "$first" $((first + N - 1))); do
		part_equals "$W/disk$n.img" 2 "$W/root-v1.img" && part_equals "$W/disk$n.img" 1 "$W/esp.img" ||
			die "vm$n: its disk does not hold the layers (see $LAB_RUN/vm$n.debug)"
		echo "$tag vm$n $(agent_ms "vm$n") $(http_bytes "vm$n") $(debug "vm$n" | mcast_rx_bytes) $(mc_ms "vm$n")" >> "$W/strata.tsv"
		rm -f "$W/disk$n.img"
	done
	awk -v t="$tag" '$1 == t { s += ($2 == "multicast") ? $3 : $4 } END { print t, "sent", s }' "$W/strata.tsv" >> "$W/strata.tsv"
}

# unicast_profile INVENTORY FIRST LAST: append a profile "plain" with the gold profile's
# parts and no multicast, and machines vmFIRST..vmLAST deploying it.
unicast_profile() {
	local parts i
	parts=$(grep '^part ' "$1")
	{
		echo "profile plain"
		echo "$parts"
		for i in $(seq "$2" "$3"); do echo "machine $(mcast_mac "$i") name=vm$i profile=plain action=deploy"; done
	} >> "$1"
}

# --- udpcast -----------------------------------------------------------------------------

# uc_lab: a bridge with IGMP snooping and a querier in namespace UC_BR, the sender in UC_S
# (10.79.0.10) and N receivers in UC_R1..N (10.79.0.11..), each behind port vI.
uc_lab() {
	local i ns
	netns_add UC_BR ucbr && netns_bridge "$UC_BR" br0 10.79.0.1/24 &&
		ip -n "$UC_BR" link set br0 type bridge mcast_snooping 1 mcast_querier 1 &&
		netns_add UC_S ucs && netns_veth "$UC_BR" vs "$UC_S" eth0 &&
		netns_enslave "$UC_BR" vs br0 && netns_addr "$UC_S" eth0 10.79.0.10/24 || return 1
	for i in $(seq "$N"); do
		netns_add "UC_R$i" "ucr$i" || return 1
		ns=UC_R$i
		netns_veth "$UC_BR" "v$i" "${!ns}" eth0 && netns_enslave "$UC_BR" "v$i" br0 &&
			netns_addr "${!ns}" eth0 "10.79.0.$((10 + i))/24" || return 1
	done
}

# tx NS: "bytes frames" sent by eth0 in NS.
tx() { ip netns exec "$1" cat /sys/class/net/eth0/statistics/tx_bytes /sys/class/net/eth0/statistics/tx_packets | tr '\n' ' '; }

# uc_run TAG: one udpcast transfer of $W/layer.bin to the N receivers; one line "TAG
# sent BYTES" and one per receiver "TAG rN MS" into $W/udpcast.tsv.
uc_run() {
	local tag=$1 t0 b0 f0 b1 f1 i ns pids=() rdv=(--mcast-rdv-address 224.0.0.1 --nokbd --interface eth0)
	read -r b0 f0 <<< "$(tx "$UC_S")"
	ip netns exec "$UC_S" timeout 600 udp-sender --file "$W/layer.bin" "${rdv[@]}" --min-receivers "$N" \
		--max-bitrate "${RATE,,}" > "$W/sender-$tag.log" 2>&1 &
	pids+=($!)
	# A receiver that asks before the sender listens waits long to ask again: start them
	# once it does, and count from then.
	lab_wait "$W/sender-$tag.log" "Broadcasting control" 10 || die "udpcast $tag: udp-sender did not start"
	sleep 0.5
	t0=$(date +%s%3N)
	for i in $(seq "$N"); do
		ns=UC_R$i
		(ip netns exec "${!ns}" timeout 600 udp-receiver --file "$W/out$i.bin" "${rdv[@]}" \
			> "$W/receiver$i-$tag.log" 2>&1 && echo "$tag r$i $(( $(date +%s%3N) - t0 ))" >> "$W/udpcast.tsv") &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || die "udpcast $tag: a process failed (see $W/*-$tag.log)"; done
	read -r b1 f1 <<< "$(tx "$UC_S")"
	for i in $(seq "$N"); do cmp -s "$W/layer.bin" "$W/out$i.bin" || die "udpcast $tag: receiver $i's copy differs"; done
	echo "$tag sent $(( b1 - b0 - 42 * (f1 - f0) ))" >> "$W/udpcast.tsv"
}

# --- the runs ----------------------------------------------------------------------------

log "the layer (tests/lib/gold.sh's gold disk)"
gold
COPY=$(mcast_copy_bytes "$W/root/store" "$ESP" "$ROOT1")
mcast_chunk_files "$W/root/store" "$ESP" "$ROOT1" | sort -u | xargs -r cat > "$W/layer.bin"
[ "$(stat -c %s "$W/layer.bin")" = "$COPY" ] || die "the udpcast file is not one copy ($COPY bytes)"
log "one copy (and one pass): $COPY bytes"

uc_lab || die "udpcast's namespaces could not be made"
# The first transfer on a new bridge lost two receivers' start for about 25 s (udp-sender's
# "Timeout notAnswered"), the snooping bridge not yet forwarding the group to them: one
# transfer first, not counted.
log "udpcast: a first transfer, not counted"
uc_run warmup
rm -f "$W/udpcast.tsv"
for r in $(seq "$ROUNDS"); do
	log "udpcast round $r of $ROUNDS: $N receivers at $RATE, clean, then r$N losing $LOSS % of its multicast"
	uc_run "clean$r"
	netns_mcast_loss "$UC_BR" "v$N" "$LOSS" || die "no loss rule"
	uc_run "lossy$r"
	netns_mcast_clean "$UC_BR" "v$N" || die "the loss rule stays"
done

log "Strata: the lab at $RATE"
UNI=$((2 * N * ROUNDS))   # the unicast runs' machines come after the rounds'
mcast_inventory "$W/root" "$RATE" "$ESP" "$ROOT1" "$UNI"
unicast_profile "$W/root/inventory.conf" $((UNI + 1)) $((UNI + 2 * N))
lab_start "$W/root" "$KEY" || die "the lab did not start (see $LAB_RUN/server.log)"
for r in $(seq "$ROUNDS"); do
	first=$((2 * N * (r - 1) + 1))
	log "Strata round $r of $ROUNDS: vm$first..vm$((first + N - 1)) at once, clean"
	strata_run "clean$r" "$first" 0
	log "Strata round $r: vm$((first + N))..vm$((first + 2 * N - 1)) at once, vm$((first + 2 * N - 1)) losing $LOSS % of its multicast"
	strata_run "lossy$r" $((first + N)) "$LOSS"
done
log "Strata by unicast: vm$((UNI + 1))..vm$((UNI + N)) at once, the server's link as the lab's"
strata_run unicast $((UNI + 1)) 0
log "Strata by unicast: vm$((UNI + N + 1))..vm$((UNI + 2 * N)) at once, the server's link capped at $RATE bit/s"
ip netns exec "$LAB_NS" tc qdisc add dev br0 root tbf rate "${RATE,,}bit" burst 32k latency 400ms ||
	die "no tbf qdisc on the lab's bridge"
strata_run "unicast@$RATE" $((UNI + N + 1)) 0
ip netns exec "$LAB_NS" tc qdisc del dev br0 root || die "the lab's bridge keeps its tbf qdisc"

# --- the report --------------------------------------------------------------------------

# f FILE TAG FIELD: the value of "TAG FIELD V" in FILE.
f() { awk -v t="$2" -v k="$3" '$1 == t && $2 == k { print $3 }' "$1"; }
# slowest FILE TAG [EXCEPT] [COL]: the largest column COL (default 3, the time) of TAG's
# clients (but EXCEPT).
slowest() {
	awk -v t="$2" -v x="${3:-}" -v c="${4:-3}" '$1 == t && $2 != "sent" && $2 != "multicast" && $2 != x && $c > m { m = $c }
		END { print m + 0 }' "$1"
}
# lossy_name FILE R: the lossy client of round R's lossy run (udpcast's rN, Strata's vm2NR).
lossy_name() { [ "$1" = "$U" ] && echo "r$N" || echo "vm$((2 * N * $2))"; }
met() { awk -v r="$1" -v g="$2" -v op="${3:-le}" 'BEGIN { if (r == "n/a") print "n/a"; else print ((op == "le" ? r <= g : r < g) ? "met" : "NOT met") }'; }
# median: of stdin's numbers, "n/a" if any is n/a (a round without the figure).
median() { awk '!/^[0-9.]+$/ { bad = 1 } { print } END { exit bad }' > "$W/median.in" || { echo n/a; return; }
	sort -g "$W/median.in" | awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# per_round FN ARGS..: FN ARGS.. r for every round r, a line each.
per_round() { local r; for r in $(seq "$ROUNDS"); do echo "$("$@" "$r")"; done; }
S=$W/strata.tsv U=$W/udpcast.tsv
bytes_of() { ratio "$(f "$1" "$2$3" sent)" "$COPY"; }                 # FILE clean|lossy R
mc_bytes_lossy() { ratio "$(f "$S" "lossy$1" multicast)" "$COPY"; }
lossy_share() {                                                         # FILE R
	local x; x=$(lossy_name "$1" "$2")
	ratio "$(awk -v t="lossy$2" -v n="$x" '$1 == t && $2 == n { print $3 }' "$1")" "$(slowest "$1" "lossy$2" "$x")"
}
down() { ratio "$(slowest "$1" "lossy$3" "" "$2")" "$(slowest "$1" "clean$3" "" "$2")"; }   # FILE COL R
S_clean_bytes=$(per_round bytes_of "$S" clean | median) U_clean_bytes=$(per_round bytes_of "$U" clean | median)
S_lossy_bytes=$(per_round bytes_of "$S" lossy | median) U_lossy_bytes=$(per_round bytes_of "$U" lossy | median)
S_LOSSY=$(per_round lossy_share "$S" | median) U_LOSSY=$(per_round lossy_share "$U" | median)
S_DOWN=$(per_round down "$S" 3 | median) U_DOWN=$(per_round down "$U" 3 | median)
S_DOWN_MC=$(per_round down "$S" 6 | median)
UNI_BYTES=$(bytes_of "$S" unicast "") UNICAP_BYTES=$(bytes_of "$S" "unicast@$RATE" "")
slowest_of() { slowest "$1" "$2$3"; }                                  # FILE clean R
MC_VS_UNICAP=$(ratio "$(per_round slowest_of "$S" clean | median)" "$(slowest "$S" "unicast@$RATE")")
# runs FILE NAME: one table row per run: its clients' times, the slowest, bytes.
runs() {
	awk -v n="$2" -v c="$COPY" '
		$2 == "sent" { sent[$1] = $3; next }
		$2 == "multicast" { next }
		{ if (!($1 in t)) order[++k] = $1
		  t[$1] = t[$1] (t[$1] == "" ? "" : ", ") sprintf("%.1f", $3 / 1000)
		  if ($3 > m[$1]) m[$1] = $3
		  if ($6 != "" && $6 > mc[$1]) mc[$1] = $6
		  h[$1] += $4 }
		END { for (i = 1; i <= k; i++) { r = order[i]
			printf "| %s | %s | %s | %.1f | %s | %s | %.2f |\n", n, r, t[r], m[r] / 1000,
				r in mc ? sprintf("%.1f", mc[r] / 1000) : "", n == "Strata" ? sprintf("%.2f", h[r] / 1e6) : "", sent[r] / c } }' "$1"
}
MD=$RES/multicast.md
cat > "$MD" <<EOF
$N clients at once on one bridge, the layer of tests/lib/gold.sh (ESP and root):
one copy is $COPY bytes ($(mib "$COPY") MiB) of distinct stored chunks, what udpcast sends and what
one pass of Strata's carousel sends (each digest once).  Rate $RATE bit/s on both sides;
the lossy client (Strata's last VM of a lossy run, udpcast's r$N) loses $LOSS % of the multicast
frames its bridge port sends it.  $ROUNDS rounds, each a clean run then a lossy one; the goals
take the median of the rounds' ratios.  Then $N VMs at once by unicast (the same parts
in a profile without multicast), on the lab's link and with the server's link capped at
$RATE bit/s (a tbf qdisc on its bridge).  Strata: strata-server release build, QEMU
$(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }') TCG VMs (OVMF, the iPXE ROM), strata.efi's own deployment time and its
multicast phase (the carousel's part of it).  udpcast $(dpkg-query -W -f='${Version}' udpcast 2>/dev/null): native, in namespaces,
from the receivers' start (the sender listening) to the receiver's exit.  $(nproc) host cores.

| side | run | clients' times (s) | slowest (s) | slowest multicast phase (s) | HTTP (MB) | server bytes / one copy |
| --- | --- | --- | ---: | ---: | ---: | ---: |
$(runs "$S" Strata)
$(runs "$U" udpcast)

| goal (median of $ROUNDS rounds) | Strata | udpcast | goal met (Strata) |
| --- | ---: | ---: | --- |
| server bytes / one copy, clean ($N clients) | $S_clean_bytes | $U_clean_bytes | <= 1.2: $(met "$S_clean_bytes" 1.2) |
| server bytes / one copy, lossy run | $S_lossy_bytes | $U_lossy_bytes | |
| multicast bytes / one copy, lossy run | $(per_round mc_bytes_lossy | median) | | |
| lossy client's time / slowest other's | $S_LOSSY | $U_LOSSY | <= 1.2: $(met "$S_LOSSY" 1.2) |
| slowest client, lossy run / clean run | $S_DOWN | $U_DOWN | < udpcast's: $(met "$S_DOWN" "$U_DOWN" lt) |
| slowest multicast phase, lossy run / clean run | $S_DOWN_MC | | |
| server bytes / one copy, $N unicast deployments (lab link; capped at $RATE) | $UNI_BYTES; $UNICAP_BYTES | | |
| slowest client, multicast (clean, median) / unicast capped at $RATE | $MC_VS_UNICAP | | |

Run: \`MBENCH_ROUNDS=$ROUNDS MBENCH_VMS=$N bash tests/bench/multicast.sh build\` ($(date -u +%Y-%m-%d)); server bytes per client are the ratios above over $N.
EOF
cat "$MD"
doc_section "$ROOT/docs/benchmarks.md" multicast "Multicast" "Measured by tests/bench/multicast.sh." "$MD" \
	|| die "cannot update docs/benchmarks.md"
log "wrote $MD and the Multicast section of docs/benchmarks.md"
