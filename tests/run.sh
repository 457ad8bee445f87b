#!/bin/bash
# Run every test suite of Strata and print one summary line, "N passed, N failed".
#   unit:        build/san/tests/unit/test_*     (C, ASan+UBSan)
#   integration: tests/integration/*.sh, tests/server/*.sh   (real peers on loopback)
#   security:    tests/security/*.sh   (attacks replayed; each fails if it works again)
#   end to end:  tests/e2e/*.sh   (QEMU with OVMF under TCG)
#   fuzz:        build/fuzz/fuzz_* for FUZZ_SECONDS each (default 5; make soak runs 300) over
#                the seed corpus
# Each suite prints its own "N passed, N failed" as its last line; this sums them.
# Usage: tests/run.sh [BUILD_DIR]   (make test builds everything first)
set -u
BUILD=${1:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
. "$(dirname "$0")/lib/suite.sh"

for t in "$BUILD"/san/tests/unit/test_*; do
	[ -x "$t" ] && suite "unit $(basename "$t")" "$t"
done
for t in tests/integration/*.sh tests/server/*.sh tests/security/*.sh tests/e2e/*.sh; do
	[ -f "$t" ] && suite "$t" bash "$t"
done
for t in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$t" ] && suite "fuzz $(basename "$t") (${FUZZ_SECONDS}s)" fuzz "$t"
done

suites_finish
