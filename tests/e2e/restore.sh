#!/bin/bash
# Restore by strata.efi, end to end in QEMU with OVMF under TCG, in the lab of
# tests/lib/lab.sh (dnsmasq as the site DHCP server, strata-server with proxyDHCP, TFTP and
# HTTP), every boot through the iPXE option ROM.  One PC's life, chained as a lab lives it:
# the gold disk of tests/lib/gold.sh (ESP, root, CIDATA machine layer) and a "data"
# partition filling the disk that the profile marks capture=yes.
#   1. vm1 (its MAC, a 96 MiB disk) is deployed; its user's files go into data (an ext4
#      made on the host between boots, as the user's disk would hold them); an admin orders
#      a machine capture (POST /api/capture/vm1) and the next boot's strata.efi commits
#      data as generation 1, the layer strata-image builds of the same bytes
#   2. (after 1) the same PC with a blank disk (the disk file all zeros), no admin action:
#      its usual network boot (nothing pending, generations to restore: the server's
#      pxe/check.ipxe runs strata.efi check=yes) finds the disk lacks vm1's layout, writes
#      gold and restores data from generation 1 (policy=restore, store=private): the
#      partition's bytes over the layer's size equal the captured ones, CIDATA names vm1
#   7. (after 1) the layout check leaves a disk alone: vm1's own disk (its layout, an
#      ESP whose startup.nsh prints a marker and powers off) boots its disk, untouched, and
#      the seconds the check adds are measured (the serial console's "checking" line to
#      "boots its local disk", by the file's size stamped every 0.1 s); a disk with a foreign GPT (another layout, the same ESP) is
#      not overwritten and boots; vm1's own table without its data partition gets data
#      restored
#   3. (after 1) rollback: the user changes a file, a second capture makes generation 2,
#      then POST /api/restore/vm1?generation=1: the next boot captures what data holds
#      (generation 3), the one after writes generation 1 over it (policy=write); data holds
#      generation 1's files and GET /api/generations/vm1 still lists 2 and 3
#   4. (after 1) a new PC: vm1's disk dies; a VM with another MAC and a larger disk (128 MiB)
#      takes vm1 over (POST /api/replace/vm1?mac=NEW).  Its first boot presents its key and
#      is refused (/machines.json: awaiting; its disk untouched, nothing private served);
#      after POST /api/accept-key/vm1 its next boot deploys gold, the machine layer and the
#      latest generation: CIDATA names vm1, data holds the user's files, and data (size=rest)
#      ends at the larger disk's last usable LBA.  Then the old MAC boots again: it is an
#      unknown machine (default local) and is sent to its disk (a spare disk whose ESP's
#      startup.nsh prints a marker and powers off); the firmware's HTTP Boot entry runs
#      strata.efi in between, which hears that the server knows no such machine and hands
#      the PC back
#   5. (after 1) a corrupt chunk in the generation the manifest names (its file in the
#      machine's private store, STATE/private/MAC/chunks/): a blank disk's deployment fails
#      naming the chunk, data holds only verified chunks of the layer or zeros (never an
#      empty filesystem), and the report in /machines.json names it.  The chunk is mended
#      after
#   6. (after 1) a disk too small for the captured layer (80 MiB: data would be 11 MiB, the
#      layer is 27 MiB): the agent refuses, its failure says "the layout needs", and the
#      disk is untouched (its sha256 unchanged).  This needs the planning against the disk;
#      without it the agent writes the GPT, ESP, root and CIDATA and then stops at data
#      ("layer data: 28294656 bytes do not fit its 11517440-byte partition"): 3 FAIL
# RESTORE_CASES="2 4" runs only those cases (default all: 14 boots, 59 checks; before case
# 7 was added, 11 boots took 5 min 29 s here).  Every case builds on 1.
# Needs root, QEMU, OVMF, iPXE, sgdisk, debugfs, sfdisk, mtools; without them it says so and
# counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" restore sgdisk debugfs sfdisk mcopy
MAC=52:54:00:5a:00:31        # vm1, the old PC
NEW=52:54:00:5a:00:32        # the new PC that replaces it
CUR=$MAC                     # the MAC vm1 is served under
LAB_VM_TIMEOUT=${LAB_VM_TIMEOUT:-240}
DB=$W/root/state/strata.db

want() { [ -z "${RESTORE_CASES:-}" ] || [[ " $RESTORE_CASES " == *" $1 "* ]]; }

gold
cat > "$W/root/inventory.conf" <<EOF
default local
profile restore
part label=ESP type=esp size=16M layer=$ESP
part label=root type=linux size=48M layer=$ROOT1
part label=CIDATA type=basic size=4M layer=machine
part label=data type=linux size=rest policy=preserve capture=yes
machine $MAC name=vm1 profile=restore action=deploy
EOF
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }

count() { grep -c "$1" "$LAB_RUN/server.log"; }
priv() { echo "$W/root/state/private/${CUR//:/}"; }
blank() { truncate -s 0 "$1"; truncate -s "$2" "$1"; }

# part_size DISK N: partition N's size in bytes.  part_end DISK N: its last LBA.
part_size() {
	sfdisk --json "$1" | python3 -c 'import json,sys; p=json.load(sys.stdin)["partitiontable"]["partitions"][int(sys.argv[1]) - 1]; print(p["size"] * 512)' "$2"
}
part_end() {
	sfdisk --json "$1" | python3 -c 'import json,sys; p=json.load(sys.stdin)["partitiontable"]["partitions"][int(sys.argv[1]) - 1]; print(p["start"] + p["size"] - 1)' "$2"
}
last_usable() { sfdisk --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["lastlba"])'; }

# part_img DISK N BYTES OUT: the first BYTES of partition N, into OUT.
part_img() {
	dd if="$1" of="$4" bs=1M iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" \
		count="$3" status=none
}

# data_has DISK IMG: DISK's data partition (4) holds IMG's bytes and files.
data_has() {
	part_img "$1" 4 "$(stat -c %s "$2")" "$W/has.img" && cmp "$W/has.img" "$2" &&
		debugfs -R "cat /user/notes.bin" "$W/has.img" 2>/dev/null | cmp -s - "$2.notes"
}

# zero_at DISK OFFSET: the 64 KiB at OFFSET are zeros.
zero_at() {
	dd if="$1" bs=64K iflag=skip_bytes skip="$2" count=1 status=none | cmp -s - <(head -c 65536 /dev/zero)
}

# gold_on DISK: the ESP and root equal gold's layers.
gold_on() { part_equals "$1" 1 "$W/esp.img" && part_equals "$1" 2 "$W/root-v1.img"; }

# gens: the generation numbers of vm1's data, in order, comma-separated.
gens() {
	lab_curl -s "$(lab_url)/api/generations/vm1" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(",".join(str(g["number"]) for p in d["partitions"] if p["part"] == "data" for g in p["generations"]))'
}

# order_capture N: an admin's machine capture order of vm1.
order_capture() {
	check "$1: the machine capture order is taken" grep -q '"kind": "machine"' \
		<(lab_curl -s -X POST "$(lab_url)/api/capture/vm1")
}

# boot NAME DISK [QEMU ARGS..]: one network boot of the PC vm1 is served under, waiting after it for the
# catalog reload a capture's end asks for.
boot() {
	local r=$(count 'inventory.conf: [0-9]* profiles')
	lab_vm "$1" "$CUR" "$2" "${@:3}"
	grep -q "capture: server: task committed" "$LAB_RUN/$1.debug" || return 0
	for _ in $(seq 50); do [ "$(count 'inventory.conf: [0-9]* profiles')" -gt "$r" ] && break; sleep 0.1; done
}

# 1. Deployed, the user's files written into data, captured: generation 1.
blank "$W/vm1.img" 96M
mkdir -p "$W/user1/user"
head -c 1500000 /dev/urandom > "$W/user1/user/photo.raw"
head -c 500000 /dev/urandom > "$W/user1/user/notes.bin"
echo "vm1's letter" > "$W/user1/user/letter.txt"
boot vm1-deploy "$W/vm1.img"
check "1: vm1's deployment completes" grep -q "strata.efi: deployment complete" <(debug vm1-deploy)
PSIZE=$(part_size "$W/vm1.img" 4)
truncate -s "$PSIZE" "$W/data1.img"
mkfs.ext4 -q -F -b 4096 -U 5f1a2b3c-0000-4000-8000-0000000000d1 -d "$W/user1" "$W/data1.img"
cp "$W/user1/user/notes.bin" "$W/data1.img.notes"
part_fill "$W/vm1.img" 4 "$W/data1.img"
DATA1=$($SI build --store "$W/cmpstore" "$W/data1.img" 2>/dev/null | tail -1)
order_capture 1
boot vm1-cap1 "$W/vm1.img"
check "1: data committed as generation 1, the layer strata-image builds ($DATA1)" \
	grep -q "capture: part data committed: generation 1 layer=$DATA1" <(debug vm1-cap1)
check "1: only data was captured (ESP, root, CIDATA left out)" sh -c "! grep -q 'capture: part \(ESP\|root\|CIDATA\) committed' '$LAB_RUN/vm1-cap1.debug'"
check "1: GET /api/generations/vm1 lists generation 1" test "$(gens)" = 1
LAYER=$DATA1 LAYER_IMG=$W/data1.img
echo "     1: data: $PSIZE bytes; $(grep -a 'capture: part data (ext4)' "$LAB_RUN/vm1-cap1.debug" | tr -d '\r' | sed 's/.*read/read/')"

# 2. The same PC with a blank disk: its usual boot, with no order, brings data back from
#    generation 1 (the layout check, check=yes).
if want 2; then
	blank "$W/vm1.img" 96M
	boot vm1-blank "$W/vm1.img"
	check "2: the server sends the check script (nothing pending, generations to restore)" grep -q "boot: $CUR vm1: generations to restore: check the disk" "$LAB_RUN/server.log"
	check "2: ... which iPXE runs" grep -q "Strata: vm1 has nothing pending: checking its disk's layout" <(lab_console "$LAB_RUN/vm1-blank.serial")
	check "2: strata.efi finds the disk lacks vm1's layout and restores" grep -q "the disk lacks vm1's layout (blank, or a partition missing): restoring" <(debug vm1-blank)
	check "2: the deployment completes" grep -q "strata.efi: deployment complete" <(debug vm1-blank)
	check "2: data is restored from the private store" grep -q "layer data: private (sha256:${DATA1:7:16}" <(debug vm1-blank)
	check "2: the ESP and root equal gold's layers" gold_on "$W/vm1.img"
	check "2: CIDATA names vm1" cidata_names "$W/vm1.img" vm1
	check "2: data's bytes over the layer's size ($PSIZE) equal generation 1's" \
		test "$(part_sum "$W/vm1.img" 4 "$PSIZE")" = "$(sha256sum < "$W/data1.img")"
	check "2: data holds the user's files" data_has "$W/vm1.img" "$W/data1.img"
	echo "     2: $(grep -a 'layer data: [0-9]* chunks' "$LAB_RUN/vm1-blank.debug" | tr -d '\r')"
fi

# watch_serial NAME: stamp the sizes of NAME's serial console and debug log every 0.1 s
# (into NAME.stamps: time, serial bytes, debug bytes) until killed ($WATCH).  Sizes, not
# lines: OVMF's console moves its cursor rather than ending lines.  seconds NAME FILE FROM
# TO: the seconds between FILE (serial or debug) first holding FROM and first holding TO
# after it, each known within 0.1 s.
watch_serial() {
	local base=$LAB_RUN/$1
	( while sleep 0.1; do
		echo "$(date +%s.%N) $(stat -c %s "$base.serial" 2>/dev/null || echo 0)" \
			"$(stat -c %s "$base.debug" 2>/dev/null || echo 0)"
	done ) > "$base.stamps" &
	WATCH=$!
}
seconds() {
	local f=$LAB_RUN/$1.$2 col=2 a b
	[ "$2" = debug ] && col=3
	a=$(grep -a -b -o -F "$3" "$f" | head -1 | cut -d: -f1)
	[ -n "$a" ] || { echo "?"; return; }
	b=$(tail -c +"$((a + 1))" "$f" | grep -a -b -o -F "$4" | head -1 | cut -d: -f1)
	[ -n "$b" ] || { echo "?"; return; }
	awk -v c="$col" -v a="$((a + ${#3}))" -v b="$((a + b + ${#4}))" \
		'$c >= a && !x { x = $1 } $c >= b && !y { y = $1 } END { if (x && y) printf "%.1f", y - x; else print "?" }' \
		"$LAB_RUN/$1.stamps"
}
fw_quiet=(-fw_cfg name=opt/org.tianocore/IPv6Support,string=no
	-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no)

# 7. The layout check leaves a disk with vm1's layout, or another layout, alone; a table of
#    vm1's without data gets data back.
if want 7; then
	cp "$W/esp.img" "$W/esp-nsh.img"
	printf 'echo strata-disk-booted\r\nreset -s\r\n' > "$W/startup.nsh"
	mcopy -i "$W/esp-nsh.img" "$W/startup.nsh" ::startup.nsh
	part_fill "$W/vm1.img" 1 "$W/esp-nsh.img"
	HELD_SUM=$(sha256sum < "$W/vm1.img")
	watch_serial held
	boot held "$W/vm1.img" "${fw_quiet[@]}"
	kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null
	check "7: vm1's own disk holds its layout" grep -q "check: .* holds its layout" <(debug held)
	check "7: ... strata.efi hands it back, writing nothing" sh -c "grep -q 'strata.efi: returning to the firmware' '$LAB_RUN/held.debug' && ! grep -q 'deploying its layer' '$LAB_RUN/held.debug'"
	check "7: ... the PC boots its disk (the ESP's marker)" grep -q '^strata-disk-booted' <(lab_console "$LAB_RUN/held.serial")
	check "7: ... the disk is untouched" test "$(sha256sum < "$W/vm1.img")" = "$HELD_SUM"
	echo "     7: the check added $(seconds held serial 'checking its disk' 'boots its local disk') s to this boot (the check script's line to its disk line on the console); strata.efi ran $(seconds held debug 'strata.efi: Strata UEFI agent' 'returning to the firmware') s of it"
	blank "$W/foreign.img" 96M
	sgdisk -n1:2048:+16M -t1:ef00 -c1:ESP -n2:0:0 -t2:8300 -c2:other "$W/foreign.img" >/dev/null
	dd if="$W/esp-nsh.img" of="$W/foreign.img" bs=1M seek=1 conv=notrunc status=none
	FOREIGN_SUM=$(sha256sum < "$W/foreign.img")
	boot foreign "$W/foreign.img" "${fw_quiet[@]}"
	check "7: a foreign GPT is another layout" grep -q "check: .* holds another layout" <(debug foreign)
	check "7: ... left as it is, and the PC boots it" grep -q '^strata-disk-booted' <(lab_console "$LAB_RUN/foreign.serial")
	check "7: ... the foreign disk is untouched" test "$(sha256sum < "$W/foreign.img")" = "$FOREIGN_SUM"
	sgdisk -d 4 "$W/vm1.img" >/dev/null
	boot nodata "$W/vm1.img"
	check "7: vm1's table without data lacks its layout: restoring" grep -q "the disk lacks vm1's layout (blank, or a partition missing): restoring" <(debug nodata)
	check "7: ... the deployment completes" grep -q "strata.efi: deployment complete" <(debug nodata)
	check "7: ... data holds the user's files" data_has "$W/vm1.img" "$LAYER_IMG"
fi

# 3. Rollback: generation 2 after a change, then a restore order to generation 1.
if want 3; then
	part_img "$W/vm1.img" 4 "$PSIZE" "$W/data2.img"
	head -c 200000 /dev/urandom > "$W/data2.img.notes"
	debugfs -w -R "rm /user/notes.bin" "$W/data2.img" >/dev/null 2>&1
	debugfs -w -R "write $W/data2.img.notes /user/notes.bin" "$W/data2.img" >/dev/null 2>&1
	part_fill "$W/vm1.img" 4 "$W/data2.img"
	DATA2=$($SI build --store "$W/cmpstore" "$W/data2.img" 2>/dev/null | tail -1)
	order_capture 3
	boot vm1-cap2 "$W/vm1.img"
	check "3: the changed data committed as generation 2" grep -q "capture: part data committed: generation 2 layer=$DATA2" <(debug vm1-cap2)
	r=$(lab_curl -s -X POST "$(lab_url)/api/restore/vm1?generation=1")
	check "3: POST /api/restore/vm1?generation=1 is taken" grep -q '"generation": 1' <<<"$r"
	boot vm1-rcap "$W/vm1.img"
	check "3: the next boot captures the current state first: generation 3" grep -q "capture: part data committed: generation 3 layer=$DATA2" <(debug vm1-rcap)
	boot vm1-rwrite "$W/vm1.img"
	check "3: the boot after writes data" grep -q "part 4 (data): deploying its layer" <(debug vm1-rwrite)
	check "3: the deployment completes" grep -q "strata.efi: deployment complete" <(debug vm1-rwrite)
	check "3: data holds generation 1's bytes and files" data_has "$W/vm1.img" "$W/data1.img"
	check "3: the order ends (server log)" grep -q "restore: $MAC: generation 1 restored; the order ends" "$LAB_RUN/server.log"
	check "3: generations 1, 2 and 3 are all listed" test "$(gens)" = 1,2,3
fi

# 4. A new PC with a larger disk takes vm1 over; the old MAC then gets its disk.
if want 4; then
	blank "$W/vm1.img" 96M       # the old disk died
	blank "$W/new.img" 128M
	r=$(lab_curl -s -X POST "$(lab_url)/api/replace/vm1?mac=$NEW")
	check "4: POST /api/replace/vm1?mac=NEW is taken; the key awaits" grep -q '"key": "awaiting"' <<<"$r"
	CUR=$NEW
	boot new-1 "$W/new.img"
	check "4: the new PC's first boot is refused until an admin accepts its key" grep -q "an admin must accept it: POST /api/accept-key/vm1" <(debug new-1)
	check "4: /machines.json shows its key awaiting" grep -q '"state": "awaiting"' <(lab_machines)
	check "4: its disk is untouched (all zeros)" test "$(tr -d '\0' < "$W/new.img" | head -c 1 | wc -c)" = 0
	check "4: nothing private was served to it" sh -c "! grep -q 'GET /private/${NEW//:/-}/.* 200 ' '$LAB_RUN/server.log'"
	check "4: POST /api/accept-key/vm1" grep -q "accepted the pending keys of 1 machines" <(lab_curl -s -X POST "$(lab_url)/api/accept-key/vm1")
	boot new-2 "$W/new.img"
	check "4: its next boot's deployment completes" grep -q "strata.efi: deployment complete" <(debug new-2)
	check "4: the ESP and root equal gold's layers" gold_on "$W/new.img"
	check "4: CIDATA names vm1, the old PC's name" cidata_names "$W/new.img" vm1
	check "4: data holds the user's files (the generation the manifest names)" data_has "$W/new.img" "$LAYER_IMG"
	check "4: data (size=rest) ends at the larger disk's last usable LBA ($(last_usable "$W/new.img"))" \
		test "$(part_end "$W/new.img" 4)" = "$(last_usable "$W/new.img")"
	check "4: /machines.json shows the replacement" grep -q "\"replaced\": \"$MAC\"" <(lab_machines)
	# The old PC put back to use with a spare disk: an ESP whose startup.nsh, run by OVMF's
	# shell once the disk's entry finds no loader, prints a marker and powers off.
	cp "$W/esp.img" "$W/esp-nsh.img"
	printf 'echo strata-disk-booted\r\nreset -s\r\n' > "$W/startup.nsh"
	mcopy -i "$W/esp-nsh.img" "$W/startup.nsh" ::startup.nsh
	blank "$W/old.img" 64M
	sgdisk -n1:2048:+16M -t1:ef00 -c1:ESP "$W/old.img" >/dev/null
	dd if="$W/esp-nsh.img" of="$W/old.img" bs=1M seek=1 conv=notrunc status=none
	OLD_SUM=$(sha256sum < "$W/old.img")
	lab_vm old-again "$MAC" "$W/old.img" -fw_cfg name=opt/org.tianocore/IPv6Support,string=no \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no
	check "4: the old MAC is an unknown machine, sent to its local disk" grep -q "boot: $MAC unknown: unknown machine: local disk" "$LAB_RUN/server.log"
	check "4: ... and the PC boots its disk (the ESP's marker)" grep -q '^strata-disk-booted' <(lab_console "$LAB_RUN/old-again.serial")
	check "4: its disk is untouched" test "$(sha256sum < "$W/old.img")" = "$OLD_SUM"
fi
DISK=$W/vm1.img SIZE=96M
[ "$CUR" = "$NEW" ] && DISK=$W/new.img SIZE=128M

# 5. A corrupt chunk of the generation the manifest names, in the machine's private store.
if want 5; then
	P=$(priv)
	CH=$($SI inspect --store "$P" --chunks "$LAYER" | awk '/^chunk [0-9]/ && $9 == "raw" {print $2, $NF}' |
		while read -r n h; do [ -f "$P/chunks/${h:0:2}/$h" ] && { echo "$n $h"; break; }; done)
	N=${CH%% *} H=${CH#* }
	CF=$P/chunks/${H:0:2}/$H
	check "5: a chunk of the layer is in the private store (chunk ${N:-none})" test -f "$CF"
	cp "$CF" "$W/good-chunk"
	printf '\x55\x55\x55\x55' | dd of="$CF" bs=1 seek=20 conv=notrunc 2>/dev/null
	blank "$DISK" "$SIZE"
	lab_curl -s -X POST "$(lab_url)/api/deploy/vm1" > /dev/null
	boot corrupt "$DISK"
	check "5: the deployment fails naming the chunk (chunk $N)" grep -q "layer data: chunk $N (disk LBA [0-9]*): " <(debug corrupt)
	check "5: a clear failure line" grep -q "strata.efi: FAILED" <(debug corrupt)
	check "5: the GPT was written (sgdisk -v) and gold before data" sh -c "sgdisk -v '$DISK' | grep -q 'No problems found'"
	head -c "$(stat -c %s "$LAYER_IMG")" /dev/zero > "$W/zero.img"
	check "5: the ESP and root were written before data failed" gold_on "$DISK"
	check "5: data holds only the layer's verified chunks or zeros, never an empty filesystem" only_known "$DISK" 4 "$W/zero.img" "$LAYER_IMG"
	check "5: the corrupt chunk's place holds zeros, not its bytes" zero_at "$DISK" $(($(part_start "$DISK" 4) + N * 65536))
	check "5: /machines.json shows the failure" grep -q "layer data: chunk $N" <(lab_machines)
	echo "     5: $(grep -a 'layer data: chunk' "$LAB_RUN/corrupt.debug" | tr -d '\r' | head -2 | tr '\n' '|')"
	cp "$W/good-chunk" "$CF"
fi

# 6. A disk too small for the captured layer: refused, untouched.
if want 6; then
	blank "$W/small.img" 80M
	SMALL_SUM=$(sha256sum < "$W/small.img")
	lab_curl -s -X POST "$(lab_url)/api/deploy/vm1" > /dev/null
	boot small "$W/small.img"
	check "6: the agent refuses: \"the layout needs\"" grep -q "the layout needs" <(debug small)
	check "6: the machine's failure report says it" grep -q "the layout needs" <(lab_machines)
	check "6: the disk is untouched (sha256)" test "$(sha256sum < "$W/small.img")" = "$SMALL_SUM"
	echo "     6: $(grep -a -e 'FAILED' -e 'do not fit' -e 'layout needs' "$LAB_RUN/small.debug" | tr -d '\r' | head -3 | tr '\n' '|')"
fi

finish
