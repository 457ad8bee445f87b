#!/bin/bash
# Stealing a machine's secrets by its MAC, the first attack of "Trust and limits", replayed
# against strata-server: fails if it works again.  The attack: a machine's manifest named
# its CIDATA layer (cloud-init user-data, passwords included), which sat in the store that
# /store/ serves to anyone, so `curl /manifest/MAC` and `strata-image apply` of that layer
# read the secrets.  Here, on loopback, with user-data holding a random marker:
#   - an old STATE/store (where an older server kept CIDATA layers) is removed on start;
#   - the CIDATA layer is in STATE/private/<mac>/ (mode 0700), and no file of the public
#     store folder holds the marker, as stored or inflated (the same scan finds it in the
#     private store: the check is not blind);
#   - the layer's index and runs under /store/ are 404; /private/... without a proof is
#     401, with a wrong token 401, with Basic credentials 401;
#   - an admin token reads the index and a run in clear, equal to the files, and each
#     read is in the audit log with the token's name; a run of the private layer's
#     chunks holds the marker once inflated;
#   - the manifest needs a session; the machine (tests/tools/session_client.py, python3's
#     cryptography) registers and reads its index and a run signed: sealed, each 16 bytes
#     longer than the files and holding no 32-byte window of them, opened by an
#     implementation written apart from the server's (tests/tools/seal_open.py) into
#     exactly the files; the same signed URL answers the same bytes, a Range the same
#     slice of them (206); opened under another path or counter the tag fails;
#   - another machine's session on that route is 403, a wrong tag 403, the machine's own
#     session asking another machine's layer id 404; sealed reads are not audited;
#   - the server exits cleanly with no sanitizer report.
#
# usage: bash tests/security/private-layers.sh [BUILD_DIR]   (about 5 s)
# env STRATA_SERVER, STRATA_IMAGE: the binaries (default BUILD_DIR/san/...).
# Prints "ok"/"FAIL" lines and, last, "N passed, N failed".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/security.sh"
suite_setup "${1:-}" private curl sqlite3 python3
python3 -c 'import cryptography' 2>/dev/null || { echo "skip: python3-cryptography is missing"; finish; exit 0; }
T=$(dirname "$0")/../tools
SCAN="python3 $T/private_scan.py"
SC="python3 $T/session_client.py"
A=52:54:00:12:34:01
B=52:54:00:12:34:02
# strata.efi writes a MAC in a private path with dashes (iPXE escapes colons in paths).
AD=${A//:/-}
BD=${B//:/-}

lab_root "$W/main" local
MARK="strata-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '#cloud-config\npassword: %s\n' "$MARK" >"$W/main/secret.yaml"
sed -i "s|^machine $A name=pc01 profile=lab action=deploy\$|& user-data=secret.yaml\nmachine $B name=pc02 profile=lab action=deploy|" \
	"$W/main/inventory.conf"
# What an older server left: every machine's CIDATA in STATE/store.
mkdir -p "$W/main/state/store/chunks/00"
printf '%s\n' "$MARK" >"$W/main/state/store/chunks/00/old"
chmod -R a+rX "$W/main"
check "strata-server starts" srv_run "$W/main" "$W/main.log" --api-tokens "$W/api-tokens"
[ -n "$SRV_PID" ] || { finish; exit 1; }
code() { curl -s -o /dev/null -w '%{http_code}' -m 20 "$@"; }

check "the old STATE/store is removed on start" test ! -e "$W/main/state/store"
check "its removal is logged" grep -q "removing $W/main/state/store" "$W/main.log"
curl -s -H "$SRV_AUTH" "$U/manifest/$A" >"$W/m"   # an admin may read it
ID=$(sed -n 's/.*label=CIDATA.*layer=sha256:\([0-9a-f]*\) store=private$/\1/p' "$W/m")
check "the manifest marks the CIDATA layer store=private" test -n "$ID"
PRIV=$W/main/state/private/525400123401
check "the layer is in the machine's private store" test -f "$PRIV/layers/$ID.idx"
check "the private stores' folder is mode 0700" test "$(stat -c %a "$W/main/state/private")" = 700
check "the scan finds the marker in the private store (not blind)" sh -c "! $SCAN marker '$PRIV' '$MARK' >/dev/null"
check "no file of the public store holds the marker, raw or inflated" $SCAN marker "$W/main/store" "$MARK"
check "its index under /store/ is 404" test "$(code "$U/store/layers/$ID.idx")" = 404
check "its runs under /store/ are 404" test "$(code "$U/store/runs/$ID/0-0")" = 404
N=$("$SI" inspect --store "$PRIV" --chunks "sha256:$ID" | awk '/^chunk [0-9]/ {n = $2} END {print n}')
PI=$U/private/$AD/layers/$ID.idx
PR=$U/private/$AD/runs/$ID/0-$N
check "/private/ without a proof is 401" test "$(code "$PI")" = 401
check "/private/ run without a proof is 401" test "$(code "$PR")" = 401
check "/private/ with a wrong token is 401" test "$(code -H "Authorization: Bearer nottoken" "$PI")" = 401
check "/private/ with Basic credentials is 401" test "$(code -u admin:$SRV_TOKEN "$PI")" = 401
check "/private/ from a foreign Origin is 403" test "$(code -H "$SRV_AUTH" -H 'Origin: http://evil.example' "$PI")" = 403
check "/private/ of another machine's layer is 404" test "$(code -H "$SRV_AUTH" "$U/private/$BD/layers/$ID.idx")" = 404
check "/private/ chunk files are not routed" test "$(code -H "$SRV_AUTH" "$U/private/$AD/chunks/${ID:0:2}/$ID")" = 404
check "the route takes a MAC with colons too" test "$(code -H "$SRV_AUTH" "$U/private/$A/layers/$ID.idx")" = 200
check "an admin reads the index in clear" sh -c "curl -s -H '$SRV_AUTH' '$PI' | cmp - '$PRIV/layers/$ID.idx'"
"$SI" inspect --store "$PRIV" --chunks "sha256:$ID" | awk '/^chunk [0-9]/ && $9 != "zero" {print $NF}' >"$W/hashes"
for h in $(cat "$W/hashes"); do cat "$PRIV/chunks/${h:0:2}/$h"; done >"$W/run.want"
check "an admin reads the run in clear" sh -c "curl -s -H '$SRV_AUTH' '$PR' | cmp - '$W/run.want'"
mkdir -p "$W/run/chunks"
n=0
for h in $(cat "$W/hashes"); do cp "$PRIV/chunks/${h:0:2}/$h" "$W/run/chunks/$n"; n=$((n + 1)); done
check "the private run holds the marker once inflated" sh -c "! $SCAN marker '$W/run' '$MARK' >/dev/null"
check "each admin read is audited with the token's name" test "$(sqlite3 "$W/main/state/strata.db" \
	"SELECT count(*) FROM orders WHERE token_name = 'admin' AND target = '$A' AND action LIKE 'private-read /private/%'")" = 3
check "refused reads are not audited" test "$(sqlite3 "$W/main/state/strata.db" \
	"SELECT count(*) FROM orders WHERE action LIKE 'private-read%'")" = 3

# --- the machine's own signed requests: sealed ------------------------------------------
check "the manifest needs a session (401)" test "$(code "$U/manifest/$A")" = 401
$SC key "$W/key.a" >/dev/null && $SC key "$W/key.b" >/dev/null
check "pc01 registers and gets a session" sh -c "$SC register '$U' '$A' '$W/key.a' '$W/sess.a' '$W/main/state/server.key.pub' | grep -q ' session='"
check "pc02 registers and gets a session" sh -c "$SC register '$U' '$B' '$W/key.b' '$W/sess.b' '$W/main/state/server.key.pub' | grep -q ' session='"
nof() { sed -n 's/.*[?&]n=\([0-9]*\)&h=.*/\1/p' <<<"$1"; }
SI_URL=$($SC sign "$W/sess.a" "$PI")
curl -s -o "$W/idx.sealed" -w '%{http_code}' "$SI_URL" >"$W/st"
check "pc01's signed index request is served (200)" test "$(cat "$W/st")" = 200
IDX=$PRIV/layers/$ID.idx
check "sealed: 16 bytes longer than the index ($(stat -c %s "$W/idx.sealed"))" test "$(stat -c %s "$W/idx.sealed")" = $(($(stat -c %s "$IDX") + 16))
check "sealed: no 32-byte window of the index in it" test "$($SCAN windows "$W/idx.sealed" "$IDX" | tail -1 | cut -d' ' -f3)" = 0
check "it opens apart from the server's code into the index" sh -c "python3 '$T/seal_open.py' '$W/sess.a' '$(nof "$SI_URL")' '/private/$AD/layers/$ID.idx' <'$W/idx.sealed' | cmp - '$IDX'"
check "opened under another path, the tag fails" sh -c "! python3 '$T/seal_open.py' '$W/sess.a' '$(nof "$SI_URL")' '/private/$BD/layers/$ID.idx' <'$W/idx.sealed' >/dev/null 2>&1"
check "opened under another counter, the tag fails" sh -c "! python3 '$T/seal_open.py' '$W/sess.a' '$(($(nof "$SI_URL") + 1))' '/private/$AD/layers/$ID.idx' <'$W/idx.sealed' >/dev/null 2>&1"
check "the same signed URL answers the same sealed bytes" sh -c "curl -s '$SI_URL' | cmp - '$W/idx.sealed'"
check "a Range of it is 206 and the same slice" sh -c "test \"\$(curl -s -r 7-40 -o '$W/slice' -w '%{http_code}' '$SI_URL')\" = 206 && dd if='$W/idx.sealed' bs=1 skip=7 count=34 2>/dev/null | cmp - '$W/slice'"
check "a sealed body is not cached" sh -c "curl -s -D - -o /dev/null '$SI_URL' | grep -qi '^cache-control: no-store'"
SR_URL=$($SC sign "$W/sess.a" "$PR")
curl -s -o "$W/run.sealed" "$SR_URL"
check "pc01's signed run is sealed: no 32-byte window of its chunk files in it" test "$($SCAN windows "$W/run.sealed" "$W/run" | tail -1 | cut -d' ' -f3)" = 0
check "it opens into the run's chunk files" sh -c "python3 '$T/seal_open.py' '$W/sess.a' '$(nof "$SR_URL")' '/private/$AD/runs/$ID/0-$N' <'$W/run.sealed' | cmp - '$W/run.want'"
check "pc02's session on pc01's private route is 403" test "$(code "$($SC sign "$W/sess.b" "$PI")")" = 403
check "pc02's session on its own route for pc01's layer is 404" test "$(code "$($SC sign "$W/sess.b" "$U/private/$BD/layers/$ID.idx")")" = 404
BAD=$($SC sign "$W/sess.a" "$PI")
check "a wrong tag is 403" test "$(code "${BAD%?}$( [ "${BAD: -1}" = 0 ] && echo 1 || echo 0)")" = 403
check "sealed reads are not audited" test "$(sqlite3 "$W/main/state/strata.db" \
	"SELECT count(*) FROM orders WHERE action LIKE 'private-read%'")" = 3

check "strata-server exits cleanly" srv_stop
check "no sanitizer report" sanitizer_clean "$W/main.log"
finish
