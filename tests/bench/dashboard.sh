#!/bin/bash
# The dashboard at district scale (issue 15; docs/benchmarks.md "Dashboard"): strata-server
# (release build) with MACHINES machines in ROOMS rooms (a profile without a machine layer,
# so the start prepares no CIDATA; DASH_MACHINE_LAYER=1 adds one, as docs/scale.md
# measures), an admin (--admins) and a token.  Measured:
#   - the start (to "serving") and the server's RSS;
#   - GET /api/machines: the first answer after the start (its snapshot built then), then
#     warm, for a page of 200 (the page's), of 500 and of one room: time to the first byte
#     and to the last, 5 times each;
#   - ACTIVE machines reporting a deployment's progress every 3 s (tests/bench/
#     dashboard_load.py, on sites_load.py's machine side) for PHASE seconds alone, then
#     PHASE seconds while 3 event streams (curl, a token) and Chromium with the page
#     (tests/bench/dashboard_browser.py) read the lab: reports per second, p50/p99, the
#     server's CPU and RSS in each phase;
#   - the event stream: frames and bytes per second per stream;
#   - Chromium, when the server serves /ui: first-contentful-paint and tiles-painted,
#     cold and warm, frames applied per second and the renderer's main-thread share of a
#     core.
# Goals: first paint under 1 s; the browser under 25 % of a core; report p99 with the
# dashboard within 10 % of without.
#
# usage: bash tests/bench/dashboard.sh [BUILD_DIR]   (about 6 min with the defaults)
# Environment: MACHINES (5000), ROOMS (25), ACTIVE (500), PHASE (60 s), WORKERS (16),
# DASH_MACHINE_LAYER (0), DASH_DOC (1: write the table into docs/benchmarks.md).
# Writes BUILD_DIR/bench/dashboard.json.  Loopback only; the PCs share 127.0.0.1, which
# goes in --trusted-proxies.
case ${1:-} in -h | --help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;; esac
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib/doc.sh"
BUILD=${1:-build}
SRV=${STRATA_SERVER_REL:-$BUILD/rel/strata-server}
SI=${STRATA_IMAGE_REL:-$BUILD/rel/strata-image}
MACHINES=${MACHINES:-5000}
ROOMS=${ROOMS:-25}
ACTIVE=${ACTIVE:-500}
PHASE=${PHASE:-60}
WORKERS=${WORKERS:-16}
PY=/usr/bin/python3          # Debian's: python3-selenium and python3-cryptography
HERE=$(cd "$(dirname "$0")" && pwd)
need_built "$SRV" "$SI"
need_tools curl "$PY"
W=$(mktemp -d /tmp/strata-dash-bench.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"
mkdir -p "$W/root/boot" "$BUILD/bench"
head -c 4000000 /dev/urandom > "$W/root.img"
L=$($SI build --store "$W/root/store" "$W/root.img" 2>/dev/null | tail -1)
rm -f "$W/root.img"
PW=bench-$RANDOM$RANDOM
printf 'alice:%s\n' "$($PY -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_SHA512)))' "$PW")" > "$W/admins"
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'bench %s\n' "$TOKEN" > "$W/api-tokens"
chmod 644 "$W/admins" "$W/api-tokens"
AUTH="Authorization: Bearer $TOKEN"

# The inventory: MACHINES machines in ROOMS rooms rNN, in blocks, so a room is a run of
# names as in a school (pc00000-pc00199 in r00).
{
	echo "default local"
	echo "profile lab"
	echo "part label=root type=linux size=1G layer=$L"
	[ "${DASH_MACHINE_LAYER:-0}" = 1 ] && echo "part label=CIDATA type=basic size=8M layer=machine"
	echo "part label=data type=linux size=rest policy=preserve"
	$PY -c "
import sys
n, r = int(sys.argv[1]), int(sys.argv[2])
per = (n + r - 1) // r
for i in range(n):
    print('machine 52:54:01:00:%02x:%02x name=pc%05d profile=lab room=r%02d action=deploy'
          % (i >> 8, i & 0xff, i, i // per))" "$MACHINES" "$ROOMS"
} > "$W/root/inventory.conf"
chmod -R a+rX "$W/root"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
HP=$(free_port)
U=http://127.0.0.1:$HP
T0=$(now_ms)
$SRV --root "$W/root" --addr 127.0.0.1 --http-port "$HP" --tftp-port "$(free_port)" \
	--dhcp off --trusted-proxies 127.0.0.1 --max-http 1024 --api-tokens "$W/api-tokens" \
	--admins "$W/admins" 2>"$W/log" &
PID=$!
kill_on_exit $PID
for _ in $(seq 6000); do grep -qs "^strata-server: serving" "$W/log" && break; alive $PID || break; sleep 0.1; done
START_MS=$(( $(now_ms) - T0 ))
check "the server serves $MACHINES machines" grep -q "$MACHINES machines" "$W/log"
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
RSS_START=$(rss)
echo "start: $START_MS ms to serving $MACHINES machines; RSS $RSS_START KiB"

# ttfb PATH: "first-byte total bytes" of GET PATH with the token.
ttfb() { curl -s -o /dev/null -H "$AUTH" -w '%{time_starttransfer} %{time_total} %{size_download}\n' "$U$1"; }
FIRST=$(ttfb "/api/machines")
check "GET /api/machines answers" test "$(echo "$FIRST" | awk '{print $3}')" -gt 1000
: > "$W/machines.txt"
ROOM=r$(printf %02d $((ROOMS / 2)))
for q in "/api/machines" "/api/machines?per=500" "/api/machines?room=$ROOM"; do
	for i in 1 2 3 4 5; do echo "$q $(ttfb "$q")"; done >> "$W/machines.txt"
done
echo "GET /api/machines: first answer $FIRST (first byte s, total s, bytes)"

# The load: ACTIVE machines report; in its second phase, the dashboard's readers.
python3 "$HERE/dashboard_load.py" "$U" "$ACTIVE" "$PHASE" "$WORKERS" "$PID" "$W/load.json" \
	"$W/phase" > "$W/load.out" 2>&1 &
LOAD=$!
kill_on_exit $LOAD
for _ in $(seq 3000); do grep -qs '^2' "$W/phase" && break; alive $LOAD || break; sleep 0.1; done
check "the load reached its second phase" grep -qs '^2' "$W/phase"
S0=$(now_ms)
for s in 1 2 3; do
	timeout "$((PHASE - 5))" curl -sN -H "$AUTH" "$U/api/events" > "$W/sse$s" 2>/dev/null &
done
if curl -s -o /dev/null -w '%{http_code}' "$U/ui" | grep -q 200; then
	timeout $((PHASE + 60)) $PY "$HERE/dashboard_browser.py" "$U" alice "$PW" "$((PHASE - 25))" \
		"$W/browser.json" > "$W/browser.out" 2>&1 || tail -n 5 "$W/browser.out"
else
	echo "no /ui on this server: the browser's measurements are skipped"
fi
wait $LOAD
LOAD_RC=$?
forget_pid $LOAD
S_MS=$(( PHASE * 1000 - 5000 ))
check "every report answered 200" test "$LOAD_RC" = 0
sleep 1
check "3 event streams received frames" sh -c "grep -q '^event: tiles' '$W/sse1' && grep -q '^event: tiles' '$W/sse2' && grep -q '^event: tiles' '$W/sse3'"
RSS_END=$(rss)
kill $PID; wait $PID; SRV_RC=$?; forget_pid $PID
check "the server exits cleanly with streams just closed" test "$SRV_RC" = 0

# The results, as JSON and as the table of docs/benchmarks.md.
$PY - "$W" "$BUILD/bench/dashboard.json" "$MACHINES" "$ROOMS" "$START_MS" "$RSS_START" \
	"$RSS_END" "$FIRST" "$S_MS" "${DASH_MACHINE_LAYER:-0}" > "$W/table.md" <<'EOP'
import json, os, sys
w, out = sys.argv[1], sys.argv[2]
machines, rooms, start_ms, rss0, rss1 = map(int, sys.argv[3:8])
first = [float(x) for x in sys.argv[8].split()]
s_ms, mlayer = int(sys.argv[9]), sys.argv[10] == "1"
load = json.load(open(os.path.join(w, "load.json")))
br = json.load(open(os.path.join(w, "browser.json"))) if os.path.exists(os.path.join(w, "browser.json")) else None
q = {}
for line in open(os.path.join(w, "machines.txt")):
    path, fb, tot, size = line.split()
    q.setdefault(path, []).append((float(fb), float(tot), int(size)))
sse = []
for s in (1, 2, 3):
    b = open(os.path.join(w, f"sse{s}"), "rb").read()
    sse.append((b.count(b"\nevent: tiles") + b.startswith(b"event: tiles"), len(b)))
secs = s_ms / 1000
res = {"machines": machines, "rooms": rooms, "machine_layer": mlayer, "start_ms": start_ms,
       "rss_start_kib": rss0, "rss_end_kib": rss1,
       "machines_first": {"first_byte_s": first[0], "total_s": first[1], "bytes": int(first[2])},
       "machines_warm": {p: {"first_byte_ms_median": round(sorted(x[0] for x in v)[2] * 1000, 1),
                             "total_ms_median": round(sorted(x[1] for x in v)[2] * 1000, 1),
                             "bytes": v[0][2]} for p, v in q.items()},
       "sse": {"seconds": secs, "frames_per_s": round(sum(f for f, _ in sse) / 3 / secs, 2),
               "bytes_per_s": round(sum(b for _, b in sse) / 3 / secs)},
       "load": load, "browser": br}
json.dump(res, open(out, "w"), indent=1)
a, d = load["alone"], load["with_dashboard"]
ms = lambda s: f"{s * 1000:.0f} ms"
print(f"{machines:,} machines in {rooms} rooms ({'with' if mlayer else 'without'} a machine layer), "
      f"{load['active']} of them reporting every 3 s; strata-server release build, loopback, 2 shared cores.\n")
print("| measure | result | goal |\n| --- | --- | --- |")
print(f"| start to serving | {start_ms / 1000:.1f} s, RSS {rss0 / 1024:.0f} MiB | |")
print(f"| `GET /api/machines`, first after the start (page of 200) | first byte {ms(first[0])}, whole {ms(first[1])}, {int(first[2]):,} bytes | |")
for p, v in res["machines_warm"].items():
    print(f"| `GET {p}`, warm (median of 5) | first byte {v['first_byte_ms_median']} ms, whole {v['total_ms_median']} ms, {v['bytes']:,} bytes | |")
print(f"| reports alone | {a['reports_per_s']}/s, p50 {a['p50_ms']} ms, p99 {a['p99_ms']} ms; server CPU {a['server_cpu_pct']} % of a core, RSS {a['server_rss_max_kib'] / 1024:.0f} MiB | |")
ok = d["p99_ms"] <= a["p99_ms"] * 1.1
print(f"| reports with 3 event streams{' and the page open' if br else ''} | {d['reports_per_s']}/s, p50 {d['p50_ms']} ms, p99 {d['p99_ms']} ms; server CPU {d['server_cpu_pct']} % of a core, RSS {d['server_rss_max_kib'] / 1024:.0f} MiB | p99 within 10 %: {'met' if ok else 'not met'} |")
print(f"| event stream, per stream | {res['sse']['frames_per_s']} frames/s, {res['sse']['bytes_per_s']:,} bytes/s | |")
if br:
    for k in ("cold", "warm"):
        f, t = br[k]["fcp_ms"], br[k]["tiles_painted_ms"]
        # A warm load may report no Paint Timing entry: the tiles' own mark is the paint then.
        first = f if f is not None else t
        shown = f"{f} ms" if f is not None else "not reported"
        print(f"| Chromium, {k}: first-contentful-paint, tiles-painted | {shown}, {t} ms ({br[k]['tiles']} tiles) | under 1 s: {'met' if first is not None and first < 1000 else 'not met'} |")
    lv = br["live"]
    print(f"| Chromium, live for {lv['seconds']} s | {lv['frames_per_s']} events/s handled by the page's listeners ({lv['frame_bytes_per_s']:,} bytes/s of data) in {lv['apply_ms_per_s']} ms/s; renderer main thread {lv['renderer_main_thread_pct']} % of a core (script {lv['of_which_pct']['script']} %, style {lv['of_which_pct']['recalcstyle']} %, layout {lv['of_which_pct']['layout']} %) | under 25 %: {'met' if lv['renderer_main_thread_pct'] < 25 else 'not met'} |")
else:
    print("| Chromium | not measured: this server has no /ui | |")
EOP
cat "$W/table.md"
cp "$W/load.json" "$BUILD/bench/dashboard-load.json"
if [ "${DASH_DOC:-1}" = 1 ]; then
	doc_section docs/benchmarks.md dashboard "Dashboard" \
		"Run $(date -u '+%Y-%m-%d %H:%M') UTC by \`bash tests/bench/dashboard.sh\` (also make soak's \`dash\`, which prints the table only); 2 host cores, load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work ran beside it: compare the phases within one run)." "$W/table.md"
fi
echo "results: $BUILD/bench/dashboard.json"
check "no sanitizer or error lines in the server's log" sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$W/log'"
finish
