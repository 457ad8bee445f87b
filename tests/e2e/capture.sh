#!/bin/bash
# Capture by strata.efi on every boot path, end to end in QEMU with OVMF under TCG, in the
# lab of tests/lib/lab.sh (dnsmasq as the site DHCP server, strata-server with proxyDHCP,
# TFTP and HTTP).  Three PCs (vm1..vm3, each its own MAC and NVRAM: OVMF keeps the boot
# options it made per NVRAM) have a disk with a GPT: an ESP and a small ext4 "home" with
# files, which their profile marks capture=yes.  For each, an admin orders a machine capture
# (POST /api/capture/vmN); at its next boot strata.efi registers its machine key (the open
# task is the order trust on first use needs), reads its orders (action=capture
# kind=machine parts=home), confirms the task (GET /capture/task), checks every chosen
# filesystem, then runs the core capture engine over home: have/need batches (POST
# /capture/need), sealed chunk uploads (POST /capture/chunk/HEX, e=1), the index committed
# (POST /capture/commit?part=home), every request signed by its per-boot machine session
# (no task token on the PC).  The layer id equals what strata-image build makes of the same
# image.  Then POST /capture/done ends the task (committed), and the run ends complete.
#   1. the iPXE option ROM: downloads through iPXE's download protocol, the POSTs through
#      the firmware's EFI_HTTP on the same NIC
#   2. UEFI HTTP Boot (PXE off): everything through EFI_HTTP
#   3. OVMF's own PXE: the proxyDHCP hands a machine with an open capture task strata.efi
#      itself (not snponly.efi) with its arguments in DHCP option 224; strata.efi reads
#      them from the PXE base code's mode, stops it, and uses EFI_HTTP for everything
#   4. (after 1) a gold capture of vm1's disk through the iPXE ROM: the ESP's and root's
#      layers are the ones strata-image builds of the same images, home stays out
#      (private), done's layout makes the captured profile
#   5. (after 1) the user of vm1 changes one file of home (debugfs on the disk image between
#      boots) and a second machine capture makes generation 2, which uploads only the
#      changed chunks: its bytes uploaded (GET /api/generations/vm1) are a fraction of
#      generation 1's
#   6. a PC whose capture=yes partition is a hibernated NTFS (hiberfil.sys begins "hibr", as
#      tests/integration/fs-build.sh makes one): the capture is refused with the filesystem's
#      message, nothing is uploaded, no generation, and /machines.json shows the failure
#   7. an interval capture (profile capture-every=1d, the server's clock moved with
#      --clock-file): the first boot is handed its disk (the server's verdict) and boots it;
#      a day later by the server's clock the next boot captures home (a task the server
#      opened itself, credential "interval"), strata.efi hands the PC back (then=local), and
#      in the same power-on the PC boots its disk.  The disk holds no OS: its ESP's
#      startup.nsh, run by OVMF's shell once the disk's entry finds no loader, prints a
#      marker on the console and powers off
#   8. (after 4) a PC with an empty disk, named in the inventory with profile=captured1
#      (reloaded, SIGHUP), is deployed from the gold capture: its ESP and root check clean
#      (fsck.fat -n, e2fsck -fn), hold the reference's files, root's free blocks equal the
#      reference's (dumpe2fs), and home's marker (private) is in no public store file
#   9. (after 5) vm1's user writes 1.5 MB more to home; during that capture's upload the
#      server is killed (SIGKILL, after CAPTURE_KILL_AFTER chunks, default 4; make soak
#      varies it): generations 1 and 2 stay intact; after a restart the
#      next boot makes generation 3, the chunks stored before the kill present, not sent
#      again
#  10. refusals in the lab (no boot): a wrong token, a chunk whose bytes hash to another
#      name, an index naming a chunk never uploaded, a token once its task is cancelled
# CAPTURE_CASES="1 3" runs only those cases (default all: 11 boots, about 6 min here).
# Needs root, QEMU, OVMF, iPXE, sgdisk, mkntfs, ntfscp; without
# them it says so and counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" capture sgdisk mkntfs ntfscp
MAC=52:54:00:5a:00:01
LAB_VM_TIMEOUT=${LAB_VM_TIMEOUT:-300}
KILL_AFTER=${CAPTURE_KILL_AFTER:-4}

want() { [ -z "${CAPTURE_CASES:-}" ] || [[ " $CAPTURE_CASES " == *" $1 "* ]]; }

gold
# home: 8 MiB of ext4 with 2 MB of random files; its layer id as strata-image builds it.
mkdir -p "$W/home/user"
head -c 1500000 /dev/urandom > "$W/home/user/photo.raw"
head -c 500000 /dev/urandom > "$W/home/user/notes.bin"
MARK=strata-private-home-$RANDOM$RANDOM
# the marker between random bytes: its chunk stays raw (incompressible) in any store
{ head -c 65536 /dev/urandom; echo "$MARK"; head -c 65536 /dev/urandom; } > "$W/home/user/private.bin"
mkfs.ext4 -q -F -b 4096 -U 5f1a2b3c-0000-4000-8000-0000000000ca -d "$W/home" "$W/home.img" 8M
# root: 16 MiB of ext4 set up by hand on the reference PC (partition 3), for the gold capture
mkdir -p "$W/groot/etc" "$W/groot/opt"
cp -a /usr/share/doc/bash "$W/groot/opt/"
head -c 3000000 /dev/urandom > "$W/groot/opt/app.bin"
echo "reference 1" > "$W/groot/etc/release"
mkfs.ext4 -q -F -b 4096 -U 5f1a2b3c-0000-4000-8000-0000000000cb -d "$W/groot" "$W/groot.img" 16M
GROOT=$($SI build --store "$W/cmpstore" "$W/groot.img" 2>/dev/null | tail -1)
HOME_ID=$($SI build --store "$W/cmpstore" "$W/home.img" 2>/dev/null | tail -1)
cat > "$W/root/inventory.conf" <<EOC
default local
profile cap
part label=ESP type=esp size=16M layer=$ESP
part label=home type=linux size=rest policy=preserve capture=yes
machine 52:54:00:5a:00:01 name=vm1 profile=cap
machine 52:54:00:5a:00:02 name=vm2 profile=cap
machine 52:54:00:5a:00:03 name=vm3 profile=cap
profile capwin
part label=ESP type=esp size=16M layer=$ESP
part label=win type=basic size=rest policy=preserve capture=yes
machine 52:54:00:5a:00:06 name=vm6 profile=capwin
profile capday capture-every=1d
part label=ESP type=esp size=16M layer=$ESP
part label=home type=linux size=rest policy=preserve capture=yes
machine 52:54:00:5a:00:07 name=vm7 profile=capday
EOC
echo 0 > "$W/clock"
LAB_SERVER_OPTS="--clock-file $W/clock"
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }

# mkdisk FILE [ESP]: a GPT disk with the ESP (16 MiB, $W/esp.img unless ESP), home
# (8 MiB) and root (16 MiB, not in the profile: a gold capture takes it) images in place.
mkdisk() {
	truncate -s 0 "$1"; truncate -s 64M "$1"
	sgdisk -n1:2048:+16M -t1:ef00 -c1:ESP -n2:0:+8M -t2:8300 -c2:home \
		-n3:0:+16M -t3:8300 -c3:root "$1" >/dev/null
	dd if="${2:-$W/esp.img}" of="$1" bs=1M seek=1 conv=notrunc status=none
	dd if="$W/home.img" of="$1" bs=1M seek=17 conv=notrunc status=none
	dd if="$W/groot.img" of="$1" bs=1M seek=25 conv=notrunc status=none
}

count() { grep -c "$1" "$LAB_RUN/server.log"; }

# disk_booted RUN [AFTER]: RUN's console shows the ESP's startup.nsh marker (after a line
# matching AFTER, when given): the firmware went on to boot the disk.
disk_booted() {
	lab_console "$LAB_RUN/$1.serial" | awk -v after="${2:-}" \
		'after == "" || index($0, after) { s = 1 } s && /^strata-disk-booted/ { f = 1 } END { exit !f }'
}

# capture_case N VM MAC BACKEND [QEMU ARGS..]: order, boot, check.
capture_case() {
	local n=$1 vm=$2 mac=$3 be=$4 needs chunks commits order
	shift 4
	mkdisk "$W/$vm.img"
	order=$(lab_curl -s -X POST "$(lab_url)/api/capture/$vm")
	check "$n: the admin's machine capture order is taken" grep -q '"kind": "machine"' <<<"$order"
	needs=$(count 'POST /capture/need 200') chunks=$(count 'POST /capture/chunk/[0-9a-f]* 200')
	commits=$(count 'POST /capture/commit 200')
	lab_vm "$vm" "$mac" "$W/$vm.img" "$@"
	check "$n: orders say capture kind=machine, the part home" grep -q "capture: machine capture ordered" <(debug "$vm")
	check "$n: GET /capture/task answered for the machine's task" grep -q "capture: server: task=open kind=machine mac=$mac profile=-" <(debug "$vm")
	check "$n: the ESP is left out (not capture=yes)" grep -q "capture: partition 1 ESP: left out (not capture=yes)" <(debug "$vm")
	check "$n: home captured through the engine, the layer strata-image builds ($HOME_ID)" grep -q "capture: part home (ext4): layer ${HOME_ID:0:23}\.\." <(debug "$vm")
	check "$n: signed POST /capture/need answered 200" test "$(count 'POST /capture/need 200')" -gt "$needs"
	check "$n: signed POST /capture/commit answered 200: a generation" sh -c "test $(count 'POST /capture/commit 200') -gt $commits && grep -q 'capture: part home committed: generation 1 layer=$HOME_ID' '$LAB_RUN/$vm.debug'"
	check "$n: the generation is recorded" test "$(sqlite3 "$W/root/state/strata.db" "SELECT count(*) FROM generations WHERE mac = '$mac' AND part = 'home'")" = 1
	check "$n: its chunks went sealed to the machine's private store, not the public one" sh -c "ls '$W/root/state/private/${mac//:/}/chunks' >/dev/null && ! grep -q 'POST /capture/chunk/[0-9a-f]* 403' '$LAB_RUN/server.log'"
	check "$n: requests over $be" grep -q "fetch: using the $be back-end" <(debug "$vm")
	check "$n: POST /capture/done ends the task" sh -c "grep -q 'capture: server: task committed' '$LAB_RUN/$vm.debug' && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT outcome FROM capture_tasks WHERE mac = '$mac'\")\" = committed"
	check "$n: the run ends with the capture complete" grep -q "strata.efi: capture complete" <(debug "$vm")
	echo "     $n: $(grep -a 'capture: part home (ext4)' "$LAB_RUN/$vm.debug" | tr -d '\r' | sed 's/.*read/read/')"
	echo "     $n: chunk uploads answered 200: $(($(count 'POST /capture/chunk/[0-9a-f]* 200') - chunks))"
}

if want 1; then
	capture_case 1 vm1 52:54:00:5a:00:01 ipxe
	check "1: the POSTs went through the firmware's HTTP service beside iPXE" grep -q "uploads go through the firmware's HTTP service beside iPXE" <(debug vm1)
fi

if want 2; then
	LAB_NIC_OPTS=",romfile=" capture_case 2 vm2 52:54:00:5a:00:02 efi-http \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
fi

if want 3; then
	LAB_NIC_OPTS=",romfile=" capture_case 3 vm3 52:54:00:5a:00:03 efi-http
	check "3: the proxyDHCP handed firmware PXE strata.efi itself" grep -q "52:54:00:5a:00:03 .*agent-tftp \"strata.efi\"" "$LAB_RUN/server.log"
	check "3: strata.efi took its server from the PXE reply" grep -q "args: server=$(lab_url)\(:80\)\? (from the PXE reply)" <(debug vm3)
fi

# 5. (after 1) Generation 2 of vm1's home after its user changed one file.
if want 5 && want 1; then
	off=$((17 << 20))
	dd if="$W/vm1.img" of="$W/home2.img" bs=1M skip=17 count=8 status=none
	head -c 200000 /dev/urandom > "$W/notes2.bin"
	debugfs -w -R "rm /user/notes.bin" "$W/home2.img" >/dev/null 2>&1
	debugfs -w -R "write $W/notes2.bin /user/notes.bin" "$W/home2.img" >/dev/null 2>&1
	check "5: the changed home checks clean (e2fsck -fn)" e2fsck -fn "$W/home2.img"
	dd if="$W/home2.img" of="$W/vm1.img" bs=1M seek=17 conv=notrunc status=none
	HOME2=$($SI build --store "$W/cmpstore" "$W/home2.img" 2>/dev/null | tail -1)
	order=$(lab_curl -s -X POST "$(lab_url)/api/capture/vm1")
	check "5: the second machine capture order is taken" grep -q '"kind": "machine"' <<<"$order"
	lab_vm vm1-gen2 52:54:00:5a:00:01 "$W/vm1.img"
	check "5: home committed as generation 2, the layer strata-image builds of it" grep -q "capture: part home committed: generation 2 layer=$HOME2" <(debug vm1-gen2)
	gens=$(lab_curl -s "$(lab_url)/api/generations/vm1")
	up1=$(python3 -c 'import json,sys; g=json.load(sys.stdin)["partitions"][0]["generations"]; print({x["number"]: x["uploaded"] for x in g}.get(1, -1))' <<<"$gens")
	up2=$(python3 -c 'import json,sys; g=json.load(sys.stdin)["partitions"][0]["generations"]; print({x["number"]: x["uploaded"] for x in g}.get(2, -1))' <<<"$gens")
	echo "     5: bytes uploaded: generation 1 $up1, generation 2 $up2"
	check "5: generation 1 uploaded home's data (more than 1.5 MB of its 2 MB, compressed random)" test "$up1" -gt 1500000
	check "5: generation 2 uploaded only the changed chunks (under 400 kB)" sh -c "test $up2 -gt 0 && test $up2 -lt 400000"
	echo "     5: $(grep -a 'capture: part home (ext4)' "$LAB_RUN/vm1-gen2.debug" | tr -d '\r' | sed 's/.*read/read/')"
fi

# 6. A hibernated NTFS marked capture=yes is refused; nothing is uploaded.
if want 6; then
	truncate -s 16M "$W/win.img"
	mkntfs -q -F -f -L win "$W/win.img" >/dev/null 2>&1
	{ printf 'hibr'; head -c 65532 /dev/zero; } > "$W/hibr"
	ntfscp "$W/win.img" "$W/hibr" /hiberfil.sys >/dev/null 2>&1
	truncate -s 0 "$W/vm6.img"; truncate -s 64M "$W/vm6.img"
	sgdisk -n1:2048:+16M -t1:ef00 -c1:ESP -n2:0:+16M -t2:0700 -c2:win "$W/vm6.img" >/dev/null
	dd if="$W/esp.img" of="$W/vm6.img" bs=1M seek=1 conv=notrunc status=none
	dd if="$W/win.img" of="$W/vm6.img" bs=1M seek=17 conv=notrunc status=none
	order=$(lab_curl -s -X POST "$(lab_url)/api/capture/vm6")
	check "6: the machine capture order is taken" grep -q '"kind": "machine"' <<<"$order"
	chunks=$(count 'POST /capture/chunk/[0-9a-f]* 200') commits=$(count 'POST /capture/commit')
	lab_vm vm6 52:54:00:5a:00:06 "$W/vm6.img"
	check "6: refused with the filesystem's message" grep -q "capture: partition 2 win (NTFS): Windows was hibernated or shut down with Fast Startup; boot Windows and choose Restart, or disable Fast Startup; nothing was uploaded" <(debug vm6)
	check "6: no chunk uploaded, no commit" test "$(count 'POST /capture/chunk/[0-9a-f]* 200')/$(count 'POST /capture/commit')" = "$chunks/$commits"
	check "6: no generation" test "$(sqlite3 "$W/root/state/strata.db" "SELECT count(*) FROM generations WHERE mac = '52:54:00:5a:00:06'")" = 0
	m=$(lab_machines)
	check "6: /machines.json shows the failure" grep -q "hibernated" <<<"$m"
	echo "     6: $(grep -o '{[^{}]*vm6[^{}]*' <<<"$m" | head -c 400)"
fi

# 9. (after 5) SIGKILL of the server during an upload; the next boot uploads what is missing.
if want 9 && want 5 && want 1; then
	dd if="$W/vm1.img" of="$W/home3.img" bs=1M skip=17 count=8 status=none
	head -c 1500000 /dev/urandom > "$W/video.raw"
	debugfs -w -R "write $W/video.raw /user/video.raw" "$W/home3.img" >/dev/null 2>&1
	dd if="$W/home3.img" of="$W/vm1.img" bs=1M seek=17 conv=notrunc status=none
	lab_curl -s -X POST "$(lab_url)/api/capture/vm1" >/dev/null
	chunks=$(count 'POST /capture/chunk/[0-9a-f]* 200')
	lab_vm vm1-kill 52:54:00:5a:00:01 "$W/vm1.img" &
	vm=$!
	for _ in $(seq 2000); do
		[ "$(count 'POST /capture/chunk/[0-9a-f]* 200')" -ge $((chunks + KILL_AFTER)) ] && break
		sleep 0.1
	done
	kill -KILL "$LAB_SERVER"
	killed=$(($(count 'POST /capture/chunk/[0-9a-f]* 200') - chunks))
	wait "$vm"
	netns_stop "$LAB_DNSMASQ"
	check "9: the server was killed during the upload ($killed chunks stored)" sh -c "test $killed -ge $KILL_AFTER && ! grep -q 'strata.efi: capture complete' '$LAB_RUN/vm1-kill.debug'"
	mv "$LAB_RUN/server.log" "$LAB_RUN/server-killed.log"
	lab_services "$W/root" "$KEY"
	check "9: generations 1 and 2 are intact after the restart" test "$(sqlite3 "$W/root/state/strata.db" "SELECT group_concat(number) FROM (SELECT number FROM generations WHERE mac = '52:54:00:5a:00:01' AND part = 'home' ORDER BY number)")" = "1,2"
	check "9: the database checks clean" test "$(sqlite3 "$W/root/state/strata.db" "PRAGMA integrity_check")" = ok
	echo "     9: after the restart, a new order: $(lab_curl -s -o /dev/null -w '%{http_code}' -X POST "$(lab_url)/api/capture/vm1") (409: the task is still open)"
	lab_vm vm1-resume 52:54:00:5a:00:01 "$W/vm1.img"
	check "9: the next boot commits generation 3" grep -q "capture: part home committed: generation 3 " <(debug vm1-resume)
	sum=$(grep -a 'capture: part home (ext4)' "$LAB_RUN/vm1-resume.debug" | tr -d '\r' | sed 's/.*read/read/')
	up=$(sed -n 's/.* in \([0-9]*\) chunks.*/\1/p' <<<"$sum")
	changed=$(paste <(_chunk_sums < "$W/home2.img") <(_chunk_sums < "$W/home3.img") | awk '$1 != $2' | wc -l)
	check "9: only what was missing is sent: $up + $killed chunks, of $changed changed" sh -c "test -n '$up' && test $((${up:-0} + killed)) -le $changed && test ${up:-0} -lt $changed"
	echo "     9: killed boot: $killed chunks stored; next boot: $sum; chunks changed since generation 2: $changed"
fi

# 7. Interval capture: nothing before the interval, a capture at the first boot after it,
#    and each time the PC then boots its disk.  The disk holds no OS: its ESP's startup.nsh
#    (run by OVMF's shell once the disk's entry finds no boot loader) prints a marker and
#    powers off.  OVMF's own PXE and IPv6 are off, as in the demo (else the firmware walks
#    those network entries for minutes before the disk).  Its UEFI HTTPv4 entry still comes
#    between the iPXE ROM and the disk: the proxyDHCP hands it strata.efi, which finds
#    nothing pending and hands back again.
if want 7; then
	cp "$W/esp.img" "$W/esp-nsh.img"
	printf 'echo strata-disk-booted\r\nreset -s\r\n' > "$W/startup.nsh"
	mcopy -i "$W/esp-nsh.img" "$W/startup.nsh" ::startup.nsh
	mkdisk "$W/vm7.img" "$W/esp-nsh.img"
	fw7=(-fw_cfg name=opt/org.tianocore/IPv6Support,string=no
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no)
	lab_vm vm7-before 52:54:00:5a:00:07 "$W/vm7.img" "${fw7[@]}"
	check "7: before the interval the server hands the PC its disk" grep -q "boot: 52:54:00:5a:00:07 vm7: nothing pending: local disk" "$LAB_RUN/server.log"
	check "7: before the interval no task is opened" test "$(sqlite3 "$W/root/state/strata.db" "SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5a:00:07'")" = 0
	check "7: ... and the PC boots its disk (the ESP's marker on the console)" disk_booted vm7-before
	echo 90000 > "$W/clock"
	lab_vm vm7-after 52:54:00:5a:00:07 "$W/vm7.img" "${fw7[@]}"
	check "7: after the interval the server opened a task itself (credential interval)" test "$(sqlite3 "$W/root/state/strata.db" "SELECT token_name FROM capture_tasks WHERE mac = '52:54:00:5a:00:07'")" = interval
	check "7: the orders say capture kind=machine then=local" grep -q "capture: machine capture ordered.*then=local" <(debug vm7-after)
	check "7: home committed as generation 1" grep -q "capture: part home committed: generation 1 layer=$HOME_ID" <(debug vm7-after)
	check "7: the run ends with the capture complete" grep -q "strata.efi: capture complete" <(debug vm7-after)
	check "7: strata.efi hands the PC back (then=local), not a reboot" sh -c "grep -q 'strata.efi: the orders say then=local: booting the local disk' '$LAB_RUN/vm7-after.debug' && grep -q 'strata.efi: returning to the firmware' '$LAB_RUN/vm7-after.debug' && ! grep -q 'strata.efi: rebooting' '$LAB_RUN/vm7-after.debug'"
	check "7: then, in the same power-on, the PC boots its disk (the ESP's marker after the capture)" disk_booted vm7-after "then=local: booting the local disk"
	echo "     7: $(lab_console "$LAB_RUN/vm7-after.serial" | grep -a -e 'Strata: ' -e 'BdsDxe' | tail -4 | tr '\n' '|')"
fi

# 4. (after 1) A gold capture of vm1's disk through the iPXE ROM: the ESP is captured into
#    the public store (its layer is the one strata-image built of the same image), home is
#    private (capture=yes) and stays out, and done's layout makes the captured profile.
if want 4 && want 1; then
	chmod -R a+rwX "$W/root/store"    # a gold capture writes the public store, as --user
	order=$(lab_curl -s -X POST "$(lab_url)/api/capture/vm1?as=captured1&prepared=yes")
	check "4: the admin's gold capture order is taken" grep -q '"kind": "gold"' <<<"$order"
	lab_vm vm1-gold 52:54:00:5a:00:01 "$W/vm1.img"
	check "4: orders say capture kind=gold, home private" grep -q "capture: gold capture as profile captured1 ordered" <(debug vm1-gold)
	check "4: home is left out (private)" grep -q "capture: partition 2 home: left out (private)" <(debug vm1-gold)
	check "4: the ESP's layer is the one strata-image built of it ($ESP)" grep -q "capture: part ESP committed: layer=$ESP" <(debug vm1-gold)
	check "4: root's layer is the one strata-image builds of it ($GROOT)" grep -q "capture: part root committed: layer=$GROOT" <(debug vm1-gold)
	check "4: done with the layout makes the profile" sh -c "grep -q 'capture: server: task committed: profile captured1, 2 layers' '$LAB_RUN/vm1-gold.debug' && test -s '$W/root/state/profiles/captured1.layout'"
	check "4: the layout keeps home private (preserve, no layer)" grep -q "label=home .*policy=preserve$" "$W/root/state/profiles/captured1.layout"
	echo "     4: $(grep -a 'capture: part ESP (' "$LAB_RUN/vm1-gold.debug" | tr -d '\r' | sed 's/.*read/read/')"
	echo "     4: $(grep -a 'capture: part root (' "$LAB_RUN/vm1-gold.debug" | tr -d '\r' | sed 's/.*read/read/')"
fi

# 8. (after 4) A PC with an empty disk deployed from the captured profile.
if want 8 && want 4 && want 1; then
	echo "machine 52:54:00:5a:00:08 name=vm8 profile=captured1" >> "$W/root/inventory.conf"
	kill -HUP "$LAB_SERVER"
	for _ in $(seq 50); do lab_machines | grep -q '"vm8"' && break; sleep 0.2; done
	order=$(lab_curl -s -X POST "$(lab_url)/api/deploy/vm8")
	check "8: the inventory names the captured profile; the deploy order is taken" grep -q '"captured1"' <(lab_machines)
	truncate -s 64M "$W/vm8.img"
	lab_vm vm8 52:54:00:5a:00:08 "$W/vm8.img"
	check "8: the deployment completes" grep -q "strata.efi: deployment complete" <(debug vm8)
	esp8=$(part_start "$W/vm8.img" 1) root8=$(part_start "$W/vm8.img" 3)
	dd if="$W/vm8.img" of="$W/esp8.img" bs=1M iflag=skip_bytes skip="$esp8" count=16 status=none
	dd if="$W/vm8.img" of="$W/root8.img" bs=1M iflag=skip_bytes skip="$root8" count=16 status=none
	check "8: the ESP checks clean (fsck.fat -n)" fsck.fat -n "$W/esp8.img"
	check "8: root checks clean (e2fsck -fn)" e2fsck -fn "$W/root8.img"
	check "8: the ESP holds the reference's file" sh -c "mtype -i '$W/esp8.img' ::marker.txt | grep -q 'strata gold esp'"
	check "8: root holds the reference's files" sh -c "debugfs -R 'cat /opt/app.bin' '$W/root8.img' 2>/dev/null | cmp -s - '$W/groot/opt/app.bin' && debugfs -R 'cat /etc/release' '$W/root8.img' 2>/dev/null | grep -q 'reference 1'"
	check "8: root's free blocks equal the reference's (dumpe2fs)" cmp -s <(dumpe2fs "$W/groot.img" 2>/dev/null | grep -E '^ +Free blocks:') <(dumpe2fs "$W/root8.img" 2>/dev/null | grep -E '^ +Free blocks:')
	check "8: the private home's marker is on the reference disk" grep -qa "$MARK" "$W/vm1.img"
	check "8: ... and in no public store file nor the captured layout" sh -c "! grep -rqa '$MARK' '$W/root/store' '$W/root/state/profiles'"
fi


# 10. Refusals in the lab, no boot: a machine task's token used from the lab's segment as a
#     Linux machine would (strata-image, and tests/tools/session_client.py for what no
#     honest client sends): a wrong token, a chunk whose bytes do not match its name, an
#     index naming a chunk never uploaded, and the token once the task is cancelled
#     (expired).  Nothing of them is stored.
if want 10; then
	in_lab() { ip netns exec "$LAB_NS" "$@"; }
	SC=tests/tools/session_client.py
	gens0=$(sqlite3 "$W/root/state/strata.db" "SELECT count(*) FROM generations WHERE mac = '52:54:00:5a:00:02'")
	T=$(lab_curl -s -X POST "$(lab_url)/api/capture/vm2" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
	check "10: a machine capture order of vm2 answers a token" test ${#T} = 64
	WRONG=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	check "10: strata-image with a wrong token: non-zero exit, HTTP 403, nothing uploaded" sh -c "! ip netns exec '$LAB_NS' $SI build --store '$(lab_url)' --token $WRONG --part home '$W/home.img' 2>'$W/r10a.err' && grep -q 'refused the token (HTTP 403' '$W/r10a.err'"
	in_lab python3 $SC task "$T" "$W/t10"
	in_lab python3 $SC hello "$(lab_url)" "$W/t10" > /dev/null
	head -c 4096 /dev/urandom > "$W/c10"
	BAD=$(head -c 4096 /dev/urandom | sha256sum | cut -c1-64)
	u=$(in_lab python3 $SC sign-sealed "$W/t10" "$(lab_url)/capture/chunk/$BAD" "$W/c10" "$W/c10.sealed")
	a=$(in_lab curl -s -w ' %{http_code}' -X POST --data-binary @"$W/c10.sealed" "$u")
	echo "     10: the bad chunk: $a"
	check "10: a chunk whose bytes hash to another name: 400 naming it, nothing stored" bash -c "grep -q '^400 chunk $BAD: its bytes hash to another name; nothing stored' <<< '$a' && grep -q ' 400$' <<< '$a' && ! find '$W/root/state/private' '$W/root/store' -name '$BAD' | grep -q ."
	head -c 65536 /dev/urandom > "$W/lone.img"
	LONE=$($SI build --store "$W/lone" "$W/lone.img" 2>/dev/null | tail -1 | sed 's/^sha256://')
	u=$(in_lab python3 $SC sign-sealed "$W/t10" "$(lab_url)/capture/commit?part=home" "$W/lone/layers/$LONE.idx" "$W/i10.sealed")
	a=$(in_lab curl -s -w ' %{http_code}' -X POST --data-binary @"$W/i10.sealed" "$u")
	check "10: an index naming a chunk never uploaded: 409 naming it, no generation" bash -c "grep -q 'the index names chunk [0-9a-f]\{64\} (chunk 0, .*), which is not stored' <<< '$a' && grep -q ' 409$' <<< '$a' && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT count(*) FROM generations WHERE mac = '52:54:00:5a:00:02'\")\" = $gens0"
	lab_curl -s -X POST "$(lab_url)/api/capture-cancel/vm2" > /dev/null
	check "10: the token once the task is cancelled (expired): non-zero exit, saying what to do" sh -c "! ip netns exec '$LAB_NS' $SI build --store '$(lab_url)' --token $T --part home '$W/home.img' 2>'$W/r10b.err' && grep -q 'ask the admin for a new capture order' '$W/r10b.err'"
	check "10: nothing of these was committed" test "$(sqlite3 "$W/root/state/strata.db" "SELECT count(*) FROM generations WHERE mac = '52:54:00:5a:00:02'")" = "$gens0"
fi

finish
