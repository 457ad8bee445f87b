#!/bin/bash
# strata-server's capture orders (server/capture.c, docs/capture.md): POST
# /api/capture/NAME needs a credential and POST; a gold order (as=PROFILE) needs
# prepared=yes, and the answer is recorded; the answer's JSON carries a 64-hex task token;
# the database holds its session id and nonce, never the token, and no log holds it; a machine order needs a capture=yes
# part in the machine's profile; one open task a machine (a second
# order is refused with 409 until POST /api/capture-cancel/NAME ends the first); both are
# audited; a task survives a restart; GET /capture/task signed with the task's session
# (tests/tools/session_client.py derives it from the token apart from the C code) and
# refused unsigned, with another token, a changed tag or once cancelled; have/need, chunk
# uploads, the free-space reserve, generations committed (and SIGKILL during commits);
# strata-image build --store URL --token TOKEN end to end.  Loopback only;
# needs curl, sqlite3, python3-cryptography.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
need_tools curl sqlite3 python3
STRATA_IMAGE_BIN=${STRATA_IMAGE:-build/san/strata-image}
W=$(mktemp -d /tmp/strata-capture.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
post() { curl -s -X POST -H "$SRV_AUTH" "$@"; }
srv_root "$W"
check "server starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"

check "an order needs a credential" test "$(code -X POST "$U/api/capture/pc01")" = 401
check "an order needs POST" test "$(code -H "$SRV_AUTH" "$U/api/capture/pc01")" = 405
check "an unknown machine is refused" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc99")" = 404
check "all is refused: one machine per order" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/all")" = 400
check "a gold order without prepared=yes is refused" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture/pc01?as=gold1' | grep -q 'generalize the PC first'"
check "  prepared=no too" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc01?as=gold1&prepared=no")" = 400
check "a bad profile name is refused" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc01?as=-x&prepared=yes")" = 400
check "prepared= without as= is refused" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc01?prepared=yes")" = 400
check "  no task was opened" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks")" = 0

A=$(post "$U/api/capture/pc01?as=gold1&prepared=yes")
TOK=$(printf '%s' "$A" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
check "a gold order answers JSON with a token" sh -c "printf '%s' '$A' | grep -q '^{\"machine\": \"pc01\", \"mac\": \"52:54:00:5e:00:01\", \"kind\": \"gold\", \"profile\": \"gold1\", \"prepared\": true, \"token\": \"[0-9a-f]\{64\}\"}$'"
SC=tests/tools/session_client.py
python3 $SC task "$TOK" "$W/task1"
SID=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['sid'])" "$W/task1")
check "  the task row holds its session id (from the token) and a nonce, not the token" test "$(srv_sql "$W" "SELECT lower(hex(sid)) || ' ' || length(nonce) || ' ' || kind || ' ' || profile || ' ' || prepared || ' ' || token_name FROM capture_tasks WHERE ended IS NULL AND mac = '52:54:00:5e:00:01'")" = "$SID 16 gold gold1 1 admin"
check "  STATE/capture.key: 32 bytes, mode 600" test "$(stat -c '%s %a' "$W/root/state/capture.key")" = "32 600"
check "  the token is in no log and not in the database" sh -c "! grep -rqa '$TOK' '$W/log' '$W/root/state'"
check "  audited" test "$(srv_sql "$W" "SELECT token_name || ' ' || target || ' ' || action FROM orders WHERE action LIKE 'capture%'")" = "admin pc01 capture gold as=gold1 prepared=yes"
# The task's session (strata_session_task_derive of the token), played by session_client.py.
check "a request signed with the task's token reads the task" sh -c "curl -s \"\$(python3 $SC sign '$W/task1' '$U/capture/task')\" | grep -qx 'task=open kind=gold mac=52:54:00:5e:00:01 profile=gold1'"
check "  unsigned: 403, saying what to do" sh -c "curl -s -w '%{http_code}' '$U/capture/task' | grep -q 'strata-image --token' && test \"\$(curl -s -o /dev/null -w '%{http_code}' '$U/capture/task')\" = 403"
python3 $SC task "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$W/wrong"
check "  another token: 403" test "$(code "$(python3 $SC sign "$W/wrong" "$U/capture/task")")" = 403
BADTAG=$(python3 $SC sign "$W/task1" "$U/capture/task" | sed 's/h=\(.\)/h=0\1/; s/h=\(.\{32\}\).*/h=\1/')
check "  a changed tag: 403" test "$(code "$BADTAG")" = 403
check "  the token itself as a bearer credential: no" test "$(code -H "Authorization: Bearer $TOK" "$U/capture/task")" = 403

# Have/need: the body lists digests; the answer lists the ones the task lacks.  The public
# store holds P; pc02's private store holds Q, which pc01's gold task must not see.
P=$(printf p | sha256sum | cut -c1-64) Q=$(printf q | sha256sum | cut -c1-64) R=$(printf r | sha256sum | cut -c1-64)
mkdir -p "$W/root/store/chunks/${P:0:2}" "$W/root/state/private/5254005e0002/chunks/${Q:0:2}"
printf x > "$W/root/store/chunks/${P:0:2}/$P"; printf x > "$W/root/state/private/5254005e0002/chunks/${Q:0:2}/$Q"
chmod -R a+rwX "$W/root/store"   # a gold capture writes the public store, as the server's --user
printf '%s\n%s\n%s\n' "$P" "$Q" "$R" > "$W/need"
# need STATE [BODYFILE [B]]: POST the body signed with b= (B, or the body's SHA-256)
need() {
	local b=${3:-$(sha256sum < "${2:-$W/need}" | cut -c1-64)}
	curl -s -w '%{http_code}' -X POST --data-binary @"${2:-$W/need}" "$(python3 $SC sign-post "$1" "$U/capture/need?b=$b")"
}
check "have/need: the gold task lacks Q and R (Q is another machine's)" test "$(need "$W/task1")" = "$(printf '%s\n%s\n200' "$Q" "$R")"
printf '%s\n' "$R" > "$W/need1"
check "  a body that differs from b=: 403" test "$(need "$W/task1" "$W/need1" "$(sha256sum < "$W/need" | cut -c1-64)" | tail -n1)" = 403
printf '%s\n' "$P" | tr a-f A-F > "$W/needbad"
check "  a malformed body: 400 naming its line" grep -q "^400 have/need body, line 1:" <(need "$W/task1" "$W/needbad")
check "  a GET: 405" test "$(code "$(python3 $SC sign "$W/task1" "$U/capture/need")")" = 405
check "  unsigned: 403" test "$(code -X POST --data-binary @"$W/need" "$U/capture/need?b=$(sha256sum < "$W/need" | cut -c1-64)")" = 403
head -c $((1025 * 65)) /dev/zero | tr '\0' a > "$W/needbig"
check "  a body over 1024 lines: 413" test "$(need "$W/task1" "$W/needbig" | tail -n1)" = 413

# Chunk upload: raw or zlib, checked against its name, never rewritten.
# upost STATE URL FILE: POST FILE to URL signed with b=: sealed (e=1) under the upload key
# when STATE said hello (a machine task's uploads must be); body and status
upost() {
	if grep -q '"up"' "$1"; then
		local u=$(python3 $SC sign-sealed "$1" "$2" "$3" "$W/sealed.body")
		curl -s -w '%{http_code}' -X POST --data-binary @"$W/sealed.body" "$u"
	else
		local b=$(sha256sum < "$3" | cut -c1-64) s=$([[ $2 == *\?* ]] && echo '&' || echo '?')
		curl -s -w '%{http_code}' -X POST --data-binary @"$3" "$(python3 $SC sign-post "$1" "$2${s}b=$b")"
	fi
}
# put STATE FILE NAME [QUERY]: POST FILE as chunk NAME; body and status
put() { upost "$1" "$U/capture/chunk/$3${4:+?$4}" "$2"; }
printf 'hello gold' > "$W/c1"; C1=$(sha256sum < "$W/c1" | cut -c1-64)
check "a gold task's raw chunk is stored in the public store" sh -c "test \"\$(cat)\" = \"chunk $C1: stored
200\" && cmp -s '$W/c1' '$W/root/store/chunks/${C1:0:2}/$C1'" <<< "$(put "$W/task1" "$W/c1" "$C1")"
check "  again: present, not rewritten" test "$(put "$W/task1" "$W/c1" "$C1")" = "chunk $C1: present
200"
head -c 20000 /dev/zero | tr '\0' z > "$W/c2"; C2=$(sha256sum < "$W/c2" | cut -c1-64)
python3 -c "import sys, zlib; sys.stdout.buffer.write(zlib.compress(open(sys.argv[1], 'rb').read(), 6))" "$W/c2" > "$W/c2.z"
check "a zlib chunk is inflated, checked and kept as sent" sh -c "test \"\$(cat)\" = \"chunk $C2: stored
200\" && cmp -s '$W/c2.z' '$W/root/store/chunks/${C2:0:2}/$C2'" <<< "$(put "$W/task1" "$W/c2.z" "$C2" "z=1&len=20000")"
printf 'not it' > "$W/c3"
check "bytes that hash to another name: 400 naming the chunk, nothing stored" sh -c "grep -q '^400 chunk $R: its bytes hash to another name; nothing stored' && test ! -e '$W/root/store/chunks/${R:0:2}/$R'" <<< "$(put "$W/task1" "$W/c3" "$R")"
check "  a bad zlib stream: 400" grep -q "^400 chunk $R: not a zlib stream" <<< "$(put "$W/task1" "$W/c3" "$R" "z=1&len=6")"
check "  len over 4 MiB: 413" grep -q '413$' <<< "$(put "$W/task1" "$W/c2.z" "$C2" "z=1&len=4194305")"
check "  raw with a len that differs: 400" grep -q '400$' <<< "$(put "$W/task1" "$W/c1" "$C1" "len=3")"
check "  unsigned: 403" test "$(code -X POST --data-binary @"$W/c1" "$U/capture/chunk/$C1?b=$(sha256sum < "$W/c1" | cut -c1-64)")" = 403
X

# Free-space reserve: a server that must keep more free than the disk has refuses (507),
# writes nothing, and keeps what it had.
srv_stop; SRV_PID=
check "server starts with a reserve larger than the disk" srv_start "$W" "$W/log-reserve" --api-tokens "$W/api-tokens" --capture-reserve 1000000000G
printf 'too much' > "$W/c5"; C5=$(sha256sum < "$W/c5" | cut -c1-64)
check "  an upload past the reserve: 507, nothing stored" sh -c "grep -q '^507 chunk $C5: the server keeps --capture-reserve free' && test ! -e '$W/root/store/chunks/${C5:0:2}/$C5'" <<< "$(put "$W/task1" "$W/c5" "$C5")"
check "  what was stored is kept" cmp -s "$W/c1" "$W/root/store/chunks/${C1:0:2}/$C1"
check "  a chunk already stored is still present" test "$(put "$W/task1" "$W/c1" "$C1")" = "chunk $C1: present
200"
srv_stop; SRV_PID=
check "server starts again with the default reserve" srv_start "$W" "$W/log-r2" --api-tokens "$W/api-tokens"
printf '%s\n%s\n' "$C1" "$C2" > "$W/need2"
check "have/need now holds both" test "$(need "$W/task1" "$W/need2")" = 200
check "a second order on the machine is refused (409)" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc01?as=gold2&prepared=yes")" = 409
check "  and says how to cancel" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture/pc01?as=gold2&prepared=yes' | grep -q 'capture-cancel'"

check "a machine order on a profile with no capture=yes part is refused" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture/pc02' | grep -q '^400 .*capture=yes'"
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' "$W/root/inventory.conf"
kill -HUP "$SRV_PID"
for _ in $(seq 50); do [ "$(grep -c 'profiles, 3 machines$' "$W/log")" -ge 2 ] && break; sleep 0.1; done
B=$(post "$U/api/capture/52-54-00-5e-00-02")
check "a machine-layer order by MAC answers its own token" sh -c "printf '%s' '$B' | grep -q '\"machine\": \"pc02\", .*\"kind\": \"machine\", \"profile\": \"\", \"prepared\": false, \"token\": \"[0-9a-f]\{64\}\"'"
check "  tokens differ" test "$(printf '%s' "$B" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')" != "$TOK"
check "  its row has no profile" test "$(srv_sql "$W" "SELECT kind || ' ' || ifnull(profile, 'NULL') FROM capture_tasks WHERE mac = '52:54:00:5e:00:02'")" = "machine NULL"
python3 $SC task "$(printf '%s' "$B" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')" "$W/task2"
python3 $SC hello "$U" "$W/task2" > /dev/null
check "have/need: pc02's machine task holds its own Q too" test "$(need "$W/task2")" = "$(printf '%s\n200' "$R")"
printf 'my own data' > "$W/c4"; C4=$(sha256sum < "$W/c4" | cut -c1-64)
check "a machine task's chunk goes to its private store, not the public one" sh -c "grep -q 'stored' && test -f '$W/root/state/private/5254005e0002/chunks/${C4:0:2}/$C4' && test ! -e '$W/root/store/chunks/${C4:0:2}/$C4'" <<< "$(put "$W/task2" "$W/c4" "$C4")"

# SIGKILL: no clean shutdown, so what survives is what was committed.
kill -KILL "$SRV_PID"; { wait "$SRV_PID"; } 2>/dev/null; forget_pid "$SRV_PID"
check "server starts again after SIGKILL" srv_start "$W" "$W/log2" --api-tokens "$W/api-tokens"
python3 $SC hello "$U" "$W/task2" > /dev/null   # a restarted server forgets upload keys
check "  two open tasks" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE ended IS NULL")" = 2
check "  the order is still refused while open" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc01")" = 409

# Generations: a machine task uploads a layer built by strata-image (random bytes, so its
# chunk files are raw) and commits its index as the next generation of pc02's "data".
need_built "$STRATA_IMAGE_BIN"
head -c 524288 /dev/urandom > "$W/img"; head -c 131072 /dev/zero >> "$W/img"
layer() { "$STRATA_IMAGE_BIN" build --store "$1" "$W/img" 2>/dev/null | tail -n1 | sed 's/^sha256://'; }
ID1=$(layer "$W/L1")
# names DIR: the chunk names of store DIR, one a line (the have/need body)
names() { find "$1/chunks" -type f -printf '%f\n' | sort; }
# commit STATE IDX [PART]: POST the index for PART (default data); body and status
commit() { upost "$1" "$U/capture/commit?part=${3:-data}" "$2"; }
# upload STATE DIR: every chunk the task lacks, from store DIR; prints the bytes sent
upload() {
	local n bytes=0
	names "$2" > "$W/names"
	for n in $(need "$1" "$W/names" | grep -E '^[0-9a-f]{64}$'); do
		put "$1" "$2/chunks/${n:0:2}/$n" "$n" > /dev/null
		bytes=$((bytes + $(stat -c %s "$2/chunks/${n:0:2}/$n")))
	done
	echo "$bytes"
}
check "a gold task's commit: 501, not built" grep -q '^501 ' <<< "$(commit "$W/task1" "$W/L1/layers/$ID1.idx")"
check "a commit naming a missing chunk: 409 naming it" grep -q '^409 the index names chunk [0-9a-f]\{64\} (chunk 0, 65536 bytes stored), which is not stored' <<< "$(commit "$W/task2" "$W/L1/layers/$ID1.idx")"
check "  a part that is not capture=yes: 400" grep -q '^400 part=' <<< "$(commit "$W/task2" "$W/L1/layers/$ID1.idx" CIDATA)"
check "  a malformed index: 400" grep -q '^400 the index does not parse' <<< "$(commit "$W/task2" "$W/c1")"
UP1=$(upload "$W/task2" "$W/L1")
G1=$(commit "$W/task2" "$W/L1/layers/$ID1.idx")
# The task uploaded the 8 chunks and, above, an 11-byte chunk of its own.
check "generation 1 commits: all 8 chunks uploaded ($UP1 bytes)" test "$G1" = "generation 1 layer=sha256:$ID1 size=655360 stored=524288 uploaded=$((UP1 + 11))
200"
check "  its row" test "$(srv_sql "$W" "SELECT mac || ' ' || part || ' ' || number || ' ' || size || ' ' || stored || ' ' || uploaded || ' ' || source || ' ' || lower(hex(layer)) FROM generations")" = "52:54:00:5e:00:02 data 1 655360 524288 $((UP1 + 11)) upload $ID1"
check "  the index is in pc02's private store" test -f "$W/root/state/private/5254005e0002/layers/$ID1.idx"
check "  the task ended: its token reads nothing" grep -q '^403 the capture task has ended' <<< "$(curl -s "$(python3 $SC sign "$W/task2" "$U/capture/task")")"
# Generation 2 after a small change: only the changed chunk travels.
printf 'a small change' | dd of="$W/img" bs=1 seek=70000 conv=notrunc 2>/dev/null
ID2=$(layer "$W/L2")
B2=$(post "$U/api/capture/pc02"); python3 $SC task "$(printf '%s' "$B2" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')" "$W/task3"
python3 $SC hello "$U" "$W/task3" > /dev/null
UP2=$(upload "$W/task3" "$W/L2")
G2=$(commit "$W/task3" "$W/L2/layers/$ID2.idx")
echo "     generation 1 uploaded $UP1 bytes; generation 2, after a 14-byte change, uploaded $UP2 bytes"
check "generation 2 uploads only the changed chunk ($UP2 bytes)" test "$G2" = "generation 2 layer=sha256:$ID2 size=655360 stored=524288 uploaded=65536
200"
check "  two generations recorded" test "$(srv_sql "$W" "SELECT group_concat(number) FROM generations WHERE mac = '52:54:00:5e:00:02' AND part = 'data'")" = "1,2"

# SIGKILL during commits: after each restart a task is committed with its generation, or
# open with none; never one without the other.
consistent() {
	test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks t WHERE (t.outcome = 'committed') != EXISTS (SELECT 1 FROM generations g WHERE g.task_id = t.id)")" = 0
}
for delay in 0 0.01 0.03 0.06 0.1 0.2 0.4; do
	B3=$(post "$U/api/capture/pc02"); python3 $SC task "$(printf '%s' "$B3" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')" "$W/task4"
	python3 $SC hello "$U" "$W/task4" > /dev/null
	commit "$W/task4" "$W/L2/layers/$ID2.idx" > /dev/null &
	sleep "$delay"; kill -KILL "$SRV_PID"; { wait "$SRV_PID"; } 2>/dev/null; forget_pid "$SRV_PID"; wait
	srv_start "$W" "$W/log-kill" --api-tokens "$W/api-tokens" || break
	consistent || break
	post "$U/api/capture-cancel/pc02" > /dev/null
done
check "SIGKILL during 7 commits: every generation has its committed task and back" consistent
check "  PRAGMA integrity_check" test "$(srv_sql "$W" "PRAGMA integrity_check")" = ok
echo "     $(srv_sql "$W" "SELECT count(*) - 2 FROM generations") of the 7 killed commits landed whole, the rest not at all"

# strata-image build --store URL --token TOKEN: the same protocol from Linux.
order_pc02() { post "$U/api/capture/pc02" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p'; }
post "$U/api/capture-cancel/pc02" > /dev/null
head -c 393216 /dev/urandom > "$W/img2"; head -c 131072 /dev/zero >> "$W/img2"
TK=$(order_pc02)
J1=$("$STRATA_IMAGE_BIN" build --store "$U//" --token "$TK" --part data --json "$W/img2" 2>"$W/up1.err")
check "strata-image uploads a new layer (trailing slashes normalized): 6 chunks" grep -qE '^\{"layer": "sha256:[0-9a-f]{64}", "bytes_uploaded": 393216, "chunks_uploaded": 6, "chunks_present": 0, "server_key": "unchecked \(trust on first use\)"\}$' <<< "$J1"
check "  progress and the commit on stderr" grep -q '^commit: generation [0-9]* layer=sha256:' "$W/up1.err"
printf 'changed' | dd of="$W/img2" bs=1 seek=200000 conv=notrunc 2>/dev/null
TK=$(order_pc02)
J2=$("$STRATA_IMAGE_BIN" build --store "$U" --token "$TK" --part data --json "$W/img2" 2>"$W/up2.err")
echo "     strata-image: first upload $J1"
echo "     strata-image: after a 7-byte change $J2"
check "  after a small change only the changed chunk travels" grep -qE '"bytes_uploaded": 65536, "chunks_uploaded": 1, "chunks_present": 5, "server_key": "unchecked' <<< "$J2"
check "  the generation is recorded" test "$(srv_sql "$W" "SELECT uploaded FROM generations ORDER BY id DESC LIMIT 1")" = 65536
check "a used token: non-zero exit, saying what to do" sh -c "! '$STRATA_IMAGE_BIN' build --store '$U' --token '$TK' --part data '$W/img2' 2>'$W/up3.err' && grep -q 'ask the admin for a new capture order' '$W/up3.err'"
check "a malformed token: non-zero exit, saying what a token is" sh -c "! '$STRATA_IMAGE_BIN' build --store '$U' --token 1234 '$W/img2' 2>'$W/up5.err' && grep -q 'must be the 64 hex digits' '$W/up5.err'"
check "a store URL without --token: exit 2, saying what to add" sh -c "'$STRATA_IMAGE_BIN' build --store '$U' '$W/img2' 2>'$W/up4.err'; test \$? = 2 && grep -q 'add --token TOKEN' '$W/up4.err'"

check "cancelling needs a credential" test "$(code -X POST "$U/api/capture-cancel/pc01")" = 401
check "cancelling needs POST" test "$(code -H "$SRV_AUTH" "$U/api/capture-cancel/pc01")" = 405
check "POST /api/capture-cancel/pc01 ends the task" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture-cancel/pc01' | grep -qx 'capture cancelled'"
check "  its token reads the task no more (403, ended)" sh -c "curl -s \"\$(python3 $SC sign '$W/task1' '$U/capture/task')\" | grep -q '^403 the capture task has ended'"
check "  the row says cancelled" test "$(srv_sql "$W" "SELECT outcome FROM capture_tasks WHERE mac = '52:54:00:5e:00:01'")" = cancelled
check "  audited" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE action = 'capture-cancel' AND target = 'pc01'")" = 1
check "cancelling again finds no task (404)" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture-cancel/pc01")" = 404
check "a new order after the cancel opens a new task" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture/pc01' | grep -q '\"token\": \"[0-9a-f]\{64\}\"'"
check "  one open task a machine" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5e:00:01'")" = 2
check "server stops cleanly" srv_stop
finish
