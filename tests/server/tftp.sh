#!/bin/sh
# Integration test of strata-tftpd (server/tftp*.c) with the sanitizer build.
#
# Starts build/san/strata-tftpd on 127.0.0.1, on a port the kernel picks (--port 0, read
# back from its log), serving a temporary root, and checks:
#   - downloads of files of edge sizes (0, 1, 511, 512, 1467, 1468, 1469, a multiple of
#     1468, 3 MiB, and > 32 MiB so block numbers wrap at blksize 512) with tftp-hpa,
#     atftp (blksize 1468, windowsize 1/4/16) and curl (blksize 512 and 1468), compared
#     byte for byte;
#   - what boot firmware does: OVMF's tsize probe, repeated RRQs, duplicate ACKs, a
#     packet from a foreign port (tests/tools/tftp_poke.c);
#   - refusals: path traversal, symlinks out of the root, missing file, WRQ, netascii;
#   - hostile packets do not crash it, and it still serves afterwards;
#   - many transfers at once; max-transfers and the retransmission timeout (a second
#     instance with short timers); a clean exit on SIGTERM with no sanitizer report.
# The parser, path resolver and loop alone are unit-tested by tests/unit/test_tftp.c,
# which tests/run.sh runs with the other unit tests.
#
# Usage: sh tests/server/tftp.sh [BUILD_DIR]   (needs `make test-targets`)
# BUILD_DIR defaults to the one tests/run.sh exported through STRATA_IMAGE, else build.
# Prints one line per check ("ok   ..." / "FAIL ...") and, last, "N passed, N failed"
# as tests/run.sh expects; exits non-zero if any check failed.  Only uses 127.0.0.1.
set -u

if [ -n "${1:-}" ]; then
	BUILD=$1
elif [ -n "${STRATA_IMAGE:-}" ]; then
	BUILD=${STRATA_IMAGE%/san/strata-image}
else
	BUILD=build
fi
TFTPD=$BUILD/san/strata-tftpd
POKE=$BUILD/san/tests/tools/tftp_poke

pass=0
fail=0
PIDS=""          # daemons and background clients still to reap
T=$(mktemp -d /tmp/strata-tftp.XXXXXX) || exit 1

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
forget_pid() { PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' '); }
T0=$(now_ms)
summary() { printf '%d passed, %d failed (tftp.sh, %d ms)\n' "$pass" "$fail" "$(($(now_ms) - T0))"; }
give_up() { bad "$*"; summary; exit 1; }

for f in "$TFTPD" "$POKE"; do
	[ -x "$f" ] || give_up "missing $f (run 'make test-targets' first)"
done
for c in tftp atftp curl timeout cmp od; do
	command -v "$c" >/dev/null || give_up "missing client $c"
done

# --- the served tree --------------------------------------------------------------------
mkdir -p "$T/root/sub" "$T/outside"
BIG=$((65536 * 512 + 1000))        # > 65535 blocks of 512: the block number wraps to 0
FILES="s0 s1 s511 s512 s1467 s1468 s1469 m146800 r3m big"
for spec in s0:0 s1:1 s511:511 s512:512 s1467:1467 s1468:1468 s1469:1469 \
	    m146800:146800 r3m:3145728 big:$BIG; do
	head -c "${spec#*:}" /dev/urandom >"$T/root/${spec%%:*}"
done
cp "$T/root/s1469" "$T/root/sub/file"
echo secret >"$T/outside/secret"
ln -s /etc/passwd "$T/root/escape"           # absolute symlink out
ln -s /etc "$T/root/escdir"                  # directory symlink out
ln -s ../outside/secret "$T/root/updir"      # relative symlink out
ln -s s1469 "$T/root/inlink"                 # symlink inside the root: allowed
size_of() { wc -c <"$T/root/$1" | tr -d ' '; }

# --- start the server -------------------------------------------------------------------
# start_server LOG [args]: sets SRV_PID and SRV_PORT
start_server() {
	log=$1
	shift
	"$TFTPD" --root "$T/root" --addr 127.0.0.1 --port 0 "$@" 2>"$log" &
	SRV_PID=$!
	PIDS="$PIDS $SRV_PID"
	i=0
	while [ $i -lt 50 ]; do
		SRV_PORT=$(sed -n 's/^strata-tftpd: serving .* port \([0-9][0-9]*\)$/\1/p' "$log")
		[ -n "$SRV_PORT" ] && return 0
		kill -0 "$SRV_PID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Every client here comes from 127.0.0.1: let it hold the 16 transfers of the concurrency
# check below (max-per-addr itself is tested by tests/security/tftp-slots.sh).
LOG=$T/server.log
if start_server "$LOG" --max-per-addr 16; then
	ok "strata-tftpd started on 127.0.0.1 port $SRV_PORT"
else
	give_up "strata-tftpd did not start: $(cat "$LOG")"
fi
PORT=$SRV_PORT
MAIN_PID=$SRV_PID

# --- downloads with the stock clients ---------------------------------------------------
get_hpa() { timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c get "$1" "$2"; }
get_atftp() { f=$1 o=$2; shift 2; timeout 30 atftp "$@" -g -r "$f" -l "$o" 127.0.0.1 "$PORT"; }
get_curl() { f=$1 o=$2; shift 2; timeout 30 curl -sS "$@" -o "$o" "tftp://127.0.0.1:$PORT/$f"; }

# fetch LABEL FILE FUNCTION [client options]: download and compare byte for byte
fetch() {
	label=$1 f=$2 fn=$3
	shift 3
	rm -f "$T/out"
	t0=$(now_ms)
	"$fn" "$f" "$T/out" "$@" >"$T/client.out" 2>&1
	t1=$(now_ms)
	if [ -f "$T/out" ] && cmp -s "$T/root/$f" "$T/out"; then
		ok "$label: $f ($(size_of "$f") bytes, $((t1 - t0)) ms)"
	else
		bad "$label: $f differs: $(head -c 300 "$T/client.out" | tr '\n' ' ')"
	fi
}

for f in $FILES; do
	fetch "tftp-hpa" "$f" get_hpa
	fetch "atftp blksize 1468 windowsize 4" "$f" get_atftp \
		--option "blksize 1468" --option "windowsize 4"
	fetch "atftp blksize 1468 windowsize 1" "$f" get_atftp \
		--option "blksize 1468" --option "windowsize 1"
	fetch "atftp blksize 1468 windowsize 16" "$f" get_atftp \
		--option "blksize 1468" --option "windowsize 16"
	fetch "curl" "$f" get_curl
	fetch "curl --tftp-blksize 1468" "$f" get_curl --tftp-blksize 1468
done
fetch "atftp blksize 512 windowsize 16 (wraps)" big get_atftp \
	--option "blksize 512" --option "windowsize 16"
fetch "curl, leading / and subdirectory" sub/file get_curl
fetch "curl, symlink inside the root" inlink get_curl

# The log names client, file, bytes, result and duration.
if grep -q "^tftp: 127\.0\.0\.1:[0-9]* \"big\" ok, $BIG/$BIG bytes in [0-9.]* s (blksize 512, windowsize 1)$" "$LOG"; then
	ok "log line per transfer: $(grep -m1 '"big" ok' "$LOG")"
else
	bad "no log line for the wrapped transfer of big"
fi

# --- what boot firmware and odd clients do (tftp_poke) ----------------------------------
# poke_get LABEL FILE [poke options]: scripted download, compared; prints the poke summary
poke_get() {
	label=$1 f=$2
	shift 2
	rm -f "$T/out"
	if r=$(timeout 30 "$POKE" get "$PORT" "$f" "$T/out" "$@" 2>&1) &&
		cmp -s "$T/root/$f" "$T/out"; then
		POKE_OUT=$r
		return 0
	fi
	POKE_OUT=$r
	return 1
}
if poke_get probe r3m probe blksize=1468 windowsize=4 && grep -q '"r3m" size probe' "$LOG"; then
	ok "OVMF size probe (tsize, ERROR 8 after OACK, new RRQ) logged as a probe: $POKE_OUT"
else
	bad "OVMF size probe: $POKE_OUT; log: $(grep -E "size probe|superseded" "$LOG" | tail -2)"
fi
if poke_get tsize r3m tsize blksize=1432 && [ "$POKE_OUT" = "ok data=2197 dups=0 tsize=3145728" ]; then
	ok "iPXE-style blksize 1432 tsize 0: OACK tsize = file size ($POKE_OUT)"
else
	bad "tsize: $POKE_OUT"
fi
if poke_get cap r3m blksize=60000 && [ "$POKE_OUT" = "ok data=2143 dups=0 tsize=-1" ]; then
	ok "blksize 60000 asked, capped to max-blksize 1468 (2143 blocks: $POKE_OUT)"
else
	bad "blksize cap: $POKE_OUT"
fi
if poke_get dupack r3m dupack blksize=1468 windowsize=4 && [ "${POKE_OUT#*dups=0 }" != "$POKE_OUT" ]; then
	ok "every ACK sent twice: no duplicate DATA, no Sorcerer's Apprentice ($POKE_OUT)"
else
	bad "duplicate ACKs caused duplicate DATA: $POKE_OUT"
fi
if poke_get duprrq s1469 duprrq; then
	ok "repeated RRQ from the same port ignored while the transfer lives"
else
	bad "repeated RRQ: $POKE_OUT"
fi
if poke_get badtid m146800 badtid blksize=1468; then
	ok "ACK from a foreign port gets ERROR 5, the transfer goes on"
else
	bad "foreign port: $POKE_OUT"
fi
if poke_get wrap r3m blksize=8 windowsize=64; then
	ok "blksize 8 windowsize 64: 393217 blocks, block number wraps 6 times ($POKE_OUT)"
else
	bad "blksize 8 wrap: $POKE_OUT"
fi

# --- refusals ---------------------------------------------------------------------------
hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
rrq_hex() { printf '0001%s00%s00' "$(hex "$1")" "$(hex "${2:-octet}")"; }
# raw LABEL HEX WANT: send one packet, the first reply must start with WANT
raw() {
	r=$(timeout 5 "$POKE" raw "$PORT" "$2" 2>&1)
	case $r in
	"$3"*) ok "$1 -> $r" ;;
	*) bad "$1: got '$r', want '$3'" ;;
	esac
}
raw "RRQ ../etc/passwd" "$(rrq_hex ../etc/passwd)" "ERROR 2"
raw "RRQ /../../etc/passwd" "$(rrq_hex /../../etc/passwd)" "ERROR 2"
raw "RRQ ..\\..\\etc\\passwd" "$(rrq_hex '..\..\etc\passwd')" "ERROR 2"
raw "RRQ symlink to /etc/passwd" "$(rrq_hex escape)" "ERROR 2"
raw "RRQ through a directory symlink to /etc" "$(rrq_hex escdir/passwd)" "ERROR 2"
raw "RRQ relative symlink out of the root" "$(rrq_hex updir)" "ERROR 2"
raw "RRQ a directory" "$(rrq_hex sub)" "ERROR 2"
raw "RRQ missing file" "$(rrq_hex missing)" "ERROR 1"
raw "WRQ" "0002$(hex upload)00$(hex octet)00" "ERROR 2"
raw "RRQ netascii" "$(rrq_hex s1 netascii)" "ERROR 0"
raw "RRQ mode mail" "$(rrq_hex s1 mail)" "ERROR 4"

rm -f "$T/out"
get_hpa ../etc/passwd "$T/out" >"$T/client.out" 2>&1
if grep -q "Error code 2" "$T/client.out" && ! cmp -s /etc/passwd "$T/out"; then
	ok "tftp-hpa get ../etc/passwd refused: $(head -1 "$T/client.out")"
else
	bad "tftp-hpa get ../etc/passwd: $(cat "$T/client.out")"
fi
rm -f "$T/out"
if ! get_curl /../../etc/passwd "$T/out" --path-as-is >"$T/client.out" 2>&1 &&
	! cmp -s /etc/passwd "$T/out" 2>/dev/null; then
	ok "curl get /../../etc/passwd refused"
else
	bad "curl get /../../etc/passwd was served"
fi
rm -f "$T/out"
if ! get_atftp escape "$T/out" >"$T/client.out" 2>&1 && ! cmp -s /etc/passwd "$T/out" 2>/dev/null; then
	ok "atftp get symlink to /etc/passwd refused"
else
	bad "atftp get symlink to /etc/passwd was served"
fi
get_hpa missing "$T/out" >"$T/client.out" 2>&1
if grep -q "Error code 1" "$T/client.out"; then
	ok "tftp-hpa get missing file: $(head -1 "$T/client.out")"
else
	bad "tftp-hpa get missing file: $(cat "$T/client.out")"
fi
timeout 10 tftp -m binary 127.0.0.1 "$PORT" -c put "$T/root/s1" uploaded >"$T/client.out" 2>&1
if grep -q "Error code 2" "$T/client.out" && [ ! -e "$T/root/uploaded" ]; then
	ok "tftp-hpa put refused: $(head -1 "$T/client.out")"
else
	bad "tftp-hpa put: $(cat "$T/client.out")"
fi

# --- hostile packets --------------------------------------------------------------------
raw "empty datagram" "" "none"
raw "1-byte datagram" "00" "none"
raw "ERROR to the request port" "0005000100" "none"
raw "ACK to the request port" "00040001" "ERROR 5"
raw "DATA to the request port" "0003000141" "ERROR 5"
raw "opcode 9" "0009$(hex junk)00" "ERROR 4"
raw "opcode 0xffff" "ffff" "ERROR 4"
raw "RRQ without NUL after the name" "0001$(hex file)" "ERROR 4"
raw "RRQ without mode" "0001$(hex s1)00" "ERROR 4"
raw "RRQ with empty name" "000100$(hex octet)00" "ERROR 4"
raw "RRQ with a 300-byte name" "$(rrq_hex "$(printf '%0300d' 0)")" "ERROR 4"
raw "RRQ longer than 512 bytes" "$(rrq_hex s1)$(printf '%01200d' 0)" "ERROR 4"
raw "RRQ option without value" "$(rrq_hex s1)$(hex blksize)00" "ERROR 4"
raw "RRQ option not a number" "$(rrq_hex s1)$(hex blksize)00$(hex 12a)00" "ERROR 8"
raw "RRQ option given twice" "$(rrq_hex s1)$(hex blksize)00$(hex 512)00$(hex BLKSIZE)00$(hex 512)00" "ERROR 8"
raw "RRQ blksize 4 (ignored: DATA 1 at 512)" "$(rrq_hex s1)$(hex blksize)00$(hex 4)00" "opcode 3 len 5"
raw "RRQ blksize 99999 (clamped, OACK)" "$(rrq_hex s1)$(hex blksize)00$(hex 99999)00" "opcode 6"
spray=$(timeout 20 "$POKE" spray "$PORT" 3000 12345 2>&1)
spray2=$(timeout 20 "$POKE" spray "$PORT" 3000 777 2>&1)
sleep 0.3
if kill -0 "$MAIN_PID" 2>/dev/null; then
	ok "still running after 2 x 3000 random packets ($spray, $spray2)"
else
	bad "server died under random packets"
fi
fetch "curl after the hostile packets" r3m get_curl --tftp-blksize 1468

# --- many transfers at once -------------------------------------------------------------
cpids=""
t0=$(now_ms)
for i in 1 2 3 4 5 6 7 8; do
	get_curl r3m "$T/par$i" --tftp-blksize 1468 >/dev/null 2>&1 &
	cpids="$cpids $!"
	get_atftp big "$T/parb$i" --option "blksize 1468" --option "windowsize 8" >/dev/null 2>&1 &
	cpids="$cpids $!"
done
PIDS="$PIDS $cpids"
for p in $cpids; do wait "$p"; forget_pid "$p"; done
t1=$(now_ms)
good=0
for i in 1 2 3 4 5 6 7 8; do
	cmp -s "$T/root/r3m" "$T/par$i" && good=$((good + 1))
	cmp -s "$T/root/big" "$T/parb$i" && good=$((good + 1))
	rm -f "$T/par$i" "$T/parb$i"
done
if [ $good = 16 ]; then
	ok "16 concurrent transfers (8 x 3 MiB curl, 8 x 32 MiB atftp) all identical, $((t1 - t0)) ms"
else
	bad "concurrent transfers: only $good of 16 identical"
fi

# --- limits and timeouts: a second instance with short timers and one transfer slot -----
LOG2=$T/server2.log
if start_server "$LOG2" --max-transfers 1 --timeout-ms 200 --max-tries 3; then
	PORT2=$SRV_PORT
	PID2=$SRV_PID
	r=$(timeout 10 "$POKE" get "$PORT2" big "$T/out" blksize=512 stall=1 2>&1)
	r2=$(timeout 5 "$POKE" raw "$PORT2" "$(rrq_hex s1)" 2>&1)
	if [ "$r2" = none ]; then
		ok "max-transfers 1: a second request is dropped while the slot is taken"
	else
		bad "max-transfers 1: second request got '$r2'"
	fi
	sleep 1.5
	if grep -q '"big" timeout' "$LOG2"; then
		ok "silent client: transfer gives up after 3 tries ($(grep -m1 '"big" timeout' "$LOG2" | cut -c1-90)...)"
	else
		bad "silent client: no timeout logged ($r)"
	fi
	# A client that got every block and whose final ACK was lost (OVMF ends at its last
	# ACK): the line must not call it silent.
	r=$(timeout 10 "$POKE" get "$PORT2" s1469 "$T/out" blksize=512 stall=3 2>&1)
	for _ in $(seq 50); do
		grep -q '"s1469" no final ACK' "$LOG2" && break
		sleep 0.1
	done
	if [ "$r" = "stalled after 3 blocks" ] && cmp -s "$T/out" "$T/root/s1469" &&
	   grep -q '"s1469" no final ACK (every block sent: a client may stop after its last ACK), 1024/1469 bytes' "$LOG2"; then
		ok "final ACK lost: logged as such ($(grep -m1 '"s1469"' "$LOG2" | cut -c1-100)...)"
	else
		bad "final ACK lost: '$r', $(grep '"s1469"' "$LOG2")"
	fi
	r3=$(timeout 5 "$POKE" raw "$PORT2" "$(rrq_hex s1)" 2>&1)
	if [ "$r3" = "opcode 3 len 5" ]; then
		ok "slot free again after the timeout: DATA 1 sent"
	else
		bad "after timeout: got '$r3'"
	fi
	timeout 10 "$POKE" get "$PORT2" big "$T/out" blksize=512 stall=1 >/dev/null 2>&1
	kill -TERM "$PID2"
	wait "$PID2"
	rc=$?
	forget_pid "$PID2"
	if [ $rc = 0 ] && grep -q '"big" server shutting down' "$LOG2"; then
		ok "SIGTERM with a live transfer: exit 0, transfer aborted and logged"
	else
		bad "SIGTERM with a live transfer: exit $rc, $(tail -2 "$LOG2")"
	fi
else
	bad "second instance did not start: $(cat "$LOG2")"
fi

# --- clean exit -------------------------------------------------------------------------
kill -TERM "$MAIN_PID"
wait "$MAIN_PID"
rc=$?
forget_pid "$MAIN_PID"
if [ $rc = 0 ] && grep -q '^strata-tftpd: stopping$' "$LOG"; then
	ok "SIGTERM: clean exit 0"
else
	bad "SIGTERM: exit status $rc"
fi
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$LOG" "$LOG2" >"$T/san.out"; then
	bad "sanitizer report: $(head -5 "$T/san.out")"
else
	ok "no ASan/UBSan/LSan report in the server logs ($(grep -c '^tftp: ' "$LOG") log lines)"
fi

summary
[ "$fail" = 0 ]
