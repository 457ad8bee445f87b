# Shared by the benches that race strata.efi against the imaging ramdisk (lib/ramdisk.sh)
# in tests/lib/lab.sh's lab: restore.sh and poweron.sh.  Source it after lib/common.sh and
# bench_dirs; the functions after vm_lab need what vm_lab (or vm_open) sources and sets (W:
# the work folder, the server's root is $W/root).  Each run's results go into $W/runs, one line
# "NAME qemu_s handover_s before_s bytes own_s" (seconds on the host's clock: QEMU start to
# exit, hand-over to done, iPXE's script to the hand-over; bytes fetched; the agent's or
# the guest's own seconds), and the ramdisk's steps into $W/steps ("NAME secs STEP").
#
#   vm_open NAME VAR DEFAULT MIN
#                               a bench's opening: vm_prereqs; SIZES from the environment's
#                               VAR (else DEFAULT), dying unless each is a whole MiB >= MIN;
#                               LOAD0 (the host's load averages before any run); vm_lab NAME
#   vm_prereqs                  EFI, KEY and STRATA_SERVER (exported) from $BUILD; dies
#                               unless they exist, we are root and the lab's and the
#                               ramdisk's tools are installed (PATH gains /usr/sbin, /sbin)
#   vm_lab NAME                 bench_lab_dir NAME (lib/common.sh: W, LAB_RUN, RES, the
#                               clean-up), tests/lib/gold.sh and LAB_VM_TIMEOUT (default
#                               900 s)
#   usr_tree DIR BYTES          fill DIR with up to BYTES of this machine's /usr files
#                               (docs, libraries, programs; sorted, so runs compare)
#   usr_fs MIB OUT UUID         an ext4 of MIB MiB, 75 % full of usr_tree's files
#   services strata|plain       (re)start the lab's services: strata-server with its
#                               proxyDHCP, or dnsmasq handing iPXE $W/root/boot/rd.ipxe
#                               (strata-server serves files only)
#   boot NAME MAC DISK          one VM, its serial port stamped line by line into
#                               $LAB_RUN/NAME.log ("EPOCH.mmm LINE"); prints QEMU's seconds
#   at NAME REGEX               the stamp of NAME's first line matching REGEX
#   span NAME A B               seconds from the first line matching A to the first
#                               matching B (dies when either is missing)
#   strata_run NAME MACHINE MAC DISK
#                               order MACHINE to deploy and boot it on DISK (as it is)
#   pc_images DISK PREFIX       Clonezilla's images of DISK into $W/root/boot: the first MiB
#                               gzipped (PREFIX-gpt.gz) and a partclone image per
#                               partition through gzip (PREFIX-pN.pc.gz); prints the
#                               ramdisk's steps that restore them
#   raw_image DISK PREFIX       the whole DISK gzipped (PREFIX-disk.gz); prints its step
#   ramdisk_run NAME MAC DISK STEPS
#                               iPXE boots the ramdisk, which runs STEPS on DISK
#   get NAME COL                column COL of NAME's line in $W/runs
#   fit                         "slope intercept" of stdin's "x y" lines (least squares),
#                               "n/a n/a" with fewer than two sizes
#   goal_range F SA AA SB AB    the sizes (MiB) where A (SA s/MiB + AA s) <= F x B (SB, AB):
#                               "LO HI" (HI may be "inf"), "none", or "n/a" without fits
#   goal_text RANGE WHAT        RANGE in words: "at every size", "from about N MiB of
#                               WHAT up", "up to about N MiB of WHAT", "at no size", ...
#   goal_size F SA AA SB AB WHAT   goal_text of goal_range
# Times are the host's clock: QEMU's serial port is a FIFO read by a process that stamps
# each line as it arrives.  The clock of a run starts when iPXE hands over: strata.efi's
# first line, or the line the ramdisk's iPXE script prints just before its `boot` (from
# then on the time is the kernel's, its EFI stub's decompression included).

RD_IP=10.78.0.50/24   # the ramdisk's address on the lab's bridge

vm_open() {
	local s
	vm_prereqs
	SIZES=${!2:-$3}
	for s in $SIZES; do
		[[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge "$4" ] || die "$2: '$s' is not a size in MiB ($4 or more)"
	done
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	vm_lab "$1"
}

vm_prereqs() {
	bench_lab_tools
	need partclone.ext4 partclone
	need partclone.vfat partclone
	need perl perl-base
	need sfdisk fdisk
}

vm_lab() {
	local timeout=${LAB_VM_TIMEOUT:-900}   # lab.sh, sourced next, sets its own default
	bench_lab_dir "$1"
	. "$ROOT/tests/lib/gold.sh"
	LAB_VM_TIMEOUT=$timeout
}

usr_tree() {
	local dir=$1 cap=$2 sum=0 f sz
	mkdir -p "$dir"
	while read -r f; do
		sz=$(stat -c %s "$f")
		[ $((sum + sz)) -lt "$cap" ] || continue
		cp -p --parents "$f" "$dir/" 2>/dev/null && sum=$((sum + sz))
		[ $((cap - sum)) -gt 65536 ] || break
	done < <(find /usr/share/doc /usr/lib /usr/bin -type f -size -8M | sort)
}

usr_fs() {
	local t=$W/tree
	rm -rf "$t"
	usr_tree "$t" $(($1 * 3 / 4 << 20))
	mkfs.ext4 -q -F -b 4096 -U "$3" -d "$t" "$2" "${1}M" >"$W/mkfs.log" 2>&1 ||
		die "mkfs.ext4 of $1 MiB of /usr files failed (see $W/mkfs.log)"
	rm -rf "$t"
}

services() {
	lab_stop_services
	if [ "$1" = plain ]; then
		LAB_SERVER_OPTS="--dhcp off" LAB_DNSMASQ_OPTS="--dhcp-match=set:ipxe,175 \
--dhcp-boot=tag:ipxe,http://$LAB_IP/boot/rd.ipxe" lab_services "$W/root" "$KEY"
	else
		lab_services "$W/root" "$KEY"
	fi || die "the lab's services did not start (see $LAB_RUN)"
}

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

at() { awk -v re="$2" '$0 ~ re { print $1; exit }' "$LAB_RUN/$1.log"; }

span() {
	local a b
	a=$(at "$1" "$2"); b=$(at "$1" "$3")
	[ -n "$a" ] && [ -n "$b" ] || die "$1: no '$2' ... '$3' on its console (see $LAB_RUN/$1.log)"
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", b - a }'
}

# strata_run: own_s is the agent's "deployment complete" milliseconds, in seconds.
strata_run() {
	local name=$1 total t f bytes ms
	lab_curl -s -X POST "$(lab_url)/api/deploy/$2" >/dev/null
	total=$(boot "$name" "$3" "$4")
	grep -q 'strata.efi: deployment complete' "$LAB_RUN/$name.log" || die "$name: no deployment (see $LAB_RUN/$name.log)"
	t=$(span "$name" 'strata\.efi: Strata UEFI agent' 'strata\.efi: deployment complete')
	f=$(span "$name" 'Strata: deploying' 'strata\.efi: Strata UEFI agent')
	bytes=$(sed -n 's/.*chunks fetched (\([0-9]*\) bytes).*/\1/p' "$LAB_RUN/$name.log" | head -1)
	ms=$(sed -n 's/.*deployment complete:.*, \([0-9]*\) ms.*/\1/p' "$LAB_RUN/$name.log" | head -1)
	echo "$name $total $t $f ${bytes:-0} $(awk -v m="${ms:-0}" 'BEGIN { printf "%.2f", m / 1000 }')" >>"$W/runs"
	log "$name: $t s from hand-over ($(tail -1 "$W/runs"))"
}

# _part_tool FILE: the partclone program for the filesystem in FILE.
_part_tool() {
	case $(blkid -p -o value -s TYPE "$1" 2>/dev/null) in
	vfat) echo partclone.vfat ;;
	ext2 | ext3 | ext4) echo partclone.ext4 ;;
	*) die "$1: no filesystem partclone is set up for here" ;;
	esac
}

pc_images() {
	local disk=$1 pre=$2 p off size tool steps
	head -c 1M "$disk" | gzip -c >"$W/root/boot/$pre-gpt.gz"
	steps="raw:$pre-gpt.gz:/dev/vda"
	while read -r p off size; do
		dd if="$disk" of="$W/part.img" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$size" 2>/dev/null
		tool=$(_part_tool "$W/part.img")
		$tool -c -s "$W/part.img" -o - -L "$W/partclone.log" 2>/dev/null | gzip -c >"$W/root/boot/$pre-p$p.pc.gz" ||
			die "$tool -c of partition $p of $disk failed (see $W/partclone.log)"
		steps="$steps,pc:$pre-p$p.pc.gz:/dev/vda$p"
	done < <(sfdisk --json "$disk" | tr -d ' \n' | grep -o '"node":"[^"]*","start":[0-9]*,"size":[0-9]*' |
		sed 's/"node":"[^"]*[^0-9]\([0-9]*\)","start":\([0-9]*\),"size":\([0-9]*\)/\1 \2 \3/' |
		awk '{ print $1, $2 * 512, $3 * 512 }')
	rm -f "$W/part.img"
	chmod a+r "$W/root/boot/$pre-"*
	echo "$steps"
}

raw_image() {
	gzip -c "$1" >"$W/root/boot/$2-disk.gz" && chmod a+r "$W/root/boot/$2-disk.gz" || die "gzip of $1 failed"
	echo "raw:$2-disk.gz:/dev/vda"
}

# ramdisk_run: bytes are the steps' files; own_s is the guest's uptime at "rdbench: done".
ramdisk_run() {
	local name=$1 steps=$4 total t f bytes=0 s file
	cat >"$W/root/boot/rd.ipxe" <<EOF
#!ipxe
kernel http://$LAB_IP/boot/vmlinuz initrd=initrd.img console=ttyS0,115200 earlycon=uart8250,io,0x3f8,115200 panic=-1 rd.ip=$RD_IP rd.url=http://$LAB_IP/boot rd.do=$steps
initrd http://$LAB_IP/boot/initrd.img
echo rdbench: iPXE hands over to the kernel
boot
EOF
	chmod a+r "$W/root/boot/rd.ipxe"
	total=$(boot "$name" "$2" "$3")
	grep -q 'rdbench: done' "$LAB_RUN/$name.log" || die "$name: the ramdisk did not finish (see $LAB_RUN/$name.log)"
	t=$(span "$name" 'rdbench: iPXE hands over' 'rdbench: done')
	f=$(span "$name" 'rd\.ipxe : [0-9]+ bytes' 'rdbench: iPXE hands over')
	for s in ${steps//,/ }; do
		file=${s#*:} file=${file%%:*}
		bytes=$((bytes + $(stat -c %s "$W/root/boot/$file")))
	done
	echo "$name $total $t $f $bytes $(sed -n 's/.*rdbench: done (uptime \([0-9.]*\) s).*/\1/p' "$LAB_RUN/$name.log")" >>"$W/runs"
	# Each step by the guest's clock: from the previous mark to its own.
	sed -n 's/.*rdbench: \(.*\) (uptime \([0-9.]*\) s).*/\2 \1/p' "$LAB_RUN/$name.log" |
		awk -v n="$name" '{ if (NR > 1) { $1 = $1; printf "%s %.2f %s\n", n, $1 - p, substr($0, index($0, " ") + 1) } p = $1 }' >>"$W/steps"
	log "$name: $t s from hand-over ($(tail -1 "$W/runs"))"
}

get() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$W/runs"; }

fit() {
	awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
	     END { d = n * sxx - sx * sx; if (n < 2 || d == 0) { print "n/a n/a"; exit }
	           k = (n * sxy - sx * sy) / d; printf "%.5f %.2f\n", k, (sy - k * sx) / n }'
}

goal_range() {
	awk -v f="$1" -v sr="$2" -v ar="$3" -v sc="$4" -v ac="$5" 'BEGIN {
		if (sr == "n/a" || sc == "n/a") { print "n/a"; exit }
		k = sr - f * sc; m = f * ac - ar
		if (k < 0) { x = m / k; printf "%.0f inf\n", (x > 0 ? x : 0) }
		else if (k > 0) { if (m < 0) print "none"; else printf "0 %.0f\n", m / k }
		else print (m >= 0 ? "0 inf" : "none") }'
}

goal_text() {
	case $1 in
	n/a) echo "n/a (one size only: give two sizes or more)" ;;
	none) echo "at no size" ;;
	"0 inf") echo "at every size" ;;
	"0 "*) echo "up to about ${1#0 } MiB of $2" ;;
	*" inf") echo "from about ${1% inf} MiB of $2 up" ;;
	*) echo "from about ${1% *} to about ${1#* } MiB of $2" ;;
	esac
}

goal_size() { goal_text "$(goal_range "$1" "$2" "$3" "$4" "$5")" "$6"; }
