# strata-server for the security suites.  Source it after common.sh, with W (the test's
# folder) and SRV (the server binary) set.
#
# start_server NAME ARGS...  runs SRV --root $W/NAME on 127.0.0.1, free HTTP and TFTP
#                            ports (retried when taken) and no proxyDHCP, logging to
#                            $W/NAME.log; sets PID_<NAME>, HP_<NAME> (HTTP port) and
#                            TP_<NAME> (TFTP port); killed on exit
# stop_server PID            SIGTERM, and succeeds when it exits 0
# sanitizer_clean LOG...     no ASan/UBSan/LSan report in these logs

start_server() {
	local name=$1 hp tp pid try i
	shift
	for try in 1 2 3; do
		hp=$(free_port)
		tp=$(free_port)
		"$SRV" --root "$W/$name" --addr 127.0.0.1 --http-port "$hp" --tftp-port "$tp" \
			--dhcp off "$@" 2>"$W/$name.log" &
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
