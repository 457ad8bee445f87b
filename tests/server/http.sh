#!/bin/bash
# strata-server's HTTP side and inventory against real clients: curl (ranges, keep-alive,
# 404, 416, runs), strata-image (apply from the server's store, manifest verify), mtools
# and fsck.fat (the generated CIDATA machine layer, in its private store, and its
# instance-id: docs/restore.md, "Identity"), plus orders and
# reports of a machine's session (tests/tools/session_client.py; numbers range-checked),
# the deploy API and /machines.json with an admin token, SIGHUP reload and inventory
# errors.  Loopback only.  tests/security/api-auth.sh tests the refusals of the API,
# forged-requests.sh those of machines' requests.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/session.sh"
SRV=${STRATA_SERVER:-build/san/strata-server}
SI=${STRATA_IMAGE:-build/san/strata-image}
W=$(mktemp -d /tmp/strata-http.XXXXXX)
chmod 755 "$W"
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

mkdir -p "$W/root/boot"
cp /usr/lib/ipxe/snponly.efi "$W/root/boot/"
head -c 5000000 /dev/urandom > "$W/base.img"
head -c 1000000 /dev/zero >> "$W/base.img"
BASE=$($SI build --store "$W/root/store" "$W/base.img" 2>/dev/null | tail -1)
printf '#cloud-config\nruncmd: [echo hello]\n' > "$W/root/lab.yaml"
inventory() {
	cat > "$W/root/inventory.conf" <<EOC
# test lab
default ${1:-local}

profile lab
disk min-size=1G
part label=ESP type=esp size=64M layer=$BASE
part label=CIDATA type=basic size=8M layer=machine
part label=data type=linux size=rest policy=preserve
user-data lab.yaml

machine 52:54:00:12:34:01 name=pc01 profile=lab action=deploy
machine 52:54:00:12:34:02 name=pc02 profile=lab
EOC
}
inventory
TOKEN=$(head -c 24 /dev/urandom | xxd -p)
AUTH="Authorization: Bearer $TOKEN"
printf 'admin %s\n' "$TOKEN" > "$W/api-tokens"
HP=$(free_port)
U=http://127.0.0.1:$HP
$SRV --root "$W/root" --addr 127.0.0.1 --http-port "$HP" --tftp-port "$(free_port)" --dhcp off \
	--api-tokens "$W/api-tokens" 2>"$W/log" &
PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "$U/ipxe/boot.ipxe" && break; sleep 0.1; done

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "server up" test "$(code -H "$AUTH" "$U/machines.json")" = 200
check "boot file served whole" sh -c "curl -s '$U/boot/snponly.efi' | cmp - '$W/root/boot/snponly.efi'"
check "range 0-99 gives 206 and 100 bytes" test "$(curl -s -r 0-99 -o "$W/r" -w '%{http_code}' "$U/boot/snponly.efi")$(stat -c %s "$W/r")" = 206100
check "range bytes match" sh -c "head -c 100 '$W/root/boot/snponly.efi' | cmp - '$W/r'"
check "suffix range" test "$(curl -s -H 'Range: bytes=-10' -o "$W/r" -w '%{http_code}' "$U/boot/snponly.efi")" = 206
check "suffix range bytes" sh -c "tail -c 10 '$W/root/boot/snponly.efi' | cmp - '$W/r'"
check "range past the end gives 416" test "$(code -r 99999999-100000000 "$U/boot/snponly.efi")" = 416
check "missing file gives 404" test "$(code "$U/boot/nothing.efi")" = 404
check "traversal gives 404" test "$(code --path-as-is "$U/boot/../inventory.conf")" = 404
check "encoded traversal gives 404" test "$(code --path-as-is "$U/boot/%2e%2e/inventory.conf")" = 404
check "state folder not served" test "$(code --path-as-is "$U/store/../state/server.key")" = 404
check "keep-alive reuses one connection" sh -c "curl -sv -o /dev/null -o /dev/null '$U/boot/snponly.efi' '$U/ipxe/boot.ipxe' 2>&1 | grep -q 'Re-using existing connection'"
check "immutable store files" sh -c "curl -sI '$U/store/layers/${BASE#sha256:}.idx' | grep -qi 'cache-control: .*immutable'"
check "huge header refused" test "$(code -H "$AUTH" -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$U/machines.json")" != 200
check "POST to a file refused" test "$(code -X POST "$U/boot/snponly.efi")" = 405

# Scripts and manifests.
curl -s "$U/ipxe/52-54-00-12-34-01" > "$W/s1"
curl -s "$U/ipxe/52:54:00:12:34:02" > "$W/s2"
curl -s "$U/ipxe/52:54:00:99:99:99" > "$W/s3"
check "pending machine runs strata.efi" grep -q "^imgfetch --name agent $U/boot/strata.efi server=$U mac=52:54:00:12:34:01 then=reboot" "$W/s1"
check "the script holds no report token" sh -c "! grep -q token '$W/s1'"
check "idle machine exits to its disk" sh -c "grep -q '^exit 1\$' '$W/s2' && ! grep -q chain '$W/s2'"
check "unknown machine boots locally" grep -q "unknown boots its local disk" "$W/s3"
sess_register "$U" 52:54:00:12:34:01 "$W" "$W/root/state/server.key.pub" > "$W/reg1"
sess_register "$U" 52:54:00:12:34:02 "$W" > "$W/reg2"
check "pc01 registers (pending order: pinned, a session)" grep -q '^key=pinned name=pc01 .* session=' "$W/reg1"
check "pc02 registers (no order: unpinned, no session)" grep -qx 'key=unpinned name=pc02 fingerprint=[0-9a-f]*' "$W/reg2"
check "agent orders: unsigned refused" test "$(code "$U/agent/52:54:00:12:34:01")" = 401
check "agent orders: deploy, to the session" sh -c "curl -s '$(sess_url "$W" 52:54:00:12:34:01 "$U/agent/52:54:00:12:34:01")' | grep -qx 'action=deploy then=reboot'"
check "agent orders: none, to an admin" sh -c "curl -s -H '$AUTH' '$U/agent/52:54:00:12:34:02' | grep -qx 'action=none'"
check "scripts start with #!ipxe" sh -c "head -1 '$W/s1' | grep -qx '#!ipxe'"
check "boot decisions logged" grep -q "boot: 52:54:00:12:34:01 pc01: deploy pending" "$W/log"
check "manifest: unsigned refused" test "$(code "$U/manifest/52:54:00:12:34:01")" = 401
curl -s "$(sess_url "$W" 52:54:00:12:34:01 "$U/manifest/52:54:00:12:34:01")" > "$W/m1"
check "manifest signature verifies" $SI manifest verify --pub "$W/root/state/server.key.pub" "$W/m1"
check "manifest names the base layer" grep -q "layer=$BASE" "$W/m1"
check "unknown machine has no manifest" test "$(code -H "$AUTH" "$U/manifest/52:54:00:99:99:99")" = 404
ML=$(sed -n 's/.*label=CIDATA.*layer=\(sha256:[0-9a-f]*\).*/\1/p' "$W/m1")
PRIV="$W/root/state/private/525400123401"
check "manifest marks the machine layer private" grep -q "layer=$ML store=private\$" "$W/m1"
check "machine layer is not in the public store" test "$(code "$U/store/layers/${ML#sha256:}.idx")" = 404
check "machine layer is in the machine's private store" test -f "$PRIV/layers/${ML#sha256:}.idx"
check "an admin reads its index in clear" sh -c "curl -s -H '$AUTH' '$U/private/52:54:00:12:34:01/layers/${ML#sha256:}.idx' | cmp - '$PRIV/layers/${ML#sha256:}.idx'"
check "machine layer applies from its private store" $SI apply --store "$PRIV" "$ML" "$W/cidata.img"
check "machine layer is a clean FAT" fsck.fat -n "$W/cidata.img"
check "machine layer is labelled CIDATA" sh -c "blkid '$W/cidata.img' | grep -q 'LABEL=\"CIDATA\"'"
check "meta-data names the host" sh -c "mtype -i '$W/cidata.img' ::meta-data | grep -q 'local-hostname: pc01'"
check "user-data from the inventory" sh -c "mtype -i '$W/cidata.img' ::user-data | grep -q 'runcmd'"
# The instance-id (docs/restore.md, "Identity"): strata-NAME-, then 16 hex digits of
# SHA-256 over a domain, the name, the MAC, the hostname (each text ending in a NUL) and
# the user-data, computed here apart from the C code.
iid() {   # MAC: the instance-id in its machine layer's meta-data, as an admin reads it
	local ml=$(curl -s -H "$AUTH" "$U/manifest/$1" | sed -n 's/.*label=CIDATA.*layer=sha256:\([0-9a-f]*\).*/\1/p')
	rm -f "$W/iid.img"
	$SI apply --store "$W/root/state/private/$(echo "$1" | tr -d :)" "sha256:$ml" "$W/iid.img" > /dev/null 2>&1 &&
		mtype -i "$W/iid.img" ::meta-data | sed -n 's/^instance-id: //p'
}
want_iid() {   # NAME MAC USER-DATA-FILE
	python3 -c 'import hashlib, sys
n, mac = sys.argv[1].encode(), bytes.fromhex(sys.argv[2].replace(":", ""))
d = hashlib.sha256(b"strata:instance-id\0" + n + b"\0" + mac + n + b"\0" + open(sys.argv[3], "rb").read())
print("strata-%s-%s" % (sys.argv[1], d.hexdigest()[:16]))' "$@"
}
I1=$(iid 52:54:00:12:34:01) I2=$(iid 52:54:00:12:34:02)
check "instance-id: strata-pc01- and the digest of its content" test "$I1" = "$(want_iid pc01 52:54:00:12:34:01 "$W/root/lab.yaml")"
check "  another machine of the same profile and user-data has its own" test "$I2" = "$(want_iid pc02 52:54:00:12:34:02 "$W/root/lab.yaml")" -a "$I2" != "$I1"
check "base layer applies over HTTP" $SI apply --store "$U/store" "$BASE" "$W/base.out"
check "base layer byte identical" cmp "$W/base.img" "$W/base.out"
check "apply asked for chunk runs" grep -q "GET /store/runs/${BASE#sha256:}/" "$W/log"

# A run of chunks is the concatenation of their store files.
$SI inspect --store "$W/root/store" --chunks "$BASE" | awk '/^chunk [0-9]/ && $2 <= 9 && $9 != "zero" {print $NF}' > "$W/first10"
for h in $(cat "$W/first10"); do cat "$W/root/store/chunks/${h:0:2}/$h"; done > "$W/run.want"
check "run of chunks 0-9" sh -c "curl -s '$U/store/runs/${BASE#sha256:}/0-9' | cmp - '$W/run.want'"
check "run past the end refused" test "$(code "$U/store/runs/${BASE#sha256:}/0-99999")" = 416
check "run of an unknown layer is 404" test "$(code "$U/store/runs/$(printf '%064d' 0)/0-1")" = 404

# Reports: only signed by a session of the machine, each once, numbers range-checked.
R1="$U/report/52:54:00:12:34:01"
check "unsigned report refused" test "$(code "$R1?phase=ok")" = 401
check "report with an old token refused" test "$(code "$R1?phase=ok&token=0000000000000000")" = 401
check "report for another machine with pc01's session refused" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$U/report/52:54:00:12:34:02?phase=ok")")" = 403
check "report for an unknown machine refused" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$U/report/52:54:00:99:99:99?phase=ok")")" = 403
check "report with done=-5 refused" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$R1?phase=progress&done=-5&total=100")")" = 400
check "report with total past 2^63 refused" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$R1?phase=progress&done=1&total=9223372036854775808")")" = 400
check "report with done=%zz refused" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$R1?phase=progress&done=%zz&total=100")")" = 400
check "report by POST refused (its body is not signed)" test "$(code -d "phase=progress&done=1" "$(sess_url "$W" 52:54:00:12:34:01 "$R1")")" = 405
check "refused reports stored nothing" sh -c "curl -s -H '$AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"result\": \"none\", \"done\": 0, \"total\": 0'"
check "Secure Boot state unknown before a report says it" sh -c "curl -s -H '$AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"secure_boot\": \"unknown\"'"
check "report with sb=maybe refused" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$R1?phase=progress&done=1&total=100&sb=maybe")")" = 400
check "progress report (sb=enforcing)" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$R1?phase=progress&done=10&total=100&sb=enforcing")")" = 200
check "JSON shows the Secure Boot state reported" sh -c "curl -s -H '$AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"secure_boot\": \"enforcing\"'"
check "JSON shows progress" sh -c "curl -s -H '$AUTH' '$U/machines.json' | grep -q '\"result\": \"running\", \"done\": 10, \"total\": 100'"
check "failure report" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$R1?phase=failed&msg=disk+too+small")")" = 200
check "failure kept and shown, deploy still pending" sh -c "curl -s -H '$AUTH' '$U/machines.json' | grep -q '\"pending\": \"deploy\", \"result\": \"failed\".*disk too small'"
check "success report" test "$(code "$(sess_url "$W" 52:54:00:12:34:01 "$R1?phase=ok")")" = 200
check "success clears the action" sh -c "curl -s '$U/ipxe/52-54-00-12-34-01' | grep -q 'boots its local disk'"

# Admin API (with the token) and reload.
check "deploy API marks a machine" test "$(code -H "$AUTH" -X POST "$U/api/deploy/pc02")" = 200
check "deploy API: unknown machine" test "$(code -H "$AUTH" -X POST "$U/api/deploy/nosuch")" = 404
check "deploy API needs POST" test "$(code -H "$AUTH" "$U/api/deploy/pc02")" = 405
check "pc02 now chains strata.efi" sh -c "curl -s '$U/ipxe/52-54-00-12-34-02' | grep -q strata.efi"
V1=$(sed -n 's/^version //p' "$W/m1")
inventory "profile=lab"
sed -i 's/size=8M layer=machine/size=16M layer=machine/; s/size=64M layer=\(.*\)$/size=64M layer=\1 wipe=yes/' "$W/root/inventory.conf"
kill -HUP $PID; sleep 1
curl -s -H "$AUTH" "$U/manifest/52:54:00:12:34:01" > "$W/m2"
check "reload: changed layout bumps the version" test "$(sed -n 's/^version //p' "$W/m2")" -gt "$V1"
check "wipe=yes reaches the manifest's part line" sh -c "grep -q '^part 1 label=ESP .* wipe=yes\$' '$W/m2' && test \$(grep -c wipe '$W/m2') = 1"
check "reload: new manifest still verifies" $SI manifest verify --pub "$W/root/state/server.key.pub" "$W/m2"
check "reload: success was not undone" sh -c "curl -s '$U/ipxe/52-54-00-12-34-01' | grep -q 'boots its local disk'"
check "default profile: unknown machine gets a manifest" test "$(code -H "$AUTH" "$U/manifest/52:54:00:99:99:98")" = 200
check "default profile: its version is stored before it is served" test "$(sqlite3 "$W/root/state/strata.db" "SELECT version FROM machines WHERE mac = '52:54:00:99:99:98'")" = 1
echo "profile broken" >> "$W/root/inventory.conf"
kill -HUP $PID; sleep 1
check "bad reload names file and line" grep -q "inventory.conf:[0-9]*: " "$W/log"
check "bad reload keeps serving the old inventory" test "$(code -H "$AUTH" "$U/manifest/52:54:00:12:34:01")" = 200
check "unchanged content keeps its version" sh -c "test \"\$(curl -s -H '$AUTH' '$U/manifest/52:54:00:12:34:01' | sed -n 's/^version //p')\" = '$(sed -n 's/^version //p' "$W/m2")'"
check "instance-id: a layout change alone keeps it" test "$(iid 52:54:00:12:34:01)" = "$I1"
sed -i '/^profile broken$/d' "$W/root/inventory.conf"
printf '#cloud-config\nruncmd: [echo hello again]\n' > "$W/root/lab.yaml"
kill -HUP $PID; sleep 1
I1b=$(iid 52:54:00:12:34:01)
check "  a user-data change gives a new one (so cloud-init runs its per-instance steps)" test "$I1b" = "$(want_iid pc01 52:54:00:12:34:01 "$W/root/lab.yaml")" -a "$I1b" != "$I1"

# Inventory errors name the file and the line.
bad() {
	printf '%b' "$1" > "$W/bad.conf"
	$SRV --root "$W/root" --inventory "$W/bad.conf" --addr 127.0.0.1 --http-port 1 --dhcp off --tftp-port 1 2>&1 | grep -q "bad.conf:$2: .*$3"
}
check "inventory: unknown statement" bad 'default local\nfoo bar\n' 2 "unknown statement"
check "inventory: part before profile" bad 'part label=a type=esp size=1M layer=machine\n' 1 "must follow"
check "inventory: bad MAC" bad 'profile p\npart label=a type=esp size=1M layer=machine\nmachine 52:54:00 name=x profile=p\n' 3 "expected 'machine MAC"
check "inventory: unknown profile" bad 'machine 52:54:00:00:00:01 name=x profile=nope\n' 1 "unknown profile"
check "inventory: duplicate MAC" bad 'profile p\npart label=a type=esp size=1M layer=machine\nmachine 52:54:00:00:00:01 name=x profile=p\nmachine 52:54:00:00:00:01 name=y profile=p\n' 4 "MAC already listed"
check "inventory: preserve with a layer" bad 'profile p\npart label=a type=esp size=1M layer=machine policy=preserve\n' 2 "without one it must be policy=preserve"
check "inventory: wipe on a preserved part" bad 'profile p\npart label=a type=linux size=1M policy=preserve wipe=yes\n' 2 "wipe=yes needs a layer"
check "inventory: wipe=maybe" bad 'profile p\npart label=a type=esp size=1M layer=machine wipe=maybe\n' 2 "wipe must be yes or no"
check "inventory: capture=maybe" bad 'profile p\npart label=a type=linux size=1M policy=preserve capture=maybe\n' 2 "capture must be yes or no"
check "inventory: capture on the machine layer" bad 'profile p\npart label=a type=basic size=1M layer=machine capture=yes\n' 2 "capture=yes cannot mark layer=machine"
check "inventory: bad size" bad 'profile p\npart label=a type=esp size=1000 layer=machine\n' 2 "multiple of 4K"
check "inventory: missing layer in store" sh -c "printf 'profile p\npart label=a type=esp size=1M layer=sha256:%064d\n' 0 > '$W/bad.conf'; $SRV --root '$W/root' --inventory '$W/bad.conf' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off 2>&1 | grep -q 'not in the store'"

kill $PID; wait $PID; rc=$?; PID=
check "clean exit on SIGTERM" test "$rc" = 0
check "one log line per request" grep -q "http: 127.0.0.1 GET /boot/snponly.efi 200 " "$W/log"
check "the token is never logged" sh -c "! grep -q '$TOKEN' '$W/log'"
HP=$(free_port)
U=http://127.0.0.1:$HP
$SRV --root "$W/root" --addr 127.0.0.1 --http-port "$HP" --tftp-port "$(free_port)" --dhcp off \
	--api-tokens "$W/api-tokens" 2>"$W/log2" &
PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "$U/ipxe/boot.ipxe" && break; sleep 0.1; done
check "instance-id: a restart with nothing changed keeps it" test "$(iid 52:54:00:12:34:01)" = "$I1b"
kill $PID; wait $PID; PID=
finish
