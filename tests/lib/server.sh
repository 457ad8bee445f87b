# strata-server on loopback for the tests of its database and its admin API
# (tests/server/db.sh, tests/security/api-auth.sh).  Source after common.sh; SRV is the
# binary ($STRATA_SERVER, default build/san/strata-server).
#
#   srv_root DIR          DIR/root: boot/, an inventory of pc01..pc03 (52:54:00:5e:00:01..03)
#                         whose profile needs no store layer (a machine layer and a
#                         preserved partition); DIR/api-tokens with the credential "admin"
#                         ($SRV_TOKEN; $SRV_AUTH is its Authorization header)
#   srv_start DIR LOG [ARGS..]   start the server on DIR/root and free ports, stderr to LOG,
#                         and wait until it serves; sets SRV_PID and U.  Non-zero if it died.
#   srv_stop              SIGTERM it and wait; returns its exit status
#   srv_sql DIR SQL       run SQL on DIR/root/state/strata.db with the sqlite3 shell
SRV=${STRATA_SERVER:-build/san/strata-server}
SRV_PID=

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
	SRV_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	SRV_AUTH="Authorization: Bearer $SRV_TOKEN"
	printf 'admin %s\n' "$SRV_TOKEN" > "$1/api-tokens"
}

srv_start() {
	local dir=$1 log=$2 hp
	shift 2
	hp=$(free_port)
	U=http://127.0.0.1:$hp
	"$SRV" --root "$dir/root" --addr 127.0.0.1 --http-port "$hp" --tftp-port "$(free_port)" \
		--dhcp off "$@" 2>>"$log" &
	SRV_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "$U/ipxe/boot.ipxe" && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 5 "$log"
	return 1
}

srv_stop() {
	local rc
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID"
	rc=$?
	SRV_PID=
	return "$rc"
}

srv_sql() { sqlite3 "$1/root/state/strata.db" "$2"; }
