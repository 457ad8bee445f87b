#!/bin/bash
# The dashboard in a browser, end to end: headless Chromium (tests/tools/dash_browser.py,
# Selenium) inside the lab's namespace against strata-server with --admins and TLS, and
# one VM (tests/lib/lab.sh) whose tap is throttled (tc tbf, 2 Mbit/s) and whose root layer
# holds 8 runs, so that its deployment lasts long enough to watch.
#   1. log in: vm1's tile is on the lab (01-lab.png; 01-lab-phone.png at 375x667)
#   2. order vm1's deploy from the page: select its tile, Deploy, the preview dialog,
#      its one confirm button naming the count (02-preview.png).  The output says which
#      way it went: POST /api/orders/preview + /api/orders, or, while that route answers
#      501, the dialog's fallback POST /api/deploy/vm1
#   3. the VM boots and deploys: the tile goes deploying -> idle, aria-valuenow rises at
#      least 3 times, gold current afterwards, layout shift under 0.01 (03a-c)
#   4. a chunk of a changed region corrupted (as deploy.sh case 4) and v2 deployed from
#      the page: the tile fails and the machine page's <pre> holds the agent's report,
#      "layer root: chunk N: ..." (04-failure.png, 04-failure-phone.png)
#   5. log out (05-logout.png): the old session cookie then gets 401
# then a tour of the other screens for docs/dashboard.md (06-10, no checks).
# Screenshots, the browser's console and the server's log go to build/artifacts/dashboard/.
# Needs root, QEMU, OVMF, iPXE, chromium, chromium-driver, python3-selenium; without them
# it says so and counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" dashboard chromium chromedriver tc
if ! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	echo "skip: needs python3-selenium"
	finish
	exit
fi
MAC=52:54:00:5a:00:01
ART=$(pwd)/build/artifacts/dashboard
rm -rf "$ART"
mkdir -p "$ART"

# The lab's inventory with vm1 in a room and no order of its own: the page gives them.
lab_inventory() {
	inventory "$1"
	sed -i 's/^machine .* name=vm1 profile=gold.*/machine '"$MAC"' name=vm1 profile=gold room=lab1/' "$W/root/inventory.conf"
}

gold
# The agent reports between runs of chunks, and a run ends at a chunk the layer repeats:
# a file of 8 stretches of random bytes each followed by 192 KiB of one byte (whose
# chunks repeat) makes 8 runs, and so reports a few seconds apart at 2 Mbit/s.
for _ in $(seq 8); do head -c 393216 /dev/urandom; head -c 196608 /dev/zero | tr '\0' '\1'; done > "$W/runs"
ROOT1=$(gold_change v1 d1 "write $W/runs /etc/runs")
lab_inventory "$ROOT1"
echo "dashboard e2e" > "$W/pw"
printf 'alice:%s\n' "$(openssl passwd -6 "$(cat "$W/pw")")" > "$W/admins"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$LAB_IP" \
	-addext "subjectAltName=IP:$LAB_IP" -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
chmod 644 "$W/admins" "$W/key.pem" "$W/cert.pem"
LAB_SERVER_OPTS="--admins $W/admins --tls-cert $W/cert.pem --tls-key $W/key.pem --https-port 443"
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }
# run_step STEP: one step of dash_browser.py inside the lab's namespace, its lines to
# ART/STEP.out; tally STEP shows them, each "ok:" or "FAIL:" line counted as a check.
run_step() {
	ip netns exec "$LAB_NS" /usr/bin/python3 tests/tools/dash_browser.py "$1" \
		--url "https://$LAB_IP" --user alice --password-file "$W/pw" --machine vm1 \
		--out "$ART" --timeout 400 > "$ART/$1.out" 2>&1
}
tally() {
	local line
	grep -q '^ok:\|^FAIL:' "$ART/$1.out" || check "$1: the browser step ran" false
	while IFS= read -r line; do
		case $line in
		ok:*) check "${line#ok: }" true ;;
		FAIL:*) check "${line#FAIL: }" false ;;
		*) echo "     $line" ;;
		esac
	done < "$ART/$1.out"
}
browse() { run_step "$1"; tally "$1"; }

# throttle: once vm1's tap exists, hold the server's traffic to it to 2 Mbit/s.
throttle() {
	local tap="tap${MAC//:/}"
	for _ in $(seq 600); do
		ip netns exec "$LAB_NS" ip link show "$tap" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ip netns exec "$LAB_NS" tc qdisc add dev "$tap" root tbf rate 2mbit burst 32kbit latency 400ms
}

# order_then_boot STEP VM: the browser's STEP in the background; once it has ordered
# (DIR/ordered), boot the VM on a throttled tap; then the browser's verdict.
order_then_boot() {
	local step=$1 vm=$2 pid
	rm -f "$ART/ordered"
	run_step "$step" & pid=$!
	for _ in $(seq 120); do [ -e "$ART/ordered" ] && break; sleep 0.5; done
	if [ -e "$ART/ordered" ]; then
		throttle &
		lab_vm "$vm" "$MAC" "$W/disk.img"
		echo "     $vm: QEMU ended with $?"
	fi
	wait "$pid"
	tally "$step"
}

# 1. Log in, see vm1's tile.
browse login

# 2, 3. Order the deploy from the page, watch it.
truncate -s 200M "$W/disk.img"
order_then_boot deploy vm1-a
check "3: the VM deployed" grep -q "strata.efi: deployment complete" <(debug vm1-a)

# 4. A corrupted chunk of a region v2 changes: the deployment fails naming it.
head -c 200000 /dev/urandom > "$W/blob2"
ROOT2=$(gold_change d1 v2 "write $W/blob2 /etc/blob2")
CH=$($SI inspect --store "$W/root/store" --chunks "$ROOT2" | awk '/^chunk [0-9]/ && $9 != "zero" {print $NF}' | while read -r h; do
	grep -q "$h" <($SI inspect --store "$W/root/store" --chunks "$ROOT1") || { echo "$h"; break; }; done)
printf '\x55\x55\x55\x55' | dd of="$W/root/store/chunks/${CH:0:2}/$CH" bs=1 seek=20 conv=notrunc 2>/dev/null
lab_inventory "$ROOT2"
kill -HUP "$LAB_SERVER"; sleep 2
order_then_boot fail vm1-b
check "4: the agent named the chunk" grep -q "layer root: chunk [0-9]* (disk LBA [0-9]*)" <(debug vm1-b)

# 5. Log out; the old cookie is refused.
browse logout

# The other screens, for docs/dashboard.md.
browse tour
cp "$LAB_RUN/server.log" "$ART/server.log"
echo "screenshots, console and server log: $ART"
finish
