#!/bin/bash
# make soak: the long, repeated and random cases kept out of `make test` (which must stay
# under an hour on 2 cores).  Run it before resolving an issue that adds to it.
#   fuzz:   every libFuzzer target for SOAK_FUZZ_SECONDS (default 300) over its corpus
#   load:   tests/server/load.sh (slow clients, limits, reloads under load) SOAK_ROUNDS times
#   cuts:   tests/e2e/deploy.sh cases 1 and 7 SOAK_ROUNDS times, the server killed at a
#           random point (0-1.5 s) of the root layer's stream each time: the disk must hold
#           only old or verified chunks, and the next boot must complete
#   faults: tests/e2e/faults.sh's power cut and packet loss SOAK_ROUNDS times: QEMU killed
#           at a random point (FAULT_CUT_MS 0-1.2 s after the root layer's first runs
#           request), then booted again to converge; netem loss of 1-10% (FAULT_LOSS) with
#           20 ms latency on an HTTP path and a TFTP boot
#   sb:     tests/e2e/secure-boot.sh with every case SOAK_ROUNDS times: enrollment from a
#           disk and by network boot, the PXE and HTTP Boot deployments, both refusals
#           (unsigned, and signed by another lab's key), and the snakeoil smoke test
#   capkill: tests/e2e/capture.sh cases 1, 5 and 9 SOAK_ROUNDS times, the server killed
#           after a random number (1-20, CAPTURE_KILL_AFTER) of a capture's chunk uploads:
#           earlier generations intact, the next boot sends only what is missing
#   mcast:  tests/e2e/multicast.sh with every case once (make test runs 1 and 2; case 3 is
#           firmware PXE -> snponly.efi -> a multicast deployment)
#   demo:   tests/e2e/demo.sh once with the one-PC demo also through OVMF PXE (make test
#           runs the iPXE ROM and UEFI HTTP Boot)
#   dash:   tests/bench/dashboard.sh once: 5,000 machines in 25 rooms, 500 reporting, the
#           dashboard's API, event streams and page in Chromium measured (docs/benchmarks.md
#           "Dashboard"; the soak prints the table and leaves the document alone)
# Each cut round names its kill delay (and each faults round its loss), so a failing round
# can be run again alone.  It prints one "N passed, N failed" line, like make test.  About
# 1 h 40 with the defaults.
# Usage: tests/soak/run.sh [--help] [BUILD_DIR]   (SOAK_ROUNDS, SOAK_FUZZ_SECONDS,
#        SOAK_ONLY="fuzz load cuts faults sb capkill mcast demo dash")
set -u
case ${1:-} in
-h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
BUILD=${1:-build}
ROUNDS=${SOAK_ROUNDS:-3}
FUZZ_SECONDS=${SOAK_FUZZ_SECONDS:-300}
ONLY=${SOAK_ONLY:-fuzz load cuts faults sb capkill mcast demo dash}
. "$(dirname "$0")/../lib/suite.sh"

want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

if want fuzz; then
	for t in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$t" ] && suite "soak fuzz $(basename "$t") (${FUZZ_SECONDS}s)" fuzz "$t"
	done
fi
for r in $(seq "$ROUNDS"); do
	want load && suite "soak load round $r/$ROUNDS" bash tests/server/load.sh
	if want cuts; then
		ms=$((RANDOM % 1500))
		suite "soak power cut round $r/$ROUNDS (E2E_KILL_AFTER_MS=$ms)" \
			env E2E_CASES="1 7" E2E_KILL_AFTER_MS=$ms bash tests/e2e/deploy.sh "$BUILD"
	fi
	if want faults; then
		ms=$((RANDOM % 1200))   # the writes of its 30 MB change last about 1.5 s
		loss=$((1 + RANDOM % 10))
		suite "soak faults round $r/$ROUNDS (FAULT_CUT_MS=$ms FAULT_LOSS=$loss)" \
			env FAULT_CASES="cut netem" FAULT_CUT_MS=$ms FAULT_LOSS=$loss \
			bash tests/e2e/faults.sh "$BUILD"
	fi
	want sb && suite "soak secure boot round $r/$ROUNDS" \
		env SB_CASES="enroll enroll-net pxe http refuse other snakeoil" bash tests/e2e/secure-boot.sh "$BUILD"
	if want capkill; then
		n=$((1 + RANDOM % 20))
		suite "soak capture kill round $r/$ROUNDS (CAPTURE_KILL_AFTER=$n)" \
			env CAPTURE_CASES="1 5 9" CAPTURE_KILL_AFTER=$n bash tests/e2e/capture.sh "$BUILD"
	fi
done
want mcast && suite "soak multicast, every case" env E2E_CASES="1 2 3" bash tests/e2e/multicast.sh "$BUILD"
want demo && suite "soak demo through OVMF PXE and HTTP Boot" env DEMO_BOOTS="pxe http" bash tests/e2e/demo.sh "$BUILD"
want dash && suite "soak dashboard at scale (5,000 machines)" env DASH_DOC=0 bash tests/bench/dashboard.sh "$BUILD"
suites_finish
