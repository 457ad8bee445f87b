#!/bin/bash
# strata-image build/apply/verify end to end, from a folder store and over HTTP (nginx on
# loopback): full and delta applies compared byte for byte; a corrupted, missing or
# truncated chunk makes apply fail naming it while the target keeps only verified data;
# an interrupted apply resumes.
. "$(dirname "$0")/../lib/common.sh"
SI=${STRATA_IMAGE:-build/san/strata-image}
W=$(mktemp -d /tmp/strata-apply.XXXXXX)
chmod 755 "$W"    # nginx's workers run as another user
trap 'nginx_stop; rm -rf "$W"' EXIT
CS=65536

# An image with random data, zero runs, a repeated run, text and a short last chunk.
make_v1() {
	head -c 3000000 /dev/urandom > "$W/v1"
	head -c 5242880 /dev/zero >> "$W/v1"
	head -c 1048576 "$W/v1" > "$W/rep"
	cat "$W/rep" "$W/rep" >> "$W/v1"
	yes strata | head -c 2000000 >> "$W/v1"
	head -c 777777 /dev/urandom >> "$W/v1"
}

# v2: v1 with a few scattered changes and a zero run turned to data.
make_v2() {
	cp "$W/v1" "$W/v2"
	for off in 100000 4000000 9500000; do
		printf 'CHANGED' | dd of="$W/v2" bs=1 seek=$off conv=notrunc 2>/dev/null
	done
	head -c 100000 /dev/urandom | dd of="$W/v2" bs=1 seek=6000000 conv=notrunc 2>/dev/null
}

json() { sed -n "s/.*\"$2\": \([0-9.a-z]*\).*/\1/p" "$1"; }

# Every chunk of $1 equals the same chunk of $2 or of $3 ("only verified data").
only_known_chunks() {
	local n=$(( ($(stat -c %s "$2") + CS - 1) / CS )) i
	for ((i = 0; i < n; i++)); do
		dd if="$1" bs=$CS skip=$i count=1 2>/dev/null > "$W/c.t"
		dd if="$2" bs=$CS skip=$i count=1 2>/dev/null > "$W/c.a"
		dd if="$3" bs=$CS skip=$i count=1 2>/dev/null > "$W/c.b"
		cmp -s "$W/c.t" "$W/c.a" || cmp -s "$W/c.t" "$W/c.b" || { echo "chunk $i unknown"; return 1; }
	done
}

make_v1
make_v2
ID1=$($SI build --store "$W/st" "$W/v1" 2>"$W/build.log" | tail -1)
ID2=$($SI build --store "$W/st" "$W/v2" 2>>"$W/build.log" | tail -1)
check "build prints layer ids" test "${#ID1}" = 71 -a "${#ID2}" = 71
check "store has no temporary files" test -z "$(find "$W/st" -name '*.tmp.*')"
check "zero chunks are not stored" test "$(find "$W/st/chunks" -type f | wc -l)" -lt 150
check "verify whole store" $SI verify --store "$W/st"
check "inspect" $SI inspect --store "$W/st" "$ID1"

# Full apply from a folder store to an empty file.
check "apply v1 to empty file" $SI apply --store "$W/st" --json "$W/j1" "$ID1" "$W/t1"
check "full apply is byte identical" cmp "$W/v1" "$W/t1"
check "json: nothing reused but duplicates" test "$(json "$W/j1" chunks_fetched)" -gt 40
check "json: zero chunks counted" test "$(json "$W/j1" chunks_zero)" -ge 75
check "json: repeated run fetched once" test "$(json "$W/j1" chunks_reused)" -ge 15

# Delta apply: v1 -> v2 fetches only the changed chunks.
cp "$W/t1" "$W/t2"
check "apply v2 over v1" $SI apply --store "$W/st" --json "$W/j2" "$ID2" "$W/t2"
check "delta apply is byte identical" cmp "$W/v2" "$W/t2"
check "delta fetched only changed chunks" test "$(json "$W/j2" chunks_fetched)" -le 6
check "re-apply fetches nothing" $SI apply --store "$W/st" --json "$W/j3" "$ID2" "$W/t2"
check "json: re-apply fetched 0" test "$(json "$W/j3" chunks_fetched)" = 0
# A larger file is cut to the layer's size; a zero chunk over data is zeroed.
cp "$W/v2" "$W/t4"; head -c 300000 /dev/urandom >> "$W/t4"
check "apply v1 over v2 plus tail" $SI apply --store "$W/st" "$ID1" "$W/t4"
check "target cut to the layer and zeroed" cmp "$W/v1" "$W/t4"

# Over HTTP, served by nginx.
nginx_start "$W/st"
U=http://127.0.0.1:$NGINX_PORT
check "http: full apply" $SI apply --store "$U" "$ID1" "$W/h1"
check "http: byte identical" cmp "$W/v1" "$W/h1"
check "http: delta apply" $SI apply --store "$U" --json "$W/hj" "$ID2" "$W/h1"
check "http: delta byte identical" cmp "$W/v2" "$W/h1"
check "http: delta fetched few" test "$(json "$W/hj" chunks_fetched)" -le 6
check_not "http: unknown layer fails" $SI apply --store "$U" "sha256:$(printf '%064d' 0)" "$W/h9"
check "http: verify" $SI verify --store "$U" "$ID2"
nginx_stop

# Corrupt, truncated and missing chunks: apply fails naming the chunk, target stays clean.
cp -a "$W/st" "$W/bad"
CH=$($SI inspect --store "$W/st" --chunks "$ID2" | awk '$2 == 91 {print $NF}')
F="$W/bad/chunks/${CH:0:2}/$CH"
cp "$F" "$W/good-chunk"
printf '\xff' | dd of="$F" bs=1 seek=10 conv=notrunc 2>/dev/null
cp "$W/t1" "$W/c1"
$SI apply --store "$W/bad" --json "$W/jc" "$ID2" "$W/c1" 2>"$W/err1"; rc=$?
check "corrupt chunk: apply fails" test $rc = 1
check "corrupt chunk: summary says 1 failed" grep -q " 1 failed; " "$W/err1"
check "corrupt chunk: json not ok, 1 failed, none left" test "$(json "$W/jc" ok)" = false -a \
	"$(json "$W/jc" chunks_failed)" = 1 -a "$(json "$W/jc" chunks_left)" = 0
check "corrupt chunk: json counts every chunk once" test $(($(json "$W/jc" chunks_fetched) + \
	$(json "$W/jc" chunks_reused) + $(json "$W/jc" chunks_zero) + 1)) = "$(json "$W/jc" chunks_total)"
check "corrupt chunk: message names chunk and file" grep -q "chunk 91 (sha256:$CH).*$CH" "$W/err1"
check "corrupt chunk: verify names it" sh -c "! $SI verify --store '$W/bad' '$ID2' 2>&1 | grep -q 'chunk 91' && false || true"
check "corrupt chunk: target holds only verified data" only_known_chunks "$W/c1" "$W/v1" "$W/v2"
check "corrupt chunk: store verify fails" sh -c "! $SI verify --store '$W/bad' '$ID2'"
head -c 100 "$W/good-chunk" > "$F"
check_not "truncated chunk: apply fails" $SI apply --store "$W/bad" "$ID2" "$W/c1"
check "truncated chunk: only verified data" only_known_chunks "$W/c1" "$W/v1" "$W/v2"
rm "$F"
$SI apply --store "$W/bad" "$ID2" "$W/c1" 2>"$W/err2"
check "missing chunk: named as missing" grep -q "chunk 91.*missing" "$W/err2"
cp "$W/good-chunk" "$F"
check "after repair: apply completes" $SI apply --store "$W/bad" --json "$W/jr" "$ID2" "$W/c1"
check "after repair: byte identical" cmp "$W/v2" "$W/c1"
check "after repair: fetched only the missing chunk" test "$(json "$W/jr" chunks_fetched)" = 1

# A corrupt index is refused before anything is written.
IX="$W/bad/layers/${ID2#sha256:}.idx"
flip_bit "$IX" 70
cp "$W/t1" "$W/c2"
$SI apply --store "$W/bad" "$ID2" "$W/c2" 2>"$W/err3"
check "corrupt index: refused" grep -q "does not hash to its layer id" "$W/err3"
check "corrupt index: target untouched" cmp "$W/t1" "$W/c2"

# Interrupted apply (killed mid-transfer over a slow link) resumes and finishes.
NGINX_RATE=400k nginx_start "$W/st"
rm -f "$W/k1"
$SI apply --store "http://127.0.0.1:$NGINX_PORT" --jobs 2 "$ID1" "$W/k1" 2>/dev/null &
sleep 2; kill -9 $! 2>/dev/null; wait $! 2>/dev/null
check "interrupted: target holds only verified data" only_known_chunks "$W/k1" "$W/v1" /dev/null
nginx_stop
nginx_start "$W/st"
check "interrupted: second run completes" $SI apply --store "http://127.0.0.1:$NGINX_PORT" --json "$W/jk" "$ID1" "$W/k1"
check "interrupted: byte identical" cmp "$W/v1" "$W/k1"
check "interrupted: second run fetched less" test "$(json "$W/jk" ok)" = true -a "$(json "$W/jk" chunks_fetched)" -lt "$(json "$W/j1" chunks_fetched)"
nginx_stop

# Usage errors.
check_not "apply without args fails" $SI apply
check "every command has --help" sh -c "for c in build apply inspect verify keygen manifest; do $SI \$c --help >/dev/null || exit 1; done"
check_not "bad layer id rejected" $SI apply --store "$W/st" sha256:xyz "$W/z"
finish
