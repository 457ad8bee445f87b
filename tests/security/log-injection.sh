#!/bin/bash
# The log injection of "Trust and limits", replayed against strata-server: fails if it
# works again.  The attack: the HTTP access log and agents' report messages were written
# unescaped, so a client could forge "boot:" and "report:" lines and send terminal
# escapes to whoever reads the log.  Here, on loopback:
#   - paths with encoded newlines, ESC sequences, BEL and non-ASCII bytes, a forged
#     "boot:" line among them, raw and percent-encoded;
#   - headers and a request line with raw ESC bytes (libmicrohttpd's own lines too);
#   - a report (GET, whose query libmicrohttpd decodes itself, and POST) whose message
#     forges a "report:" line and sets the terminal's title;
#   - 40 requests for missing files: their lines are rate-limited (20 per 10 s) and counted;
# then the log holds every one of them escaped (\xNN), no ESC, BEL or 8-bit byte, and
# no line that the server did not write; the server exits cleanly.
#
# usage: bash tests/security/log-injection.sh [BUILD_DIR]   (about 15 s)
# env STRATA_SERVER, STRATA_IMAGE: the binaries (default BUILD_DIR/san/...).
# Prints "ok"/"FAIL" lines and, last, "N passed, N failed".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/security.sh"
. "$(dirname "$0")/../lib/session.sh"
suite_setup "${1:-}" loginj curl timeout ss
PC01=52:54:00:12:34:01

lab_root "$W/main" local
check "strata-server starts" start_server main
[ -n "${PID_main:-}" ] || { finish; exit 1; }
U=http://127.0.0.1:$HP_main
LOG=$W/main.log
code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$@"; }
# raw BYTES: send them as one request on a new connection, read the answer for 2 s.
raw() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "$2" >&3 && cat <&3' _ "$HP_main" "$1" >/dev/null 2>&1; true; }

# --- paths ---------------------------------------------------------------------------------
FORGED_BOOT='%0aboot:%2052:54:00:12:34:01%20pc01:%20deploy%20pending:%20run%20strata.efi'
check "a path forging a boot: line gets 404" test "$(code --path-as-is "$U/boot/x$FORGED_BOOT")" = 404
check "a path with ESC, BEL and 8-bit bytes gets 404" \
	test "$(code --path-as-is "$U/boot/%1b%5b2J%1b%5d0;pwned%07%9b31m%ff")" = 404
raw 'GET /boot/\033[31mred\r\n\r\n'
raw 'GET /boot/y HTTP/1.1\r\nHost: x\r\nUser-Agent: \033[2J\033]0;pwned\007\r\nX-\033: \033\r\n\r\n'
raw 'G\033ET /boot/z HTTP/1.1\r\nHost: x\r\n\r\n'
check "the forged boot: line is in the log, escaped, inside the access line" grep -qF \
	'GET /boot/x\x0aboot: 52:54:00:12:34:01 pc01: deploy pending: run strata.efi 404 ' "$LOG"
check "the escapes are in the log as text" grep -qF \
	'GET /boot/\x1b[2J\x1b]0;pwned\x07\x9b31m\xff 404 ' "$LOG"

# --- report messages ----------------------------------------------------------------------
# Reports come from pc01's session (tests/tools/session_client.py): the machine itself
# writes the hostile message.
sess_register "$U" "$PC01" "$W" > "$W/reg"
check "pc01 registers and gets a session" grep -q ' session=' "$W/reg"
FORGED_REPORT='disk%20error%0areport:%2052:54:00:12:34:01%20ok:%201/1%20bytes:%20all%20fine%1b%5d0;pwned%07'
check "a report whose message forges a report: line is taken" \
	test "$(code "$(sess_url "$W" "$PC01" "$U/report/$PC01?phase=failed&done=1&total=2&msg=$FORGED_REPORT")")" = 200
check "its line has the message escaped" grep -qF \
	"report: $PC01 failed: 1/2 bytes: disk error\\x0areport: 52:54:00:12:34:01 ok: 1/1 bytes: all fine\\x1b]0;pwned\\x07" "$LOG"
check "a report with quotes, a backslash and an 8-bit byte is taken" \
	test "$(code "$(sess_url "$W" "$PC01" "$U/report/$PC01?phase=ok&done=2&total=2&msg=%22q%22%5c%c3%a9")")" = 200
check "its line has them escaped" grep -qF "report: $PC01 ok: 2/2 bytes: \\x22q\\x22\\x5c\\xc3\\xa9" "$LOG"
check "the JSON view keeps the message harmless" sh -c \
	"curl -s -H '$SEC_AUTH' '$U/machines.json' | grep -qF '\"message\": \"_q__'"

# --- failed requests are rate-limited -------------------------------------------------------
for i in $(seq 40); do printf 'url = "%s/boot/missing-%d"\noutput = "/dev/null"\n' "$U" "$i"; done >"$W/404.cfg"
curl -s -K "$W/404.cfg"
missing() { grep -c 'GET /boot/missing-' "$LOG"; }
check "40 requests for missing files make at most 20 lines in 10 s ($(missing))" test "$(missing)" -le 20
held() { grep -qE '^http: [0-9]+ more failed request line\(s\) suppressed$' "$LOG"; }
for _ in $(seq 120); do held && break; sleep 0.1; done
check "the rest are counted: $(grep -m1 'more failed request' "$LOG")" held
check "a served request is still logged" sh -c \
	"curl -s -o /dev/null '$U/boot/boot.bin' && sleep 0.2 && grep -q 'GET /boot/boot.bin 200 300000 bytes' '$LOG'"

# --- nothing raw reached the log ---------------------------------------------------------------
check "strata-server exits 0 on SIGTERM" stop_server "$PID_main"
check_not "no ESC byte in the log" grep -q $'\e' "$LOG"
check_not "no BEL byte in the log" grep -q $'\a' "$LOG"
check_not "no 8-bit byte in the log" env LC_ALL=C grep -q $'[\x80-\xff]' "$LOG"
check "no boot: line (the server wrote none: nothing asked for orders)" test "$(grep -c '^boot:' "$LOG")" = 0
check "exactly the two report: lines the server wrote" test "$(grep -c '^report:' "$LOG")" = 2
check_not "no line starts with the forged text" grep -qE '^(all fine|disk error|red|x)' "$LOG"
check "every line is the server's (a known prefix)" sh -c \
	"! grep -vE '^(http|tftp|strata-server|report|boot|action|key): ' '$LOG'"
check "no ASan/UBSan/LSan report" sanitizer_clean "$LOG"
finish
