#!/bin/bash
# strata.efi's network layer (efi/fetch*.c) end to end in QEMU with OVMF, on both back-ends.
#
# 1. iPXE (no root): slirp hands the iPXE option ROM an HTTP script on a loopback nginx;
#    the script chains strata.efi with `selftest-fetch=URL expect-sha256=HEX`, and the
#    agent fetches URL through iPXE's download protocol, hashes it and says
#    "strata.efi: fetch ok <bytes> <sha256>" on the debug port.  Runs: a 4 MiB blob, a
#    32 MiB blob (throughput), a 404 (a clear error, no retries), and a server that cuts
#    the first response in half (a retry that re-reads from byte 0 and skips).
# 2. UEFI HTTP Boot (root): a network namespace with a bridge, a tap, dnsmasq answering
#    the HTTPClient vendor class with http://10.77.0.1:8080/boot/strata.efi, and QEMU with
#    OVMF's own network stack (romfile= empty, PXE switched off by fw_cfg so the firmware
#    goes straight to HTTP Boot).  HTTP Boot passes no load options, so the binary served
#    is strata-fetchtest.efi, which has `selftest-fetch=blob` built in: it derives the
#    server from its boot URI, fetches blob.sha256 and blob through EFI_HTTP and checks
#    them.  Runs: a 32 MiB blob from nginx (throughput), the half-cut server (a retry with
#    a Range request), and a missing blob.sha256 (a 404 through EFI_HTTP).
#
# Every run has a hard timeout; servers, QEMU and the namespace are removed on every exit.
# Usage: tests/e2e/efi-fetch.sh [BUILD_DIR]      (after `make`; about 2 minutes)
#        STRATA_KEEP_LOGS=1 keeps the work folder (debugcon, console, server logs).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
BUILD=${1:-build}
EFI=${STRATA_EFI:-$BUILD/efi/strata.efi}
EFI_FT=$(dirname "$EFI")/strata-fetchtest.efi
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
# Hard limit per boot.  A good run takes 10-20 s under TCG; a firmware that falls through
# to other boot options, or an agent that hangs, would otherwise never end.
BOOT_TIMEOUT=180
W=$(mktemp -d /tmp/strata-efi-fetch.XXXXXX)
# nginx's workers run as an unprivileged user: they must be able to read what we serve.
chmod 755 "$W"
NS=              # the HTTP Boot namespace, once ns_setup made it (netns_add)
NS_NET=10.77.0
NS_PORT=8080
VM_PID=
VM_PREFIX=()
SERVER_PIDS=()

# Stop what is still running (by the ids we started), then remove everything.  It runs
# after netns_cleanup (netns_init's trap), which has already stopped whatever was left in
# the namespace and deleted it.
cleanup() {
	[ -n "$VM_PID" ] && kill "$VM_PID" 2>/dev/null && wait "$VM_PID" 2>/dev/null
	stop_servers
	nginx_stop
	if [ -n "${STRATA_KEEP_LOGS:-}" ]; then
		echo "     logs kept in $W"
	else
		rm -rf "$W"
	fi
	rm -f "$T_OUT"
}
netns_init cleanup

# Servers started by this script: pids in SERVER_PIDS, or pid files in $W/*.pid.
stop_servers() {
	local p f
	for p in "${SERVER_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	SERVER_PIDS=()
	for f in "$W"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	sleep 0.2
}

# A test HTTP server that serves DIR with Range support and, once per path given with
# --cut, sends the headers of a full response but only half the body, then closes.
# Each request is logged as "METHOD /path range=... status=N bytes=N [cut]".
cat > "$W/flaky.py" <<'EOF'
import argparse, os, re, socket, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument('--root', required=True)
ap.add_argument('--bind', required=True)
ap.add_argument('--port', type=int, required=True)
ap.add_argument('--log', required=True)
ap.add_argument('--cut', action='append', default=[])
args = ap.parse_args()
pending_cuts = set(args.cut)
lock = threading.Lock()

def log(line):
    with lock, open(args.log, 'a') as f:
        f.write(line + '\n')

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def reply_error(self, status, head):
        body = b'error\n'
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def serve(self, head):
        path = '/' + os.path.normpath(self.path.split('?')[0]).lstrip('/')
        full = os.path.join(args.root, path.lstrip('/'))
        rng = self.headers.get('Range')
        if '..' in path.split('/') or not os.path.isfile(full):
            log(f'{self.command} {path} range={rng or "-"} status=404 bytes=0')
            return self.reply_error(404, head)
        size = os.path.getsize(full)
        start, status = 0, 200
        if rng:
            m = re.fullmatch(r'bytes=(\d+)-', rng)
            if not m or int(m.group(1)) >= size:
                log(f'{self.command} {path} range={rng} status=416 bytes=0')
                return self.reply_error(416, head)
            start, status = int(m.group(1)), 206
        length = size - start
        with lock:
            cut = not head and path in pending_cuts
            pending_cuts.discard(path)
        send = length // 2 if cut else length
        log(f'{self.command} {path} range={rng or "-"} status={status} bytes={send}'
            + (' cut' if cut else ''))
        self.send_response(status)
        self.send_header('Content-Length', str(length))
        if status == 206:
            self.send_header('Content-Range', f'bytes {start}-{size - 1}/{size}')
        self.end_headers()
        if head:
            return
        with open(full, 'rb') as f:
            f.seek(start)
            while send:
                chunk = f.read(min(65536, send))
                self.wfile.write(chunk)
                send -= len(chunk)
        if cut:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def do_GET(self):
        self.serve(False)

    def do_HEAD(self):
        self.serve(True)

server = ThreadingHTTPServer((args.bind, args.port), Handler)
server.daemon_threads = True
server.serve_forever()
EOF

# flaky_start DIR ADDR PORT LOG CUTPATH [PREFIX...]: start flaky.py, wait until it answers.
flaky_start() {
	local dir=$1 addr=$2 port=$3 log=$4 cut=$5
	shift 5
	"$@" python3 "$W/flaky.py" --root "$dir" --bind "$addr" --port "$port" --log "$log" \
		--cut "$cut" 2>"$W/flaky.err" &
	SERVER_PIDS+=($!)
	for _ in $(seq 50); do
		"$@" curl -s -o /dev/null "http://$addr:$port/" && return 0
		sleep 0.1
	done
	echo "flaky server did not start"; cat "$W/flaky.err"
	return 1
}

# vm NAME QEMU-ARGS...: boot with fresh firmware variables (inside ${VM_PREFIX[@]});
# logs in $W/NAME.*.  Sets VM_RC (QEMU's status; 124 on timeout; "returned" when the agent
# handed the PC back to the firmware, as after a bad argument) and VM_MS.
vm() {
	local name=$1 start
	shift
	cp "$OVMF_VARS" "$W/$name.vars.fd"
	start=$(date +%s%N)
	"${VM_PREFIX[@]}" timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -nodefaults -machine q35 \
		-accel tcg -m 1024 -display none -no-reboot \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file="$W/$name.vars.fd" \
		"$@" \
		-serial file:"$W/$name.serial" -monitor none -debugcon file:"$W/$name.debugcon" \
		> "$W/$name.qemu" 2>&1 &
	VM_PID=$!
	wait_vm "$VM_PID" "$W/$name.debugcon"
	VM_RC=$VM_WAIT
	VM_PID=
	VM_MS=$((($(date +%s%N) - start) / 1000000))
	sed 's/\x1b\[[0-9;=?]*[a-zA-Z]//g; s/\r//g' "$W/$name.serial" > "$W/$name.console" 2>/dev/null
	echo "     ($name: QEMU status $VM_RC after $((VM_MS / 1000)).$((VM_MS % 1000 / 100)) s)"
	RUN_TIMES+=("$name $((VM_MS / 1000)).$((VM_MS % 1000 / 100)) s")
}
RUN_TIMES=()
RATES=()

# has NAME LINE: the debugcon log holds exactly this line.  matches NAME ERE: some line.
has() { grep -qxF -- "$2" "$W/$1.debugcon" || { tail -n 15 "$W/$1.debugcon"; return 1; }; }
matches() { grep -qE -- "$2" "$W/$1.debugcon" || { tail -n 15 "$W/$1.debugcon"; return 1; }; }
hasnt() { [ -s "$W/$1.debugcon" ] && ! grep -qF -- "$2" "$W/$1.debugcon"; }
powered_off() { [ "$VM_RC" = 0 ] || { cat "$W/$1.qemu"; return 1; }; }
sha() { sha256sum "$1" | cut -c1-64; }
size() { stat -c %s "$1"; }

# rate NAME: record the agent's own measurement ("fetch: N bytes in M ms: R bytes/s via X").
rate() {
	local line
	line=$(grep -E '^fetch: [0-9]+ bytes in [0-9]+ ms' "$W/$1.debugcon" | tail -n 1)
	[ -n "$line" ] && RATES+=("$1: ${line#fetch: }")
}

# The byte a retry resumed from, as the agent logged it ("... retrying in N ms from byte B").
resumed_at() { sed -n 's/.*attempt 1 of [0-9]* failed.*from byte \([0-9]*\)$/\1/p' "$W/$1.debugcon" | head -n 1; }

# ---- prerequisites ---------------------------------------------------------------------

prereqs() {
	local missing=
	for t in qemu-system-x86_64 nginx python3 curl timeout sha256sum; do
		command -v "$t" > /dev/null || missing="$missing $t"
	done
	for f in "$OVMF_CODE" "$OVMF_VARS" "$EFI" "$EFI_FT" /usr/lib/ipxe/qemu/efi-virtio.rom; do
		[ -f "$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] || { echo "missing:$missing (run make, and make deps as root)"; return 1; }
}
check "prerequisites (qemu, OVMF, ipxe-qemu, nginx, python3, strata.efi, strata-fetchtest.efi)" prereqs
[ "$T_FAIL" = 0 ] || { finish; exit 1; }

# ---- 1. iPXE over slirp ----------------------------------------------------------------

WWW=$W/www
mkdir -p "$WWW"
cp "$EFI" "$WWW/strata.efi"
head -c 4M /dev/urandom > "$WWW/blob"
head -c 32M /dev/urandom > "$WWW/big"
check "nginx on loopback" nginx_start "$WWW"
IPXE_PORT=$NGINX_PORT

# ipxe_vm NAME PORT ARGS: boot through iPXE, whose script chains strata.efi with ARGS.
ipxe_vm() {
	local name=$1 port=$2
	printf '#!ipxe\ndhcp || goto failed\nchain http://10.0.2.2:%s/strata.efi %s || goto failed\n:failed\necho chain failed: ${errno}\npoweroff\n' \
		"$port" "$3" > "$WWW/$name.ipxe"
	VM_PREFIX=()
	vm "$name" -netdev user,id=n0,tftp="$WWW",bootfile="http://10.0.2.2:$port/$name.ipxe" \
		-device virtio-net-pci,netdev=n0,bootindex=1
}

U=http://10.0.2.2:$IPXE_PORT
ipxe_vm ipxe-4m "$IPXE_PORT" "selftest-fetch=$U/blob expect-sha256=$(sha "$WWW/blob")"
check "ipxe-4m: powered off by itself" powered_off ipxe-4m
check "ipxe-4m: iPXE back-end chosen (protocol on the image's device)" \
	has ipxe-4m "fetch: iPXE download protocol found on the image's device"
check "ipxe-4m: fetch ok with the blob's size and SHA-256" \
	has ipxe-4m "strata.efi: fetch ok $(size "$WWW/blob") $(sha "$WWW/blob")"
check "ipxe-4m: no error lines" hasnt ipxe-4m "error:"
rate ipxe-4m

ipxe_vm ipxe-32m "$IPXE_PORT" "selftest-fetch=$U/big expect-sha256=$(sha "$WWW/big")"
check "ipxe-32m: powered off by itself" powered_off ipxe-32m
check "ipxe-32m: fetch ok with the blob's size and SHA-256" \
	has ipxe-32m "strata.efi: fetch ok $(size "$WWW/big") $(sha "$WWW/big")"
rate ipxe-32m

ipxe_vm ipxe-404 "$IPXE_PORT" "selftest-fetch=$U/missing expect-sha256=$(sha "$WWW/blob")"
check "ipxe-404: powered off by itself" powered_off ipxe-404
check "ipxe-404: clear error line" \
	has ipxe-404 "error: fetch: $U/missing: not found (HTTP 404) [not found]"
check "ipxe-404: not retried" has ipxe-404 "error: fetch: $U/missing: failed (1 attempt) [not found]"
check "ipxe-404: fetch FAILED line" has ipxe-404 "strata.efi: fetch FAILED [not found]"

ipxe_vm ipxe-badarg "$IPXE_PORT" "selftest-fetch=$U/blob expect-sha256=xyz"
check "ipxe-badarg: malformed option refused" \
	has ipxe-badarg "error: args: expect-sha256= must be 64 hex digits [malformed input]"
check "ipxe-badarg: nothing fetched" hasnt ipxe-badarg "fetch:"
check "ipxe-badarg: handed back to iPXE by itself, no timeout" test "$VM_RC" = returned

FLAKY_PORT=$(free_port)
check "flaky server on loopback" flaky_start "$WWW" 127.0.0.1 "$FLAKY_PORT" "$W/flaky-ipxe.log" /blob
F=http://10.0.2.2:$FLAKY_PORT
ipxe_vm ipxe-cut "$FLAKY_PORT" "selftest-fetch=$F/blob expect-sha256=$(sha "$WWW/blob")"
check "ipxe-cut: powered off by itself" powered_off ipxe-cut
check "ipxe-cut: the server cut the first response" grep -q "^GET /blob .* cut$" "$W/flaky-ipxe.log"
check "ipxe-cut: the agent retried" matches ipxe-cut "^fetch: $F/blob: attempt 1 of 5 failed"
check "ipxe-cut: both requests without Range (iPXE cannot send one)" \
	test "$(grep -c '^GET /blob range=- status=200' "$W/flaky-ipxe.log")" = 2
check "ipxe-cut: fetch ok: bytes skipped on the re-read, each delivered once" \
	has ipxe-cut "strata.efi: fetch ok $(size "$WWW/blob") $(sha "$WWW/blob")"
stop_servers
nginx_stop

# ---- 2. UEFI HTTP Boot in a network namespace ------------------------------------------

# The namespace (tests/lib/netns.sh names it and sets NS): a bridge at $NS_NET.1 with the
# VM's tap on it.
ns_setup() {
	netns_add NS fetch &&
	netns_bridge "$NS" br0 "$NS_NET.1/24" &&
	netns_tap "$NS" tap0 br0
}

# dnsmasq: addresses for all, and the boot URI for UEFI HTTP Boot clients (vendor class
# HTTPClient, which the firmware also wants echoed in option 60).
dnsmasq_start() {
	ip netns exec "$NS" dnsmasq --conf-file=/dev/null --port=0 --interface=br0 \
		--bind-interfaces --dhcp-range="$NS_NET.100,$NS_NET.200,1h" \
		--dhcp-leasefile="$W/leases" --pid-file="$W/dnsmasq.pid" \
		--dhcp-vendorclass=set:efihttp,HTTPClient \
		--dhcp-option-force=tag:efihttp,60,HTTPClient \
		--dhcp-boot="tag:efihttp,http://$NS_NET.1:$NS_PORT/boot/strata.efi" \
		--log-dhcp --log-facility="$W/dnsmasq.log"
}

# nginx inside the namespace, logging the Range header and each request's duration.
ns_nginx_start() {
	mkdir -p "$W/nginx"
	cat > "$W/nginx.conf" <<EOC
daemon on;
pid $W/nginx.pid;
error_log $W/nginx/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
	log_format t '\$request range=\$http_range status=\$status bytes=\$body_bytes_sent time=\$request_time';
	access_log $W/nginx/access.log t;
	client_body_temp_path $W/nginx;
	proxy_temp_path $W/nginx;
	fastcgi_temp_path $W/nginx;
	uwsgi_temp_path $W/nginx;
	scgi_temp_path $W/nginx;
	default_type application/octet-stream;
	sendfile on;
	server { listen $NS_NET.1:$NS_PORT; root $1; }
}
EOC
	ip netns exec "$NS" nginx -c "$W/nginx.conf" -e "$W/nginx/error.log" &&
	for _ in $(seq 50); do
		ip netns exec "$NS" curl -s -o /dev/null "http://$NS_NET.1:$NS_PORT/" && return 0
		sleep 0.1
	done
	return 1
}

# http_vm NAME: HTTP Boot from the namespace's server; PXE off so HTTPv4 is tried first.
http_vm() {
	VM_PREFIX=(ip netns exec "$NS")
	vm "$1" -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,romfile=,bootindex=1 \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
}

# http_common NAME: what every HTTP Boot run must show.
http_common() {
	check "$1: powered off by itself" powered_off "$1"
	check "$1: HTTP Boot loaded the agent" grep -q 'starting Boot.*UEFI HTTPv4' "$W/$1.console"
	check "$1: built-in options used (firmware passed none)" \
		has "$1" "args: no load options; using the built-in ones: selftest-fetch=blob"
	check "$1: server derived from the boot URI" \
		matches "$1" "^args: server=http://$NS_NET.1:$NS_PORT \(from boot URI\)"
	check "$1: EFI_HTTP back-end chosen" has "$1" "fetch: using the efi-http back-end"
}

if [ "$(id -u)" != 0 ] || ! command -v dnsmasq > /dev/null || ! command -v ip > /dev/null; then
	echo "skip UEFI HTTP Boot runs: they need root, ip and dnsmasq"
else
	HW=$W/http
	mkdir -p "$HW/boot"
	cp "$EFI_FT" "$HW/boot/strata.efi"
	cp "$WWW/big" "$HW/blob"
	(cd "$HW" && sha256sum blob > blob.sha256)
	check "namespace with bridge and tap" ns_setup
	check "dnsmasq in the namespace" dnsmasq_start
	check "nginx in the namespace" ns_nginx_start "$HW"

	http_vm http-32m
	http_common http-32m
	check "http-32m: fetch ok with the blob's size and SHA-256" \
		has http-32m "strata.efi: fetch ok $(size "$HW/blob") $(sha "$HW/blob")"
	check "http-32m: no error lines" hasnt http-32m "error:"
	rate http-32m
	stop_servers

	# The half-cut first response, now on the firmware's HTTP client: it must resume
	# with a Range request at exactly the byte it had delivered.
	head -c 4M /dev/urandom > "$HW/blob"
	(cd "$HW" && sha256sum blob > blob.sha256)
	check "flaky server in the namespace" flaky_start "$HW" "$NS_NET.1" "$NS_PORT" \
		"$W/flaky-http.log" /blob ip netns exec "$NS"
	check "dnsmasq in the namespace (again)" dnsmasq_start
	http_vm http-cut
	http_common http-cut
	check "http-cut: the server cut the first response" \
		grep -q "^GET /blob range=- status=200 .* cut$" "$W/flaky-http.log"
	check "http-cut: the agent retried" matches http-cut "^fetch: http://.*/blob: attempt 1 of 5 failed"
	AT=$(resumed_at http-cut)
	check "http-cut: retry asked for Range: bytes=${AT:-?}- and got a 206" \
		grep -q "^GET /blob range=bytes=${AT:-X}- status=206" "$W/flaky-http.log"
	check "http-cut: fetch ok, each byte delivered once" \
		has http-cut "strata.efi: fetch ok $(size "$HW/blob") $(sha "$HW/blob")"
	stop_servers

	rm "$HW/blob.sha256"
	check "dnsmasq in the namespace (third)" dnsmasq_start
	check "nginx in the namespace (again)" ns_nginx_start "$HW"
	http_vm http-404
	http_common http-404
	check "http-404: clear error line through EFI_HTTP" \
		has http-404 "error: fetch: http://$NS_NET.1:$NS_PORT/blob.sha256: not found (HTTP 404) [not found]"
	check "http-404: fetch FAILED line" has http-404 "strata.efi: fetch FAILED [not found]"
	stop_servers
fi

echo "     run times: ${RUN_TIMES[*]/%/;}"
for r in "${RATES[@]}"; do
	echo "     throughput $r"
done
finish
