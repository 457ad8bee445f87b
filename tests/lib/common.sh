# Shared helpers for Strata's shell tests.  Source it; it sets `set -u`.
#
# check NAME CMD...   runs CMD; prints "ok NAME" or "FAIL NAME" and counts the result
# finish              prints "N passed, N failed" and exits non-zero on any failure
# free_port           prints a TCP/UDP port free on 127.0.0.1
# nginx_start DIR     serves DIR on 127.0.0.1:$NGINX_PORT (sets NGINX_PORT, NGINX_DIR)
# nginx_stop
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

nginx_stop() {
	[ -n "$NGINX_DIR" ] || return 0
	[ -f "$NGINX_DIR/nginx.pid" ] && kill "$(cat "$NGINX_DIR/nginx.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$NGINX_DIR"
	NGINX_DIR=
}
