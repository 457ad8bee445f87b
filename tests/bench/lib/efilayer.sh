# Shared by the bench scripts that deploy one layer with strata.efi in tests/lib/lab.sh's
# lab (efi.sh, cores.sh): the checks and folders, the layer, the server's root, one boot.
# Source it after lib/common.sh (BENCH set), then call efilayer_setup first.
#
#   efilayer_setup BUILD_DIR NAME [CLEANUP]
#       die unless root with `make build-all`'s outputs and QEMU; bench_dirs, REPO (ROOT),
#       bench_lab_tools and bench_lab_dir NAME CLEANUP (lib/common.sh: W, LAB_RUN, RES,
#       the clean-up); make $W/root/boot.
#   efilayer_make MIB UUID
#       the layer: a MIB MiB ext4 image (filesystem UUID UUID, so runs compare) of this
#       machine's /usr/share/doc and /usr/bin, about 60 % full, built into $W/root/store.
#       Sets LAYER (its id) and leaves the image at $W/root.img.  Non-zero on failure.
#   efilayer_root MAC MIB
#       $W/root as the lab server's root: strata.efi in boot/, an inventory.conf that
#       deploys LAYER to a MIB MiB partition of the machine MAC.
#   efilayer_data_bytes
#       on stdout: the bytes of the layer's data chunks (zlib or raw), what a check of an
#       unchanged disk hashes (zero and free chunks are not hashed).
#   efilayer_blob FILE
#       FILE: every chunk file of the layer (zlib or raw; zero and free chunks have none),
#       in index order (what a plain download of the layer moves); its size on stdout.
#   efilayer_boot NAME MAC
#       one deployment: ask the server to deploy the machine, boot it (lab_vm, with the
#       caller's LAB_SMP and LAB_ACCEL) on $W/disk.img; dies unless $LAB_RUN/NAME.debug
#       says "deployment complete".  Meanwhile it samples the host's CPU time twice a
#       second for efilayer_others.
#   efilayer_others NAME
#       on stdout: how many of the host's cores the work other than boot NAME's QEMU kept
#       busy while it ran (busy CPU time in /proc/stat less QEMU's own, over the time),
#       e.g. 0.35, or n/a.  TCG's vCPUs are host threads: on this 2-core host any other
#       work takes time from them, and a scaling ratio means little without this figure.
#   efilayer_quiet SECONDS
#       wait until the host's cores were busy less than 0.3 core-seconds in one second
#       (other work: nothing of ours runs then), at most SECONDS; prints that last figure.
#   efilayer_line NAME PATTERN
#       on stdout: the first line of NAME's agent log (carriage returns dropped) that
#       matches the grep PATTERN.
#   efilayer_cores NAME
#       on stdout: "B A W" from NAME's agent log line "layer root: cores N: B chunks hashed
#       or inflated on the boot processor, A on the others; W ms waiting for them" (the
#       first such line: the layer's), or "n/a n/a n/a".
#   median
#       the median of the numbers on stdin, one a line ("n/a" when none).

# efilayer_setup BUILD_DIR NAME [CLEANUP] (see the top).
efilayer_setup() {
	bench_dirs "$1"
	REPO=$ROOT
	bench_lab_tools
	bench_lab_dir "$2" "${3:-}"
	mkdir -p "$W/root/boot"
}

# efilayer_make MIB UUID (see the top).
efilayer_make() {
	local mib=$1 cap=$(($1 * 6 / 10 << 20)) sum=0 f sz
	mkdir -p "$W/tree"
	find /usr/share/doc /usr/bin -type f -size -8M | sort > "$W/files"
	while read -r f; do
		sz=$(stat -c %s "$f")
		[ $((sum + sz)) -lt "$cap" ] || break
		cp -p --parents "$f" "$W/tree/" 2>/dev/null && sum=$((sum + sz))
	done < "$W/files"
	mkfs.ext4 -q -F -U "$2" -d "$W/tree" "$W/root.img" "${mib}M" || return 1
	rm -rf "$W/tree"
	LAYER=$($SI build --store "$W/root/store" "$W/root.img" 2>/dev/null | tail -1)
	[ -n "$LAYER" ]
}

# efilayer_root MAC MIB (see the top).
efilayer_root() {
	cp "$EFI" "$W/root/boot/"
	cat > "$W/root/inventory.conf" <<EOF
default local
profile bench
part label=root type=linux size=${2}M layer=$LAYER
machine $1 name=bench1 profile=bench action=deploy
EOF
	chmod -R a+rX "$W/root"
}

# The layer's chunk lines: "chunk I offset O length L stored S CODEC DIGEST".
efilayer_chunks() { $SI inspect --store "$W/root/store" --chunks "$LAYER"; }

efilayer_data_bytes() {
	efilayer_chunks | awk '$1 == "chunk" && ($9 == "zlib" || $9 == "raw") { b += $6 }
		END { print b + 0 }'
}

efilayer_blob() {
	efilayer_chunks |
		awk '$1 == "chunk" && ($9 == "zlib" || $9 == "raw") { print substr($10, 1, 2) "/" $10 }' |
		(cd "$W/root/store/chunks" && xargs cat) > "$1"
	stat -c %s "$1"
}

# efilayer_boot NAME MAC (see the top).
efilayer_boot() {
	local sampler
	lab_curl -s -X POST "$(lab_url)/api/deploy/bench1" >/dev/null
	rm -f "$W/$1.pid"
	efilayer_sample "$W/$1.pid" > "$LAB_RUN/$1.cpu" & sampler=$!
	lab_vm "$1" "$2" "$W/disk.img" -pidfile "$W/$1.pid" || log "$1: the VM ended with status $?"
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	grep -q "strata.efi: deployment complete" "$LAB_RUN/$1.debug" ||
		die "$1: no deployment (see $LAB_RUN/$1.debug)"
}

# efilayer_sample PIDFILE: every half second while the process PIDFILE names lives, "time
# host_busy_ticks its_ticks" (clock ticks: /proc/stat's busy columns; its utime + stime).
efilayer_sample() {
	local pid busy own
	while :; do
		pid=$(cat "$1" 2>/dev/null)
		if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then
			busy=$(efilayer_busy)
			own=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) &&
				echo "$EPOCHREALTIME $busy $own"
		fi
		sleep 0.5
	done
}

efilayer_others() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { t = $1; b = $2; o = $3 } { T = $1; B = $2; O = $3 }
		END { if (NR > 1 && T > t) printf "%.2f\n", ((B - b) - (O - o)) / hz / (T - t); else print "n/a" }' \
		"$LAB_RUN/$1.cpu"
}

# The host's busy clock ticks so far (/proc/stat's first line).
efilayer_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

efilayer_quiet() {
	local end=$((SECONDS + $1)) a b used
	while :; do
		a=$(efilayer_busy); sleep 1; b=$(efilayer_busy)
		used=$(awk -v d="$((b - a))" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", d / hz }')
		awk -v u="$used" 'BEGIN { exit !(u < 0.3) }' && break
		[ "$SECONDS" -lt "$end" ] || break
	done
	echo "$used"
}

efilayer_line() { tr -d '\r' < "$LAB_RUN/$1.debug" | grep -m1 -- "$2"; }

efilayer_cores() {
	local c
	c=$(efilayer_line "$1" "layer root: cores [0-9]*:" |
		sed -n 's/.*: \([0-9]*\) chunks hashed .* processor, \([0-9]*\) on the others; \([0-9]*\) ms.*/\1 \2 \3/p')
	echo "${c:-n/a n/a n/a}"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
		else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
