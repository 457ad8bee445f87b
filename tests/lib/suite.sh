# Suite running shared by tests/run.sh (make test) and tests/soak/run.sh (make soak).
# Source it from bash with FUZZ_SECONDS set.
#   suite NAME CMD...  run CMD, echo its output, add its "N passed, N failed" to the totals
#   fuzz BIN           run one libFuzzer target over a copy of its seed corpus
#   suites_finish      print the slowest suites, the failed ones and the total line; exit
#                      status 0 if none failed
# It exports what the suites read: the binaries under BUILD (set before sourcing) and the
# sanitizers' options.
export STRATA_IMAGE=$BUILD/san/strata-image
export STRATA_SERVER=$BUILD/san/strata-server
export STRATA_EFI=$BUILD/efi/strata.efi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
PASS=0
FAIL=0
FAILED=()
TIMES=()   # "SECONDS NAME" of every suite run, for the budget table at the end
LOGDIR=$(mktemp -d /tmp/strata-tests.XXXXXX)

# Run one suite, echoing its output, and add its counts.
suite() {
	local name=$1 log="$LOGDIR/$(basename "$1").log" p f t0=$SECONDS
	shift
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	TIMES+=("$((SECONDS - t0)) $name")
	echo "--- $name: $((SECONDS - t0)) s"
	read -r p f < <(tail -n 20 "$log" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1   # crashed or failed without counting
	fi
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	[ "$f" -eq 0 ] || FAILED+=("$name")
}

fuzz() {
	local bin=$1 name corpus work
	name=$(basename "$bin")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d /tmp/strata-fuzz.XXXXXX)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	dict=tests/fuzz/${name#fuzz_}.dict
	[ -f "$dict" ] && set -- -dict="$dict" || set --
	if "$bin" "$@" -max_total_time="$FUZZ_SECONDS" -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		echo "$(grep -c . "$work.log") lines of fuzzer output; no crash"
		echo "1 passed, 0 failed"
	else
		tail -n 30 "$work.log"
		echo "crash input kept in $work"
		echo "0 passed, 1 failed"
		return 1
	fi
	rm -rf "$work" "$work.log"
}

# The suites that took longest, and the whole: what to look at when the CI's time budget
# (60 minutes on 2 cores) gets tight.
slowest() {
	local total=0 line
	for line in "${TIMES[@]}"; do total=$((total + ${line%% *})); done
	echo
	echo "slowest suites (of $total s in all suites):"
	printf '%s\n' "${TIMES[@]}" | sort -rn | head -n 12 | sed 's/^/  /'
}

suites_finish() {
	rm -rf "$LOGDIR"
	[ ${#TIMES[@]} -eq 0 ] || slowest
	echo
	[ ${#FAILED[@]} -eq 0 ] || printf 'failed suite: %s\n' "${FAILED[@]}"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
