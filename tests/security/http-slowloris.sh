#!/bin/bash
# The HTTP slowloris of "Trust and limits", replayed against strata-server: fails if it
# works again.  The attack: 520 idle TCP connections, each sending one byte every 20 s,
# locked out all HTTP (libmicrohttpd's timeout only measures inactivity), and nothing was
# logged.  Here, on loopback, against --max-http 64 --max-http-per-addr 8
# --max-http-request-time 3 --trusted-proxies 127.0.0.9:
#   - 127.0.0.3 and 127.0.0.4 keep 240 connections trickling a request header, one byte a
#     second, reconnecting when closed (tests/tools/http_trickle.py), for 12 s;
#   - meanwhile a PC at 127.0.0.2 fetches a boot file, the entry script, its manifest and
#     a chunk, each quickly, three times over;
#   - a site cache at 127.0.0.9 (trusted) holds 20 connections and is still served; then
#     60, which fill --max-http: a line names who holds the connections; 12 at once from
#     127.0.0.6 meet the cap;
#   - no trickling connection lives past the deadline; refusals and closes are logged with
#     the peer, at most 5 lines per kind per 10 s, and the rest counted;
#   - the server exits cleanly with no sanitizer report.
#
# usage: bash tests/security/http-slowloris.sh [BUILD_DIR]   (about 25 s)
# env STRATA_SERVER, STRATA_IMAGE: the binaries (default BUILD_DIR/san/...).
# Prints "ok"/"FAIL" lines and, last, "N passed, N failed".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/security.sh"
suite_setup "${1:-}" slowloris curl python3 cmp timeout ss
TRICKLE=$(dirname "$0")/../tools/http_trickle.py
PC01=52:54:00:12:34:01

lab_root "$W/main" local
check "strata-server starts with --max-http 64 --max-http-per-addr 8 --max-http-request-time 3" \
	srv_run "$W/main" "$W/main.log" --api-tokens "$W/api-tokens" \
	--max-http 64 --max-http-per-addr 8 --max-http-request-time 3 \
	--trusted-proxies 127.0.0.9
[ -n "$SRV_PID" ] || { finish; exit 1; }
LOG=$W/main.log
CHUNK=$(cd "$W/main/store" && find chunks -type f | head -n1)

# --- the attack ---------------------------------------------------------------------------
python3 "$TRICKLE" "$SRV_HP" 127.0.0.3,127.0.0.4 120 12 1 >"$W/trickle.out" &
ATTACK=$!
kill_on_exit "$ATTACK"
sleep 2

# --- a PC boots meanwhile ---------------------------------------------------------------
# fetch WHAT PATH [cmp FILE]: from 127.0.0.2, answered 200 within 2 s.
fetch() {
	local t0 t1
	t0=$(now_ms)
	curl -sf -m 5 --interface 127.0.0.2 ${FETCH_AUTH:+-H "$FETCH_AUTH"} -o "$W/got" "$U/$1" ||
		return 1
	t1=$(now_ms)
	echo "$1: $((t1 - t0)) ms"
	[ $((t1 - t0)) -le 2000 ] && { [ -z "${2:-}" ] || cmp -s "$W/got" "$2"; }
}
boot_once() {
	fetch boot/boot.bin "$W/main/boot/boot.bin" && fetch ipxe/boot.ipxe &&
		FETCH_AUTH=$SRV_AUTH fetch "manifest/$PC01" && "$SI" manifest verify --pub "$W/main/state/server.key.pub" "$W/got" &&
		fetch "store/$CHUNK" "$W/main/store/$CHUNK"
}
for round in 1 2 3; do
	check "round $round: 127.0.0.2 gets a boot file, the entry script, a manifest and a chunk while 240 connections trickle" boot_once
	sleep 2
done

# --- a site cache and an ordinary address, many connections at once ----------------------
# hold SOURCE N: N connections from SOURCE for 2 s (under the deadline), trickling.
hold() { python3 "$TRICKLE" "$SRV_HP" "$1" "$2" 2 1 >"$W/hold.$1"; }
hold 127.0.0.9 20 &
HOLD=$!
sleep 1
check "the trusted site cache 127.0.0.9 is served while it holds 20 connections" \
	sh -c "curl -sf -m 5 --interface 127.0.0.9 '$U/boot/boot.bin' | cmp -s - '$W/main/boot/boot.bin'"
wait "$HOLD"
check "... all 20 held, none refused: $(cat "$W/hold.127.0.0.9")" grep -q ' refused=0 ' "$W/hold.127.0.0.9"
hold 127.0.0.9 60
check "the site cache's 60 more fill --max-http 64: logged with who holds them" grep -qE \
	'^http: 64 connections live \(max-http\), new ones wait; held by 127\.0\.0\.9 x[0-9]+' "$LOG"
hold 127.0.0.6 12
check "127.0.0.6 asking for 12 at once meets the cap: $(cat "$W/hold.127.0.0.6")" \
	grep -qE ' refused=([4-9]|[1-9][0-9]+) ' "$W/hold.127.0.0.6"

# --- the attack's outcome ------------------------------------------------------------
wait "$ATTACK"
forget_pid "$ATTACK"
read -r STATS <"$W/trickle.out"
echo "     | trickle: $STATS"
stat_of() { echo "$STATS" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "connections over the cap were refused at once ($(stat_of refused))" test "$(stat_of refused)" -gt 100
check "the held ones were closed by the deadline ($(stat_of deadline))" test "$(stat_of deadline)" -gt 16
check "none lived past the 3 s deadline plus a second (longest $(stat_of longest) s)" \
	awk "BEGIN { exit !($(stat_of longest) <= 4.5) }"
check "none was still open at the end ($(stat_of open))" test "$(stat_of open)" = 0
check "the per-address refusal is logged with the peer" grep -qE \
	'^http: 127\.0\.0\.[34]:[0-9]+ refused: 8 connections live from 127\.0\.0\.[34] \(max-http-per-addr\)$' "$LOG"
check "the deadline's closes are logged with the peer" grep -qE \
	'^http: 127\.0\.0\.[34]:[0-9]+ closed: no whole request [0-9.]+ s after it was awaited \(max-http-request-time 3 s\)$' "$LOG"
lines() { grep -c "$1" "$LOG"; }
check "refusals rate-limited: $(lines 'refused: ') lines for $(stat_of refused) refusals in 12 s" \
	test "$(lines 'refused: ')" -le 15
check "closes rate-limited: $(lines 'closed: no whole') lines" test "$(lines 'closed: no whole')" -le 15
held() { grep -qE '^http: [0-9]+ more max-http-per-addr line\(s\) suppressed$' "$LOG"; }
check "the rest are counted: $(grep -m1 'more max-http-per-addr' "$LOG")" held
check "after the attack, 127.0.0.3 itself is served again" fetch boot/boot.bin "$W/main/boot/boot.bin"

check "strata-server exits 0 on SIGTERM" srv_stop
check "no ASan/UBSan/LSan report" sanitizer_clean "$LOG"
finish
