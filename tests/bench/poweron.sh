#!/bin/bash
# Benchmark of power-on to a written disk (issue 18): strata.efi against the ramdisk path
# FOG, Clonezilla and Tinkerbell take, in the same VM, lab and gold image.
#
# usage: bash tests/bench/poweron.sh BUILD_DIR      (run it under `flock /work/vm.lock`)
#
# The lab is tests/lib/lab.sh's (namespaces, dnsmasq, strata-server release build, QEMU
# q35/OVMF with the iPXE ROM); every VM gets 2 vCPUs under multi-threaded TCG (LAB_SMP=2,
# LAB_ACCEL=tcg,thread=multi: one host thread per vCPU, as many as this machine has cores).
# The gold PC: a GPT, an ESP of 16 MiB (tests/lib/gold.sh's) and a root ext4 of ROOT_MIB MiB,
# 75 % full of this machine's /usr files and a 2 MiB /etc/blob.  For each size in ROOT_MIB
# (default "64 344": about 48 and 258 MiB used), on a disk of ROOT_MIB + 20 MiB:
#   first      onto a blank disk: the gold of version 1
#   reimage    onto version 1's disk: version 2, version 1 with /etc/blob replaced and a
#              3 MiB /etc/added (5 MiB of new random file data), rebuilt with strata-image
# each by three tools:
#   strata     strata.efi deploys the gold layers (a reimage fetches only the delta)
#   raw        iPXE boots Debian's kernel and tests/bench/lib/ramdisk.sh's initramfs, which
#              runs `wget -O - URL | gunzip > /dev/vda` of the whole disk image (busybox's
#              wget stands for the curl of the issue), as FOG's and Tinkerbell's raw images do
#   partclone  the same ramdisk runs Clonezilla's restore: the first MiB (the GPT) by wget |
#              gunzip > /dev/vda, then each partition's partclone image (partclone.vfat or
#              .ext4 -c | gzip) by wget | gunzip | partclone.restore
# The ramdisk's images are made from Strata's disks (the raw image is the whole disk), so
# every tool writes the same bytes; the ramdisk tools send everything again for a reimage.
# The clock (lib/vmbench.sh) starts when iPXE hands over: strata.efi's first line, or the
# ramdisk script's line just before `boot` (the kernel's EFI stub counts); it stops when the
# disk is written: strata.efi's "deployment complete", or the ramdisk's "rdbench: done"
# after sync.  Beside it: the agent's own split of each layer's time (check, network,
# inflate+verify, disk write) and each ramdisk step's time by the guest's clock.  Every
# disk is checked: Strata's and partclone's partitions byte for byte against the gold
# layers (and the GPT's first MiB), raw's whole disk against its image.
#
# Results: a table on stdout, BUILD_DIR/bench/results/poweron.md, and the section "Power-on
# to a written disk" of docs/benchmarks.md (between <!-- bench:poweron begin/end -->).
# Ratios, not pass/fail: issue 18's goals are Strata <= 0.5x the best ramdisk tool for a
# first deployment and <= 0.1x for a reimage; the times are fitted against the root's used
# MiB (least squares) and the sizes at which each goal holds are derived.
# Needs root, qemu-system-x86, ovmf, ipxe-qemu, dnsmasq, partclone, perl, the Debian
# packages of the demo (fetched once into BUILD_DIR/demo) and `make build-all`.  About 6
# minutes per size on 2 cores.  KEEP=1 keeps the work folder.
set -uo pipefail

BENCH=poweron.sh
. "$(dirname "$0")/lib/common.sh"
[ $# -eq 1 ] || die "usage: poweron.sh BUILD_DIR (or --help)"
bench_dirs "$1"
. "$HERE/lib/vmbench.sh"
export LAB_SMP=2 LAB_ACCEL=tcg,thread=multi
vm_open poweron ROOT_MIB "64 344" 32
need debugfs e2fsprogs
declare -A L1 L2 USED   # per size: the root layers of versions 1 and 2, the root's used MiB

mac_of() { printf '52:54:00:5a:18:%02x' "$1"; }   # mac_of N: the lab's Nth PC

# used_mib IMG: the ext4's used space in MiB (blocks not free, metadata included).
used_mib() {
	dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block count/ { c = $2 } /^Free blocks/ { f = $2 }
		/^Block size/ { b = $2 } END { printf "%.0f\n", (c - f) * b / 1048576 }'
}

# roots MIB: $W/rootMIB-v1.img and -v2.img, built into the store (L1, L2, USED).
roots() {
	local mib=$1 t=$W/tree
	rm -rf "$t"
	usr_tree "$t" $(((mib * 3 / 4 - 2) << 20))
	mkdir -p "$t/etc" && head -c 2M /dev/urandom >"$t/etc/blob"
	mkfs.ext4 -q -F -b 4096 -U "5f1a2b3c-0000-4000-8000-00000018$(printf %04x "$mib")" -d "$t" \
		"$W/root$mib-v1.img" "${mib}M" >"$W/mkfs.log" 2>&1 || die "mkfs.ext4 of the $mib MiB root failed (see $W/mkfs.log)"
	rm -rf "$t"
	L1[$mib]=$($SI build --store "$W/root/store" "$W/root$mib-v1.img" 2>/dev/null | tail -1)
	head -c 2M /dev/urandom >"$W/blob2" && head -c 3M /dev/urandom >"$W/added"
	cp "$W/root$mib-v1.img" "$W/root$mib-v2.img"
	debugfs -w -R "rm /etc/blob" "$W/root$mib-v2.img" >/dev/null 2>&1 &&
		debugfs -w -R "write $W/blob2 /etc/blob" "$W/root$mib-v2.img" >/dev/null 2>&1 &&
		debugfs -w -R "write $W/added /etc/added" "$W/root$mib-v2.img" >/dev/null 2>&1 &&
		e2fsck -fn "$W/root$mib-v2.img" >/dev/null 2>&1 || die "the $mib MiB root's version 2 is broken"
	L2[$mib]=$($SI build --store "$W/root/store" "$W/root$mib-v2.img" 2>/dev/null | tail -1)
	[ -n "${L1[$mib]}" ] && [ -n "${L2[$mib]}" ] || die "strata-image build of the $mib MiB roots failed"
	USED[$mib]=$(used_mib "$W/root$mib-v1.img")
}

# inventory_of V: one profile and one machine per size, their root at version V.
inventory_of() {
	local i=0 s l
	{
		echo "default local"
		for s in $SIZES; do
			i=$((i + 1))
			if [ "$1" = 1 ]; then l=${L1[$s]}; else l=${L2[$s]}; fi
			printf 'profile r%s\npart label=ESP type=esp size=16M layer=%s\n' "$s" "$ESP"
			printf 'part label=root type=linux size=%sM layer=%s\n' "$s" "$l"
			printf 'machine %s name=p%s profile=r%s action=deploy\n' "$(mac_of "$i")" "$s" "$s"
		done
	} >"$W/root/inventory.conf"
}

setup() {
	local s
	gold   # the ESP layer and the boot files (its 48 MiB root is not used)
	for s in $SIZES; do
		log "root $s MiB: building versions 1 and 2"
		roots "$s"
	done
	inventory_of 1
	bash "$HERE/lib/ramdisk.sh" "$BUILD" "$W/root/boot" >"$W/ramdisk.log" 2>&1 ||
		{ tail -n 5 "$W/ramdisk.log" >&2; die "the ramdisk could not be built (see above)"; }
	chmod -R a+rwX "$W/root"
}

# disk NAME MIB [FROM]: $W/NAME.img, a copy of FROM or blank, of MIB + 20 MiB.
disk() {
	rm -f "$W/$1.img"
	if [ -n "${3:-}" ]; then cp "$3" "$W/$1.img"; else truncate -s $(($2 + 20))M "$W/$1.img"; fi
}

# check NAME MIB V: NAME's disk holds version V (appended to $W/checks).
check() {
	local d=$W/$1.img out=
	case $1 in
	raw*) cmp -s "$d" "$W/$([ "$3" = 1 ] && echo first || echo reimage)-strata$2.img" || out="the disk differs from its image; " ;;
	*)
		cmp -s <(head -c 1M "$d") <(head -c 1M "$W/first-strata$2.img") || out="GPT differs; "
		part_equals "$d" 1 "$W/esp.img" >/dev/null 2>&1 || out="${out}ESP differs; "
		part_equals "$d" 2 "$W/root$2-v$3.img" >/dev/null 2>&1 || out="${out}root differs from version $3; "
		;;
	esac
	out=${out%; }
	echo "$1 ${out:-identical}" >>"$W/checks"
	[ -z "$out" ] || log "$1: $out"
}

# strata_boots: Strata's first deployments, then (version 2 in the inventory) its reimages.
strata_boots() {
	local i=0 s
	for s in $SIZES; do
		i=$((i + 1))
		disk "first-strata$s" "$s"
		log "first-strata$s: Strata on a blank disk of $((s + 20)) MiB"
		strata_run "first-strata$s" "p$s" "$(mac_of "$i")" "$W/first-strata$s.img"
		check "first-strata$s" "$s" 1
	done
	inventory_of 2
	services strata
	i=0
	for s in $SIZES; do
		i=$((i + 1))
		disk "reimage-strata$s" "$s" "$W/first-strata$s.img"
		log "reimage-strata$s: Strata onto version 1's disk"
		strata_run "reimage-strata$s" "p$s" "$(mac_of "$i")" "$W/reimage-strata$s.img"
		check "reimage-strata$s" "$s" 2
	done
}

# ramdisk_boots: the ramdisk's raw and partclone runs, first and reimage, per size.
ramdisk_boots() {
	local i=0 s sc v from tool steps
	for s in $SIZES; do
		i=$((i + 1))
		for sc in first reimage; do
			v=1 from=
			[ "$sc" = reimage ] && v=2 from=$W/first-strata$s.img
			for tool in raw partclone; do
				if [ "$tool" = raw ]; then steps=$(raw_image "$W/$sc-strata$s.img" "$sc$s") || exit 1
				else steps=$(pc_images "$W/$sc-strata$s.img" "$sc$s") || exit 1; fi
				disk "$sc-$tool$s" "$s" "$from"
				log "$sc-$tool$s: the ramdisk ($tool) onto ${from:-a blank disk}"
				ramdisk_run "$sc-$tool$s" "$(mac_of $((i + 64)))" "$W/$sc-$tool$s.img" "$steps"
				check "$sc-$tool$s" "$s" "$v"
				rm -f "$W/root/boot/$sc$s-"*
			done
		done
	done
}

log "building the gold layers, the ramdisk and the lab"
setup
lab_start "$W/root" "$KEY" || die "the lab did not start (see $LAB_RUN)"
strata_boots
services plain
ramdisk_boots
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the report ------------------------------------------------------------------------------
# fitted RUN: "slope intercept" of RUN's hand-over time against the root's used MiB.
fitted() {
	local s
	for s in $SIZES; do echo "${USED[$s]} $(get "$1$s" 3)"; done | fit
}
# best SC S: the faster ramdisk tool's hand-over time for scenario SC at size S.
best() { awk -v a="$(get "$1-raw$2" 3)" -v b="$(get "$1-partclone$2" 3)" 'BEGIN { print (a < b ? a : b) }'; }
# both R1 R2: the sizes in both goal_ranges (Strata against each tool: against the best).
both() {
	case "$1 $2" in *n/a*) echo n/a; return ;; *none*) echo none; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
		lo = x[1] > y[1] ? x[1] : y[1]
		hi = x[2] == "inf" ? y[2] : (y[2] == "inf" ? x[2] : (x[2] < y[2] ? x[2] : y[2]))
		if (hi != "inf" && lo > hi + 0) print "none"; else print lo, hi }'
}
# split NAME: the agent's time split summed over its layers, in seconds: "total check
# read hashing fetch network inflate+verify write".
split_of() {
	sed -n 's/.*layer [^:]*: \([0-9]*\) ms: check \([0-9]*\) (disk read \([0-9]*\), hashing \([0-9]*\)), fetch \([0-9]*\) (network \([0-9]*\), inflate+verify \([0-9]*\), disk write \([0-9]*\)).*/\1 \2 \3 \4 \5 \6 \7 \8/p' \
		"$LAB_RUN/$1.log" | awk '{ for (i = 1; i <= 8; i++) t[i] += $i }
		END { for (i = 1; i <= 8; i++) printf "%.2f%s", t[i] / 1000, i < 8 ? " " : "\n" }'
}
mbs() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
goals() {   # goals SC F: the goal's line for scenario SC (factor F)
	local ss as sr ar sp ap rr rp
	read -r ss as < <(fitted "$1-strata")
	read -r sr ar < <(fitted "$1-raw")
	read -r sp ap < <(fitted "$1-partclone")
	rr=$(goal_range "$2" "$ss" "$as" "$sr" "$ar")
	rp=$(goal_range "$2" "$ss" "$as" "$sp" "$ap")
	echo "**$1**: strata $as s + $ss s/MiB, raw $ar s + $sr s/MiB, partclone $ap s + $sp s/MiB.  Strata <= $2x raw: $(goal_text "$rr" "used root"); <= $2x partclone: $(goal_text "$rp" "used root"); **<= $2x the best: $(goal_text "$(both "$rr" "$rp")" "used root")**."
}
MD=$RES/poweron.md
{
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'): one VM (q35, OVMF, QEMU $(qemu-system-x86_64 --version | head -1 | awk '{ print $4 }'), **2 vCPUs under multi-threaded TCG** (\`-smp 2 -accel tcg,thread=multi\`), 1 GiB, virtio-net and virtio-blk, the iPXE ROM) in tests/lib/lab.sh's lab, the same for every tool; $(nproc) host cores, load average $LOAD0 at the start, $LOAD1 at the end (compare ratios within one run); strata-server release build; $(sed -n 's/^ramdisk:   kernel //p' "$W/ramdisk.log") and a $(mib "$(stat -c %s "$W/root/boot/initrd.img")") MiB initramfs for the ramdisk.  One boot per cell, seconds on the host's clock from iPXE's hand-over (strata.efi's first line, or the ramdisk script's line just before \`boot\`: the kernel's EFI stub counts) to the disk written (strata.efi's \`deployment complete\`, or the ramdisk's \`rdbench: done\` after sync)."
	echo
	echo "The gold PC: GPT, ESP 16 MiB, root ext4 of ROOT_MIB MiB (75 % full of /usr files and a 2 MiB /etc/blob) on a disk of ROOT_MIB + 20 MiB.  **first**: version 1 onto a blank disk; **reimage**: version 2 (/etc/blob replaced, a 3 MiB /etc/added: 5 MiB of new random data, rebuilt with strata-image) onto version 1's disk.  **strata**: strata.efi deploys the layers; **raw**: the ramdisk runs \`wget -O - | gunzip > /dev/vda\` of the whole disk image (busybox wget in place of curl); **partclone**: the ramdisk writes the GPT's MiB the same way, then \`wget | gunzip | partclone.restore\` per partition (partclone.vfat/.ext4 -c | gzip images).  The ramdisk's images are made from Strata's disks."
	echo
	echo "| root (MiB) | used (MiB) | scenario | tool | fetched (MB) | hand-over to disk written (s) | before the clock (s) | QEMU start to exit (s) | / best ramdisk |"
	echo "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"
	for s in $SIZES; do
		for sc in first reimage; do
			for t in strata raw partclone; do
				echo "| $s | ${USED[$s]} | $sc | $t | $(mbs "$(get "$sc-$t$s" 5)") | $(get "$sc-$t$s" 3) | $(get "$sc-$t$s" 4) | $(get "$sc-$t$s" 2) | $(ratio "$(get "$sc-$t$s" 3)" "$(best "$sc" "$s")") |"
			done
		done
	done
	echo
	echo "Strata's own split (strata.efi's \`layer ...: N ms: check ..., fetch ... (network, inflate+verify, disk write)\` lines, summed over ESP and root; seconds on the agent's clock):"
	echo
	echo "| run | hand-over to done (host) | all layers | check | (disk read | hashing) | fetch | (network | inflate+verify | disk write) | cores |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	for sc in first reimage; do
		for s in $SIZES; do
			echo "| $sc-strata$s | $(get "$sc-strata$s" 3) | $(split_of "$sc-strata$s" | tr ' ' '|' | sed 's/|/ | /g') | $(sed -n 's/.*layer root: cores \([0-9]*\): \([0-9]*\) chunks.* \([0-9]*\) on the others.*/\1 (BSP \2, others \3 chunks)/p' "$LAB_RUN/$sc-strata$s.log" | head -1) |"
		done
	done
	echo
	echo "The ramdisk's fixed cost and steps: the host's seconds from the hand-over to /init's first line (the kernel's EFI stub and boot), the kernel's uptime then, and each later step by the guest's clock (seconds since the previous mark):"
	echo
	echo "| run | hand-over to /init (host) | /init at (uptime) | modules, network | steps (GPT, partitions or the whole disk) | sync |"
	echo "| --- | ---: | ---: | ---: | --- | ---: |"
	for sc in first reimage; do
		for s in $SIZES; do
			for t in raw partclone; do
				n=$sc-$t$s
				printf '| %s | %s | %s | %s | %s | %s |\n' "$n" "$(span "$n" 'rdbench: iPXE hands over' 'rdbench: start')" "$(sed -n 's/.*rdbench: start (uptime \([0-9.]*\) s).*/\1/p' "$LAB_RUN/$n.log")" \
					"$(awk -v n="$n" '$1 == n && $3 == "network" { print $2 }' "$W/steps")" \
					"$(awk -v n="$n" '$1 == n && $3 == "step" { printf "%s%s %s", sep, $6, $2; sep = ", " }' "$W/steps")" \
					"$(awk -v n="$n" '$1 == n && $3 == "done" { print $2 }' "$W/steps")"
			done
		done
	done
	echo
	echo "Checks: $(awk '{ n = $1; $1 = ""; printf "%s:%s. ", n, $0 }' "$W/checks")(Strata's and partclone's disks: the GPT's MiB, the ESP and the root byte for byte against the gold layers; raw's whole disk against its image.)"
	echo
	echo "Fits over the root's used MiB ($(for s in $SIZES; do printf '%s ' "${USED[$s]}"; done | sed 's/ $//')), hand-over to disk written:"
	echo
	echo "- $(goals first 0.5)"
	echo "- $(goals reimage 0.1)"
	echo
	echo "Run: \`flock /work/vm.lock env ROOT_MIB=\"$SIZES\" bash tests/bench/poweron.sh build\`."
} >"$MD"
cat "$MD"
doc_section "$ROOT/docs/benchmarks.md" poweron "Power-on to a written disk" "Generated by tests/bench/poweron.sh (issue 18's benchmark; the VM harness is tests/bench/lib/vmbench.sh's, shared with restore.sh, and the imaging ramdisk is tests/bench/lib/ramdisk.sh's)." "$MD" ||
	die "cannot update docs/benchmarks.md"
log "wrote $MD and the section \"Power-on to a written disk\" of docs/benchmarks.md"
