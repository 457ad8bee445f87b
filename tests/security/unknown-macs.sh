#!/bin/bash
# The unknown-machine flood of "Trust and limits", replayed against strata-server: fails
# if it works again.  The attack: in "image any PC" mode (default profile=...), 256
# made-up MACs filled the unknown-machine table, and real new PCs were then silently sent
# to their local disk.  Here, on loopback, with --max-unknown 16:
#   - a real new PC (A) starts its deployment (registers its key, asks, fetches its
#     manifest, reports, all signed by its session: tests/tools/session_client.py);
#   - 127.0.0.5 asks for the iPXE scripts of 300 made-up MACs while a second real new PC
#     (B) boots: B is still
#     told to deploy and gets a manifest that verifies, and A's reports are still taken;
#   - the table stays at 16 entries, and the state file and the private stores' folders
#     (STATE/private/MAC) at pc01, A, B and those 16; the
#     entries it forgot only ever asked (never A nor B), and the churn is logged,
#     rate-limited, with a count of the rest;
#   - when every entry is deploying, a new MAC boots its local disk and the log says why;
#   - the server exits cleanly with no sanitizer report.
#
# usage: bash tests/security/unknown-macs.sh [BUILD_DIR]   (about 20 s)
# env STRATA_SERVER, STRATA_IMAGE: the binaries (default BUILD_DIR/san/...).
# Prints "ok"/"FAIL" lines and, last, "N passed, N failed".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/security.sh"
. "$(dirname "$0")/../lib/session.sh"
suite_setup "${1:-}" unknown curl timeout ss sqlite3
A=52:54:00:0a:00:01
B=52:54:00:0b:00:01

lab_root "$W/main" "profile=lab action=deploy"
check "strata-server starts in image-any-PC mode with --max-unknown 16" \
	srv_run "$W/main" "$W/main.log" --api-tokens "$W/api-tokens" --max-unknown 16
[ -n "$SRV_PID" ] || { finish; exit 1; }
LOG=$W/main.log

get() { curl -s -m 20 "$U/$1"; }
admin() { curl -s -m 20 -H "$SRV_AUTH" "$U/$1"; }
# signed MAC PATH: PATH asked by MAC's session
signed() { curl -s -m 20 "$(sess_url "$W" "$1" "$U/$2")"; }
report() { curl -s -o /dev/null -w '%{http_code}' -m 20 "$(sess_url "$W" "$1" "$U/report/$1?phase=$2&done=1&total=2")"; }
# manifest_ok MAC: the MAC's manifest is served to its session (or, for a MAC without
# one, to an admin) and verifies against the server's key.
manifest_ok() {
	if [ -f "$W/$1.state" ]; then signed "$1" "manifest/$1"; else admin "manifest/$1"; fi \
		>"$W/m.$1" && "$SI" manifest verify --pub "$W/main/state/server.key.pub" "$W/m.$1"
}

# --- real PC A starts its deployment -----------------------------------------------------
sess_register "$U" "$A" "$W" >/dev/null
ORDERS_A=$(signed "$A" "agent/$A")
check "new PC A registers and is told to deploy ($ORDERS_A)" test "$ORDERS_A" = "action=deploy then=reboot"
check "A's manifest verifies" manifest_ok "$A"
check "A's progress report is taken" test "$(report "$A" progress)" = 200

# --- the flood, with real PC B booting in the middle of it -------------------------------
flood() {
	local i
	for i in $(seq 300); do
		printf 'url = "%s/ipxe/52:54:00:ee:%02x:%02x"\noutput = "/dev/null"\n' "$U" $((i / 256)) $((i % 256))
	done >"$W/flood.cfg"
	curl -s --interface 127.0.0.5 -K "$W/flood.cfg"
}
flood &
FLOOD=$!
sleep 0.5
sess_register "$U" "$B" "$W" >/dev/null
ORDERS_B=$(signed "$B" "agent/$B")
check "new PC B, booting during the flood, is told to deploy ($ORDERS_B)" test "$ORDERS_B" = "action=deploy then=reboot"
check "B's manifest verifies" manifest_ok "$B"
wait "$FLOOD"
check "the flood asked for 300 made-up MACs" test "$(grep -c 'boot: 52:54:00:ee:' "$LOG")" -ge 300
check "after the flood, A's reports are still taken (progress)" test "$(report "$A" progress)" = 200
check "... and its final one" test "$(report "$A" ok)" = 200
check "B's report is taken" test "$(report "$B" ok)" = 200
unknown_listed() { curl -s -m 20 -H "$SRV_AUTH" "$U/machines.json" | grep -o '"name": "pc-[0-9a-f]*"' | wc -l; }
check "the table holds 16 unknown machines ($(unknown_listed))" test "$(unknown_listed)" = 16
state_rows() { sqlite3 "$W/main/state/strata.db" 'SELECT count(*) FROM machines'; }
check "the state keeps no forgotten made-up MAC ($(state_rows) rows)" test "$(state_rows)" -le 19
private_dirs() { find "$W/main/state/private" -mindepth 1 -maxdepth 1 -type d | wc -l; }
check "nor its private store folder ($(private_dirs) folders)" test "$(private_dirs)" -le 19
check "a full table's choice is logged with what it forgot" grep -qE \
	'^strata-server: unknown-machine table full \(16, max-unknown\): forgot 52:54:00:ee:[0-9a-f:]+ \(only asked, [0-9]+ s ago\) for 52:54:00:' "$LOG"
check_not "it never forgot A or B" grep -qE "forgot ($A|$B) " "$LOG"
check "at most 5 such lines per 10 s, for the flood's ~290 forgotten ($(grep -c 'unknown-machine table full' "$LOG"); two intervals on a slow machine)" \
	test "$(grep -c 'unknown-machine table full' "$LOG")" -le 10
held() { grep -qE '^strata-server: [0-9]+ more unknown-machine table line\(s\) suppressed$' "$LOG"; }
for _ in $(seq 120); do held && break; sleep 0.1; done
check "the rest are counted: $(grep -m1 'more unknown-machine' "$LOG")" held

# --- a table whose every entry is deploying ----------------------------------------------
deploy_all() {
	local i
	for i in $(seq 16); do
		admin "manifest/52:54:00:dd:00:$(printf %02x "$i")" | grep -q '^version ' || return 1
	done
}
check "16 more MACs fetch their manifests (all deploying)" deploy_all
sleep 10   # the limiter's interval, so the refusal line is not held
check "then a new MAC is sent to its local disk: $(admin agent/52:54:00:cc:00:01)" \
	test "$(admin agent/52:54:00:cc:00:01)" = "action=none"
check "and the log says why" grep -qF \
	'unknown-machine table full (16, max-unknown), every entry deploying: 52:54:00:cc:00:01 boots its local disk' "$LOG"
check "inventory machines never depend on the table: pc01's manifest verifies" \
	manifest_ok 52:54:00:12:34:01

check "strata-server exits 0 on SIGTERM" srv_stop
check "no ASan/UBSan/LSan report" sanitizer_clean "$LOG"
finish
