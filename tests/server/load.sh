#!/bin/bash
# strata-server under load and abuse, on 127.0.0.1 (sanitizer build by default):
#   (i)   reload under load: 8 HTTP (curl) and 4 TFTP (2 atftp, 2 curl tftp://) clients
#         download a 32 MiB boot file in a loop while the inventory is edited and SIGHUP
#         sent 5 times (4 valid edits, 1 invalid): every download byte-identical, the
#         server never restarts, the log shows each reload (and the refused one);
#   (ii)  slow clients: 20 connections that send part of a request header and stall, and
#         4 readers at 1 KB/s, do not stop others being served quickly; the stalled ones
#         are dropped after the server's 30 s idle timeout;
#   (iii) connection limit: a second server with --max-http 8 takes 20 idle connections
#         and 20 downloads at once without crashing, and serves again afterwards;
#   (iv)  hostile HTTP (bash /dev/tcp): NUL bytes and huge values in headers, a 100 KB
#         URL, garbage bytes, HTTP/0.9 lines, bad ranges and lengths: the server stays up
#         and serves afterwards;
#   and both servers exit cleanly on SIGTERM with nothing from ASan/UBSan/LSan in the log.
#
# usage: bash tests/server/load.sh     (env STRATA_SERVER, STRATA_IMAGE: binaries to use,
#                                       default build/san/strata-server, build/san/strata-image)
# Prints "ok"/"FAIL" lines and "N passed, N failed"; about 60 s.
. "$(dirname "$0")/../lib/common.sh"
SRV=${STRATA_SERVER:-build/san/strata-server}
SI=${STRATA_IMAGE:-build/san/strata-image}
for c in atftp curl cmp timeout ss; do
	command -v "$c" >/dev/null || { echo "FAIL missing tool $c"; echo "0 passed, 1 failed"; exit 1; }
done
for b in "$SRV" "$SI"; do
	[ -x "$b" ] || { echo "FAIL missing $b (run 'make test-targets')"; echo "0 passed, 1 failed"; exit 1; }
done

W=$(mktemp -d /tmp/strata-load.XXXXXX)
chmod 755 "$W"   # the server drops to nobody when started as root
PID=
PID2=
BG=              # background client loops and slow readers
cleanup() {
	local p
	for p in $BG; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	for p in $PID $PID2; do kill "$p" 2>/dev/null; done
	for p in $BG $PID $PID2; do wait "$p" 2>/dev/null; done
	rm -f "$T_OUT"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$@"; }
sanitizer_clean() { ! grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|SUMMARY: ' "$1"; }
alive() { kill -0 "$1" 2>/dev/null; }

# --- a root: boot files, a store with one layer, an inventory ---------------------------------
mkdir -p "$W/root/boot"
head -c $((32 << 20)) /dev/urandom >"$W/root/boot/big.bin"
head -c 5000 /dev/urandom >"$W/root/boot/small.bin"
head -c 3000000 /dev/urandom >"$W/base.img"
BASE=$($SI build --store "$W/root/store" "$W/base.img" 2>/dev/null | tail -n1)
printf '#cloud-config\nruncmd: [echo one]\n' >"$W/root/one.yaml"
printf '#cloud-config\nruncmd: [echo two]\n' >"$W/root/two.yaml"
chmod -R a+rX "$W/root"
# The admin credential /machines.json needs.
TOKEN=$(head -c 24 /dev/urandom | xxd -p)
AUTH="Authorization: Bearer $TOKEN"
printf 'load %s\n' "$TOKEN" >"$W/api-tokens"
# inventory EXTRA_LINES DEFAULT USERDATA: write the inventory atomically (temp file + mv).
inventory() {
	cat >"$W/inv.tmp" <<EOC
# load test lab
default ${2:-local}

profile lab
disk min-size=1G
part label=ESP type=esp size=64M layer=$BASE
part label=CIDATA type=basic size=8M layer=machine
part label=data type=linux size=rest policy=preserve
user-data ${3:-one.yaml}

machine 52:54:00:aa:00:01 name=pc01 profile=lab action=deploy
machine 52:54:00:aa:00:02 name=pc02 profile=lab
$(printf '%b' "${1:-}")
EOC
	mv "$W/inv.tmp" "$W/root/inventory.conf"
}
inventory

# start_server LOG ARGS...: sets LAST_PID, LAST_URL, LAST_TFTP.
start_server() {
	local log=$1 hp tp
	shift
	hp=$(free_port)
	tp=$(free_port)
	"$SRV" --root "$W/root" --addr 127.0.0.1 --http-port "$hp" --tftp-port "$tp" --dhcp off \
		--api-tokens "$W/api-tokens" "$@" 2>>"$log" &
	LAST_PID=$!
	LAST_URL=http://127.0.0.1:$hp
	LAST_PORT=$hp
	LAST_TFTP=$tp
	for _ in $(seq 100); do
		curl -s -o /dev/null "$LAST_URL/ipxe/boot.ipxe" && return 0
		alive "$LAST_PID" || return 1
		sleep 0.1
	done
	return 1
}

# Every client here is 127.0.0.1, and the stalled connections test libmicrohttpd's idle
# timeout: lift the per-address cap and the request deadline (tests/security/http-slowloris.sh
# tests those).
check "server starts" start_server "$W/log" --max-http-per-addr 1000 --max-http-request-time 60
PID=$LAST_PID
U=$LAST_URL
HP=$LAST_PORT
TP=$LAST_TFTP
alive "$PID" || { finish; exit 1; }

# --- (ii) part 1: stalled connections and slow readers, opened first --------------------------
# stall_conn ID: open a connection, send half a request header, then wait (no child holds
# the socket but cat) for the server to close it; write "CAT_RC MS_OPEN" to stall.ID.
stall_conn() {
	local t0 rc
	t0=$(now_ms)
	exec 3<>"/dev/tcp/127.0.0.1/$HP" || { echo "noconnect 0" >"$W/stall.$1"; return; }
	printf 'GET /boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Stall: %d' "$1" >&3
	timeout 50 cat <&3 >/dev/null
	rc=$?
	exec 3>&-
	echo "$rc $(($(now_ms) - t0))" >"$W/stall.$1"
}
STALLS=
for i in $(seq 20); do stall_conn "$i" & STALLS="$STALLS $!"; done
BG="$BG $STALLS"
STALL_T0=$(now_ms)
sleep 0.5
stalls_open() { [ "$(ls "$W"/stall.* 2>/dev/null | wc -l)" = 0 ] && [ "$(ss -Htn state established "( dport = :$HP )" | wc -l)" -ge 20 ]; }
check "20 stalled connections open" stalls_open
# 4 readers of the big file at 1 KB/s.
for i in 1 2 3 4; do
	curl -s -o /dev/null --limit-rate 1K -m 120 "$U/boot/big.bin" &
	BG="$BG $!"
done
sleep 0.5
# quick_requests N LIMIT_MS: N small requests, each answered right within LIMIT_MS.
quick_requests() {
	local n=$1 lim=$2 t0 t1 worst=0
	for _ in $(seq "$n"); do
		t0=$(now_ms)
		curl -s -m 5 "$U/boot/small.bin" | cmp -s - "$W/root/boot/small.bin" || { echo "wrong body"; return 1; }
		[ "$(code -H "$AUTH" "$U/machines.json")" = 200 ] || { echo "machines.json not 200"; return 1; }
		t1=$(now_ms)
		[ $((t1 - t0)) -gt "$worst" ] && worst=$((t1 - t0))
	done
	echo "worst $worst ms"
	[ "$worst" -le "$lim" ]
}
check "others served quickly while 20 connections stall and 4 read slowly" quick_requests 10 1000
big_in_time() { timeout 10 curl -s "$U/boot/big.bin" | cmp -s - "$W/root/boot/big.bin"; }
check "a 32 MiB download completes meanwhile (under 10 s)" big_in_time

# --- (i) reload under load ----------------------------------------------------------------------
STOP=$W/stop
# client_loop KIND ID: download big.bin until $STOP exists; one line per download.
client_loop() {
	local kind=$1 id=$2 out=$W/dl.$1.$2 n=0 rc
	while [ ! -e "$STOP" ] || [ "$n" = 0 ]; do
		n=$((n + 1))
		rm -f "$out"
		case $kind in
			http) curl -sf -m 60 -o "$out" "$U/boot/big.bin" ;;
			atftp) timeout 60 atftp --option "blksize 1468" --option "windowsize 8" \
				-g -r big.bin -l "$out" 127.0.0.1 "$TP" >/dev/null 2>&1 ;;
			ctftp) curl -sf -m 60 --tftp-blksize 1468 -o "$out" "tftp://127.0.0.1:$TP/big.bin" ;;
		esac
		rc=$?
		if [ "$rc" = 0 ] && cmp -s "$out" "$W/root/boot/big.bin"; then
			echo ok
		else
			echo "bad rc=$rc"
		fi
	done >"$W/res.$kind.$id"
	rm -f "$out"
}
LOOPS=
for i in 1 2 3 4 5 6 7 8; do client_loop http "$i" & LOOPS="$LOOPS $!"; done
for i in 1 2; do client_loop atftp "$i" & LOOPS="$LOOPS $!"; done
for i in 1 2; do client_loop ctftp "$i" & LOOPS="$LOOPS $!"; done
BG="$BG $LOOPS"
sleep 1
reloads_seen() { grep -c 'SIGHUP: reloading' "$W/log"; }
loaded_seen() { grep -c 'inventory.conf: [0-9]* profiles, [0-9]* machines' "$W/log"; }
# hup: send SIGHUP and wait for its outcome in the log (loaded or refused).
hup() {
	local want=$(($(reloads_seen) + 1)) done_before
	done_before=$(($(loaded_seen) + $(grep -c 'reload failed' "$W/log")))
	kill -HUP "$PID" || return 1
	for _ in $(seq 150); do
		if [ "$(reloads_seen)" -ge "$want" ] &&
		   [ $(($(loaded_seen) + $(grep -c 'reload failed' "$W/log"))) -gt "$done_before" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
L0=$(loaded_seen)
inventory 'machine 52:54:00:aa:00:03 name=pc03 profile=lab\n'
check "reload 1 (machine added) under load" hup
sleep 1
inventory 'machine 52:54:00:aa:00:03 name=pc03 profile=lab\n' local two.yaml
check "reload 2 (user-data changed) under load" hup
sleep 1
inventory 'machine 52:54:00:aa:00:03 name=pc03 profile=lab\nprofile broken\nmachine 52:54:00:aa:00:04 name=pc04 profile=nope\n' local two.yaml
check "reload 3 (invalid inventory) answered under load" hup
check "invalid inventory refused with FILE:LINE" grep -q 'inventory.conf:[0-9]*: ' "$W/log"
check "refused reload keeps the old inventory" test "$(code -H "$AUTH" "$U/manifest/52:54:00:aa:00:03")" = 200
sleep 1
inventory 'machine 52:54:00:aa:00:03 name=pc03 profile=lab\nmachine 52:54:00:aa:00:04 name=pc04 profile=lab action=deploy\n' local two.yaml
check "reload 4 (another machine) under load" hup
sleep 1
inventory 'machine 52:54:00:aa:00:03 name=pc03 profile=lab\nmachine 52:54:00:aa:00:04 name=pc04 profile=lab action=deploy\n' 'profile=lab' two.yaml
check "reload 5 (default profile) under load" hup
sleep 1
touch "$STOP"
for p in $LOOPS; do wait "$p"; done
BG=$(for p in $BG; do case " $LOOPS " in *" $p "*) ;; *) printf '%s ' "$p" ;; esac; done)
total=$(cat "$W"/res.* | wc -l)
good=$(cat "$W"/res.* | grep -c '^ok$')
per_client_ok() { for f in "$W"/res.*; do grep -q '^ok$' "$f" || { echo "$f: no download"; return 1; }; done; }
echo "     | $total downloads during the reloads: $(for k in http atftp ctftp; do printf '%s %s  ' $k "$(cat "$W"/res.$k.* | wc -l)"; done)"
check "every download during the reloads byte-identical ($good of $total)" test "$good" = "$total" -a "$total" -gt 0
check "every one of the 12 clients completed downloads" per_client_ok
check "server never restarted (same process, started once)" sh -c "kill -0 $PID && test \$(grep -c 'strata-server: serving' '$W/log') = 1"
check "log shows 5 reloads" test "$(reloads_seen)" = 5
check "log shows 4 loaded inventories after the first" test "$(($(loaded_seen) - L0))" = 4
check "log shows 1 refused reload" test "$(grep -c 'reload failed; keeping the old inventory' "$W/log")" = 1
check "last inventory in effect (pc04 pending deploy)" sh -c "curl -s -H '$AUTH' '$U/machines.json' | grep -q '\"name\": \"pc04\".*\"pending\": \"deploy\"'"
check "default profile in effect (unknown machine gets a manifest)" test "$(code -H "$AUTH" "$U/manifest/52:54:00:aa:00:99")" = 200
curl -s -H "$AUTH" "$U/manifest/52:54:00:aa:00:01" >"$W/m1"
check "manifest after the reloads verifies" $SI manifest verify --pub "$W/root/state/server.key.pub" "$W/m1"
check "HTTP and TFTP transfers logged" sh -c "grep -q 'http: 127.0.0.1 GET /boot/big.bin 200 ' '$W/log' && grep -q 'tftp: .*\"big.bin\" ok' '$W/log'"

# --- (ii) part 2: the stalled connections are dropped after the idle timeout ------------------
check "stalled connections still open after the reloads (others were served meanwhile)" test "$(ls "$W"/stall.* 2>/dev/null | wc -l)" = 0
for p in $STALLS; do wait "$p"; done
BG=$(for p in $BG; do case " $STALLS " in *" $p "*) ;; *) printf '%s ' "$p" ;; esac; done)
stalled_dropped() {
	local n=0 i rc ms
	for i in $(seq 20); do
		read -r rc ms <"$W/stall.$i" || { echo "stall $i: no result"; continue; }
		echo "stall $i: cat rc $rc after $ms ms"
		# Dropped by the server (EOF or reset, not our 50 s timeout), after about 30 s.
		[ "$rc" != 124 ] && [ "$rc" != noconnect ] && [ "$ms" -ge 25000 ] && [ "$ms" -le 45000 ] && n=$((n + 1))
	done
	echo "$n of 20 dropped by the server between 25 and 45 s"
	[ "$n" = 20 ]
}
check "stalled connections dropped after the 30 s idle timeout" stalled_dropped
for p in $BG; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done   # the slow readers
BG=
check "still serving after the slow clients" quick_requests 3 1000

# --- (iv) hostile HTTP ----------------------------------------------------------------------------
# send NAME: write the request built by the function NAME to a new connection, read for 3 s.
send() {
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
		"$2" >&3 2>/dev/null
		cat <&3
	' _ "$HP" "$1" >"$W/hostile.$1" 2>/dev/null
	return 0
}
big() { head -c "$1" /dev/zero | tr '\0' "$2"; }
h_nul_header() { printf 'GET /boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\0b\0c\r\nX-\0B: 1\r\n\r\n'; }
h_nul_url() { printf 'GET /boot/sm\0all.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'; }
h_huge_value() { printf 'GET /boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: '; big 200000 a; printf '\r\n\r\n'; }
h_huge_range() { printf 'GET /boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes='; big 50000 9; printf -- '-\r\n\r\n'; }
h_many_headers() { printf 'GET /boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n'; for i in $(seq 3000); do printf 'X-%d: %d\r\n' "$i" "$i"; done; printf '\r\n'; }
h_long_url() { printf 'GET /boot/'; big 100000 a; printf ' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'; }
h_long_store_url() { printf 'GET /store/runs/'; big 100000 f; printf '/0-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'; }
h_garbage() { head -c 65536 /dev/urandom; }
h_garbage_after_get() { printf 'GET /boot/small.bin HTTP/1.1\r\n'; head -c 20000 /dev/urandom; }
h_http09() { printf 'GET /boot/small.bin\r\n\r\n'; }
h_http09_bare() { printf 'GET /\n'; }
h_bad_version() { printf 'GET /boot/small.bin HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n'; }
h_bare_lf() { printf 'GET /boot/small.bin HTTP/1.1\nHost: 127.0.0.1\n\n'; }
h_no_colon() { printf 'GET /boot/small.bin HTTP/1.1\r\nHost 127.0.0.1\r\nJunk\r\n\r\n'; }
h_bad_ranges() { for r in 'bytes=5-1' 'bytes=-0' 'bytes=99999999999999999999999-' 'bytes=0-0,1-1,2-2' 'bytes=--1' 'bytes=18446744073709551615-18446744073709551615'; do printf 'GET /boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: %s\r\n\r\n' "$r"; done; }
h_huge_length() { printf 'POST /report/52:54:00:aa:00:01 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999999\r\n\r\nphase=ok'; }
h_neg_length() { printf 'POST /report/52:54:00:aa:00:01 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\nphase=ok'; }
h_big_body() { printf 'POST /report/52:54:00:aa:00:01 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n'; big 100000 a; }
h_bad_chunked() { printf 'POST /report/52:54:00:aa:00:01 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nxx\r\n0\r\n\r\n'; }
h_bad_query() { printf 'GET /report/52:54:00:aa:00:01?phase=%%00&msg=%%zz%%&token=%s&done=-1&total=99999999999999999999999 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' "$(big 3000 '%')"; }
h_weird_method() { printf '\x01\x02\x03 /boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'; printf '%s /boot/small.bin HTTP/1.1\r\n\r\n' "$(big 5000 G)"; }
h_absolute_uri() { printf 'GET http://127.0.0.1/boot/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'; }
h_pipeline_flood() { for i in $(seq 500); do printf 'GET /machines.json HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n' "$TOKEN"; done; }
h_high_bytes() { printf 'GET /boot/\xff\xfe\xc0\xaf HTTP/1.1\r\nHost: \xff\xff\r\n\r\n'; }
HOSTILE="h_nul_header h_nul_url h_huge_value h_huge_range h_many_headers h_long_url h_long_store_url
	h_garbage h_garbage_after_get h_http09 h_http09_bare h_bad_version h_bare_lf h_no_colon h_bad_ranges
	h_huge_length h_neg_length h_big_body h_bad_chunked h_bad_query h_weird_method h_absolute_uri
	h_pipeline_flood h_high_bytes"
export TOKEN
export -f big $HOSTILE
HPIDS=
for h in $HOSTILE; do send "$h" & HPIDS="$HPIDS $!"; done
for p in $HPIDS; do wait "$p"; done
status_of() { head -c 200 "$W/hostile.$1" | head -n1 | awk '{ print $2 }'; }
check "server alive after hostile requests" alive "$PID"
check "100 KB URL not answered 200" test "$(status_of h_long_url)" != 200
check "200 KB header value not answered 200" test "$(status_of h_huge_value)" != 200
check "serves a file after hostile requests" sh -c "curl -s -m 5 '$U/boot/big.bin' | cmp -s - '$W/root/boot/big.bin'"
check "serves TFTP after hostile requests" sh -c "timeout 30 atftp --option 'blksize 1468' -g -r small.bin -l '$W/t.small' 127.0.0.1 $TP >/dev/null 2>&1 && cmp -s '$W/t.small' '$W/root/boot/small.bin'"
check "bad report not applied" sh -c "curl -s -H '$AUTH' '$U/machines.json' | grep -q pc01 && ! curl -s -H '$AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"result\": \"ok\"'"

kill "$PID"
wait "$PID"
rc=$?
PID=
check "clean exit on SIGTERM after the load" test "$rc" = 0
check "no ASan/UBSan/LSan report in the log" sanitizer_clean "$W/log"

# --- (iii) connection limit ---------------------------------------------------------------------
check "server with --max-http 8 starts" start_server "$W/log2" --max-http 8
PID2=$LAST_PID
U2=$LAST_URL
IDLE=
for i in $(seq 20); do
	# read is a builtin: killing this shell closes the connection.
	bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && read -r -t 30 -u 3 _' _ "$LAST_PORT" 2>/dev/null &
	IDLE="$IDLE $!"
done
BG="$BG $IDLE"
sleep 0.5
# The 20 idle connections are established (the kernel's backlog takes those over the limit);
# the server holds 8 of them, so a new request waits for a free slot.
limit_held() {
	local n c
	n=$(ss -Htn state established "( dport = :$LAST_PORT )" | wc -l)
	c=$(code -m 2 "$U2/boot/small.bin")
	echo "$n client connections established; a new request got '$c' within 2 s"
	[ "$n" -ge 20 ] && [ "$c" = 000 ]
}
check "20 idle connections against --max-http 8: a 21st request waits" limit_held
CPIDS=
for i in $(seq 20); do
	( curl -s -m 30 -o "$W/lim.$i" "$U2/boot/big.bin" && cmp -s "$W/lim.$i" "$W/root/boot/big.bin" && echo ok >"$W/lim.$i.rc"; rm -f "$W/lim.$i" ) &
	CPIDS="$CPIDS $!"
done
BG="$BG $CPIDS"
sleep 1
check "alive with 20 idle connections and 20 downloads waiting" alive "$PID2"
for p in $IDLE; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
for p in $CPIDS; do wait "$p"; done
BG=
served_again() {
	for _ in $(seq 50); do
		curl -s -m 5 "$U2/boot/big.bin" 2>/dev/null | cmp -s - "$W/root/boot/big.bin" && return 0
		sleep 0.1
	done
	return 1
}
check "the 20 waiting downloads complete once the idle connections close ($(ls "$W"/lim.*.rc 2>/dev/null | wc -l) of 20)" test "$(ls "$W"/lim.*.rc 2>/dev/null | wc -l)" = 20
check "serves again once the connections are gone" served_again
check "still alive" alive "$PID2"
kill "$PID2"
wait "$PID2"
rc=$?
PID2=
check "clean exit on SIGTERM (--max-http 8)" test "$rc" = 0
check "no ASan/UBSan/LSan report in the second log" sanitizer_clean "$W/log2"
finish
