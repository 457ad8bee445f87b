# strata-server for the security suites (tests/security/*.sh but api-auth.sh, which uses
# server.sh).  Source it after common.sh.
#
# suite_setup BUILD_ARG NAME TOOL...
#                            sets BUILD (build_dir BUILD_ARG), SRV and SI (STRATA_SERVER,
#                            STRATA_IMAGE, else BUILD/san/...); ends the test when a tool
#                            or either binary is missing; makes the test's folder W
#                            (/tmp/strata-sec-NAME.*, removed on exit, readable by the
#                            user the server drops to when run as root); sets the
#                            server's sanitizer options
# lab_root DIR DEFAULT       a root a deployment can be served from: DIR/boot/boot.bin,
#                            a store with one layer (its id in LAB_LAYER, built with SI,
#                            strata-image), and an inventory with profile "lab", pc01
#                            (52:54:00:12:34:01, action=deploy) and "default DEFAULT"
# start_server NAME ARGS...  runs SRV --root $W/NAME on 127.0.0.1, free HTTP and TFTP
#                            ports (retried when taken), no proxyDHCP and the admin token
#                            file $W/api-tokens (its token in SEC_TOKEN, the header in
#                            SEC_AUTH), logging to $W/NAME.log; sets PID_<NAME>, HP_<NAME>
#                            (HTTP port) and TP_<NAME> (TFTP port); killed on exit
# stop_server PID            SIGTERM, and succeeds when it exits 0
# sanitizer_clean LOG...     no ASan/UBSan/LSan report in these logs

suite_setup() {
	local arg=$1 name=$2
	shift 2
	BUILD=$(build_dir "$arg")
	SRV=${STRATA_SERVER:-$BUILD/san/strata-server}
	SI=${STRATA_IMAGE:-$BUILD/san/strata-image}
	need_tools "$@"
	need_built "$SRV" "$SI"
	W=$(mktemp -d "/tmp/strata-sec-$name.XXXXXX")
	chmod 755 "$W"
	rm_on_exit "$W"
	server_sanitizers
}

lab_root() {
	mkdir -p "$1/boot"
	head -c 300000 /dev/urandom >"$1/boot/boot.bin"
	head -c 2000000 /dev/urandom >"$1/base.img"
	LAB_LAYER=$("$SI" build --store "$1/store" "$1/base.img" 2>/dev/null | tail -n1)
	rm -f "$1/base.img"
	cat >"$1/inventory.conf" <<EOC
default $2

profile lab
disk min-size=1G
part label=ESP type=esp size=64M layer=$LAB_LAYER
part label=CIDATA type=basic size=8M layer=machine
part label=data type=linux size=rest policy=preserve

machine 52:54:00:12:34:01 name=pc01 profile=lab action=deploy
EOC
	chmod -R a+rX "$1"
}

start_server() {
	local name=$1 hp tp pid try i
	shift
	if [ ! -s "$W/api-tokens" ]; then
		SEC_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
		printf 'admin %s\n' "$SEC_TOKEN" >"$W/api-tokens"
		chmod 644 "$W/api-tokens"
	fi
	SEC_AUTH="Authorization: Bearer $SEC_TOKEN"
	for try in 1 2 3; do
		hp=$(free_port)
		tp=$(free_port)
		"$SRV" --root "$W/$name" --addr 127.0.0.1 --http-port "$hp" --tftp-port "$tp" \
			--dhcp off --api-tokens "$W/api-tokens" "$@" 2>"$W/$name.log" &
		pid=$!
		for i in $(seq 100); do
			grep -q '^strata-server: serving ' "$W/$name.log" && break
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid" && grep -q '^strata-server: serving ' "$W/$name.log"; then
			kill_on_exit "$pid"
			eval "PID_$name=$pid HP_$name=$hp TP_$name=$tp"
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		grep -q 'in use' "$W/$name.log" || break
	done
	cat "$W/$name.log"
	return 1
}

stop_server() { forget_pid "$1"; kill -TERM "$1" && wait "$1"; }

sanitizer_clean() { ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|SUMMARY: ' "$@"; }
