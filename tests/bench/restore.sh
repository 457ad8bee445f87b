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
case ${1:-} in -h | --help) sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ $# -eq 1 ] || die "usage: restore.sh BUILD_DIR (or --help)"
bench_dirs "$1"
EFI=$BUILD/efi/strata.efi
KEY=$BUILD/keys/strata.key
export STRATA_SERVER=$BUILD/rel/strata-server
for f in "$SI" "$STRATA_SERVER" "$EFI" "$KEY"; do [ -f "$f" ] || die "$f not found: run 'make build-all'"; done
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
PATH=$PATH:/usr/sbin:/sbin
need qemu-system-x86_64 qemu-system-x86
need dnsmasq dnsmasq-base
need partclone.ext4 partclone
need perl perl-base
need sfdisk fdisk
SIZES=${DATA_MIB:-64 256}
for s in $SIZES; do [[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge 16 ] || die "DATA_MIB: '$s' is not a size in MiB (16 or more)"; done
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/lib/lab.sh"
. "$ROOT/tests/lib/gold.sh"

W=$(mktemp -d /tmp/strata-bench-restore.XXXXXX)
chmod 755 "$W"
LAB_RUN=$W/run
RES=$BUILD/bench/results
mkdir -p "$LAB_RUN" "$RES"
netns_init '[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"'
LAB_VM_TIMEOUT=${LAB_VM_TIMEOUT:-900}
RD_IP=10.78.0.50/24

mac_of() { printf '52:54:00:5a:0d:%02x' "$1"; }   # mac_of N: the lab's Nth PC
# user_fs MIB OUT: an ext4 of MIB MiB, 75 % full of /usr files (sorted, so runs compare).
user_fs() {
	local cap=$(($1 * 3 / 4 << 20)) sum=0 f sz t=$W/tree
	rm -rf "$t" && mkdir -p "$t"
	while read -r f; do
		sz=$(stat -c %s "$f")
		[ $((sum + sz)) -lt "$cap" ] || continue
		cp -p --parents "$f" "$t/" 2>/dev/null && sum=$((sum + sz))
		[ $((cap - sum)) -gt 65536 ] || break
	done < <(find /usr/share/doc /usr/lib /usr/bin -type f -size -8M | sort)
	mkfs.ext4 -q -F -b 4096 -U "5f1a2b3c-0000-4000-8000-0000000d$(printf %04x "$1")" -d "$t" "$2" "${1}M" >"$W/mkfs.log" 2>&1 ||
		die "mkfs.ext4 of the user's $1 MiB failed"
	rm -rf "$t"
}

# capture N MIB: the user data of PC N (a new ext4) captured as its generation; waits until
# its manifest names the generation (policy=restore).
capture() {
	local n=$1 mib=$2 tk
	user_fs "$mib" "$W/data$mib.img"
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

services() {   # services strata|plain
	lab_stop_services
	if [ "$1" = plain ]; then
		LAB_SERVER_OPTS="--dhcp off" LAB_DNSMASQ_OPTS="--dhcp-match=set:ipxe,175 \
--dhcp-boot=tag:ipxe,http://$LAB_IP/boot/rd.ipxe" lab_services "$W/root" "$KEY"
	else
		lab_services "$W/root" "$KEY"
	fi || die "the lab's services did not start (see $LAB_RUN)"
}

# boot NAME MAC DISK: boot a VM with its serial port stamped line by line into
# $LAB_RUN/NAME.log ("EPOCH.mmm LINE", escapes and CRs removed); prints QEMU's seconds.
boot() {
	local fifo=$LAB_RUN/$1.serial t0 t1 rd
	rm -f "$fifo" && mkfifo "$fifo"
	perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } s/\r//g; s/\e\[[0-9;=?]*[a-zA-Z]//g;
		printf "%.3f %s", time, $_' <"$fifo" >"$LAB_RUN/$1.log" &
	rd=$!
	t0=$(date +%s.%N)
	lab_vm "$1" "$2" "$3" || log "$1: the VM ended with status $?"
	t1=$(date +%s.%N)
	{ sleep 2; kill "$rd" 2>/dev/null; } >/dev/null 2>&1 &
	wait "$rd" 2>/dev/null
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
}
# at NAME REGEX: the stamp of the first line of NAME's log matching REGEX (empty if none).
at() { awk -v re="$2" '$0 ~ re { print $1; exit }' "$LAB_RUN/$1.log"; }
# span NAME A B: seconds from the first line matching A to the first matching B after it.
span() {
	local a b
	a=$(at "$1" "$2"); b=$(at "$1" "$3")
	[ -n "$a" ] && [ -n "$b" ] || die "$1: no '$2' ... '$3' on its console (see $LAB_RUN/$1.log)"
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", b - a }'
}

# strata NAME MACHINE MAC MIB: one Strata boot of MACHINE on a blank disk ($W/NAME.img);
# appends "NAME total handover fetch bytes agent_s" to $W/runs.
strata() {
	local name=$1 machine=$2 mac=$3 mib=$4 total t f bytes ms
	rm -f "$W/$name.img" && truncate -s $((mib + 72))M "$W/$name.img"
	lab_curl -s -X POST "$(lab_url)/api/deploy/$machine" >/dev/null
	log "$name: Strata on a blank disk of $((mib + 72)) MiB"
	total=$(boot "$name" "$mac" "$W/$name.img")
	grep -q 'strata.efi: deployment complete' "$LAB_RUN/$name.log" || die "$name: no deployment (see $LAB_RUN/$name.log)"
	t=$(span "$name" 'strata\.efi: Strata UEFI agent' 'strata\.efi: deployment complete')
	f=$(span "$name" 'Strata: deploying' 'strata\.efi: Strata UEFI agent')
	bytes=$(sed -n 's/.*chunks fetched (\([0-9]*\) bytes).*/\1/p' "$LAB_RUN/$name.log" | head -1)
	ms=$(sed -n 's/.*deployment complete:.*, \([0-9]*\) ms.*/\1/p' "$LAB_RUN/$name.log" | head -1)
	echo "$name $total $t $f ${bytes:-0} $(awk -v m="${ms:-0}" 'BEGIN { printf "%.2f", m / 1000 }')" >>"$W/runs"
	log "$name: $t s from hand-over ($(tail -1 "$W/runs"))"
}

# cz_images MIB: Clonezilla's images of the restore run's disk, into $W/root/boot/czMIB-*:
# the first MiB (GPT) gzipped, and a partclone image per partition through gzip.
cz_images() {
	local mib=$1 disk p off next tool
	disk=$W/restore$mib.img
	head -c 1M "$disk" | gzip -c >"$W/root/boot/cz$mib-gpt.gz"
	for p in 1 2 3 4; do
		off=$(part_start "$disk" "$p")
		if [ "$p" = 4 ]; then next=$(($(stat -c %s "$disk") - (1 << 20))); else next=$(part_start "$disk" $((p + 1))); fi
		dd if="$disk" of="$W/part.img" bs=1M iflag=skip_bytes,count_bytes skip="$off" count=$((next - off)) 2>/dev/null
		case $p in 1 | 3) tool=partclone.vfat ;; *) tool=partclone.ext4 ;; esac
		$tool -c -s "$W/part.img" -o - -L "$W/partclone.log" 2>/dev/null | gzip -c >"$W/root/boot/cz$mib-p$p.pc.gz" ||
			die "$tool -c of partition $p of $disk failed (see $W/partclone.log)"
	done
	rm -f "$W/part.img"
	chmod a+r "$W/root/boot/"cz*
}

# clonezilla NAME MAC MIB: the ramdisk restores the PC; appends
# "NAME total handover fetch bytes guest_s" to $W/runs and "NAME step secs" to $W/steps.
clonezilla() {
	local name=$1 mac=$2 mib=$3 total t f bytes p steps
	steps="raw:cz$mib-gpt.gz:/dev/vda"
	for p in 1 2 3 4; do steps="$steps,pc:cz$mib-p$p.pc.gz:/dev/vda$p"; done
	cat >"$W/root/boot/rd.ipxe" <<EOF
#!ipxe
kernel http://$LAB_IP/boot/vmlinuz initrd=initrd.img console=ttyS0,115200 earlycon=uart8250,io,0x3f8,115200 panic=-1 rd.ip=$RD_IP rd.url=http://$LAB_IP/boot rd.do=$steps
initrd http://$LAB_IP/boot/initrd.img
echo rdbench: iPXE hands over to the kernel
boot
EOF
	chmod a+r "$W/root/boot/rd.ipxe"
	rm -f "$W/$name.img" && truncate -s $((mib + 72))M "$W/$name.img"
	log "$name: the ramdisk on a blank disk of $((mib + 72)) MiB"
	total=$(boot "$name" "$mac" "$W/$name.img")
	grep -q 'rdbench: done' "$LAB_RUN/$name.log" || die "$name: the ramdisk did not finish (see $LAB_RUN/$name.log)"
	t=$(span "$name" 'rdbench: iPXE hands over' 'rdbench: done')
	f=$(span "$name" 'rd\.ipxe : [0-9]+ bytes' 'rdbench: iPXE hands over')
	bytes=$(cat "$W/root/boot/cz$mib-"* | wc -c)
	echo "$name $total $t $f $bytes $(sed -n 's/.*rdbench: done (uptime \([0-9.]*\) s).*/\1/p' "$LAB_RUN/$name.log")" >>"$W/runs"
	# Each step by the guest's clock: from the previous mark to its own.
	sed -n 's/.*rdbench: \(.*\) (uptime \([0-9.]*\) s).*/\2 \1/p' "$LAB_RUN/$name.log" |
		awk -v n="$name" '{ if (NR > 1) { $1 = $1; printf "%s %.2f %s\n", n, $1 - p, substr($0, index($0, " ") + 1) } p = $1 }' >>"$W/steps"
	log "$name: $t s from hand-over ($(tail -1 "$W/runs"))"
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

get() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$W/runs"; }

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
	cz_images "$s"
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
# fit RUN: "slope intercept" of RUN's hand-over time against DATA_MIB (least squares).
fit() {
	local s
	for s in $SIZES; do echo "$s $(get "$1$s" 3)"; done |
		awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
		     END { d = n * sxx - sx * sx; if (n < 2 || d == 0) { print "n/a n/a"; exit }
		           k = (n * sxy - sx * sy) / d; printf "%.5f %.2f\n", k, (sy - k * sx) / n }'
}
# where SR AR SC AC: the sizes at which restore <= 0.5x clonezilla, from the two fits.
where() {
	awk -v sr="$1" -v ar="$2" -v sc="$3" -v ac="$4" 'BEGIN {
		if (sr == "n/a") { print "n/a (one size only: give DATA_MIB two sizes or more)"; exit }
		k = sr - 0.5 * sc; m = 0.5 * ac - ar
		if (k < 0) { x = m / k; if (x <= 0) print "at every size"; else printf "from about %.0f MiB of user data up\n", x }
		else if (k > 0) { if (m < 0) print "at no size"; else printf "up to about %.0f MiB of user data\n", m / k }
		else print (m >= 0 ? "at every size" : "at no size") }'
}
mbs() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
MD=$RES/restore.md
read -r SR AR < <(fit restore)
read -r SF AF < <(fit fresh)
read -r SC AC < <(fit clonezilla)
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
	echo "Fits over DATA_MIB ($SIZES), hand-over to done: restore ${AR} s + ${SR} s/MiB; fresh ${AF} s + ${SF} s/MiB; clonezilla ${AC} s + ${SC} s/MiB.  Goal restore <= 0.5x clonezilla: holds $(where "$SR" "$AR" "$SC" "$AC")."
	echo
	echo "Run: \`flock /work/vm.lock env DATA_MIB=\"$SIZES\" bash tests/bench/restore.sh build\`."
} >"$MD"
cat "$MD"
doc_section "$ROOT/docs/benchmarks.md" restore "Restore a failed PC" "Generated by tests/bench/restore.sh (issue 13's benchmark; the imaging ramdisk is tests/bench/lib/ramdisk.sh's)." "$MD" ||
	die "cannot update docs/benchmarks.md"
log "wrote $MD and the section \"Restore a failed PC\" of docs/benchmarks.md"
