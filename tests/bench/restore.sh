#!/bin/bash
# Benchmark of restoring a failed PC (issue 13) against a fresh deployment and against
# Clonezilla's way, in the same VM, lab and data.
#
# usage: bash tests/bench/restore.sh BUILD_DIR      (run it under `flock /work/vm.lock`)
#
# The lab is tests/lib/lab.sh's (namespaces, dnsmasq, strata-server release build, QEMU
# q35/OVMF under TCG with the iPXE ROM).  The PC's layout: ESP 16 MiB and root 48 MiB (the
# gold layers of tests/lib/gold.sh), CIDATA 4 MiB (its machine layer), and a data partition
# (size=rest, capture=yes) holding its user's data: an ext4 of DATA_MIB MiB, 75 % full of
# this machine's /usr files (docs, libraries, programs), captured into the machine's private
# store by `strata-image build --store URL --token T --part data` (a machine capture, as
# strata.efi's would be).  For each size in DATA_MIB (default "64 256"), one boot each, all
# on a blank disk of DATA_MIB + 72 MiB:
#   restore     Strata: the machine's blank disk gets gold, its machine layer and its user's
#               generation (policy=restore) in one network boot: strata.efi writes the GPT,
#               the ESP, root and CIDATA layers and the data layer
#   fresh       Strata: another machine of the same profile with no generation: the GPT,
#               ESP, root and CIDATA; the data partition is left as it is (nothing written)
#   clonezilla  iPXE boots Debian's kernel and tests/bench/lib/ramdisk.sh's initramfs over
#               HTTP (a script dnsmasq hands to iPXE; strata-server's proxyDHCP is off), as
#               FOG and Clonezilla boot theirs; the ramdisk writes the same disk as a
#               Clonezilla restore of the whole PC does: the first MiB (the partition table)
#               by wget | gunzip > /dev/vda, then each partition's partclone image (made
#               from the restore run's disk with partclone.vfat/ext4 -c | gzip, Clonezilla's
#               format) by wget | gunzip | partclone.restore -o /dev/vdaN, then sync
# Every file comes from the same strata-server over the same bridge.  The clock starts when
# iPXE hands over: strata.efi's first line ("strata.efi: Strata UEFI agent"), or the line
# the ramdisk's iPXE script prints just before its `boot` ("rdbench: iPXE hands over to the
# kernel": from then on the time is the kernel's, its EFI stub's decompression included,
# as the issue counts it); it stops at strata.efi's
# "deployment complete" or the ramdisk's "rdbench: done" (after sync).  Times are the host's
# clock: QEMU's serial port is a FIFO read by a process that stamps each line as it arrives.
# Beside it, not counted: the time from iPXE's script to the hand-over (the fetch of
# strata.efi; the fetch of the kernel and initramfs), and each
# ramdisk step's time by the guest's clock.  After the runs the harness
# checks that the clonezilla disk's partitions hold the restore disk's bytes and that the
# restored data partition is the captured filesystem.
#
# Results: a table on stdout, BUILD_DIR/bench/results/restore.md, and the section "Restore
# a failed PC" of docs/benchmarks.md (between <!-- bench:restore begin/end -->).  Ratios,
# not pass/fail: issue 13's goal is restore <= 0.5x clonezilla.  With two sizes or more, the
# per-MiB costs and the fixed costs are fitted (least squares) and the size from which the
# goal holds is derived.
# Needs root, qemu-system-x86, ovmf, ipxe-qemu, dnsmasq, partclone, perl, the Debian
# packages of the demo (fetched once into BUILD_DIR/demo) and `make build-all`.  About 4
# minutes per size on 2 cores.  KEEP=1 keeps the work folder.
set -uo pipefail

BENCH=restore.sh
. "$(dirname "$0")/lib/common.sh"
[ $# -eq 1 ] || die "usage: restore.sh BUILD_DIR (or --help)"
bench_dirs "$1"
. "$HERE/lib/vmbench.sh"
vm_open restore DATA_MIB "64 256" 16

mac_of() { printf '52:54:00:5a:0d:%02x' "$1"; }   # mac_of N: the lab's Nth PC
# capture N MIB: the user data of PC N (a new ext4) captured as its generation; waits until
# its manifest names the generation (policy=restore).
capture() {
	local n=$1 mib=$2 tk
	usr_fs "$mib" "$W/data$mib.img" "5f1a2b3c-0000-4000-8000-0000000d$(printf %04x "$mib")"
	tk=$(lab_curl -s -X POST "$(lab_url)/api/capture/user$mib" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
	[ -n "$tk" ] || die "the capture order for user$mib was refused (see $LAB_RUN/server.log)"
	ip netns exec "$LAB_NS" "$SI" build --store "$(lab_url)" --token "$tk" --part data "$W/data$mib.img" \
		>"$W/capture$mib.log" 2>&1 || die "the capture of user$mib failed (see $W/capture$mib.log)"
	ip netns exec "$LAB_NS" "$SI" capture-done --store "$(lab_url)" --token "$tk" >>"$W/capture$mib.log" 2>&1 ||
		die "capture-done of user$mib failed (see $W/capture$mib.log)"
	lab_wait_manifest "$(mac_of "$n")" 'policy=restore' || die "user$mib's manifest names no generation (see $LAB_RUN/server.log)"
}
lab_wait_manifest() {
	local i
	for i in $(seq 100); do
		lab_curl -s "$(lab_url)/manifest/$1" | grep -q "$2" && return 0
		sleep 0.1
	done
	return 1
}

setup() {
	local i=0 s
	gold
	{
		printf 'default local\nprofile pc\n'
		printf 'part label=ESP type=esp size=16M layer=%s\n' "$ESP"
		printf 'part label=root type=linux size=48M layer=%s\n' "$ROOT1"
		printf 'part label=CIDATA type=basic size=4M layer=machine\n'
		printf 'part label=data type=linux size=rest policy=preserve capture=yes\n'
		for s in $SIZES; do
			i=$((i + 1))
			printf 'machine %s name=user%s profile=pc action=deploy\n' "$(mac_of "$i")" "$s"
			printf 'machine %s name=fresh%s profile=pc action=deploy\n' "$(mac_of $((i + 128)))" "$s"
		done
	} >"$W/root/inventory.conf"
	bash "$HERE/lib/ramdisk.sh" "$BUILD" "$W/root/boot" >"$W/ramdisk.log" 2>&1 ||
		{ tail -n 5 "$W/ramdisk.log" >&2; die "the ramdisk could not be built (see above)"; }
	echo plain >"$W/root/boot/rd-start"
	chmod -R a+rwX "$W/root"
}

# strata NAME MACHINE MAC MIB: one Strata boot of MACHINE on a blank disk ($W/NAME.img).
strata() {
	rm -f "$W/$1.img" && truncate -s $(($4 + 72))M "$W/$1.img"
	log "$1: Strata on a blank disk of $(($4 + 72)) MiB"
	strata_run "$1" "$2" "$3" "$W/$1.img"
}

# clonezilla NAME MAC MIB: the ramdisk restores, on a blank disk, the restore run's disk
# from Clonezilla's images of it.
clonezilla() {
	local steps
	steps=$(pc_images "$W/restore$3.img" "cz$3") || exit 1
	rm -f "$W/$1.img" && truncate -s $(($3 + 72))M "$W/$1.img"
	log "$1: the ramdisk on a blank disk of $(($3 + 72)) MiB"
	ramdisk_run "$1" "$2" "$W/$1.img" "$steps"
}

# same MIB: the clonezilla disk's partitions hold the restore disk's bytes (GPT entries and
# all four partitions), and the restored data partition begins with the captured ext4.
same() {
	local mib=$1 a b p out=
	a=$W/restore$mib.img b=$W/clonezilla$mib.img
	cmp -s <(head -c 1M "$a") <(head -c 1M "$b") || out="GPT differs; "
	for p in 1 2 3 4; do
		[ "$(part_sum "$a" "$p" $((4 << 20)))" = "$(part_sum "$b" "$p" $((4 << 20)))" ] || out="${out}partition $p differs (first 4 MiB); "
	done
	[ "$(part_sum "$a" 4 $((mib << 20)))" = "$(sha256sum <"$W/data$mib.img")" ] || out="${out}the restored data is not the capture; "
	[ "$(part_sum "$a" 4 $((mib << 20)))" = "$(part_sum "$b" 4 $((mib << 20)))" ] || out="${out}the clonezilla data partition differs; "
	out=${out%; }
	echo "${out:-identical}"
}

log "building the gold layers, the ramdisk and the lab"
setup
lab_start "$W/root" "$KEY" || die "the lab did not start (see $LAB_RUN)"
i=0
for s in $SIZES; do
	i=$((i + 1))
	log "user$s: capturing $s MiB of user data"
	capture "$i" "$s"
done
i=0
for s in $SIZES; do
	i=$((i + 1))
	strata "fresh$s" "fresh$s" "$(mac_of $((i + 128)))" "$s"
	strata "restore$s" "user$s" "$(mac_of "$i")" "$s"
done
services plain
i=0
for s in $SIZES; do
	i=$((i + 1))
	clonezilla "clonezilla$s" "$(mac_of "$i")" "$s"
	echo "$s $(same "$s")" >>"$W/same"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the report ------------------------------------------------------------------------------
# fitted RUN: "slope intercept" of RUN's hand-over time against DATA_MIB.
fitted() {
	local s
	for s in $SIZES; do echo "$s $(get "$1$s" 3)"; done | fit
}
mbs() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
MD=$RES/restore.md
read -r SR AR < <(fitted restore)
read -r SF AF < <(fitted fresh)
read -r SC AC < <(fitted clonezilla)
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'): one VM (q35, OVMF, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }'), TCG, 1 GiB, virtio-net and virtio-blk, the iPXE ROM) in tests/lib/lab.sh's lab; $(nproc) host cores, load average $LOAD0 at the start, $LOAD1 at the end (other helpers' builds, tests and VMs ran beside it: compare ratios within one run); strata-server release build; $(sed -n 's/^ramdisk:   kernel //p' "$W/ramdisk.log") and a $(mib "$(stat -c %s "$W/root/boot/initrd.img")") MiB initramfs for the ramdisk.  One boot per cell, seconds on the host's clock from iPXE's hand-over (strata.efi's first line, or the ramdisk script's line just before \`boot\`: the kernel's EFI stub counts) to the end (strata.efi's \`deployment complete\`, or the ramdisk's \`rdbench: done\` after sync)."
	echo
	echo "What each run writes: **restore** the GPT, the gold ESP (16 MiB) and root (48 MiB) layers, the CIDATA machine layer (4 MiB) and the user's captured generation into the data partition; **fresh** the same without the data partition (a machine with no generation); **clonezilla** the same bytes as restore: the first MiB (GPT) by \`wget | gunzip > /dev/vda\`, then one partclone image per partition (\`partclone.vfat\`/\`partclone.ext4 -c | gzip\` of the restore run's disk) by \`wget | gunzip | partclone.restore\`.  User data: an ext4 of DATA_MIB MiB, 75 % full of this machine's /usr files."
	echo
	echo "| DATA_MIB | run | fetched (MB) | hand-over to done (s) | before the clock: iPXE's script to the hand-over (s) | QEMU start to exit (s) | / clonezilla |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
	for s in $SIZES; do
		for r in restore fresh clonezilla; do
			echo "| $s | $r | $(mbs "$(get "$r$s" 5)") | $(get "$r$s" 3) | $(get "$r$s" 4) | $(get "$r$s" 2) | $(ratio "$(get "$r$s" 3)" "$(get "clonezilla$s" 3)") |"
		done
	done
	echo
	echo "The ramdisk's steps by the guest's clock (seconds since the previous mark; \`start\` is the kernel's uptime when /init began):"
	echo
	echo "| DATA_MIB | start | modules, network | GPT | p1 ESP | p2 root | p3 CIDATA | p4 data | sync |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for s in $SIZES; do
		printf '| %s | %s |' "$s" "$(sed -n 's/.*rdbench: start (uptime \([0-9.]*\) s).*/\1/p' "$LAB_RUN/clonezilla$s.log")"
		awk -v n="clonezilla$s" '$1 == n { printf " %s |", $2 }' "$W/steps"
		echo
	done
	echo
	echo "Checks: $(while read -r s v; do printf '%s MiB: %s. ' "$s" "$v"; done <"$W/same")(restore's and clonezilla's GPT and partitions compared byte for byte; restore's data partition against the captured ext4.)"
	echo
	echo "Fits over DATA_MIB ($SIZES), hand-over to done: restore ${AR} s + ${SR} s/MiB; fresh ${AF} s + ${SF} s/MiB; clonezilla ${AC} s + ${SC} s/MiB.  Goal restore <= 0.5x clonezilla: holds $(goal_size 0.5 "$SR" "$AR" "$SC" "$AC" "user data")."
	echo
	echo "Run: \`flock /work/vm.lock env DATA_MIB=\"$SIZES\" bash tests/bench/restore.sh build\`."
} >"$MD"
cat "$MD"
doc_section "$ROOT/docs/benchmarks.md" restore "Restore a failed PC" "Generated by tests/bench/restore.sh (issue 13's benchmark; the imaging ramdisk is tests/bench/lib/ramdisk.sh's)." "$MD" ||
	die "cannot update docs/benchmarks.md"
log "wrote $MD and the section \"Restore a failed PC\" of docs/benchmarks.md"
