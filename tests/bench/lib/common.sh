# Shared by the bench scripts: messages, tool checks and the small arithmetic every report
# uses.  Source it after setting BENCH to the script's name (for the messages' prefix).
#
#   die MSG...        print "BENCH: MSG" on stderr and exit 1
#   log MSG...        print "BENCH: [Ns] MSG" on stderr (N: seconds since the script began)
#   need TOOL HOW     die unless TOOL is on PATH, saying how to install it
#   mib BYTES         BYTES in MiB with one decimal
#   ratio A B         A / B with two decimals, "n/a" when A is n/a or B is not positive
#   bench_lab_tools   for the benches that boot tests/lib/lab.sh's VMs, after bench_dirs:
#                     EFI, KEY and STRATA_SERVER (exported) from $BUILD; dies unless they
#                     and SI exist, we are root, and QEMU and dnsmasq are installed (PATH
#                     gains /usr/sbin and /sbin)
#   bench_lab_dir NAME [CLEANUP]
#                     for those benches, after bench_lab_tools: source tests/lib/netns.sh
#                     and lab.sh; W (a new world-readable /tmp/strata-bench-NAME.XXXXXX: the
#                     server and QEMU run as other users), LAB_RUN ($W/run) and RES
#                     ($BUILD/bench/results), all made; netns_init's clean-up runs CLEANUP,
#                     then removes W unless KEEP=1
#   bench_help        print the sourcing script's header comment (its usage), for --help
# Sourcing this file answers -h or --help as the script's first argument with bench_help
# and exits, so every bench has --help before it looks at its arguments.
die() { echo "$BENCH: $*" >&2; exit 1; }
log() { echo "$BENCH: [${SECONDS}s] $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "missing tool '$1' (install: $2)"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# bench_dirs BUILD_DIR: set HERE (tests/bench), ROOT (the repository), BUILD (BUILD_DIR made
# absolute, created) and SI (its release strata-image), and source lib/doc.sh.
bench_dirs() {
	HERE=$(cd "$(dirname "$0")" && pwd)
	ROOT=$(cd "$HERE/../.." && pwd)
	. "$HERE/lib/doc.sh"
	mkdir -p "$1"
	BUILD=$(cd "$1" && pwd)
	SI=$BUILD/rel/strata-image
}

# bench_lab_tools (see the top).
bench_lab_tools() {
	local f
	EFI=$BUILD/efi/strata.efi
	KEY=$BUILD/keys/strata.key
	export STRATA_SERVER=$BUILD/rel/strata-server
	for f in "$SI" "$STRATA_SERVER" "$EFI" "$KEY"; do [ -f "$f" ] || die "$f not found: run 'make build-all'"; done
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
	PATH=$PATH:/usr/sbin:/sbin
	need qemu-system-x86_64 qemu-system-x86
	need dnsmasq dnsmasq-base
}

# bench_lab_dir NAME [CLEANUP] (see the top).
bench_lab_dir() {
	. "$ROOT/tests/lib/netns.sh"
	. "$ROOT/tests/lib/lab.sh"
	W=$(mktemp -d "/tmp/strata-bench-$1.XXXXXX") || die "cannot make a work folder in /tmp"
	chmod 755 "$W"
	LAB_RUN=$W/run
	RES=$BUILD/bench/results
	mkdir -p "$LAB_RUN" "$RES"
	netns_init "${2:+$2; }"'[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"'
}

# bench_help (see the top).
bench_help() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
case ${1:-} in -h | --help) bench_help; exit 0 ;; esac
