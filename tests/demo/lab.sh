#!/bin/bash
# `make demo`: Strata reimages a small lab of virtual PCs with a bootable gold image.
#
#   1. build the gold image v1 (images/demo/gold.sh: Debian's kernel, systemd-boot, busybox)
#      and add its layers to a chunk store
#   2. start a lab (tests/lib/lab.sh): strata-server with proxyDHCP on a bridge in a network
#      namespace, dnsmasq beside it as the site's DHCP server; the inventory names the PCs
#   3. boot every PC at once with an empty disk: each network-boots, strata.efi deploys the
#      layers, the PC reboots into its local disk and the gold OS prints its line
#   4. a user leaves files on pc01's data partition (policy preserve)
#   5. build gold v2, mark the lab for reimage, boot every PC again: each fetches only the
#      changed chunks, boots v2, and the user's files are still there
#   6. a user leaves files on pc02 (pc01 when the lab has one PC), which the profile marks
#      capture=yes; the admin orders a capture (POST /api/capture/pc02) and at its next
#      network boot strata.efi uploads the data partition as pc02's first generation
#   7. pc02's disk dies: a new PC (another MAC, its own NVRAM, a blank and larger disk)
#      replaces it (POST /api/replace/pc02?mac=NEW); its first boot presents its machine key,
#      which the admin accepts (POST /api/accept-key/pc02); its next boot deploys gold v2,
#      pc02's machine layer and the data generation, and its OS grows the data filesystem
#      to the larger partition and finds the user's files
#   8. a table per machine: bytes fetched, time, result; totals against a full copy; the
#      restore's row; with --multicast, what the server sent by multicast for step 3
# With --multicast the profile is a multicast one (docs/multicast.md): the PCs take the ESP
# and root layers from a multicast session, and HTTP brings what they missed.
# Exits non-zero naming the failed step and the log to read.  Needs root (namespaces).
set -uo pipefail

usage() {
	cat <<'EOF'
usage: tests/demo/lab.sh [--vms N] [--boot rom|pxe|http] [--secure-boot] [--no-restore]
                         [--multicast] [--keep] [--help] [BUILD_DIR]

Reimage a lab of N QEMU PCs (default 3, at most 9) with Strata: deploy gold v1 to empty
disks, let a user write files on one PC, then reimage the lab to gold v2 and show that
only changed chunks crossed the network and the user's files survived.  Then restore a
failed PC: pc02 (pc01 in a lab of one) is captured with its user's files, its disk dies,
and a new PC with a larger disk takes its place and comes back as pc02 with those files.

  --vms N    number of PCs (pc01..pcNN)
  --boot     how the PCs network-boot: rom (default) an iPXE option ROM on the NIC;
             pxe the firmware's own PXE, which loads iPXE's snponly.efi over TFTP;
             http UEFI HTTP Boot, which loads strata.efi itself (no iPXE at all)
  --secure-boot
             Secure Boot enforcing with the lab's own keys: make them (strata-image sb
             keygen), enroll them with strata-enroll.efi (once, on one PC's NVRAM, which
             every PC then starts from), sign strata.efi, iPXE and the gold image's
             systemd-boot and kernel with the lab's db key, and boot OVMF's Secure Boot
             build; each PC's agent and gold OS print that Secure Boot is enforcing
  --no-restore
             leave out the restore of a failed PC (its capture boot and the new PC)
  --multicast
             the gold profile is a multicast one (group 239.255.83.1, rate MCAST_RATE,
             default 8M bits/s): the PCs take the ESP and root layers from a multicast
             session and fetch only what they missed by HTTP (the first deployment must
             take some by multicast); the table adds the bytes the first deployment's
             session sent against one copy
  --keep     keep the work folder (the PCs' disks, the server's store and every log)
  --help     this text
BUILD_DIR defaults to build (run `make` first; `make demo` does both).  Expect 5 to 7
minutes for 3 PCs on 2 cores under QEMU TCG, most of it firmware under emulation; the
restore takes about 2 of them.
Environment: STRATA_SERVER, STRATA_IMAGE (default: the release builds in BUILD_DIR/rel);
MCAST_RATE (with --multicast).
EOF
}

VMS=3 KEEP=${KEEP:-0} BUILD=build BOOT=rom SB=0 RESTORE=1 MCAST=0
while [ $# -gt 0 ]; do
	case $1 in
		--vms) VMS=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
		--boot) BOOT=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
		--keep) KEEP=1; shift ;;
		--secure-boot) SB=1; shift ;;
		--no-restore) RESTORE=0; shift ;;
		--multicast) MCAST=1; shift ;;
		--help|-h) usage; exit 0 ;;
		-*) echo "demo: unknown option '$1'" >&2; usage >&2; exit 2 ;;
		*) BUILD=$1; shift ;;
	esac
done
[[ "$VMS" =~ ^[1-9]$ ]] || { echo "demo: --vms takes 1 to 9, not '$VMS'" >&2; exit 2; }
[[ "$BOOT" =~ ^(rom|pxe|http)$ ]] || { echo "demo: --boot takes rom, pxe or http, not '$BOOT'" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SI=${STRATA_IMAGE:-$BUILD/rel/strata-image}
EFI=$BUILD/efi/strata.efi
KEY=$BUILD/keys/strata.key
export STRATA_SERVER=${STRATA_SERVER:-$BUILD/rel/strata-server}
STEP="0. check what the demo needs"
LOG=
say() { printf '%s\n' "$*"; }
step() { STEP=$1; LOG=${2:-}; printf '\n== %s\n' "$1"; }
fail() {
	printf '\ndemo: FAILED at step "%s": %s\n' "$STEP" "$*" >&2
	[ -n "$LOG" ] && printf 'demo: look at %s\n' "$LOG" >&2
	KEEP=1
	exit 1
}
[ "$(id -u)" = 0 ] || fail "needs root (it creates network namespaces); run as root"
for f in "$SI" "$STRATA_SERVER" "$EFI" "$KEY"; do
	[ -f "$f" ] || fail "$f is missing: run 'make' first (or 'make demo')"
done
command -v qemu-system-x86_64 >/dev/null || fail "QEMU is missing: run 'make deps'"
[ "$SB" = 0 ] || command -v sbsign >/dev/null || fail "sbsign is missing: run 'make deps'"
. "$REPO/tests/lib/netns.sh"
. "$REPO/tests/lib/lab.sh"
. "$REPO/tests/lib/mcast.sh"

W=$(mktemp -d /tmp/strata-demo.XXXXXX)
chmod 755 "$W"
LAB_RUN=$W/logs
mkdir -p "$LAB_RUN" "$W/root/boot" "$W/disks"
netns_init '[ "$KEEP" = 1 ] && echo "demo: kept $W (disks in disks/, logs in logs/)" || rm -rf "$W"'
LAB_VM_TIMEOUT=${LAB_VM_TIMEOUT:-600}
MIB=1048576
START=$SECONDS
declare -a FILES=()   # FILES[I]: the files PC I's user left on its data partition

name_of() { printf 'pc%02d' "$1"; }
mac_of() { printf '52:54:00:5a:d0:%02x' "$1"; }
new_mac_of() { printf '52:54:00:5a:d1:%02x' "$1"; }   # the PC that replaces PC I

# --- gold image and store ----------------------------------------------------------------

# gold VERSION: build the images, add their layers to the store; sets ESP and ROOT.
gold() {
	bash "$REPO/images/demo/gold.sh" "$BUILD" "$1" "$W/gold-$1" > "$LAB_RUN/gold-$1.log" 2>&1 \
		|| fail "images/demo/gold.sh $1 failed"
	sed 's/^/   /' "$LAB_RUN/gold-$1.log"
	ESP=$($SI build --store "$W/root/store" "$W/gold-$1/esp.img" 2>>"$LAB_RUN/gold-$1.log" | tail -1)
	ROOT=$($SI build --store "$W/root/store" "$W/gold-$1/root.img" 2>>"$LAB_RUN/gold-$1.log" | tail -1)
	[ -n "$ESP" ] && [ -n "$ROOT" ] || fail "strata-image build failed"
	chmod -R a+rX "$W/root"
	say "   layers: ESP $ESP"
	say "           root $ROOT"
}

inventory() {
	{
		echo "# The demo lab: every PC gets the gold profile; 'deploy' until told otherwise."
		echo "default local"
		echo "profile gold$([ "$MCAST" = 0 ] || echo " $(mcast_profile_keys "${MCAST_RATE:-8M}")")"
		echo "part label=ESP type=esp size=32M layer=$ESP"
		echo "part label=root type=linux size=64M layer=$ROOT"
		echo "part label=CIDATA type=basic size=4M layer=machine"
		echo "part label=data type=linux size=rest policy=preserve capture=yes"
		for i in $(seq "$VMS"); do
			echo "machine $(mac_of "$i") name=$(name_of "$i") profile=gold action=deploy"
		done
	} > "$W/root/inventory.conf"
}

# --- the PCs -----------------------------------------------------------------------------

# An IPv4 lab: anything over IPv6, tried before the disk, would only add a minute of
# timeouts.  With the iPXE ROM or HTTP Boot, OVMF's own PXE is off for the same reason.
NIC_OPTS= FW_OPTS=(-fw_cfg name=opt/org.tianocore/IPv6Support,string=no)
[ "$BOOT" = rom ] || NIC_OPTS=,romfile=
[ "$BOOT" = pxe ] || FW_OPTS+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no)

# pc_vm RUN MAC DISK REBOOT [VARS]: one power-on of a PC, booting the lab's way; with
# REBOOT=1 a reboot restarts it (deploy, reboot, gold OS), else a reboot ends it.  VARS is
# an NVRAM to start from (else the MAC's own, kept from boot to boot).  Records "RUN seconds
# status" in $W/runs; returns QEMU's status.
pc_vm() {
	local t0 rc
	t0=$SECONDS
	LAB_SECURE_BOOT=$SB LAB_REBOOT=$4 LAB_VARS_FROM=${5:-} LAB_NIC_OPTS=$NIC_OPTS \
		lab_vm "$1" "$2" "$3" "${FW_OPTS[@]}"
	rc=$?
	echo "$1 $((SECONDS - t0)) $rc" >> "$W/runs"
	return $rc
}

# boot_pc I ROUND: one PC from power-on to power-off (deploy, reboot, gold OS).
boot_pc() {
	local i=$1 r=$2 name vars=
	name=$(name_of "$i")
	[ "$SB" = 1 ] && vars=$W/sb-enrolled.vars
	[ -f "$LAB_RUN/$name-$((r - 1)).vars" ] && vars=$LAB_RUN/$name-$((r - 1)).vars
	pc_vm "$name-$r" "$(mac_of "$i")" "$W/disks/$name.img" 1 "$vars"
}

# boot_all ROUND: every PC at once, with a line per PC as each one finishes.
boot_all() {
	local i pids=()
	for i in $(seq "$VMS"); do
		boot_pc "$i" "$1" & pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		say "   $(name_of $((i + 1))): $(os_line "$(name_of $((i + 1)))-$1")"
	done
}

os_line() { lab_console "$LAB_RUN/$1.serial" | grep -o 'strata-demo: .*' | tail -1; }
agent() { tr -d '\r' 2>/dev/null < "$LAB_RUN/$1.debug"; }   # quiet before the VM made it

# check_round ROUND VERSION: every PC deployed and printed the line it should.
check_round() {
	local i name want
	for i in $(seq "$VMS"); do
		name=$(name_of "$i")
		LOG=$LAB_RUN/$name-$1.debug
		grep -q "strata.efi: deployment complete" <(agent "$name-$1") \
			|| fail "$name: strata.efi did not complete a deployment"
		want="strata-demo: $name running gold $2, data files: ${FILES[$i]:-0}"
		LOG=$LAB_RUN/$name-$1.serial
		[ "$(os_line "$name-$1")" = "$want" ] || fail "$name: expected '$want', got '$(os_line "$name-$1")'"
		[ "$SB" = 0 ] || sb_enforced "$name-$1" || fail "$name: Secure Boot was not enforcing"
		[ "$MCAST" = 0 ] || [ "$1" != 1 ] || by_multicast "$name-$1" ||
			{ LOG=$LAB_RUN/$name-$1.debug; fail "$name: no layer came by multicast"; }
	done
	LOG=
}

# by_multicast RUN: some layer's chunks came by multicast in that boot.
by_multicast() { grep -q "layer [^ ]*: [1-9][0-9]* chunks (.*) by multicast" <(agent "$1"); }

# sb_enforced RUN: the agent and the gold OS of that boot both said Secure Boot enforced.
sb_enforced() {
	grep -qx "strata.efi: secure boot: enforcing" <(agent "$1") &&
		lab_console "$LAB_RUN/$1.serial" | grep -q "strata-demo: secure boot: enforcing"
}

# --- Secure Boot --------------------------------------------------------------------------

# The lab's keys, the enrolled NVRAM every PC starts from, the signed boot files.
secure_boot() {
	local f
	$SI sb keygen "$W/sb" > "$LAB_RUN/sb-keygen.log" 2>&1 || fail "strata-image sb keygen failed"
	sed -n 's/^  kept in db: .*CN=\([^,]*\), .*/   db also keeps: \1/p' "$LAB_RUN/sb-keygen.log"
	say "   keys in $W/sb: PK, KEK, db (RSA-2048), and the payloads that enroll them"
	lab_sb_enroll "$W/sb-enrolled.vars" "$W/sb" "$BUILD/efi/strata-enroll.efi" ||
		{ LOG=$LAB_RUN/enroll.debug; fail "strata-enroll.efi did not enroll the keys"; }
	say "   $(grep -o 'strata-enroll.efi: enrolled: .*' "$LAB_RUN/enroll.debug" | sed 's/; rebooting//')"
	for f in strata.efi snponly.efi ipxe.efi; do
		sbsign --key "$W/sb/db.key" --cert "$W/sb/db.crt" --output "$W/root/boot/$f.signed" \
			"$W/root/boot/$f" 2>/dev/null && mv "$W/root/boot/$f.signed" "$W/root/boot/$f" ||
			fail "sbsign $f failed"
	done
	say "   signed with the lab's db key: strata.efi, snponly.efi, ipxe.efi"
	export GOLD_SB_KEY=$W/sb/db.key GOLD_SB_CERT=$W/sb/db.crt
}

# --- a user's files ----------------------------------------------------------------------

part_off() {   # part_off DISK N -> byte offset of partition N
	sfdisk --json "$1" | tr -d ' \n' | grep -o '"node":"[^"]*'"$2"'","start":[0-9]*' |
		sed 's/.*://' | awk '{ print $1 * 512 }'
}

# The files users leave, made in $W/files: a few lines of text or random bytes (a photo).
make_files() {
	mkdir -p "$W/files"
	printf 'Quarterly figures, draft 3\n' > "$W/files/report.txt"
	head -c 300000 /dev/urandom > "$W/files/photo.jpg"
	printf 'remember: back up the lab\n' > "$W/files/notes.txt"
	head -c 200000 /dev/urandom > "$W/files/thesis.odt"
	printf 'month,spent\nnovember,412\n' > "$W/files/budget.csv"
	head -c 150000 /dev/urandom > "$W/files/scan.pdf"
}

# user_files I FILE..: write FILEs into PC I's data partition from the host, as its user
# would have; FILES[I] counts the files it holds.  PC I is powered off.
user_files() {
	local i=$1 disk off size f
	disk=$W/disks/$(name_of "$1").img
	shift
	off=$(part_off "$disk" 4)
	[ -n "$off" ] || return 1
	size=$(( $(stat -c %s "$disk") - off - MIB ))
	dd if="$disk" of="$W/data.img" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$size" \
		2>/dev/null || return 1
	for f in "$@"; do
		debugfs -w -R "write $W/files/$f $f" "$W/data.img" >/dev/null 2>&1 || return 1
	done
	dd if="$W/data.img" of="$disk" bs=1M oflag=seek_bytes seek="$off" conv=notrunc 2>/dev/null \
		|| return 1
	FILES[i]=$(( ${FILES[i]:-0} + $# ))
	debugfs -R "ls -l" "$W/data.img" 2>/dev/null |
		awk -v names=" $* " 'index(names, " " $NF " ") { print "   " $NF ", " $(NF - 3) " bytes" }'
}

# --- a failed PC comes back -------------------------------------------------------------

# json_num KEY: the last number KEY has in $gen (an API answer, JSON).
json_num() { grep -o "\"$1\": [0-9]*" <<< "$gen" | tail -n 1 | sed 's/.*: //'; }

# capture_pc: the admin orders a capture of PC $R's own layers (its capture=yes data
# partition); at its next network boot strata.efi uploads them as its next generation, then
# reboots, which ends the VM here.
capture_pc() {
	local answer gen
	answer=$(lab_curl -fsS -X POST "$(lab_url)/api/capture/$RNAME") || fail "the server refused the capture order"
	say "   POST /api/capture/$RNAME: $(sed 's/, "token": "[0-9a-f]*"//' <<< "$answer")"
	pc_vm "$RNAME-capture" "$(mac_of "$R")" "$W/disks/$RNAME.img" 0
	LOG=$LAB_RUN/$RNAME-capture.debug
	grep -q "strata.efi: capture complete" <(agent "$RNAME-capture") || fail "$RNAME: strata.efi did not complete the capture"
	say "   $RNAME: $(agent "$RNAME-capture" | grep -o 'capture complete: .*' | tail -n 1)"
	LOG=$LAB_RUN/server.log
	gen=$(lab_curl -fsS "$(lab_url)/api/generations/$RNAME") || fail "GET /api/generations/$RNAME failed"
	[ -n "$(json_num number)" ] || fail "$RNAME has no generation after its capture"
	GEN_BYTES=$(json_num stored)
	say "   GET /api/generations/$RNAME: data, generation $(json_num number): a $(mb "$(json_num size)") partition," \
		"$(mb "$GEN_BYTES") stored, $(mb "$(json_num uploaded)") uploaded"
}

# replace_pc: PC $R's disk dies; a new PC (another MAC, its own NVRAM, a larger blank disk)
# takes over its name.  Its first boot presents its machine key, which waits for the
# admin: strata.efi says so, waits 10 s and reboots.  The admin accepts the key in that
# time, so the PC's next boot, in the same power-on, deploys gold, the machine layer and
# the generation, and its OS starts.
replace_pc() {
	local new disk vars="" answer vm
	new=$(new_mac_of "$R") disk=$W/disks/$RNAME-new.img
	rm -f "$W/disks/$RNAME.img"
	truncate -s 256M "$disk"
	say "   $RNAME's 160 MB disk is gone; the new PC $new has a blank 256 MB disk"
	answer=$(lab_curl -fsS -X POST "$(lab_url)/api/replace/$RNAME?mac=$new") || fail "the server refused the replacement"
	say "   POST /api/replace/$RNAME?mac=$new: $answer"
	[ "$SB" = 1 ] && vars=$W/sb-enrolled.vars
	pc_vm "$RNAME-restore" "$new" "$disk" 1 "$vars" & vm=$!
	LOG=$LAB_RUN/$RNAME-restore.debug
	until grep -q "an admin must accept it" <(agent "$RNAME-restore"); do
		kill -0 "$vm" 2>/dev/null || fail "the new PC's key was not held for the admin"
		sleep 0.2
	done
	say "   new PC, first boot: $(agent "$RNAME-restore" | grep -o "$RNAME: this PC's key differs.*" | head -n 1)"
	lab_machines | grep -q '"key": {"state": "awaiting"' && say "   /machines.json: $RNAME's key is awaiting the admin"
	answer=$(lab_curl -fsS -X POST "$(lab_url)/api/accept-key/$RNAME") || fail "the server refused to accept the key"
	say "   POST /api/accept-key/$RNAME: $answer"
	wait "$vm"
	check_restore
}

# The new PC deployed, and its own OS found the user's files in pc02's name.
check_restore() {
	local want="strata-demo: $RNAME running gold v2, data files: ${FILES[$R]}"
	LOG=$LAB_RUN/$RNAME-restore.debug
	grep -q "strata.efi: deployment complete" <(agent "$RNAME-restore") ||
		fail "the new PC: strata.efi did not complete the deployment"
	LOG=$LAB_RUN/$RNAME-restore.serial
	lab_console "$LOG" | grep -o 'strata-demo: data: .*' | sed 's/^/   new PC: /'
	say "   new PC: $(os_line "$RNAME-restore")"
	[ "$(os_line "$RNAME-restore")" = "$want" ] || fail "the new PC: expected '$want', got '$(os_line "$RNAME-restore")'"
	[ "$SB" = 0 ] || sb_enforced "$RNAME-restore" || fail "the new PC: Secure Boot was not enforcing"
	LOG=
}

# SIGHUP, then wait until the server says it took the new inventory.
reload() {
	local n i
	n=$(wc -l < "$LAB_RUN/server.log")
	kill -HUP "$LAB_SERVER"
	for i in $(seq 100); do
		tail -n +"$((n + 1))" "$LAB_RUN/server.log" | grep -q "reload failed" && fail "the server refused the new inventory"
		tail -n +"$((n + 1))" "$LAB_RUN/server.log" | grep -q "profiles, [0-9]* machines" && return 0
		sleep 0.1
	done
	fail "the server did not reload its inventory"
}

# --- the table ---------------------------------------------------------------------------

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }
# The last deployment of the run (a PC whose report got lost would deploy again).
fetched() { agent "$1" | sed -n 's/.*deployment complete:.*(\([0-9]*\) bytes).*/\1/p' | tail -n 1; }
agent_s() { agent "$1" | sed -n 's/.*deployment complete:.*, \([0-9]*\) ms.*/\1/p' | tail -n 1 |
	awk '{ printf "%.1f", $1 / 1000 }'; }
wall() { awk -v r="$1" '$1 == r { print $2 }' "$W/runs"; }

table() {
	local r i name total full
	printf '\n%-6s %-5s %12s %12s %10s  %s\n' machine gold fetched "strata.efi" "power-on" "result (the PC's own line)"
	for r in 1 2; do
		total=0
		for i in $(seq "$VMS"); do
			name=$(name_of "$i")
			printf '%-6s %-5s %12s %11ss %9ss  %s\n' "$name" "v$r" "$(mb "$(fetched "$name-$r")")" \
				"$(agent_s "$name-$r")" "$(wall "$name-$r")" "$(os_line "$name-$r" | sed 's/^strata-demo: //')"
			total=$((total + $(fetched "$name-$r")))
		done
		full=$(( VMS * FULL_BYTES ))
		printf 'gold v%s: %s fetched%s by %s PCs; a full copy of their layers is %s (%s%%)\n' "$r" \
			"$(mb "$total")" "$([ "$MCAST" = 0 ] || echo ' over HTTP')" "$VMS" "$(mb "$full")" "$(awk -v a="$total" -v b="$full" 'BEGIN { printf "%.2f", 100 * a / b }')"
	done
	if [ "$RESTORE" = 1 ]; then restore_row; fi
	if [ "$MCAST" = 1 ]; then mcast_row; fi
}

# What the first deployment's multicast session cost the server, against one copy (the
# fetched column counts HTTP only: repairs and what multicast missed).
mcast_row() {
	printf 'multicast: the server sent %s for %s PCs; one copy is %s (gold v1: %s copies)\n' \
		"$(mb "${MC_SENT:-0}")" "$VMS" "$(mb "$FULL_BYTES")" \
		"$(awk -v a="${MC_SENT:-0}" -v b="$FULL_BYTES" 'BEGIN { printf "%.2f", a / b }')"
}

# The new PC's row: everything it fetched (gold v2, the machine layer, the data
# generation), strata.efi's deployment time, and power-on to power-off, which includes its
# first boot, whose key waited for the admin.
restore_row() {
	local run=$RNAME-restore data
	data=$(agent "$run" | sed -n 's/.*layer data: .* fetched (\([0-9]*\) bytes).*/\1/p' | tail -n 1)
	printf '%-6s %-5s %12s %11ss %9ss  %s\n' "$RNAME" "v2" "$(mb "$(fetched "$run")")" \
		"$(agent_s "$run")" "$(wall "$run")" "$(os_line "$run" | sed 's/^strata-demo: //')"
	printf 'restore: a new PC came back as %s with %s fetched, %s of them its data generation (%s stored)\n' \
		"$RNAME" "$(mb "$(fetched "$run")")" "$(mb "${data:-0}")" "$(mb "$GEN_BYTES")"
}

# --- the run -----------------------------------------------------------------------------

say "demo: $VMS PCs under QEMU TCG; expect about $((2 + VMS / 2 + 2 * RESTORE)) minutes (work folder $W)"
[ "$SB" = 0 ] || say "demo: Secure Boot ENFORCING on every PC, with the lab's own keys (--secure-boot)"
cp "$EFI" "$W/root/boot/"
cp /usr/lib/ipxe/snponly.efi /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/undionly.kpxe "$W/root/boot/"
if [ "$SB" = 1 ]; then
	step "0. Secure Boot: the lab's keys, enrolled with strata-enroll.efi; boot files signed" "$LAB_RUN/sb-keygen.log"
	secure_boot
fi
step "1. build gold image v1 (Debian kernel + systemd-boot + busybox) and add its layers to a store"
gold v1

step "2. start strata-server (proxyDHCP) and a site DHCP server in a lab network namespace" "$LAB_RUN/server.log"
inventory
lab_start "$W/root" "$KEY" || fail "the lab did not start"
say "   strata-server on $LAB_IP (bridge br0 in namespace $LAB_NS), dnsmasq on $SITE_IP hands out 10.78.0.100-199"
say "   inventory: $(seq "$VMS" | while read -r i; do printf '%s=%s ' "$(name_of "$i")" "$(mac_of "$i")"; done)"
FULL_BYTES=$(mcast_copy_bytes "$W/root/store" "$ESP" "$ROOT")

step "3. boot $VMS PCs with empty disks at once ($BOOT): network boot, deploy, reboot into the disk"
for i in $(seq "$VMS"); do truncate -s 160M "$W/disks/$(name_of "$i").img"; done
boot_all 1
check_round 1 v1
MC_SENT=$([ "$MCAST" = 0 ] || mcast_sent)   # step 5's reload ends this session

step "4. a user leaves files on pc01's data partition (policy preserve)"
make_files
user_files 1 report.txt photo.jpg notes.txt || fail "could not write the user's files"

step "5. build gold v2, mark the lab for reimage, boot every PC again" "$LAB_RUN/server.log"
gold v2
inventory
reload
say "   $(lab_curl -fsS -X POST "$(lab_url)/api/deploy/all")" || fail "the deploy API refused"
boot_all 2
check_round 2 v2

if [ "$RESTORE" = 1 ]; then
	R=$(( VMS > 1 ? 2 : 1 )); RNAME=$(name_of "$R")
	step "6. $RNAME's user leaves files; the admin orders a capture; $RNAME network-boots and strata.efi captures its data" "$LAB_RUN/server.log"
	user_files "$R" thesis.odt budget.csv scan.pdf || fail "could not write the user's files"
	capture_pc
	step "7. $RNAME's disk dies; a new PC replaces it and comes back as $RNAME" "$LAB_RUN/server.log"
	replace_pc
fi

step "$(( RESTORE ? 8 : 6 )). what crossed the network"
table
printf '\ndemo: done in %d s; every PC deployed, booted its gold image and kept its data%s\n' \
	$((SECONDS - START)) "$([ "$RESTORE" = 0 ] || echo "; $RNAME came back on a new PC")"
