#!/usr/bin/env bash
# Build the benchmarks' Linux "imaging ramdisk", the environment FOG, Clonezilla and
# Tinkerbell network-boot to write a disk: Debian's kernel (the demo's, from
# images/demo/gold.sh's kernel_busybox) and an initramfs holding busybox, the host's
# partclone.restore and partclone.ext4 with their shared libraries (found with ldd), the
# kernel modules for virtio (net, blk) and ext4/vfat, and tests/bench/lib/ramdisk-init.
#
# usage: bash tests/bench/lib/ramdisk.sh BUILD_DIR OUT_DIR
#
# Writes OUT_DIR/vmlinuz and OUT_DIR/initrd.img.  The init is driven by the kernel command
# line (see ramdisk-init): a static address, a base URL and a list of steps such as
# "raw:disk.img.gz:/dev/vda" (wget | gunzip > device) or "pc:data.pc.gz:/dev/vda4" (wget |
# gunzip | partclone.restore), each stamped on the console; then it powers off.
# Packages are cached in BUILD_DIR/demo as the demo's are; nothing is installed on the host.
set -Eeuo pipefail

[ $# -eq 2 ] || { echo "usage: ramdisk.sh BUILD_DIR OUT_DIR" >&2; exit 2; }
RD_BUILD=$1 RD_OUT=$2
RD_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../../images/demo/gold.sh
. "$RD_HERE/../../../images/demo/gold.sh"
step() { STEP=$1; printf 'ramdisk: %s\n' "$1"; }
log() { printf 'ramdisk: %s\n' "$*"; }
die() { printf 'ramdisk: FAILED in step "%s": %s\n' "$STEP" "$*" >&2; exit 1; }
trap '[ "$BASHPID" = $$ ] && printf "ramdisk: FAILED in step \"%s\" (line %s: %s)\n" "$STEP" "$LINENO" "$BASH_COMMAND" >&2' ERR

# crc32c_generic: ext4 asks the crypto API for crc32c when it mounts; the rest are the
# virtio devices of tests/lib/lab.sh's VMs and the filesystems of its disks.
RD_MODULES="crc32c_generic virtio_pci virtio_net virtio_blk ext4 vfat nls_cp437 nls_ascii"
RD_PROGRAMS="/usr/sbin/partclone.restore /usr/sbin/partclone.ext4"
# glibc loads libgcc_s with dlopen when a thread exits (partclone's threads do), so ldd
# does not name it; without it partclone aborts at the end of every restore.
RD_LIBS="/lib/x86_64-linux-gnu/libgcc_s.so.1"

# copy_program TREE PATH: PATH and every library ldd names for it, at the same paths in TREE.
copy_program() {
	local t=$1 p=$2 lib
	[ -x "$p" ] || die "$p not found: install partclone (apt-get install partclone)"
	cp -L "$p" "$t$p"
	for lib in $(ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$t$(dirname "$lib")"
		cp -L "$lib" "$t$lib"
	done
}

build_ramdisk() {
	local t=$TMPD/rd p m
	mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,lib/modules}
	cp "$BBOX/bin/busybox" "$t/bin/busybox"
	ln -s busybox "$t/bin/sh"
	ln -s /proc/mounts "$t/etc/mtab"   # partclone checks that the target is not mounted
	install -m 755 "$RD_HERE/ramdisk-init" "$t/init"
	for p in $RD_PROGRAMS; do copy_program "$t" "$p"; done
	for p in $RD_LIBS; do
		[ -f "$p" ] || die "$p not found (install libgcc-s1)"
		mkdir -p "$t$(dirname "$p")" && cp -L "$p" "$t$p"
	done
	for m in $LOAD_ORDER; do cp "$MODS/$m.ko" "$t/lib/modules/"; done
	# shellcheck disable=SC2086 # one module per line
	printf '%s\n' $LOAD_ORDER > "$t/lib/modules/load-order"
	cpio_tree "$t" | gzip -n -6 > "$RD_OUT/initrd.img.tmp"
	mv "$RD_OUT/initrd.img.tmp" "$RD_OUT/initrd.img"
	cp "$KDIR/boot/vmlinuz-$KVER" "$RD_OUT/vmlinuz"
}

umask 022
mkdir -p "$RD_OUT"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/strata-ramdisk.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
kernel_busybox "$RD_BUILD"
step "resolve kernel modules"
index_modules; LOAD_ORDER=""; for m in $RD_MODULES; do add_module "$m"; done
log "  load order:$LOAD_ORDER"
step "build the initramfs"; build_ramdisk
step "done: $RD_OUT/vmlinuz ($KVER) $RD_OUT/initrd.img ($(stat -c %s "$RD_OUT/initrd.img") bytes)"
