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
# uploads, the same routes signed by a machine's per-boot session (strata.efi: it acts for
# its open task; the orders say action=capture; a replayed write is 409), the free-space
# reserve, generations committed once per part and task (and
# SIGKILL during commits), done ending a task; strata-image build --store URL --token
# TOKEN and capture-done end to end.  Gold: two partitions committed to the public store,
# done with the layout makes a captured profile (file and row) that inventory machines
# name, each with its own GUIDs; as= of an existing profile 409; a layout naming a layer
# not committed 400; an inventory profile of a captured name refused naming both; SIGKILL
# during done leaves the profile whole or absent; strata-image capture-disk of a GPT image.
# The task session's replay window; a failed report ends the task; phase=capture progress
# in /machines.json.  The public store's folders the server writes into, checked at start
# (store_access.h), and strata-image build as root beside the server.  Loopback only; needs curl, sqlite3, python3-cryptography (and sgdisk
# for capture-disk).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
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
check "a gold order answers JSON with a token" sh -c "printf '%s' '$A' | grep -q '^{\"machine\": \"pc01\", \"mac\": \"52:54:00:5e:00:01\", \"kind\": \"gold\", \"profile\": \"gold1\", \"prepared\": true, \"force\": false, \"token\": \"[0-9a-f]\{64\}\"}$'"
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
check "  a bad zlib stream: 400" grep -q "^400 chunk $R: not a zlib stream" <<< "$(put "$W/task1" "$W/c3" "$R" "z=1&len=4194304")"
check "  len over 4 MiB: 413" grep -q '413$' <<< "$(put "$W/task1" "$W/c2.z" "$C2" "z=1&len=4194305")"
check "  raw with a len that differs: 400" grep -q '400$' <<< "$(put "$W/task1" "$W/c1" "$C1" "len=3")"
check "  unsigned: 403" test "$(code -X POST --data-binary @"$W/c1" "$U/capture/chunk/$C1?b=$(sha256sum < "$W/c1" | cut -c1-64)")" = 403
# strata.efi signs a task's requests with its per-boot machine session (no token on the PC):
# the machine acts for its own open task.  Reads (task, need) may repeat a counter; writes
# (chunks) take each counter once.
sess_register "$U" 52:54:00:5e:00:01 "$W" > "$W/reg1"
check "pc01's machine key is pinned on first use: the open capture task is an order" grep -q '^key=pinned ' "$W/reg1"
check "  its orders say capture kind=gold" sh -c "curl -s '$(sess_url "$W" 52:54:00:5e:00:01 "$U/agent/52:54:00:5e:00:01")' | grep -qx 'action=capture kind=gold profile=gold1 then=reboot private=data'"
check "  its iPXE script chains strata.efi" grep -q 'strata.efi' <(curl -s "$U/ipxe/52-54-00-5e-00-01")
check "  GET /capture/task signed by the machine's session reads its task" sh -c "curl -s \"\$(python3 $SC sign '$W/52:54:00:5e:00:01.state' '$U/capture/task')\" | grep -qx 'task=open kind=gold mac=52:54:00:5e:00:01 profile=gold1'"
check "  have/need signed by the machine's session" test "$(need "$W/52:54:00:5e:00:01.state" "$W/need1")" = "$(printf '%s\n200' "$R")"
NEEDURL=$(python3 $SC sign-post "$W/52:54:00:5e:00:01.state" "$U/capture/need?b=$(sha256sum < "$W/need1" | cut -c1-64)")
check "  a read's counter may repeat (fetch retries)" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @'$W/need1' '$NEEDURL')\" = 200 && test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @'$W/need1' '$NEEDURL')\" = 200"
printf 'machine upload' > "$W/cm"; CM=$(sha256sum < "$W/cm" | cut -c1-64)
CMURL=$(python3 $SC sign-post "$W/52:54:00:5e:00:01.state" "$U/capture/chunk/$CM?b=$(sha256sum < "$W/cm" | cut -c1-64)")
check "  a chunk upload signed by the machine's session is stored for its task" test "$(curl -s -w '%{http_code}' -X POST --data-binary @"$W/cm" "$CMURL")" = "chunk $CM: stored
200"
check "  the same signed write again: 409, nothing more" test "$(code -X POST --data-binary @"$W/cm" "$CMURL")" = 409
post "$U/api/deploy/pc03" >/dev/null     # an order, so its key is pinned on first use
sess_register "$U" 52:54:00:5e:00:03 "$W" > "$W/reg3"
check "  a machine with no open task: 403, saying so" sh -c "curl -s -w '%{http_code}' \"\$(python3 $SC sign '$W/52:54:00:5e:00:03.state' '$U/capture/task')\" | grep -q '^403 .*has none open'"
python3 $SC task "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$W/nobody"
check "  a session nobody opened: 403" test "$(code "$(python3 $SC sign "$W/nobody" "$U/capture/task")")" = 403

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
# The public store's folders the server writes into, checked at start (store_access.h):
# a fan-out folder made by root, 0755 (as strata-image build --store run as root makes
# it), where a gold chunk falls.  A server not started as root warns; one started as
# root hands the folder to its --user, and the upload that got EACCES (500) is stored.
printf 'gold in a folder of root' > "$W/c6"; C6=$(sha256sum < "$W/c6" | cut -c1-64)
F6=$W/root/store/chunks/${C6:0:2}
mkdir -p "$F6" && chown root:root "$F6" && chmod 0755 "$F6"
check "a server not started as root warns of a store folder it cannot write, naming the fix" sh -c "runuser -u nobody -- '$SRV' --root '$W/root' --addr 127.0.0.1 --gc=dry-run 2>&1 | grep -q '^strata-server: $W/root/store: [0-9]* of its folders are not writable by nobody, the server.s user (the first: $W/root/store/chunks/[0-9a-f][0-9a-f], uid 0, mode 0755): a gold capture.s upload or a collection there fails (500); as root: chown -R nobody: $W/root/store\$'"
check "  and leaves it as it is" test "$(stat -c '%U %a' "$F6")" = "root 755"
check "server starts again with the default reserve" srv_start "$W" "$W/log-r2" --api-tokens "$W/api-tokens"
check "  started as root, it handed the folder to its --user (nobody), and said so" sh -c "test \"\$(stat -c '%U %a' '$F6')\" = 'nobody 755' && grep -q '^strata-server: $W/root/store: handed [0-9]* of its folders to nobody (owner, u+rwx), .*; the first: $W/root/store/chunks/[0-9a-f][0-9a-f] (was uid 0, mode 0755)\$' '$W/log-r2'"
check "  a gold chunk that falls there is stored" test "$(put "$W/task1" "$W/c6" "$C6")" = "chunk $C6: stored
200"
# strata-image build --store run as root beside the server: each fan-out folder it makes
# is made like chunks/ (here the --user's, 0755: its owner, group and mode), so a gold
# upload can fall there too.
chown nobody: "$W/root/store/chunks" && chmod 0755 "$W/root/store/chunks"
ls "$W/root/store/chunks" | sort > "$W/fan0"
head -c $((64 * 65536)) /dev/urandom > "$W/b6.img"
"$STRATA_IMAGE_BIN" build --store "$W/root/store" "$W/b6.img" > /dev/null 2>&1
ls "$W/root/store/chunks" | sort | comm -13 "$W/fan0" - > "$W/fan1"
check "strata-image build as root beside it: the fan-out folders it makes are the server's user's" sh -c "test -s '$W/fan1' && test \"\$(cd '$W/root/store/chunks' && stat -c '%U %a' \$(cat '$W/fan1') | sort -u)\" = 'nobody 755'"
# A fan-out folder the server's user swapped for a link (a compromised server account):
# root's build does not follow it, and writes nothing where it points.
# b7's fan-out folder must be one no earlier chunk fell in (C1 and C2 are needed below):
# draw again until it is free.
while :; do
	head -c 65536 /dev/urandom > "$W/b7.img"
	C7=$(sha256sum < "$W/b7.img" | cut -c1-64)
	test -e "$W/root/store/chunks/${C7:0:2}" || break
done
mkdir -p "$W/elsewhere"
ln -s "$W/elsewhere" "$W/root/store/chunks/${C7:0:2}"
check "strata-image build as root does not follow a fan-out folder swapped for a link" sh -c "! '$STRATA_IMAGE_BIN' build --store '$W/root/store' '$W/b7.img' > /dev/null 2>'$W/b7.err' && grep -q 'chunks/${C7:0:2}: ' '$W/b7.err' && test -z \"\$(ls -A '$W/elsewhere')\""
rm -f "$W/root/store/chunks/${C7:0:2}"
printf '%s\n%s\n' "$C1" "$C2" > "$W/need2"
check "have/need now holds both" test "$(need "$W/task1" "$W/need2")" = 200
check "a second order on the machine is refused (409)" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc01?as=gold2&prepared=yes")" = 409
check "  and says how to cancel" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture/pc01?as=gold2&prepared=yes' | grep -q 'capture-cancel'"

check "a machine order on a profile with no capture=yes part is refused" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture/pc02' | grep -q '^400 .*capture=yes'"
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' "$W/root/inventory.conf"
kill -HUP "$SRV_PID"
for _ in $(seq 50); do [ "$(grep -c 'profiles, 3 machines$' "$W/log")" -ge 2 ] && break; sleep 0.1; done
B=$(post "$U/api/capture/52-54-00-5e-00-02")
check "a machine-layer order by MAC answers its own token" sh -c "printf '%s' '$B' | grep -q '\"machine\": \"pc02\", .*\"kind\": \"machine\", \"profile\": \"\", \"prepared\": false, \"force\": false, \"token\": \"[0-9a-f]\{64\}\"'"
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
	local n a bytes=0
	names "$2" > "$W/names"
	for n in $(need "$1" "$W/names" | grep -E '^[0-9a-f]{64}$'); do
		a=$(put "$1" "$2/chunks/${n:0:2}/$n" "$n")
		[ "${a##*$'\n'}" = 200 ] || echo "upload of chunk $n: $a" >&2
		bytes=$((bytes + $(stat -c %s "$2/chunks/${n:0:2}/$n")))
	done
	echo "$bytes"
}
check "a gold task's commit of an index whose chunks are only in a machine's store: 409" grep -q '^409 the index names chunk' <<< "$(commit "$W/task1" "$W/L1/layers/$ID1.idx" root)"
GD=$(commit "$W/task1" "$W/L1/layers/$ID1.idx"); GC=$(commit "$W/task1" "$W/L1/layers/$ID1.idx" CIDATA)
own_refused() { grep -q "^400 partition data is the machine's own" <<< "$GD" && grep -q "^400 partition CIDATA is the machine's own" <<< "$GC"; }
check "a gold task's commit of the machine's own partition (capture=yes data, CIDATA): 400" own_refused
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
check "  the task stays open until done" grep -qx 'task=open kind=machine mac=52:54:00:5e:00:02 profile=-' <<< "$(curl -s "$(python3 $SC sign "$W/task2" "$U/capture/task")")"
check "  a second commit of one part in one task: 409" grep -q '^409 part data was committed by this task already' <<< "$(commit "$W/task2" "$W/L1/layers/$ID1.idx")"
check "  its commit row" test "$(srv_sql "$W" "SELECT part || ' ' || lower(hex(layer)) || ' ' || forced FROM capture_commits")" = "data $ID1 0"
# done DIR-STATE [BODYFILE]: POST /capture/done with the body (empty by default)
done_() {
	local f=${2:-/dev/null} b
	b=$(sha256sum < "$f" | cut -c1-64)
	curl -s -w '%{http_code}' -X POST --data-binary @"$f" "$(python3 $SC sign-post "$1" "$U/capture/done?b=$b")"
}
check "  a machine task's done with a body: 400" grep -q '^400 a machine capture' <<< "$(done_ "$W/task2" "$W/c1")"
check "  done ends the task" test "$(done_ "$W/task2")" = "task committed: 1 partitions
200"
check "  then its token reads nothing" grep -q '^403 the capture task has ended' <<< "$(curl -s "$(python3 $SC sign "$W/task2" "$U/capture/task")")"
check "  the row says committed" test "$(srv_sql "$W" "SELECT outcome FROM capture_tasks WHERE id = (SELECT task_id FROM capture_commits)")" = committed
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
done_ "$W/task3" > /dev/null
# A generation's chunk that only the public store holds (a chunk it shares with the gold
# image is never uploaded again) is served from there in the machine's private runs.
P2=$W/root/state/private/5254005e0002
CP=$(names "$P2" | head -n1)
# (a fan-out folder made here as root stays writable by the server's --user, as above:
# a gold upload whose chunk falls in it later must not fail with EACCES)
mkdir -p "$W/root/store/chunks/${CP:0:2}" && chmod a+rwX "$W/root/store/chunks/${CP:0:2}" && mv "$P2/chunks/${CP:0:2}/$CP" "$W/root/store/chunks/${CP:0:2}/$CP"
check "a private run takes a chunk it lacks from the public store" test "$(curl -s -o "$W/run2" -w '%{http_code} %{size_download}' -H "$SRV_AUTH" "$U/private/52-54-00-5e-00-02/runs/$ID2/0-9")" = "200 524288"
mv "$W/root/store/chunks/${CP:0:2}/$CP" "$P2/chunks/${CP:0:2}/$CP"

# SIGKILL during commits: after each restart a commit is recorded with its generation, or
# neither is; never one without the other.
consistent() {
	test "$(srv_sql "$W" "SELECT count(*) FROM capture_commits c JOIN capture_tasks t ON t.id = c.task_id WHERE t.kind = 'machine' AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.task_id = c.task_id AND g.part = c.part)")" = 0 &&
	test "$(srv_sql "$W" "SELECT count(*) FROM generations g WHERE NOT EXISTS (SELECT 1 FROM capture_commits c WHERE c.task_id = g.task_id AND c.part = g.part)")" = 0
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
check "SIGKILL during 7 commits: every generation has its commit row and back" consistent
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
check "strata-image capture-done ends the task" test "$("$STRATA_IMAGE_BIN" capture-done --store "$U" --token "$TK" 2>/dev/null)" = "task committed: 1 partitions"
check "  capture-done --help says what it does" sh -c "'$STRATA_IMAGE_BIN' capture-done --help | grep -q -- '--layout FILE'"
printf 'changed' | dd of="$W/img2" bs=1 seek=200000 conv=notrunc 2>/dev/null
TK=$(order_pc02)
J2=$("$STRATA_IMAGE_BIN" build --store "$U" --token "$TK" --part data --json "$W/img2" 2>"$W/up2.err")
echo "     strata-image: first upload $J1"
echo "     strata-image: after a 7-byte change $J2"
check "  after a small change only the changed chunk travels" grep -qE '"bytes_uploaded": 65536, "chunks_uploaded": 1, "chunks_present": 5, "server_key": "unchecked' <<< "$J2"
check "  the generation is recorded" test "$(srv_sql "$W" "SELECT uploaded FROM generations ORDER BY id DESC LIMIT 1")" = 65536
check "  the same part again in the task: non-zero exit, 409" sh -c "! '$STRATA_IMAGE_BIN' build --store '$U' --token '$TK' --part data '$W/img2' 2>'$W/up6.err' && grep -q 'HTTP 409: 409 part data was committed by this task already' '$W/up6.err'"
"$STRATA_IMAGE_BIN" capture-done --store "$U" --token "$TK" > /dev/null
check "a used token: non-zero exit, saying what to do" sh -c "! '$STRATA_IMAGE_BIN' build --store '$U' --token '$TK' --part data '$W/img2' 2>'$W/up3.err' && grep -q 'ask the admin for a new capture order' '$W/up3.err'"
check "a malformed token: non-zero exit, saying what a token is" sh -c "! '$STRATA_IMAGE_BIN' build --store '$U' --token 1234 '$W/img2' 2>'$W/up5.err' && grep -q 'must be the 64 hex digits' '$W/up5.err'"
check "a store URL without --token: exit 2, saying what to add" sh -c "'$STRATA_IMAGE_BIN' build --store '$U' '$W/img2' 2>'$W/up4.err'; test \$? = 2 && grep -q 'add --token TOKEN' '$W/up4.err'"

# Gold: pc03's disk becomes the profile "golden".  Two partitions are committed (ESP by
# strata-image, root by hand), then done sends the layout; the profile is loaded with the
# inventory, and machines deployed from it get their own GUIDs.
TG=$(post "$U/api/capture/pc03?as=golden&prepared=yes" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
python3 $SC task "$TG" "$W/task5"
head -c 262144 /dev/urandom > "$W/esp.img"; head -c 393216 /dev/urandom > "$W/root.img"
IDE=$("$STRATA_IMAGE_BIN" build --store "$U" --token "$TG" --part ESP "$W/esp.img" 2>"$W/g1.err" | tail -n1 | sed 's/^sha256://')
check "gold: strata-image commits ESP into the public store's layers/" sh -c "grep -q '^commit: layer=sha256:$IDE size=262144 ' '$W/g1.err' && test -f '$W/root/store/layers/$IDE.idx'"
IDR=$("$STRATA_IMAGE_BIN" build --store "$W/L5" "$W/root.img" 2>/dev/null | tail -n1 | sed 's/^sha256://')
check "  root's chunks upload to the public store" test "$(upload "$W/task5" "$W/L5")" = 393216
check "  a label the manifest cannot name: 400" grep -q '^400 part= must be the partition' <<< "$(commit "$W/task5" "$W/L5/layers/$IDR.idx" 'a%20b')"
RC5=$(curl -s -X POST --data-binary @"$W/L5/layers/$IDR.idx" "$(python3 $SC sign-post "$W/task5" "$U/capture/commit?part=root&force=yes&b=$(sha256sum < "$W/L5/layers/$IDR.idx" | cut -c1-64)")")
check "  root commits with force=yes recorded" sh -c 'printf "%s\n" "$1"; printf "%s\n" "$1" | grep -q "^layer=sha256:$2 size=393216 .* forced$"' - "$RC5" "$IDR"
check "  ESP again in the task: 409" grep -q '^409 part ESP was committed' <<< "$(commit "$W/task5" "$W/L5/layers/$IDR.idx" ESP)"
check "  the commits' rows" test "$(srv_sql "$W" "SELECT group_concat(part || ':' || forced, ' ') FROM (SELECT * FROM capture_commits c JOIN capture_tasks t ON t.id = c.task_id WHERE t.profile = 'golden' ORDER BY part)")" = "ESP:0 root:1"
G1=11111111-2222-4333-8444-555555555501 G2=11111111-2222-4333-8444-555555555502 G3=11111111-2222-4333-8444-555555555503
# layout FILE [LAYER-OF-ROOT [EXTRA]]: the reference disk's layout
layout() {
	printf 'strata-manifest 1\nversion 0\ndisk guid=11111111-2222-4333-8444-555555555500 min-size=1G\n' > "$1"
	printf 'part 1 label=ESP type=esp guid=%s start=1M size=1M policy=write layer=sha256:%s\n' "$G1" "$IDE" >> "$1"
	printf 'part 2 label=root type=linux guid=%s start=2M size=1M policy=write layer=sha256:%s%s\n' "$G2" "${2:-$IDR}" "${3:-}" >> "$1"
	printf 'part 3 label=data type=linux guid=%s start=3M size=rest policy=preserve\n' "$G3" >> "$1"
}
layout "$W/lay-bad" "$ID1"
check "  done naming a layer the task did not commit: 400 naming it" grep -q "^400 partition root: layer sha256:$ID1 was not committed by this task" <<< "$(done_ "$W/task5" "$W/lay-bad")"
layout "$W/lay-priv" "$IDR" " store=private"
check "  a private layer in the layout: 400" grep -q '^400 the layout, line 5: a layout is public' <<< "$(done_ "$W/task5" "$W/lay-priv")"
layout "$W/lay-sig"; echo 'signature ecdsa-p256 AAAA' >> "$W/lay-sig"
check "  a signed layout: 400" grep -q '^400 the layout, line 7: a layout is unsigned' <<< "$(done_ "$W/task5" "$W/lay-sig")"
check "  strata-image capture-done checks a layout before sending it" sh -c "'$STRATA_IMAGE_BIN' capture-done --store '$U' --token '$TG' --layout '$W/lay-sig' 2>'$W/cd.err'; test \$? = 1 && grep -q 'lay-sig:7: a layout is unsigned' '$W/cd.err'"
check "  no profile yet, the task still open" test "$(srv_sql "$W" "SELECT count(*) FROM captured_profiles")$(curl -s "$(python3 $SC sign "$W/task5" "$U/capture/task")" | cut -c1-9)" = "0task=open"
layout "$W/lay"
check "done with the layout: the profile is made" test "$("$STRATA_IMAGE_BIN" capture-done --store "$U" --token "$TG" --layout "$W/lay" 2>/dev/null)" = "task committed: profile golden, 2 layers"
check "  STATE/profiles/golden.layout holds it (mode 600)" sh -c "cmp -s '$W/lay' '$W/root/state/profiles/golden.layout' && test \"\$(stat -c %a '$W/root/state/profiles/golden.layout')\" = 600"
check "  its row: source, credential, prepared, forced parts" test "$(srv_sql "$W" "SELECT mac || ' ' || machine || ' ' || token_name || ' ' || prepared || ' ' || forced || ' ' || (at > 0) FROM captured_profiles WHERE name = 'golden'")" = "52:54:00:5e:00:03 pc03 admin 1 root 1"
check "  the task ended committed" test "$(srv_sql "$W" "SELECT outcome FROM capture_tasks WHERE profile = 'golden'")" = committed
check "a gold order whose as= names a captured profile: 409" grep -q '^409 as=: a profile of that name exists' <<< "$(curl -s -X POST -H "$SRV_AUTH" "$U/api/capture/pc03?as=golden&prepared=yes")"
check "  or an inventory profile: 409" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc03?as=lab&prepared=yes")" = 409
check "  or one an open gold task will make: 409" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture/pc03?as=gold1&prepared=yes")" = 409
# The profile in the inventory: two new machines name it, with no layer id copied by hand.
printf 'machine 52:54:00:5e:00:04 name=pc04 profile=golden\nmachine 52:54:00:5e:00:05 name=pc05 profile=golden\n' >> "$W/root/inventory.conf"
kill -HUP "$SRV_PID"
for _ in $(seq 50); do grep -q 'profiles, 5 machines$' "$W/log-kill" && break; sleep 0.1; done
curl -s -H "$SRV_AUTH" "$U/manifest/52:54:00:5e:00:04" > "$W/m4"; curl -s -H "$SRV_AUTH" "$U/manifest/52:54:00:5e:00:05" > "$W/m5"
check "a machine of the captured profile gets a manifest naming its layers" sh -c "grep -q '^part 1 label=ESP type=esp .* layer=sha256:$IDE$' '$W/m4' && grep -q '^part 2 label=root type=linux .* layer=sha256:$IDR$' '$W/m4' && grep -q '^part 3 label=data .* policy=preserve$' '$W/m4'"
check "  GET /api/layers: the profile's two layers captured from pc03 by admin" sh -c "curl -s -H '$SRV_AUTH' '$U/api/layers' | python3 -c 'import json, sys; j = {l[\"id\"]: l for l in json.load(sys.stdin)}; c = [j[i].get(\"captured_from\") for i in (\"$IDE\", \"$IDR\")]; assert all(x and (x[\"profile\"], x[\"machine\"], x[\"by\"]) == (\"golden\", \"pc03\", \"admin\") and x[\"at\"] > 0 for x in c), c'"
guids() { grep -o 'guid=[0-9A-F-]*' "$1"; }
export -f guids
check "  its disk and partition GUIDs are its own: none the reference's, none another machine's" bash -c "! guids '$W/m4' | grep -qi -e 55555555550 && ! guids '$W/m5' | grep -qi -e 55555555550 && test -z \"\$(comm -12 <(guids '$W/m4' | sort) <(guids '$W/m5' | sort))\" && test \"\$(guids '$W/m4' | sort -u | wc -l)\" = 4"
cp "$W/root/inventory.conf" "$W/inv.keep"
printf 'profile golden\npart label=x type=linux size=rest policy=preserve\n' >> "$W/root/inventory.conf"
kill -HUP "$SRV_PID"
for _ in $(seq 50); do grep -q "also the captured profile" "$W/log-kill" && break; sleep 0.1; done
check "an inventory profile with a captured one's name: an error naming both" grep -q "inventory.conf:[0-9]*: profile 'golden' is also the captured profile .*/state/profiles/golden.layout" "$W/log-kill"
cp "$W/inv.keep" "$W/root/inventory.conf"

# The replay window of a task session: a write's n counts once, a read's may repeat.
TW=$(post "$U/api/capture/pc03?as=golden2&prepared=yes" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
python3 $SC task "$TW" "$W/task6"
RD=$(python3 $SC sign "$W/task6" "$U/capture/task")
check "replay window: a read answers twice" test "$(code "$RD")$(code "$RD")" = 200200
WR=$(python3 $SC sign-post "$W/task6" "$U/capture/chunk/$C1?b=$C1")
check "  a write's n is taken once (409 on a replay)" test "$(code -X POST --data-binary @"$W/c1" "$WR")$(code -X POST --data-binary @"$W/c1" "$WR")" = 200409
N=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['n'])" "$W/task6")
check "  an n older than the window (64 below the highest): 409, even for a read" test "$(code "$(python3 $SC sign-n "$W/task6" $((N + 1000)) "$U/capture/task")")$(code "$(python3 $SC sign-n "$W/task6" $((N + 900)) "$U/capture/task")")$(code "$(python3 $SC sign-n "$W/task6" $((N + 1000)) "$U/capture/task")")" = 200409200

# SIGKILL during done: the server restarts with the profile (task committed) or without
# it (task open), never half.
whole() {
	test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks t WHERE t.kind = 'gold' AND (t.outcome IS 'committed') != EXISTS (SELECT 1 FROM captured_profiles p WHERE p.task_id = t.id)")" = 0
}
post "$U/api/capture-cancel/pc03" > /dev/null
k=0
for delay in 0 0.05 0.1 0.15 0.2 0.3 0.5; do
	k=$((k + 1))
	TK=$(post "$U/api/capture/pc03?as=killed$k&prepared=yes" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
	python3 $SC task "$TK" "$W/task7"
	commit "$W/task7" "$W/root/store/layers/$IDE.idx" ESP > /dev/null
	commit "$W/task7" "$W/root/store/layers/$IDR.idx" root > /dev/null
	done_ "$W/task7" "$W/lay" > /dev/null &
	sleep "$delay"; kill -KILL "$SRV_PID"; { wait "$SRV_PID"; } 2>/dev/null; forget_pid "$SRV_PID"; wait
	# a second try: a sanitized server restarting on a loaded machine may miss srv_run's 10 s
	srv_start "$W" "$W/log-kill2" --api-tokens "$W/api-tokens" || srv_start "$W" "$W/log-kill2" --api-tokens "$W/api-tokens" || break
	whole || break
	post "$U/api/capture-cancel/pc03" > /dev/null
done
check "SIGKILL during 7 dones: each restart has the profile with its task ended, or neither" whole
check "  every profile recorded is loaded (the server started)" grep -q "profiles, 5 machines$" "$W/log-kill2"
echo "     $(srv_sql "$W" "SELECT count(*) FROM captured_profiles WHERE name LIKE 'killed%'") of the 7 killed dones landed whole, the rest not at all"

# strata-image capture-disk: a gold capture of a whole GPT disk image from Linux.  ESP and
# root are captured, CIDATA (by its name) and home (--keep) stay private.
if command -v sgdisk > /dev/null; then
	truncate -s 8M "$W/disk.img"
	sgdisk -n 1:2048:+1M -c 1:ESP -t 1:ef00 -n 2:0:+2M -c 2:root -t 2:8300 -n 3:0:+1M -c 3:CIDATA \
		-t 3:0700 -n 4:0:+1M -c 4:home -t 4:8300 "$W/disk.img" > /dev/null
	head -c 1048576 /dev/urandom | dd of="$W/disk.img" bs=512 seek=2048 conv=notrunc 2>/dev/null
	head -c 1000000 /dev/urandom | dd of="$W/disk.img" bs=512 seek=4096 conv=notrunc 2>/dev/null
	dd if="$W/disk.img" of="$W/root.part" bs=512 skip=4096 count=4096 2>/dev/null
	IDD=$("$STRATA_IMAGE_BIN" build --store "$W/L6" "$W/root.part" 2>/dev/null | tail -n1)
	TD=$(post "$U/api/capture/pc03?as=fromdisk&prepared=yes" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
	check "strata-image capture-disk: the disk's layout becomes the profile" test "$("$STRATA_IMAGE_BIN" capture-disk --store "$U" --token "$TD" --keep home "$W/disk.img" 2>"$W/cd.err")" = "task committed: profile fromdisk, 2 layers"
	check "  its layout: ESP and root with layers (root's as a build of its bytes), CIDATA and home preserved" sh -c "grep -q '^part 1 label=ESP type=esp .* start=1048576 size=1048576 policy=write layer=sha256:' '$W/root/state/profiles/fromdisk.layout' && grep -q '^part 2 label=root type=linux .* size=2097152 policy=write layer=$IDD$' '$W/root/state/profiles/fromdisk.layout' && grep -q '^part 3 label=CIDATA type=basic .* policy=preserve$' '$W/root/state/profiles/fromdisk.layout' && grep -q '^part 4 label=home .* policy=preserve$' '$W/root/state/profiles/fromdisk.layout'"
	# The reference disk's CIDATA is that PC's own: the captured profile makes it
	# layer=machine, so a machine given the profile gets its own generated CIDATA layer.
	printf 'machine 52:54:00:5e:00:06 name=pc06 profile=fromdisk\n' >> "$W/root/inventory.conf"
	kill -HUP "$SRV_PID"
	for _ in $(seq 100); do grep -q 'profiles, 6 machines$' "$W/log-kill2" && break; sleep 0.1; done
	curl -s -H "$SRV_AUTH" "$U/manifest/52:54:00:5e:00:06" > "$W/m6"
	ML6=$(sed -n 's/^part 3 label=CIDATA .*policy=write layer=\(sha256:[0-9a-f]*\) store=private$/\1/p' "$W/m6")
	check "  a machine given the captured profile gets its own CIDATA layer (layer=machine), home stays preserved" sh -c "test -n '$ML6' && test -f '$W/root/state/private/5254005e0006/layers/${ML6#sha256:}.idx' && grep -q '^part 4 label=home .* policy=preserve$' '$W/m6'"
	sgdisk -c 2:'r o' "$W/disk.img" > /dev/null
	TD2=$(post "$U/api/capture/pc03?as=fromdisk2&prepared=yes" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
	REQS=$(grep -c ' /capture/' "$W/log-kill2")
	check "  a partition whose GPT name is no label: exit 1 naming it and the fix" sh -c "'$STRATA_IMAGE_BIN' capture-disk --store '$U' --token '$TD2' '$W/disk.img' 2>'$W/cd2.err' >/dev/null; test \$? = 1 && grep -q 'partition 2: its GPT name is not a label .*sgdisk -c' '$W/cd2.err'"
	sgdisk -c 2:root -c 4:root "$W/disk.img" > /dev/null
	check "  two partitions of one GPT name: exit 1 naming the later" sh -c "'$STRATA_IMAGE_BIN' capture-disk --store '$U' --token '$TD2' '$W/disk.img' 2>'$W/cd3.err' >/dev/null; test \$? = 1 && grep -q 'partition 4: its GPT name is another partition' '$W/cd3.err'"
	check "  ... both before any request to the server (the ESP before them not uploaded)" test "$(grep -c ' /capture/' "$W/log-kill2")" = "$REQS"
	post "$U/api/capture-cancel/pc03" > /dev/null
else
	echo "     (no sgdisk: strata-image capture-disk not tried)"
fi

# A failed capture: the agent's signed report phase=failed ends the open task as failed.
# Progress reports phase=capture show in /machines.json.  (A deploy order gives pc03 a
# session at registration.)
TF=$(post "$U/api/capture/pc03?as=failing&prepared=yes" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
post "$U/api/deploy/pc03" > /dev/null
. "$(dirname "$0")/../lib/session.sh"
check "pc03 registers (a deploy pending: a session)" grep -q " session=" <<< "$(sess_register "$U" 52:54:00:5e:00:03 "$W" 2>&1)"
check "a progress report phase=capture is taken" test "$(code "$(sess_url "$W" 52:54:00:5e:00:03 "$U/report/52:54:00:5e:00:03?phase=capture&done=1000000&total=5000000&msg=part%20root%20uploaded%20400000")")" = 200
sleep 1.1
curl -s "$(sess_url "$W" 52:54:00:5e:00:03 "$U/report/52:54:00:5e:00:03?phase=capture&done=3000000&total=5000000&msg=part%20root%20uploaded%20900000")" > /dev/null
J=$(curl -s -H "$SRV_AUTH" "$U/machines.json" | grep '"name": "pc03"')
check "  /machines.json shows the partition, bytes read, uploaded, rate and ETA" grep -qE '"capture": \{"part": "root", "read": 3000000, "total": 5000000, "uploaded": 900000, "rate": [0-9]+, "eta": [0-9]+\}' <<< "$J"
check "a failed report ends the task as failed, with its message" test "$(code "$(sess_url "$W" 52:54:00:5e:00:03 "$U/report/52:54:00:5e:00:03?phase=failed&msg=part%20root:%20read%20error")")$(srv_sql "$W" "SELECT outcome || ' ' || message FROM capture_tasks WHERE profile = 'failing'")" = "200failed part root: read error"
check "  /machines.json shows it like a failed deployment" grep -q '"name": "pc03", .*"result": "failed", .*"message": "part root: read error"' <<< "$(curl -s -H "$SRV_AUTH" "$U/machines.json")"
check "  its token is void" grep -q '^403 the capture task has ended' <<< "$(curl -s "$(python3 $SC sign "$W/task5" "$U/capture/task")")"

check "cancelling needs a credential" test "$(code -X POST "$U/api/capture-cancel/pc01")" = 401
check "cancelling needs POST" test "$(code -H "$SRV_AUTH" "$U/api/capture-cancel/pc01")" = 405
check "POST /api/capture-cancel/pc01 ends the task" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture-cancel/pc01' | grep -qx 'capture cancelled'"
check "  its token reads the task no more (403, ended)" sh -c "curl -s \"\$(python3 $SC sign '$W/task1' '$U/capture/task')\" | grep -q '^403 the capture task has ended'"
check "  the row says cancelled" test "$(srv_sql "$W" "SELECT outcome FROM capture_tasks WHERE mac = '52:54:00:5e:00:01'")" = cancelled
check "  audited" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE action = 'capture-cancel' AND target = 'pc01'")" = 1
check "cancelling again finds no task (404)" test "$(code -X POST -H "$SRV_AUTH" "$U/api/capture-cancel/pc01")" = 404
check "a new order after the cancel opens a new task" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/capture/pc01' | grep -q '\"token\": \"[0-9a-f]\{64\}\"'"
check "  one open task a machine" test "$(srv_sql "$W" "SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5e:00:01'")" = 2
# force=yes: a filesystem strata.efi cannot map is captured whole, forced, only when the
# order says so; the task records it and the orders line carries it.
post "$U/api/capture-cancel/pc01" > /dev/null
check "force= other than yes is refused (400), no task opened" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST -H '$SRV_AUTH' '$U/api/capture/pc01?as=forced1&prepared=yes&force=maybe')\" = 400 && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT count(*) FROM capture_tasks WHERE mac = '52:54:00:5e:00:01' AND ended IS NULL\")\" = 0"
AF=$(post "$U/api/capture/pc01?as=forced1&prepared=yes&force=yes")
check "a gold order with force=yes answers \"force\": true" grep -q '"profile": "forced1", "prepared": true, "force": true, "token": ' <<< "$AF"
check "  the task row records force" test "$(srv_sql "$W" "SELECT kind || ' ' || prepared || ' ' || force FROM capture_tasks WHERE ended IS NULL AND mac = '52:54:00:5e:00:01'")" = "gold 1 1"
check "  audited with force=yes" test "$(srv_sql "$W" "SELECT action FROM orders WHERE action LIKE 'capture gold as=forced1%'")" = "capture gold as=forced1 prepared=yes force=yes"
sess_register "$U" 52:54:00:5e:00:01 "$W" > /dev/null
check "  its orders line carries force=yes" sh -c "curl -s '$(sess_url "$W" 52:54:00:5e:00:01 "$U/agent/52:54:00:5e:00:01")' | grep -qx 'action=capture kind=gold profile=forced1 then=reboot private=data force=yes'"
post "$U/api/capture-cancel/pc01" > /dev/null
post "$U/api/capture/pc01" > /dev/null
check "  a machine order without force=: the row says 0 and the orders line has no force=" sh -c "test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT force FROM capture_tasks WHERE ended IS NULL AND mac = '52:54:00:5e:00:01'\")\" = 0 && curl -s '$(sess_url "$W" 52:54:00:5e:00:01 "$U/agent/52:54:00:5e:00:01")' | grep -qx 'action=capture kind=machine then=reboot parts=[^ ]*'"
# A store built at another zlib level: the same chunks (same names) in files of other
# sizes than an index built at level 6 names.  The commit takes the files the store
# holds: it rewrites the index's stored sizes to them before storing and hashing it.
post "$U/api/capture-cancel/pc03" > /dev/null
python3 -c "import sys; sys.stdout.buffer.write(''.join('line %d of a text that deflates, level by level\n' % i for i in range(20000)).encode()[:786432])" > "$W/lvl.img"
IDL1=$("$STRATA_IMAGE_BIN" build --store "$W/root/store" --level 1 "$W/lvl.img" 2>/dev/null | tail -n1)
IDL6=$("$STRATA_IMAGE_BIN" build --store "$W/L6lvl" "$W/lvl.img" 2>/dev/null | tail -n1)
check "a public store built with --level 1: the level-6 index of the same data differs" sh -c "test -n '$IDL1' && test -n '$IDL6' && test '$IDL1' != '$IDL6'"
TL=$(post "$U/api/capture/pc03?as=levels&prepared=yes" | sed -n 's/.*"token": "\([0-9a-f]*\)".*/\1/p')
python3 $SC task "$TL" "$W/task-lvl"
CL=$(commit "$W/task-lvl" "$W/L6lvl/layers/${IDL6#sha256:}.idx" root)
check "  a commit of the level-6 index: 200, its 12 chunks' sizes rewritten to the store's files (the answer says so), the layer is the level-1 build's" grep -q "^layer=$IDL1 size=786432 stored=[0-9]* uploaded=[0-9]* rewritten=12$" <<< "$CL"
check "  the committed layer applies from the store, bytes equal" sh -c "'$STRATA_IMAGE_BIN' apply --store '$W/root/store' '$IDL1' '$W/lvl.out' > /dev/null 2>&1 && cmp -s '$W/lvl.img' '$W/lvl.out'"
check "  strata-image build --token (level 6) prints the layer the server committed" test "$("$STRATA_IMAGE_BIN" build --store "$U" --token "$TL" --part root2 "$W/lvl.img" 2>"$W/lvl.err")" = "$IDL1"
check "  its commit line says rewritten=12" grep -q "rewritten=12$" "$W/lvl.err"
post "$U/api/capture-cancel/pc03" > /dev/null
check "server stops cleanly" srv_stop
finish
