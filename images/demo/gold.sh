#!/usr/bin/env bash
# Build the "gold" demo disk layers from Debian packages: esp.img (FAT, 32 MiB, systemd-boot +
# kernel + initramfs) and root.img (ext4, 64 MiB, busybox + the demo OS).  See README.md.
#
# Nothing is installed on the host and nothing is mounted: packages are fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`; the filesystems are written by
# mkfs.vfat + mtools and `mkfs.ext4 -d`.  Both images are reproducible, and esp.img does not
# depend on VERSION, so the server's chunk store dedups everything but a few root blocks.
set -Eeuo pipefail

usage() {
	cat <<'EOF'
usage: images/demo/gold.sh [--help] BUILD_DIR VERSION OUT_DIR

Build the demo gold image layers for VERSION (e.g. v1, v2):
  OUT_DIR/esp.img   FAT EFI system partition (32 MiB): systemd-boot, kernel, initramfs
  OUT_DIR/root.img  ext4 root filesystem (64 MiB): busybox, /sbin/init, /etc/strata-gold
Debian packages are cached in BUILD_DIR/demo/debs and unpacked in BUILD_DIR/demo/pkgs.
With GOLD_SB_KEY and GOLD_SB_CERT set (a db key and certificate of `strata-image sb keygen`),
systemd-boot and the kernel on the ESP are signed with them (sbsign), so the gold image
boots on PCs that enforce Secure Boot with that db.
EOF
}

# Fixed identities and times: the same inputs must give byte-identical images.
EPOCH=1700000000
ROOT_UUID=5a7a0000-0000-4000-8000-00000000a001
HASH_SEED=5a7a0000-0000-4000-8000-00000000a002
ESP_VOLID=5A7A0001
ROOT_MB=64
ESP_MB=32
CMDLINE="console=ttyS0 quiet loglevel=3 panic=-1"
# Modules needed before the root is reachable, plus vfat for CIDATA, which the demo OS mounts
# from a root that carries no modules.  crc32c_generic first: ext4/jbd2 look up "crc32c"
# through the crypto API at mount time and no modprobe can fetch it then.
# efivarfs: the demo OS reads the SecureBoot variable and prints it.
MODULES="crc32c_generic virtio_pci virtio_blk ext4 vfat nls_cp437 nls_ascii efivarfs"
# e2fsck and resize2fs (busybox has neither) and the libraries they link: the demo OS grows
# a data filesystem restored onto a larger disk to its partition (init, grow_data).
E2FS_PKGS="e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1 libc6"
E2FS_LIBS="libext2fs.so.2 libe2p.so.2 libcom_err.so.2 libblkid.so.1 libuuid.so.1 libc.so.6 ld-linux-x86-64.so.2"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STEP="check arguments"
step() { STEP=$1; printf 'gold: %s\n' "$1"; }
# Report the failing command once, from the main shell (subshells inherit the trap via -E).
trap '[ "$BASHPID" = $$ ] && printf "gold: FAILED in step \"%s\" (line %s: %s)\n" "$STEP" "$LINENO" "$BASH_COMMAND" >&2' ERR
die() { printf 'gold: FAILED in step "%s": %s\n' "$STEP" "$*" >&2; exit 1; }
log() { printf 'gold: %s\n' "$*"; }
# shellcheck source=../../mk/apt-fetch.sh
. "$HERE/../../mk/apt-fetch.sh"

# --- packages --------------------------------------------------------------------------

# linux-image-amd64 is a metapackage; the versioned package it points at holds the kernel.
kernel_pkg() {
	{ apt-cache depends linux-image-amd64 2>/dev/null || true; } |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}

# Without apt lists (a fresh container) there is nothing to resolve against: update once.
resolve_kernel() {
	KPKG=$(kernel_pkg)
	if [ -z "$KPKG" ]; then
		apt-get -q update || die "apt-get update failed"
		KPKG=$(kernel_pkg)
	fi
	[ -n "$KPKG" ] || die "apt-cache cannot resolve linux-image-amd64 to a kernel package"
	KVER=${KPKG#linux-image-}
}

# Download into the cache unless a .deb for the package is already there, each package at
# the newest version the mirror really holds (mk/apt-fetch.sh: an index may name files its
# pool lost).  apt-get update only when that fails, since it is slow and changes the
# machine's lists.  The versions used are logged and kept in DEBS/versions.
fetch_debs() {
	local p
	for p in "$@"; do
		compgen -G "$DEBS/${p}_*.deb" >/dev/null && continue
		if ! apt_fetch binary "$p" "$DEBS"; then
			apt-get -q update || die "apt-get update failed"
			apt_fetch binary "$p" "$DEBS" || die "no version of $p could be downloaded (above)"
		fi
		printf '%s %s\n' "$p" "$APT_FETCHED" >> "$DEBS/versions"
	done
}

# Unpack each .deb once into pkgs/<deb name> (set in DIR); a marker makes later runs skip it.
unpack() {
	local deb dir
	deb=$(compgen -G "$DEBS/${1}_*.deb" | sort | tail -n1)
	dir="$PKGS/$(basename "$deb" .deb)"
	if [ ! -e "$dir/.unpacked" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.unpacked"
	fi
	DIR=$dir
}

# kernel_busybox BUILD_DIR [PACKAGE..]: Debian's kernel and busybox-static (and each
# PACKAGE), downloaded into BUILD_DIR/demo/debs and unpacked once into BUILD_DIR/demo/pkgs;
# sets KPKG, KVER, KDIR (the kernel's tree), BBOX (busybox's), DEBS, PKGS and MODS (this
# kernel's uncompressed modules).  The demo's gold image and the benchmarks' imaging
# ramdisk (tests/bench/lib/ramdisk.sh, which sources this file) boot the same kernel.
kernel_busybox() {
	local build=$1
	shift
	DEBS=$build/demo/debs PKGS=$build/demo/pkgs MODS=$build/demo/modules
	mkdir -p "$DEBS" "$PKGS" "$MODS"
	DEBS=$(cd "$DEBS" && pwd)
	step "resolve kernel package"; resolve_kernel; log "  kernel $KPKG"
	# Modules belong to one kernel build: a kernel update must not reuse the old ones.
	MODS=$MODS/$KVER; mkdir -p "$MODS"
	step "download packages"; fetch_debs "$KPKG" busybox-static "$@"
	step "unpack packages"
	unpack "$KPKG"; KDIR=$DIR
	unpack busybox-static; BBOX=$DIR
}

# --- kernel modules --------------------------------------------------------------------

# The package ships no modules.dep (depmod runs at install time), so dependencies come
# from each module's own .modinfo "depends=" field.
index_modules() {
	declare -gA MODPATH=()
	local f n
	while IFS=' ' read -r n f; do
		n=${n%%.ko*}
		MODPATH[${n//-/_}]=$f
	done < <(find "$KDIR/lib/modules/$KVER/kernel" -name '*.ko*' -printf '%f %p\n')
}

# Uncompressed copy of module $1 in $MODS, set in KO (busybox insmod cannot read .ko.xz).
module_ko() {
	local src=${MODPATH[$1]:-} out="$MODS/$1.ko"
	KO=$out
	[ -n "$src" ] || die "module $1 not found in $KPKG"
	if [ ! -e "$out" ]; then   # via a temporary name: an interrupted run leaves no half module
		case $src in
		*.ko.xz) xz -dc "$src" > "$out.tmp" ;;
		*.ko.zst) zstd -qdc "$src" > "$out.tmp" ;;
		*.ko.gz) gzip -dc "$src" > "$out.tmp" ;;
		*) cp "$src" "$out.tmp" ;;
		esac
		mv "$out.tmp" "$out"
	fi
}

# Depth-first, dependencies first: appends to LOAD_ORDER each module once.
add_module() {
	local m=$1 dep deps
	case " $LOAD_ORDER " in *" $m "*) return 0 ;; esac
	module_ko "$m"
	deps=$(tr '\0' '\n' < "$KO" | sed -n 's/^depends=//p' | head -n1)
	for dep in ${deps//,/ }; do add_module "${dep//-/_}"; done
	LOAD_ORDER="$LOAD_ORDER $m"
}

# --- deterministic cpio (newc) ---------------------------------------------------------

# One newc record: name, mode (octal), rdev major/minor, optional content file.  Inode
# numbers, owners and times are fixed here, which GNU/busybox cpio would take from the host.
cpio_entry() {
	local name=$1 mode=$2 rmaj=$3 rmin=$4 src=${5:-} size=0 namesize
	[ -n "$src" ] && size=$(stat -c %s "$src")
	namesize=$(( ${#name} + 1 ))
	CPIO_INO=$((CPIO_INO + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		"$CPIO_INO" "$((8#$mode))" 0 0 1 "$EPOCH" "$size" 0 0 "$rmaj" "$rmin" "$namesize" 0 "$name"
	pad4 $(( 110 + namesize ))
	[ -n "$src" ] && cat "$src"
	pad4 "$size"
}
pad4() { local n=$(( (4 - $1 % 4) % 4 )); [ "$n" -gt 0 ] && head -c "$n" /dev/zero; return 0; }

# Archive the tree $1 in sorted order; symlinks are stored with their target as content.
cpio_tree() {
	local p f tgt
	CPIO_INO=0
	while IFS= read -r p; do
		f="$1/$p"
		if [ -L "$f" ]; then
			tgt="$TMPD/link"; printf '%s' "$(readlink "$f")" > "$tgt"
			cpio_entry "$p" 120777 0 0 "$tgt"
		elif [ -d "$f" ]; then cpio_entry "$p" 40755 0 0
		elif [ -x "$f" ]; then cpio_entry "$p" 100755 0 0 "$f"
		else cpio_entry "$p" 100644 0 0 "$f"
		fi
	done < <(cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
	# The kernel opens /dev/console before /init runs, so the node must be in the archive.
	cpio_entry dev/console 20600 5 1
	cpio_entry TRAILER!!! 0 0 0
}

# --- the images ------------------------------------------------------------------------

build_initramfs() {
	local t=$TMPD/initramfs m
	mkdir -p "$t"/{bin,dev,proc,sys,newroot,lib/modules}
	cp "$BBOX/bin/busybox" "$t/bin/busybox"
	ln -s busybox "$t/bin/sh"
	install -m 755 "$HERE/initramfs-init" "$t/init"
	for m in $LOAD_ORDER; do cp "$MODS/$m.ko" "$t/lib/modules/"; done
	# shellcheck disable=SC2086 # one module per line
	printf '%s\n' $LOAD_ORDER > "$t/lib/modules/load-order"
	cpio_tree "$t" | gzip -n -9 > "$TMPD/initrd.img"
}

# sb_sign IN OUT: OUT is IN signed with GOLD_SB_KEY (checked with sbverify) when it is set,
# else a copy.  Debian's kernel already carries Debian's signature; ours is added beside it
# and the firmware accepts the image when one of them is in db.
sb_sign() {
	if [ -z "${GOLD_SB_KEY:-}" ]; then
		cp "$1" "$2"
		return
	fi
	sbsign --key "$GOLD_SB_KEY" --cert "$GOLD_SB_CERT" --output "$2" "$1" 2>/dev/null ||
		die "sbsign $1 failed"
	sbverify --cert "$GOLD_SB_CERT" "$2" >/dev/null 2>&1 || die "$2: signature does not verify"
	log "  signed $(basename "$2") with $GOLD_SB_CERT"
}

# mtools takes file times from the sources (-m) and new directories' times from
# SOURCE_DATE_EPOCH; mkfs.vfat --invariant fixes the rest of the boot sector.
build_esp() {
	local e=$TMPD/esp out=$OUT/esp.img
	mkdir -p "$e/EFI/BOOT" "$e/loader/entries" "$e/strata"
	sb_sign "$SDBOOT/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$e/EFI/BOOT/BOOTX64.EFI"
	sb_sign "$KDIR/boot/vmlinuz-$KVER" "$e/strata/vmlinuz"
	cp "$TMPD/initrd.img" "$e/strata/initrd.img"
	printf 'timeout 0\ndefault strata.conf\neditor no\n' > "$e/loader/loader.conf"
	printf 'title Strata demo\nlinux /strata/vmlinuz\ninitrd /strata/initrd.img\noptions %s\n' \
		"$CMDLINE" > "$e/loader/entries/strata.conf"
	find "$e" -exec touch -h -d "@$EPOCH" {} +
	rm -f "$out"
	mkfs.vfat -C --invariant -i "$ESP_VOLID" -n ESP "$out" $((ESP_MB * 1024)) >/dev/null
	SOURCE_DATE_EPOCH=$EPOCH MTOOLS_SKIP_CHECK=1 mcopy -s -m -Q -i "$out" "$e"/EFI "$e"/loader "$e"/strata ::/
}

build_root_tree() {
	local r=$TMPD/root a pkg
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,cidata,data,boot}
	cp "$BBOX/bin/busybox" "$r/bin/busybox"
	# Applet links as Debian's busybox would have them, except the two init entry points.
	while IFS= read -r a; do
		case $a in sbin/init | linuxrc | bin/busybox) continue ;; esac
		ln -s /bin/busybox "$r/$a"
	done < <("$BBOX/bin/busybox" --list-full)
	install -m 755 "$HERE/init" "$r/sbin/init"
	printf '%s\n' "$VERSION" > "$r/etc/strata-gold"
	printf 'NAME="Strata demo gold"\nID=strata-demo\nPRETTY_NAME="Strata demo gold (busybox on Debian %s)"\n' \
		"$KVER" > "$r/etc/os-release"
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
	printf 'root:x:0:\n' > "$r/etc/group"
	ln -s /proc/mounts "$r/etc/mtab"   # e2fsck and resize2fs check that a device is unmounted
	# Realistic payload (~2 MB): the packages' docs and the kernel's config.
	mkdir -p "$r/usr/share/doc"
	for pkg in "$BBOX" "$SDBOOT" "$KDIR"; do cp -a "$pkg/usr/share/doc/." "$r/usr/share/doc/"; done
	cp "$KDIR/boot/config-$KVER" "$r/boot/"
	add_e2fs "$r"
	chmod -R u+w,go-w "$r"
	find "$r" -exec touch -h -d "@$EPOCH" {} +
}

# e2fsck and resize2fs into the root tree $1, with E2FS_LIBS (each name and what it links
# to) from the unpacked E2FS_PKGS (in /lib or /usr/lib; all go to /lib, which the loader
# searches), and the loader's /lib64 link.
add_e2fs() {
	local r=$1 p lib found
	mkdir -p "$r/lib/x86_64-linux-gnu" "$r/lib64"
	for p in $E2FS_PKGS; do
		unpack "$p"
		for lib in $E2FS_LIBS; do
			found=$(compgen -G "$DIR/lib/x86_64-linux-gnu/$lib*" ||
				compgen -G "$DIR/usr/lib/x86_64-linux-gnu/$lib*") || continue
			# shellcheck disable=SC2086 # the library's name and its versioned file
			cp -a $found "$r/lib/x86_64-linux-gnu/"
		done
		[ -d "$DIR/lib64" ] && cp -a "$DIR/lib64/." "$r/lib64/"
		[ "$p" = e2fsprogs ] && cp "$DIR/sbin/e2fsck" "$DIR/sbin/resize2fs" "$r/sbin/"
	done
	for lib in $E2FS_LIBS; do
		compgen -G "$r/lib/x86_64-linux-gnu/$lib" >/dev/null || die "$lib is in none of: $E2FS_PKGS"
	done
}

# mkfs.ext4 -d copies each inode's ctime and owner from the host, which no touch can set
# (and a non-root build cannot chown); debugfs rewrites them afterwards so the image
# depends only on the tree's content.  (crtime already
# comes from E2FSPROGS_FAKE_TIME.)
fix_inode_times() {
	local img=$1 tree=$2 p
	{ for p in / $(cd "$tree" && find . -mindepth 1 -printf '/%P\n'); do
		printf 'sif %s ctime @%s\nsif %s uid 0\nsif %s gid 0\n' "$p" "$EPOCH" "$p" "$p"
	done; } > "$TMPD/times.debugfs"
	E2FSPROGS_FAKE_TIME=$EPOCH debugfs -w -f "$TMPD/times.debugfs" "$img" >/dev/null 2>"$TMPD/debugfs.err" ||
		{ cat "$TMPD/debugfs.err" >&2; die "debugfs failed"; }
	! grep -v '^debugfs ' "$TMPD/debugfs.err" | grep -q . || { cat "$TMPD/debugfs.err" >&2; die "debugfs reported errors"; }
}

build_root() {
	local out=$OUT/root.img
	rm -f "$out"
	E2FSPROGS_FAKE_TIME=$EPOCH mkfs.ext4 -q -F -L strata-root -U "$ROOT_UUID" \
		-E "hash_seed=$HASH_SEED,root_owner=0:0" -d "$TMPD/root" "$out" "${ROOT_MB}M" >/dev/null
	fix_inode_times "$out" "$TMPD/root"
	E2FSPROGS_FAKE_TIME=$EPOCH e2fsck -fn "$out" >"$TMPD/fsck.log" 2>&1 ||
		{ cat "$TMPD/fsck.log" >&2; die "e2fsck found problems in root.img"; }
}

main() {
	case ${1:-} in -h | --help) usage; exit 0 ;; esac
	[ $# -eq 3 ] || { usage >&2; exit 2; }
	BUILD=$1 VERSION=$2 OUT=$3
	umask 022   # the images' modes must not depend on the caller's
	[[ $VERSION =~ ^[A-Za-z0-9._-]{1,32}$ ]] || die "VERSION must be a short word like v1"
	mkdir -p "$OUT"
	TMPD=$(mktemp -d "${TMPDIR:-/tmp}/strata-gold.XXXXXX")
	trap 'rm -rf "$TMPD"' EXIT

	# shellcheck disable=SC2086 # one package a word
	kernel_busybox "$BUILD" systemd-boot-efi $E2FS_PKGS
	unpack systemd-boot-efi; SDBOOT=$DIR
	step "resolve kernel modules"
	index_modules; LOAD_ORDER=""; for m in $MODULES; do add_module "$m"; done
	echo "gold:   load order:$LOAD_ORDER"
	step "build initramfs"; build_initramfs
	step "build esp.img"; build_esp
	step "build root tree ($VERSION)"; build_root_tree
	step "build root.img"; build_root
	step "done: $OUT/esp.img $OUT/root.img"
}

# Sourced (by tests/bench/lib/ramdisk.sh) it only defines the functions above.
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
