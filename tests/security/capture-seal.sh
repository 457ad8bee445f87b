#!/bin/bash
# Sniffing a machine capture's uploads, and tampering with them, replayed against
# strata-server and strata-image: fails if it works again.  The attack: a machine capture's
# chunks (that machine's private data) and its index crossed the lab network in clear, and
# whoever saw a capture order's answer (the task token) could open everything the task
# uploaded.  Here, in a network namespace of its own (so the capture holds this test's
# traffic only), with a partition image holding a random marker:
#   - `strata-image build --store URL --token T --part data` of a machine capture, recorded
#     with tests/tools/pcap_sniff.py: the capture holds no byte of the marker, no 32-byte
#     window of the chunk files the server stored, and never the token (hex or raw); a
#     gold task's chunk sent in clear in the same capture is found in it (the scan is not
#     blind); the generation is committed;
#   - an unsealed chunk or commit of a machine task is 403, saying to seal, nothing stored;
#   - a sealed chunk with one bit flipped (b= over the flipped bytes, so only the tag can
#     tell): 400, nothing stored; one sealed for another path: 400;
#   - a replayed hello (the same signed request and body): 409, and the upload key of the
#     client that sent it still opens its uploads;
#   - a hello answer opens with the key of python3's cryptography (tests/tools/
#     session_client.py, written apart from the C code), whose check of the server's
#     signature with STATE/server.key.pub passes;
#   - strata-image --pubkey with the server's key says so (server_key: checked); with
#     another key, or a file that holds none, it stops before any upload, naming the file,
#     and nothing is stored;
#     without --pubkey it says that it trusts on first use;
#   - a gold task takes a chunk in clear and a sealed one;
#   - a restarted server forgets upload keys: a sealed upload is 403 naming the hello, and
#     strata-image's next run says hello and finishes;
#   - the server exits cleanly with no sanitizer report.
#
# usage: bash tests/security/capture-seal.sh [BUILD_DIR]   (about 10 s; root: a network
# namespace)
# env STRATA_SERVER, STRATA_IMAGE: the binaries (default BUILD_DIR/san/...).
# Prints "ok"/"FAIL" lines and, last, "N passed, N failed".
. "$(dirname "$0")/../lib/common.sh"
if [ -z "${CAPSEAL_NS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v ip > /dev/null; then
		echo "skip: needs root and ip (a network namespace of its own)"
		finish
		exit 0
	fi
	. "$(dirname "$0")/../lib/netns.sh"
	netns_init
	netns_add NS seal || exit 1
	CAPSEAL_NS=$NS ip netns exec "$NS" bash "$0" "$@"
	exit $?
fi
. "$(dirname "$0")/../lib/security.sh"
suite_setup "${1:-}" capseal curl sqlite3 python3 openssl
python3 -c 'import cryptography' 2>/dev/null || { echo "skip: python3-cryptography is missing"; finish; exit 0; }
T=$(dirname "$0")/../tools
SCAN="python3 $T/private_scan.py"
SC="python3 $T/session_client.py"
PRIV=$W/root/state/private/5254005e0002

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
post() { curl -s -X POST -H "$SRV_AUTH" "$@"; }
token() { sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p'; }
srv_root "$W"
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' "$W/root/inventory.conf"
chmod -R a+rwX "$W/root/store"   # a gold capture writes the public store, as the server's --user
check "server starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"
PUB=$W/root/state/server.key.pub

# The partition image: random bytes (so its chunk files are raw, the worst case for a
# sniffer's luck) with the marker written into four of its chunks.
MARK="strata-capture-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
head -c 393216 /dev/urandom > "$W/img"
for off in 1000 70000 200000 390000; do
	printf '%s' "$MARK" | dd of="$W/img" bs=1 seek=$off conv=notrunc 2>/dev/null
done

# 1. Sniff a capture by strata-image, with a gold chunk in clear beside it as the control.
# The orders come first: their answers carry the tokens in clear (an admin's API answer,
# docs/security.md), which is not what this capture looks at.
TK=$(post "$U/api/capture/pc02" | token)
GOLD=$(post "$U/api/capture/pc01?as=gold1&prepared=yes" | token)
python3 "$T/pcap_sniff.py" lo "$W/cap.pcap" & SNIFF=$!
kill_on_exit "$SNIFF"
for _ in $(seq 50); do [ -e "$W/cap.pcap.ready" ] && break; sleep 0.1; done
$SC task "$GOLD" "$W/gold"
head -c 5000 /dev/urandom > "$W/g1"; G1=$(sha256sum < "$W/g1" | cut -c1-64)
g1() { local b=$(sha256sum < "$W/g1" | cut -c1-64); curl -s -X POST --data-binary @"$W/g1" "$($SC sign-post "$W/gold" "$U/capture/chunk/$G1?b=$b")"; }
check "a gold task takes a chunk in clear" grep -q "^chunk $G1: stored" <<< "$(g1)"
J=$("$SI" build --store "$U" --token "$TK" --part data --json "$W/img" 2>"$W/up.err")
kill -TERM "$SNIFF"; wait "$SNIFF"; forget_pid "$SNIFF"
check "strata-image captures pc02's data partition, sealed" grep -qE '^\{"layer": "sha256:[0-9a-f]{64}", "bytes_uploaded": 393216, "chunks_uploaded": 6, .*"server_key": "unchecked \(trust on first use\)"\}$' <<< "$J"
check "  without --pubkey it says that the server's key is not checked" grep -q "server's key is NOT checked (no --pubkey): trust on first use" "$W/up.err"
check "  the generation is committed" test "$(srv_sql "$W" "SELECT count(*) FROM generations WHERE mac = '52:54:00:5e:00:02' AND part = 'data'")" = 1
check "  the server's private store holds the marker (the scan is not blind)" sh -c "! $SCAN marker '$PRIV' '$MARK'"
check "  the capture ($(stat -c %s "$W/cap.pcap") bytes) holds no byte of the marker" sh -c "! grep -qaF '$MARK' '$W/cap.pcap'"
LEAK=$($SCAN windows "$W/cap.pcap" "$PRIV/chunks" | tail -1)
check "  no 32-byte window of the $(echo "$LEAK" | cut -d' ' -f1) stored chunk files ($LEAK)" test "$(echo "$LEAK" | cut -d' ' -f3)" = 0
CTRL=$($SCAN windows "$W/cap.pcap" "$W/root/store/chunks/${G1:0:2}/$G1" | tail -1)
check "  the gold chunk sent in clear is in it ($CTRL)" test "$(echo "$CTRL" | cut -d' ' -f3)" -gt 0
TRAW=$(printf '%s' "$TK" | xxd -r -p | od -An -tx1 | tr -d ' \n')
check "  the token is not in it, as hex or raw" sh -c "! grep -qaF '$TK' '$W/cap.pcap' && ! od -An -tx1 -v '$W/cap.pcap' | tr -d ' \n' | grep -q '$TRAW'"
check "  nor in the server's log" sh -c "! grep -qaF '$TK' '$W/log'"

# 2. A machine task refuses uploads in clear, and tampered ones.
TK2=$(post "$U/api/capture/pc02" | token)
$SC task "$TK2" "$W/t2"
head -c 3000 /dev/urandom > "$W/c1"; C1=$(sha256sum < "$W/c1" | cut -c1-64)
clear_put() { local b=$(sha256sum < "$W/c1" | cut -c1-64); curl -s -w ' %{http_code}' -X POST --data-binary @"$W/c1" "$($SC sign-post "$W/t2" "$U/capture/chunk/$C1?b=$b")"; }
check "a machine task's chunk in clear: 403, saying to seal it, nothing stored" sh -c "grep -q \"^403 chunk $C1: a machine capture's uploads travel sealed: .*POST /capture/hello\" && test ! -e '$PRIV/chunks/${C1:0:2}/$C1'" <<< "$(clear_put)"
IDX=$(ls "$PRIV/layers/" | head -1)
clear_commit() { local b=$(sha256sum < "$PRIV/layers/$IDX" | cut -c1-64); curl -s -w ' %{http_code}' -X POST --data-binary @"$PRIV/layers/$IDX" "$($SC sign-post "$W/t2" "$U/capture/commit?part=data&b=$b")"; }
check "  its commit in clear: 403" grep -q "^403 a machine capture's uploads travel sealed" <<< "$(clear_commit)"
# sealed_put [STATE]: POST c1 as chunk C1, sealed under STATE's upload key (default t2)
sealed_put() { local u=$($SC sign-sealed "${1:-$W/t2}" "$U/capture/chunk/$C1" "$W/c1" "$W/c1.sealed"); curl -s -w ' %{http_code}' -X POST --data-binary @"$W/c1.sealed" "$u"; }
# a state of TK2's session with a made-up upload key, as if a hello had been said
cp "$W/t2" "$W/t2x"; python3 -c "import json,sys; s=json.load(open(sys.argv[1])); s['up']='00'*32; json.dump(s, open(sys.argv[1],'w'))" "$W/t2x"
check "  sealed before any hello: 403 naming the hello" grep -q '^403 chunk [0-9a-f]*: no upload key for this task: send POST /capture/hello first' <<< "$(sealed_put "$W/t2x")"
HELLO_BODY=$W/hello.body $SC hello "$U" "$W/t2" "$PUB" > "$W/hello.answer"
check "the hello answers, its signature checks with server.key.pub (python3's cryptography)" test $? = 0
check "  in the registration answer's words" grep -qE '^key=known name=52:54:00:5e:00:02 fingerprint=[0-9a-f]{64} session=[0-9a-f]{32} eph=04[0-9a-f]{128} ssig=[0-9a-f]+$' "$W/hello.answer"
check "a sealed chunk with one bit flipped (b= over it): 400, nothing stored" sh -c "grep -q \"^400 chunk $C1: the sealed body fails its check (AES-GCM tag).*nothing stored\" && test ! -e '$PRIV/chunks/${C1:0:2}/$C1'" <<< "$(SEAL_FLIP=7 sealed_put)"
check "  the tag flipped: 400" grep -q '^400 chunk .*AES-GCM tag' <<< "$(SEAL_FLIP=-1 sealed_put)"
check "  sealed for another chunk's path: 400" grep -q "^400 chunk .*AES-GCM tag" <<< "$(SEAL_AAD=/capture/chunk/$G1 sealed_put)"
check "  sealed for the commit's path: 400" grep -q "^400 chunk .*AES-GCM tag" <<< "$(SEAL_AAD=/capture/commit sealed_put)"
check "  the chunk untouched: stored" grep -q "^chunk $C1: stored$" <<< "$(sealed_put)"

# 3. A replayed hello changes nothing.
check "a replayed hello: 409" test "$(code -X POST --data-binary @"$W/hello.body" "$(cat "$W/hello.body.url")")" = 409
head -c 3000 /dev/urandom > "$W/c1"; C1=$(sha256sum < "$W/c1" | cut -c1-64)
check "  the hello's key still opens the task's uploads" grep -q "^chunk $C1: stored$" <<< "$(sealed_put)"
check "  a hello body that is not a point: 400" test "$(b=$(printf 'eph=04\n' | sha256sum | cut -c1-64); printf 'eph=04\n' > "$W/bad.body"; code -X POST --data-binary @"$W/bad.body" "$($SC sign-post "$W/t2" "$U/capture/hello?b=$b")")" = 400
OFF=$(printf 'eph=04%0128x\n' 1)
check "  a point off the curve: 400" test "$(printf '%s\n' "$OFF" > "$W/off.body"; b=$(sha256sum < "$W/off.body" | cut -c1-64); code -X POST --data-binary @"$W/off.body" "$($SC sign-post "$W/t2" "$U/capture/hello?b=$b")")" = 400
check "  unsigned: 403" test "$(code -X POST --data-binary @"$W/hello.body" "$U/capture/hello?b=$(sha256sum < "$W/hello.body" | cut -c1-64)")" = 403
post "$U/api/capture-cancel/pc02" > /dev/null

# 4. --pubkey: the right key checks, another one stops before any upload.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -out "$W/other.pub" 2>/dev/null
printf 'changed' | dd of="$W/img" bs=1 seek=300000 conv=notrunc 2>/dev/null
TK3=$(post "$U/api/capture/pc02" | token)
N0=$(find "$PRIV/chunks" -type f | wc -l)
check "strata-image --pubkey of another key: exit 1 naming the file, nothing uploaded" sh -c "! '$SI' build --store '$U' --token '$TK3' --part data --pubkey '$W/other.pub' '$W/img' 2>'$W/up3.err' && grep -q 'not signed by the key in $W/other.pub (--pubkey)' '$W/up3.err' && test \$(find '$PRIV/chunks' -type f | wc -l) = $N0"
printf 'not a key\n' > "$W/junk.pub"
check "  --pubkey of a file that holds no key: exit 1 saying so" sh -c "! '$SI' build --store '$U' --token '$TK3' --part data --pubkey '$W/junk.pub' '$W/img' 2>'$W/up3b.err' && grep -q 'junk.pub: not a public key' '$W/up3b.err'"
J4=$("$SI" build --store "$U" --token "$TK3" --part data --pubkey "$PUB" --json "$W/img" 2>"$W/up4.err")
check "  with server.key.pub: checked, and only the changed chunk travels" grep -qE '"chunks_uploaded": 1, "chunks_present": 5, "server_key": "checked"\}$' <<< "$J4"

# 5. A gold task: sealed is taken too.
$SC hello "$U" "$W/gold" > /dev/null
head -c 4000 /dev/urandom > "$W/g2"; G2=$(sha256sum < "$W/g2" | cut -c1-64)
check "a gold task takes a sealed chunk, stored as its plaintext" sh -c "u=\$($SC sign-sealed '$W/gold' '$U/capture/chunk/$G2' '$W/g2' '$W/g2.sealed'); curl -s -X POST --data-binary @'$W/g2.sealed' \"\$u\" | grep -q '^chunk $G2: stored' && cmp -s '$W/g2' '$W/root/store/chunks/${G2:0:2}/$G2'"

# 6. A restarted server forgets upload keys; strata-image says hello again.
printf 'again' | dd of="$W/img" bs=1 seek=100000 conv=notrunc 2>/dev/null
TK5=$(post "$U/api/capture/pc02" | token)
$SC task "$TK5" "$W/t5"; $SC hello "$U" "$W/t5" > /dev/null
srv_stop
check "server restarts" srv_start "$W" "$W/log2" --api-tokens "$W/api-tokens"
head -c 3000 /dev/urandom > "$W/c1"; C1=$(sha256sum < "$W/c1" | cut -c1-64)
check "  a sealed upload under the forgotten key: 403 naming the hello" grep -q '^403 chunk .*send POST /capture/hello first' <<< "$(sealed_put "$W/t5")"
check "  strata-image, with a new hello, finishes" sh -c "'$SI' build --store '$U' --token '$TK5' --part data '$W/img' 2>'$W/up5.err' >/dev/null"
check "server stops cleanly" srv_stop
check "no sanitizer report" sanitizer_clean "$W/log" "$W/log2"
finish
