#!/bin/bash
# The dashboard's event streams must not hold up the agents' requests (docs/benchmarks.md,
# "Dashboard: analysis"): strata-server on loopback with MACHINES machines (6000; a
# profile without a machine layer, so the start prepares no CIDATA) and a token; 8 of the
# machines registered, then COUNT (500) signed progress reports from them on 8 keep-alive
# connections, every 100 ms each, timed: first alone, then with 3 event streams open
# (curl -N on /api/events), whose tick snapshots every machine once a second under the
# state lock each report takes.  Checked: at most 1 % of the reports with the streams took
# over SLOW_MS (200) ms, every report answered 200, the streams got frames, and the server
# exits cleanly with them open.  A count of slow reports, not one report's time, so that a
# loaded machine's odd delay does not fail it.  No VM; needs curl and python3
# (python3-cryptography).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
SI=${STRATA_IMAGE:-build/san/strata-image}
MACHINES=${MACHINES:-6000}
COUNT=${COUNT:-500}
SLOW_MS=${SLOW_MS:-100}
PROBE="python3 $(dirname "$0")/../tools/report_probe.py"
need_built "$SRV" "$SI"
need_tools curl python3
W=$(mktemp -d /tmp/strata-events-load.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

mkdir -p "$W/root/boot" "$W/keys"
head -c 300000 /dev/urandom > "$W/root.img"
L=$("$SI" build --store "$W/root/store" "$W/root.img" 2>/dev/null | tail -1)
{
	echo "default local"
	echo "profile lab"
	echo "part label=root type=linux size=1G layer=$L"
	echo "part label=data type=linux size=rest policy=preserve"
	python3 -c "
import sys
for i in range(int(sys.argv[1])):
    print('machine 52:54:02:00:%02x:%02x name=pc%05d profile=lab room=r%02d action=deploy' % (i >> 8, i & 0xff, i, i // 100))" "$MACHINES"
} > "$W/root/inventory.conf"
chmod -R a+rX "$W/root"
srv_token "$W/api-tokens"
# The sanitizer build signs 6,000 manifests in about 20 s; a loaded machine may double it.
export SRV_WAIT=900
check "the server serves $MACHINES machines" srv_run "$W/root" "$W/log" --api-tokens "$W/api-tokens"

MACS=()
for i in 0 1 2 3 4 5 6 7; do
	m=52:54:02:00:00:0$i
	sess_register "$U" "$m" "$W/keys" >/dev/null && [ -f "$W/keys/$m.state" ] && MACS+=("$m")
done
check "8 machines registered, each with a session" test "${#MACS[@]}" = 8

# slow_of LINE: the number of slow reports in the probe's line.
slow_of() { echo "$1" | sed -n 's/^[0-9]* reports, \([0-9]*\) over .*/\1/p'; }
ALONE=$($PROBE "$U" "$W/keys" "$COUNT" 100 "$SLOW_MS" "${MACS[@]}")
check "reports alone: every one answered 200" test $? = 0
echo "alone: $ALONE"

SSE=()
for s in 1 2 3; do
	curl -sN -H "$SRV_AUTH" "$U/api/events" > "$W/sse$s" 2>/dev/null &
	SSE+=("$!")
	kill_on_exit "$!"
done
for _ in $(seq 100); do grep -qs '^event: hello' "$W/sse3" && break; sleep 0.1; done
check "3 event streams say hello" sh -c "grep -q '^event: hello' '$W/sse1' && grep -q '^event: hello' '$W/sse2' && grep -q '^event: hello' '$W/sse3'"
WITH=$($PROBE "$U" "$W/keys" "$COUNT" 100 "$SLOW_MS" "${MACS[@]}")
check "reports with 3 streams: every one answered 200" test $? = 0
echo "with 3 event streams: $WITH"
SLOW=$(slow_of "$WITH")
check "reports with 3 streams: at most 1 % over $SLOW_MS ms ($SLOW of $COUNT)" \
	test "${SLOW:-$COUNT}" -le $((COUNT / 100))
check "3 event streams got tiles frames" sh -c "grep -q '^event: tiles' '$W/sse1' && grep -q '^event: tiles' '$W/sse2' && grep -q '^event: tiles' '$W/sse3'"
check "the server exits cleanly with 3 streams open" srv_stop
for p in "${SSE[@]}"; do
	wait "$p" 2>/dev/null
	forget_pid "$p"
done
check "no sanitizer or error lines in the server's log" sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$W/log'"
finish
