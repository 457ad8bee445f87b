#!/bin/bash
# The TFTP slot hold of "Trust and limits", replayed against strata-server: fails if it
# works again.  The attack: 128 read requests asking timeout=255 whose senders vanish held
# every TFTP slot for about 80 minutes.  Here, on loopback (127.x addresses are all ours):
#   - 127.0.0.3 opens 14 transfers asking timeout=255 and vanishes: 8 start (max-per-addr),
#     with DATA at once because the timeout is not granted; the rest are dropped and the
#     log names the peer;
#   - meanwhile real clients (tftp-hpa, atftp) from 127.0.0.1 get their files;
#   - client-controlled text (a file name and an option with terminal escapes and a
#     newline) reaches the log escaped, for a transfer and for a refusal;
#   - a client ending transfers as fast as it can (30 size probes) gets at most 20 lines
#     per 10 s, and a count of the rest;
#   - 127.0.0.4 takes the 4 last slots asking timeout=5 (granted, echoed): the table is
#     full, and a request from 127.0.0.5 is dropped with a log line naming the holders;
#   - a second server with --max-tftp-time 2 ends a client that trickles ACKs;
#   - the abandoned transfers are reaped within max-timeout x tries (5 s x 6), seconds not
#     minutes; the refusal lines held back by the rate limiter are counted in the log; the
#     slots serve a real client again; both servers exit cleanly with no sanitizer report.
#
# usage: bash tests/security/tftp-slots.sh [BUILD_DIR]   (about 35 s)
# env STRATA_SERVER: the server to test (default BUILD_DIR/san/strata-server; BUILD_DIR
# defaults to the one tests/run.sh exported STRATA_IMAGE from, else build).
# Prints "ok"/"FAIL" lines and, last, "N passed, N failed".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/security.sh"
suite_setup "${1:-}" tftp tftp atftp cmp timeout ss
POKE=$BUILD/san/tests/tools/tftp_poke
need_built "$POKE"
EVIL_NAME=$'\e[2J\e[31mevil\nfake: line'   # clears a terminal, turns it red, forges a line
EVIL_OPT=$'x\e]0;pwned\a'                  # sets a terminal's title
EVIL_VAL=$'v\nl'

# root DIR: boot files, an empty store and inventory: all a server needs to start.
root() {
	mkdir -p "$1/boot" "$1/store"
	head -c 2000000 /dev/urandom >"$1/boot/boot.bin"
	head -c 200000 /dev/urandom >"$1/boot/snponly.efi"
	head -c 5000 /dev/urandom >"$1/boot/$EVIL_NAME"
	echo x >"$1/boot/tiny"
	echo '# security test: no machines' >"$1/inventory.conf"
	chmod -R a+rX "$1"
}

root "$W/main"
root "$W/slow"
check "strata-server starts with --max-tftp 12 --max-tftp-per-addr 8 --max-tftp-timeout 5" \
	srv_run "$W/main" "$W/main.log" --api-tokens "$W/api-tokens" \
	--max-tftp 12 --max-tftp-per-addr 8 --max-tftp-timeout 5
[ -n "$SRV_PID" ] || { finish; exit 1; }
MAIN_PID=$SRV_PID TP=$SRV_TP
LOG=$W/main.log

# --- the attack, from one address -----------------------------------------------------------
T_ATTACK=$(now_ms)
HOLD_A=$("$POKE" hold "$TP" 127.0.0.3 14 boot.bin timeout=255)
check "127.0.0.3 asks 14 x timeout=255: 8 start with DATA 1 (timeout not granted), 6 dropped ($HOLD_A)" \
	test "$HOLD_A" = "replies=8 data=8 oack=0 errors=0 timeout=-1"
check "the per-address cap is logged naming the peer" \
	grep -qE '^tftp: 127\.0\.0\.3:[0-9]+ "boot\.bin" dropped: 8 transfers live from 127\.0\.0\.3 \(max-per-addr\)$' "$LOG"

# --- real clients from another address, meanwhile ---------------------------------------
hpa_get() { rm -f "$W/out"; timeout 20 tftp -m binary 127.0.0.1 "$TP" -c get "$1" "$W/out" && cmp -s "$W/main/boot/$1" "$W/out"; }
atftp_get() { rm -f "$W/out"; timeout 20 atftp --option "blksize 1468" -g -r "$1" -l "$W/out" 127.0.0.1 "$TP" && cmp -s "$W/main/boot/$1" "$W/out"; }
check "tftp-hpa from 127.0.0.1 gets snponly.efi while 127.0.0.3 holds its 8 slots" hpa_get snponly.efi
check "atftp from 127.0.0.1 gets snponly.efi meanwhile" atftp_get snponly.efi
check "and the log says so" grep -qE '^tftp: 127\.0\.0\.1:[0-9]+ "snponly\.efi" ok, 200000/200000 bytes' "$LOG"

# --- client text in the log -------------------------------------------------------------
check "a file named with terminal escapes and a newline, with such an option, is served" \
	"$POKE" get "$TP" "$EVIL_NAME" "$W/out" "opt=$EVIL_OPT=$EVIL_VAL"
RAW=$("$POKE" raw "$TP" "0001$(printf '%s' "${EVIL_NAME}x" | od -An -tx1 -v | tr -d ' \n')00$(printf octet | od -An -tx1 | tr -d ' \n')00")
check "the same name with one more byte is refused: $RAW" test "${RAW#ERROR 1}" != "$RAW"
check "the transfer's log line carries the name and the option escaped" grep -qF \
	'"\x1b[2J\x1b[31mevil\x0afake: line" ok, 5000/5000 bytes in ' "$LOG"
check "... with the ignored option as \"x\\x1b]0;pwned\\x07\"=\"v\\x0al\"" grep -qF \
	'; 1 option(s) ignored, first "x\x1b]0;pwned\x07"="v\x0al")' "$LOG"
check "the refusal's log line carries the name escaped" grep -qF \
	'"\x1b[2J\x1b[31mevil\x0afake: linex" refused: ' "$LOG"
check_not "no escape byte reaches the log" grep -q $'\e' "$LOG"
check_not "no forged line starts with the name's second half" grep -q '^fake' "$LOG"

# --- a client ending transfers as fast as it sends packets (RRQ, ERROR 8: a size probe) ----
probes() {
	local i
	for i in $(seq 30); do
		"$POKE" get "$TP" tiny "$W/out" probe >/dev/null || return 1
	done
}
check "30 size probes, each followed by its download" probes
check "the log has a line for each download" \
	test "$(grep -cE '^tftp: 127\.0\.0\.1:[0-9]+ "tiny" ok' "$LOG")" = 30
check "but fewer for the probes: 20 per 10 s ($(grep -c '"tiny" size probe' "$LOG") of 30)" \
	test "$(grep -c '"tiny" size probe' "$LOG")" -lt 30

# --- the last slots, from a second address: a full table ----------------------------------
HOLD_B=$("$POKE" hold "$TP" 127.0.0.4 4 boot.bin timeout=5 blksize=1468)
check "127.0.0.4 asks 4 x timeout=5: granted and echoed in the OACKs ($HOLD_B)" \
	test "$HOLD_B" = "replies=4 data=0 oack=4 errors=0 timeout=5"
HOLD_C=$("$POKE" hold "$TP" 127.0.0.5 1 boot.bin)
check "the table is full: 127.0.0.5 gets no reply ($HOLD_C)" test "$HOLD_C" = "replies=0 data=0 oack=0 errors=0 timeout=-1"
check "the full table is logged with who holds it" \
	grep -qE '^tftp: 127\.0\.0\.5:[0-9]+ "boot\.bin" dropped: table full, 12 transfers live \(max-transfers\), held by 127\.0\.0\.3 x8, 127\.0\.0\.4 x4$' "$LOG"

# --- a client that trickles ACKs meets the total deadline (second server) -----------------
check "a second server starts with --max-tftp-time 2" \
	srv_run "$W/slow" "$W/slow.log" --api-tokens "$W/api-tokens" --max-tftp-time 2
SLOW_PID=$SRV_PID
if [ -n "$SLOW_PID" ]; then
	t0=$(now_ms)
	SLOW=$("$POKE" get "$SRV_TP" snponly.efi "$W/out" blksize=8 slow=50)
	t1=$(now_ms)
	check "blksize 8 and an ACK every 50 ms: ended after 2 s with an ERROR ($SLOW, $((t1 - t0)) ms)" \
		test "$SLOW" = "ERROR 0 transfer took longer than the server allows (max-time)" -a $((t1 - t0)) -lt 5000
	check "and logged" grep -qE '"snponly\.efi" transfer took longer than the server allows \(max-time\), [0-9]+/200000 bytes in 2\.' "$W/slow.log"
fi

# --- the abandoned transfers are reaped in seconds ----------------------------------------
# A granted timeout of 5 s, 6 tries: 30 s at most; the refused 255 leaves 1+2+4+4+4+4 s.
reaped() { [ "$(grep -cE '^tftp: 127\.0\.0\.[34]:[0-9]+ "boot\.bin" timeout \(client stopped acknowledging\)' "$LOG")" = 12 ]; }
for _ in $(seq 400); do
	reaped && break
	sleep 0.1
done
T_REAPED=$(now_ms)
check "all 12 abandoned transfers reaped, $((T_REAPED - T_ATTACK)) ms after the attack began" reaped
longest() { grep -E "^tftp: 127\\.0\\.0\\.$1:[0-9]+ \"boot\\.bin\" timeout" "$LOG" | sed 's/.* bytes in \([0-9.]*\) s .*/\1/' | sort -n | tail -1; }
L3=$(longest 3)
L4=$(longest 4)
# A second of slack for a loaded machine's late timers.
check "timeout=255 asked: reaped after ${L3:-?} s (1+2+4+4+4+4 = 19 s)" awk "BEGIN { exit !(\"${L3:-99}\" + 0 <= 20) }"
check "timeout=5 asked: reaped after ${L4:-?} s (max-timeout x tries = 30 s)" awk "BEGIN { exit !(\"${L4:-99}\" + 0 <= 31) }"
check "the log says the 255 s timeout was not granted" \
	grep -qF '(blksize 512, windowsize 1; timeout 255 s not granted, max-timeout 5)' "$LOG"
check "refusal lines beyond the rate limit are counted: $(grep -m1 'more max-per-addr' "$LOG" | cut -c7-)" \
	grep -qE '^tftp: 1 more max-per-addr line\(s\) suppressed$' "$LOG"
check "and so are the probe lines beyond 20: $(grep -m1 'more client-ended' "$LOG" | cut -c7-)" \
	grep -qE '^tftp: [0-9]+ more client-ended transfer line\(s\) suppressed$' "$LOG"
check "the slots serve a real client again: atftp gets boot.bin (2 MB)" atftp_get boot.bin

# --- clean exits ------------------------------------------------------------------------
check "strata-server exits 0 on SIGTERM" srv_stop "$MAIN_PID"
[ -n "$SLOW_PID" ] && check "the second server exits 0 on SIGTERM" srv_stop "$SLOW_PID"
check "no ASan/UBSan/LSan report" sanitizer_clean "$W/main.log" "$W/slow.log"
finish
