# The e2e tests' gold disk and the checks made on a VM's disk from the host afterwards,
# shared by tests/e2e/deploy.sh and tests/e2e/faults.sh.  Source it after lab.sh; set MAC
# (the VM's MAC, the inventory's machine vm1) and call gold_init first.
#
#   gold_init BUILD NAME [CMD..]
#                           the binaries of BUILD (SI strata-image, EFI strata.efi, KEY the
#                           signing key, STRATA_SERVER); without root, QEMU, those or a CMD,
#                           say so and end the test counting nothing; else a work folder W
#                           (/tmp/strata-NAME.*; the server's root is $W/root, kept with
#                           KEEP=1), LAB_RUN in it, and netns_init's cleanup
#   gold                    build the layers of the gold disk: $W/esp.img (ESP, id $ESP) and
#                           $W/root-v1.img (ext4 root, 48 MiB, id $ROOT1), in $W/root/store
#   gold_change OLD NEW [CMD..]
#                           $W/root-NEW.img: a copy of root-OLD.img changed by debugfs
#                           commands (e.g. "write FILE /etc/x"); prints the new layer's id
#   inventory ROOT_LAYER [wipe]
#                           the lab's inventory: ESP, root, CIDATA (machine layer), and a
#                           preserved data partition filling the disk; with "wipe", the
#                           root part says wipe=yes
#   mark                    order vm1 to deploy (through the lab's admin API)
#   debug NAME              strata.efi's log of VM NAME, without carriage returns
#   part_start DISK N       byte offset of partition N
#   part_equals DISK N IMG  partition N begins with IMG's bytes
#   part_sum DISK N BYTES   sha256 of the first BYTES of partition N
#   cidata_names DISK NAME  the CIDATA partition (3) names the machine NAME
#   user_data DISK          3,000,000 random bytes at the start of the preserved partition
#                           (4), as a user's files; prints their data_sum
#   data_sum DISK           sha256 of those bytes
#   chunk_map DISK N OLD NEW
#                           one letter per 64 KiB chunk of partition N (as long as OLD):
#                           "=" where OLD and NEW agree and the disk holds it, "o" old,
#                           "n" new, "x" neither
#   only_known DISK N OLD NEW   every chunk of partition N is OLD's or NEW's
#   part_fill DISK N FILE   write FILE's bytes at the start of partition N
#   part_fsck DISK N BYTES  e2fsck -fn of the first BYTES of partition N is clean
#   free_chunks LAYER       the indices of LAYER's free chunks (from inspect), one a line
#   free_hold DISK N LAYER REF
#                           every free chunk of LAYER in partition N holds what REF (a
#                           file at least as long as the layer, or "zero") holds there

gold_init() {
	local build=$1 name=$2 c missing=
	shift 2
	SI=${STRATA_IMAGE:-$build/san/strata-image}
	EFI=${STRATA_EFI:-$build/efi/strata.efi}
	KEY=$build/keys/strata.key
	export STRATA_SERVER=${STRATA_SERVER:-$build/san/strata-server}
	for c in qemu-system-x86_64 "$@"; do
		command -v "$c" >/dev/null || missing=$c
	done
	if [ "$(id -u)" != 0 ] || [ ! -f "$EFI" ] || [ ! -f "$KEY" ] || [ -n "$missing" ]; then
		echo "skip: needs root, qemu${*:+, $*}, $EFI and $KEY (make build-all)"
		finish
		exit
	fi
	W=$(mktemp -d "/tmp/strata-$name.XXXXXX")
	chmod 755 "$W"
	LAB_RUN=$W/run
	mkdir -p "$LAB_RUN"
	netns_init '[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"'
}

gold() {
	mkdir -p "$W/root/boot" "$W/tree/etc" "$W/esp"
	cp /usr/lib/ipxe/snponly.efi /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/undionly.kpxe "$EFI" "$W/root/boot/"
	cp -a /usr/share/doc/bash /usr/share/doc/coreutils "$W/tree/" 2>/dev/null
	head -c 6000000 /dev/urandom > "$W/tree/etc/blob"
	head -c 65536 /dev/urandom > "$W/rep"
	for _ in $(seq 16); do cat "$W/rep"; done > "$W/tree/etc/repeated"
	echo "gold 1" > "$W/tree/etc/release"
	mkfs.ext4 -q -F -U 5f1a2b3c-0000-4000-8000-00000000e2e1 -d "$W/tree" "$W/root-v1.img" 48M
	mkfs.vfat -n GOLDESP -i 12345678 -C "$W/esp.img" 16384 >/dev/null
	echo "strata gold esp" > "$W/esp/marker.txt"
	mcopy -i "$W/esp.img" "$W/esp/marker.txt" ::marker.txt
	ESP=$($SI build --store "$W/root/store" "$W/esp.img" 2>/dev/null | tail -1)
	ROOT1=$($SI build --store "$W/root/store" "$W/root-v1.img" 2>/dev/null | tail -1)
	chmod -R a+rX "$W/root"
}

gold_change() {
	local old=$1 new=$2 c
	shift 2
	cp "$W/root-$old.img" "$W/root-$new.img"
	for c in "$@"; do
		debugfs -w -R "$c" "$W/root-$new.img" >/dev/null 2>&1
	done
	$SI build --store "$W/root/store" "$W/root-$new.img" 2>/dev/null | tail -1
	chmod -R a+rX "$W/root/store"
}

inventory() {
	cat > "$W/root/inventory.conf" <<EOF
default local
profile gold
part label=ESP type=esp size=16M layer=$ESP
part label=root type=linux size=48M layer=$1${2:+ wipe=yes}
part label=CIDATA type=basic size=4M layer=machine
part label=data type=linux size=rest policy=preserve
machine $MAC name=vm1 profile=gold action=deploy
EOF
}

mark() { lab_curl -s -X POST "$(lab_url)/api/deploy/vm1" >/dev/null; }
debug() { tr -d '\r' < "$LAB_RUN/$1.debug"; }

part_start() {
	sfdisk --json "$1" | tr -d ' \n' | grep -o '"node":"[^"]*'"$2"'","start":[0-9]*' | sed 's/.*://' | awk '{print $1 * 512}'
}
part_equals() {
	local off size
	off=$(part_start "$1" "$2")
	size=$(stat -c %s "$3")
	[ -n "$off" ] && cmp <(dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$size" 2>/dev/null) "$3"
}
part_sum() {
	dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" count="$3" 2>/dev/null | sha256sum
}

cidata_names() {
	dd if="$1" bs=1M iflag=skip_bytes skip="$(part_start "$1" 3)" count=1 2>/dev/null > "$W/cid.img" &&
		mtype -i "$W/cid.img" ::meta-data | grep -q "local-hostname: $2"
}

user_data() {
	head -c 3000000 /dev/urandom |
		dd of="$1" bs=1M oflag=seek_bytes seek="$(part_start "$1" 4)" conv=notrunc 2>/dev/null
	data_sum "$1"
}
data_sum() { part_sum "$1" 4 3000000; }

# One sha256 per 64 KiB chunk of stdin, one a line.
_chunk_sums() { split -b 65536 --filter='sha256sum' | cut -d' ' -f1; }

chunk_map() {
	local off size
	off=$(part_start "$1" "$2")
	size=$(stat -c %s "$3")
	[ -n "$off" ] || { echo "no partition $2 on $1" >&2; return 1; }
	paste <(dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$size" 2>/dev/null | _chunk_sums) \
		<(_chunk_sums < "$3") <(_chunk_sums < "$4") |
		awk '{ printf "%s", ($1 == $2 && $1 == $3) ? "=" : $1 == $2 ? "o" : $1 == $3 ? "n" : "x" }
		     END { print "" }'
}

only_known() {
	local map
	map=$(chunk_map "$@") || return 1
	[[ $map != *x* ]] || { map=${map%%x*}; echo "chunk ${#map} is neither"; return 1; }
}

part_fill() {
	dd if="$3" of="$1" bs=1M oflag=seek_bytes seek="$(part_start "$1" "$2")" conv=notrunc 2>/dev/null
}

part_fsck() {
	dd if="$1" of="$W/fsck.img" bs=1M iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" \
		count="$3" 2>/dev/null && e2fsck -fn "$W/fsck.img" >"$W/fsck.log" 2>&1
}

free_chunks() {
	$SI inspect --store "$W/root/store" --chunks "$1" | awk '/^chunk [0-9]/ && $9 == "free" {print $2}'
}

free_hold() {
	local size free
	size=$($SI inspect --store "$W/root/store" "$3" | awk '$1 == "image" {print $3}')
	free=$(free_chunks "$3" | tr '\n' ' ')
	paste <(dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" \
			count="$size" 2>/dev/null | _chunk_sums) \
		<(if [ "$4" = zero ]; then head -c "$size" /dev/zero; else head -c "$size" "$4"; fi |
			_chunk_sums) |
		awk -v free="$free" '
			BEGIN { n = split(free, f, " "); for (k = 1; k <= n; k++) want[f[k]] = 1 }
			(NR - 1) in want { seen++; if ($1 != $2 && !bad) bad = NR - 1 "" }
			END { if (bad != "") { print "free chunk " bad " differs"; exit 1 }
			      if (n == 0 || seen != n) { print "saw " seen + 0 " of " n " free chunks"; exit 1 } }'
}
