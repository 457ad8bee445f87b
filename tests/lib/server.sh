# strata-server on loopback with an admin token, started and stopped: for tests/server/db.sh
# and keys.sh, tests/security/api-auth.sh, and the other security suites that run
# strata-server (through security.sh).
# Source after common.sh; SRV is the binary ($STRATA_SERVER, default
# build/san/strata-server; security.sh's suite_setup sets it from the build folder).
#
#   srv_run ROOT LOG [ARGS..]   start SRV --root ROOT on 127.0.0.1, free HTTP and TFTP ports
#                         (taken again when one turns out in use), no proxyDHCP, then ARGS;
#                         stderr to LOG (emptied first); wait until it says it is serving
#                         (30 s at most, or SRV_WAIT tenths of a second).
#                         Sets SRV_PID, SRV_HP (HTTP port), SRV_TP (TFTP port) and U
#                         (http://127.0.0.1:SRV_HP); the server is killed on exit.
#                         Non-zero, with the log's tail and SRV_PID empty, if it died.
#   srv_stop [PID]        SIGTERM PID (default SRV_PID) and wait; returns its exit status
#   srv_token FILE        a fresh admin credential: FILE holds "admin TOKEN" (readable by
#                         the user a root server drops to); sets SRV_TOKEN and SRV_AUTH
#                         (its Authorization header)
#   srv_root DIR          DIR/root: boot/, an inventory of pc01..pc03 (52:54:00:5e:00:01..03)
#                         whose profile needs no store layer (a machine layer and a
#                         preserved partition); srv_token DIR/api-tokens
#   srv_start DIR LOG [ARGS..]   srv_run on srv_root's DIR/root
#   srv_sql DIR SQL       run SQL on DIR/root/state/strata.db with the sqlite3 shell
SRV=${STRATA_SERVER:-build/san/strata-server}
SRV_PID=

srv_run() {
	local root=$1 log=$2 hp tp pid try
	shift 2
	SRV_PID=
	for try in 1 2 3; do
		hp=$(free_port)
		tp=$(free_port)
		"$SRV" --root "$root" --addr 127.0.0.1 --http-port "$hp" --tftp-port "$tp" \
			--dhcp off "$@" 2>"$log" &
		pid=$!
		# Up to 30 s (SRV_WAIT tenths of a second, for a suite with thousands of
		# machines): a server restarted after SIGKILL on a loaded 2-core machine has been
		# seen to take over 10 s before it serves.
		for _ in $(seq "${SRV_WAIT:-300}"); do
			grep -q '^strata-server: serving ' "$log" && break
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid" && grep -q '^strata-server: serving ' "$log"; then
			kill_on_exit "$pid"
			SRV_PID=$pid SRV_HP=$hp SRV_TP=$tp U=http://127.0.0.1:$hp
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		grep -q 'in use' "$log" || break
	done
	tail -n 5 "$log"
	return 1
}

srv_stop() {
	local pid=${1:-$SRV_PID} rc
	forget_pid "$pid"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	[ "$pid" = "$SRV_PID" ] && SRV_PID=
	return "$rc"
}

srv_token() {
	SRV_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	SRV_AUTH="Authorization: Bearer $SRV_TOKEN"
	printf 'admin %s\n' "$SRV_TOKEN" > "$1"
	chmod 644 "$1"
}

srv_root() {
	mkdir -p "$1/root/boot" "$1/root/store"
	printf '#cloud-config\nruncmd: [echo hello]\n' > "$1/root/lab.yaml"
	cat > "$1/root/inventory.conf" <<EOC
default local

profile lab
disk min-size=1G
part label=CIDATA type=basic size=8M layer=machine
part label=data type=linux size=rest policy=preserve
user-data lab.yaml

machine 52:54:00:5e:00:01 name=pc01 profile=lab
machine 52:54:00:5e:00:02 name=pc02 profile=lab
machine 52:54:00:5e:00:03 name=pc03 profile=lab
EOC
	srv_token "$1/api-tokens"
}

srv_start() {
	local dir=$1
	shift
	srv_run "$dir/root" "$@"
}

srv_sql() { sqlite3 "$1/root/state/strata.db" "$2"; }
