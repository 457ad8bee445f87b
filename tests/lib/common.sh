# Shared helpers for Strata's shell tests.  Source it; it sets `set -u`.
#
# check NAME CMD...   runs CMD; prints "ok NAME" or "FAIL NAME" and counts the result
# finish              prints "N passed, N failed" and exits non-zero on any failure
# free_port           prints a TCP/UDP port free on 127.0.0.1
# build_dir [DIR]     prints the build folder: DIR, else the one tests/run.sh exported
#                     STRATA_IMAGE from, else build
# now_ms              prints milliseconds since the epoch
# alive PID           succeeds while process PID runs
# kill_on_exit PID... kills and reaps these processes when the test exits; forget_pid
#                     PID takes one off (once the test has reaped it itself)
# rm_on_exit PATH...  removes these (paths without spaces) when the test exits
# need_tools CMD...   ends the test as one failure when a command is missing
# need_built FILE...  the same for executables of the build ("run 'make test-targets'")
# server_sanitizers   ASan/UBSan options for a server under test: report in its log and
#                     go on, for the test to find (unless already set)
# nginx_start DIR     serves DIR on 127.0.0.1:$NGINX_PORT (sets NGINX_PORT, NGINX_DIR)
# nginx_stop
# site_cache_conf DIR CENTRAL LISTEN DAEMON   writes DIR/nginx.conf: the shipped site cache
#                     (server/strata-cache.conf) in front of CENTRAL (HOST:PORT), listening
#                     on LISTEN (ADDR:PORT), its cache in DIR/cache, daemon DAEMON (on|off)
set -u

T_PASS=0
T_FAIL=0

T_OUT=$(mktemp /tmp/strata-check.XXXXXX)

check() {
	name=$1
	shift
	if "$@" >"$T_OUT" 2>&1; then
		T_PASS=$((T_PASS + 1))
		echo "ok   $name"
	else
		T_FAIL=$((T_FAIL + 1))
		echo "FAIL $name"
		tail -n 5 "$T_OUT" | sed 's/^/     | /'
	fi
}

# check_not NAME CMD...: CMD must fail.
check_not() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		T_FAIL=$((T_FAIL + 1))
		echo "FAIL $name (succeeded, should fail)"
	else
		T_PASS=$((T_PASS + 1))
		echo "ok   $name"
	fi
}

finish() {
	rm -f "$T_OUT"
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

build_dir() {
	if [ -n "${1:-}" ]; then
		echo "$1"
	elif [ -n "${STRATA_IMAGE:-}" ]; then
		echo "${STRATA_IMAGE%/san/strata-image}"
	else
		echo build
	fi
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# flip_bit FILE OFFSET: flip the low bit of FILE's byte at OFFSET.  A corruption step that
# wrote a fixed value instead would leave the byte unchanged 1 time in 256.
flip_bit() {
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
alive() { kill -0 "$1" 2>/dev/null; }
# eventually_for S CMD..: CMD succeeds within S seconds, retried every 0.1 s.  eventually
# CMD..: within 5 s, for what a server does just after its answer (a log line written once
# the response is sent).
eventually_for() {
	local i n=$(($1 * 10))
	shift
	for i in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	"$@"
}
eventually() { eventually_for 5 "$@"; }

T_KILL=
T_RM=
t_on_exit() {
	local p
	for p in $T_KILL; do kill "$p" 2>/dev/null; done
	for p in $T_KILL; do wait "$p" 2>/dev/null; done
	rm -rf $T_RM
	rm -f "$T_OUT"
}
t_trap() {
	trap t_on_exit EXIT
	trap 'exit 130' INT TERM HUP
}
kill_on_exit() { T_KILL="$T_KILL $*"; t_trap; }
forget_pid() { T_KILL=$(echo "$T_KILL" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' '); }
rm_on_exit() { T_RM="$T_RM $*"; t_trap; }

t_give_up() {
	echo "FAIL $*"
	echo "0 passed, 1 failed"
	exit 1
}
need_tools() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || t_give_up "missing tool $c"
	done
}
need_built() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || t_give_up "missing $f (run 'make test-targets')"
	done
}

server_sanitizers() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
}

free_port() {
	for p in $(shuf -i 20000-60000 -n 50); do
		if ! ss -Htanu 2>/dev/null | awk '{print $5}' | grep -q ":$p\$"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

NGINX_DIR=
NGINX_PORT=
nginx_start() {
	root=$(cd "$1" && pwd)
	NGINX_DIR=$(mktemp -d /tmp/strata-nginx.XXXXXX)
	NGINX_PORT=$(free_port)
	rate=${NGINX_RATE:-0}
	mkdir -p "$NGINX_DIR/tmp"
	cat > "$NGINX_DIR/nginx.conf" <<EOC
daemon on;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log;
worker_processes 2;
events { worker_connections 256; }
http {
	access_log $NGINX_DIR/access.log;
	client_body_temp_path $NGINX_DIR/tmp;
	proxy_temp_path $NGINX_DIR/tmp;
	fastcgi_temp_path $NGINX_DIR/tmp;
	uwsgi_temp_path $NGINX_DIR/tmp;
	scgi_temp_path $NGINX_DIR/tmp;
	default_type application/octet-stream;
	sendfile on;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $root;
		limit_rate $rate;
	}
}
EOC
	nginx -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" 2>/dev/null \
		|| nginx -c "$NGINX_DIR/nginx.conf"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && return 0
		sleep 0.2
	done
	echo "nginx did not start (see $NGINX_DIR/error.log)" >&2
	return 1
}

site_cache_conf() {
	mkdir -p "$1/cache" "$1/ngtmp"
	sed -e "s|192.0.2.10:80|$2|" -e "s|listen 80;|listen $3;|" \
		-e "s|/var/cache/strata|$1/cache|" server/strata-cache.conf > "$1/strata-cache.conf"
	cat > "$1/nginx.conf" <<EOC
daemon $4;
user root;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
worker_processes 2;
events { worker_connections 256; }
http {
	access_log $1/nginx-access.log;
	client_body_temp_path $1/ngtmp;
	proxy_temp_path $1/ngtmp;
	include $1/strata-cache.conf;
}
EOC
}

nginx_stop() {
	[ -n "$NGINX_DIR" ] || return 0
	[ -f "$NGINX_DIR/nginx.pid" ] && kill "$(cat "$NGINX_DIR/nginx.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$NGINX_DIR"
	NGINX_DIR=
}

# wait_vm PID DEBUGCON: wait for a QEMU this shell started in the background; sets VM_WAIT
# to its exit status, or to "returned" when strata.efi logged that it hands the PC back to
# the firmware (QEMU is then stopped: the firmware would show its boot menu and wait
# forever).  Call it directly, not in $(...): only this shell can wait for its child.
wait_vm() {
	local pid=$1 log=$2
	while kill -0 "$pid" 2>/dev/null; do
		if grep -qxF "strata.efi: returning to the firmware" "$log" 2>/dev/null; then
			sleep 1   # let the firmware print what it does next, for the log
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			VM_WAIT=returned
			return 0
		fi
		sleep 0.5
	done
	wait "$pid"
	VM_WAIT=$?
}
