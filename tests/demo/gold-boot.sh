#!/bin/bash
# Self-check of the demo gold image (images/demo/gold.sh) without any network or server:
# lay out the disk the demo deploys (ESP, root, CIDATA, data) by hand, boot it in QEMU
# (q35, OVMF, virtio-blk, TCG) and check the line the demo OS prints before powering off.
# Four boots: fresh disk (the OS creates the data fs), after the host adds 3 files to data
# (the OS must not reformat it), after swapping in v2's root (the data must survive), and
# after the disk grows to 256 MiB with the data partition to its end (a generation restored
# onto a larger disk): the OS grows the filesystem to the partition, the files still there.
# Usage: tests/demo/gold-boot.sh [BUILD_DIR]      KEEP=1 keeps the temp folder.
set -euo pipefail
BUILD=${1:-build}
GOLD=$(dirname "$0")/../../images/demo/gold.sh
OVMF=/usr/share/OVMF
T=$(mktemp -d /tmp/strata-gold-boot.XXXXXX)
DISK=$T/disk.img
FAILS=0
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"; }
trap cleanup EXIT

ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }

# Sets FIRST and SIZE of partition $1 (512-byte sectors) from sgdisk.
part_range() {
	read -r FIRST SIZE < <(sgdisk -i "$1" "$DISK" |
		awk '/^First sector:/ {f=$3} /^Last sector:/ {l=$3} END {if (f) print f, l - f + 1}') ||
		{ fail "disk has no partition $1"; exit 1; }
}

# Write image $2 into partition $1 (without truncating the disk file).
put_part() {
	part_range "$1"
	dd if="$2" of="$DISK" bs=512 seek="$FIRST" conv=notrunc status=none
}

get_part() {
	part_range "$1"
	dd if="$DISK" of="$2" bs=512 skip="$FIRST" count="$SIZE" status=none
}

make_disk() {
	rm -f "$DISK"
	truncate -s 160M "$DISK"
	sgdisk -a 2048 \
		-n 1:1M:+32M -t 1:EF00 -c 1:ESP \
		-n 2:0:+64M -t 2:8300 -c 2:root \
		-n 3:0:+4M -t 3:0700 -c 3:CIDATA \
		-n 4:0:0 -t 4:8300 -c 4:data "$DISK" >/dev/null
	put_part 1 "$T/v1/esp.img"
	put_part 2 "$T/v1/root.img"
	# CIDATA the way the server writes it: a 1 MiB FAT12 filesystem at the partition start.
	printf 'instance-id: strata-test-0001\nlocal-hostname: pc-test\n' > "$T/meta-data"
	printf '#cloud-config\n' > "$T/user-data"
	mkfs.vfat -C -n CIDATA "$T/cidata.img" 1024 >/dev/null
	mcopy -i "$T/cidata.img" "$T/meta-data" "$T/user-data" ::/
	put_part 3 "$T/cidata.img"
}

# Boot the disk once; $1 names the boot, $2 the line the demo OS must print.
boot() {
	local name=$1 want=$2 rc=0 t0 secs
	cp "$OVMF/OVMF_VARS_4M.fd" "$T/vars.fd"
	rm -f "$T/serial.log"
	t0=$(date +%s%N)
	timeout 240 qemu-system-x86_64 -machine q35 -accel tcg -m 1024 -nodefaults -display none \
		-no-reboot -monitor none \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF/OVMF_CODE_4M.fd" \
		-drive if=pflash,format=raw,unit=1,file="$T/vars.fd" \
		-serial file:"$T/serial.log" \
		-drive file="$DISK",format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,bootindex=1 \
		-net none || rc=$?
	secs=$(( ($(date +%s%N) - t0) / 1000000000 ))
	sed -e 's/\x1b\[[0-9;?=]*[A-Za-z]//g' -e 's/\r//g' "$T/serial.log" > "$T/serial-$name.txt"
	[ "$rc" = 0 ] && ok "$name: QEMU powered off by itself after $secs s" ||
		fail "$name: QEMU exit status $rc after $secs s (124 = timeout)"
	if grep -qxF "$want" "$T/serial-$name.txt"; then
		ok "$name: console says '$want'"
	else
		fail "$name: no '$want' on the console; its last lines:"
		grep -a . "$T/serial-$name.txt" | tail -n 15 | sed 's/^/     | /'
	fi
}

# Put 3 files into the data filesystem from the host, as a user of the machine would.
add_data_files() {
	local i
	get_part 4 "$T/data.img"
	for i in 1 2 3; do echo "file $i" > "$T/f$i"; done
	# debugfs links a written file into its cwd under the literal name, hence the cd.
	debugfs -w -f - "$T/data.img" >/dev/null 2>&1 <<-EOF
		write $T/f1 one.txt
		mkdir docs
		cd docs
		write $T/f2 two.txt
		write $T/f3 three.txt
	EOF
	[ "$(debugfs -R "ls -p /docs" "$T/data.img" 2>/dev/null | grep -c '\.txt')" = 2 ] ||
		fail "could not write files into the data filesystem (no filesystem on it?)"
	put_part 4 "$T/data.img"
}

echo "== build gold v1 and v2 into $T"
"$GOLD" "$BUILD" v1 "$T/v1" || { fail "gold.sh v1"; exit 1; }
"$GOLD" "$BUILD" v2 "$T/v2" >/dev/null || { fail "gold.sh v2"; exit 1; }
cmp -s "$T/v1/esp.img" "$T/v2/esp.img" && ok "esp.img is the same for v1 and v2" ||
	fail "esp.img differs between v1 and v2"

echo "== boot 1: fresh disk"
make_disk
boot fresh "strata-demo: pc-test running gold v1, data files: 0"

echo "== boot 2: 3 files added to the data partition"
add_data_files
boot data "strata-demo: pc-test running gold v1, data files: 3"

echo "== boot 3: root replaced by v2"
put_part 2 "$T/v2/root.img"
boot v2 "strata-demo: pc-test running gold v2, data files: 3"

echo "== boot 4: the disk grows to 256 MiB, the data partition with it (not its filesystem)"
part_range 4
truncate -s 256M "$DISK"
sgdisk -e -d 4 -n 4:"$FIRST":0 -t 4:8300 -c 4:data "$DISK" >/dev/null
boot grow "strata-demo: pc-test running gold v2, data files: 3"
grep -qE "^strata-demo: data: filesystem grown from [0-9]+ MiB to [0-9]+ MiB" "$T/serial-grow.txt" &&
	ok "grow: $(grep -o 'filesystem grown from .*' "$T/serial-grow.txt")" ||
	fail "grow: the OS did not say it grew the data filesystem"

[ "$FAILS" = 0 ] && echo "ok   all gold boot checks passed" || { echo "FAIL $FAILS check(s) failed"; exit 1; }
