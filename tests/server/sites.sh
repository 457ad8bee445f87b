#!/bin/bash
# Sites and a branch cache on loopback (docs/sites.md): strata-server with a `site` whose
# store and boot files are the shipped nginx cache (server/strata-cache.conf, run as it is
# with its address, port and folder replaced) in front of the server.  Checks: a site
# machine's iPXE script fetches strata.efi from the cache (the server's if that fails) and
# its signed manifest names the cache's store, a machine at no site gets neither, an
# unknown machine is placed at a site by the address of its first request; the cache
# keeps store files (a second deployment through it asks the server for no store file),
# never caches scripts; the warm script (server/strata-warm) fills it; a tampered cached
# chunk fails that chunk, named, with only verified data written, and the server's own
# store finishes the job; a bad site line is refused with FILE:LINE on reload.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/session.sh"
SRV=${STRATA_SERVER:-build/san/strata-server}
SI=${STRATA_IMAGE:-build/san/strata-image}
need_tools nginx curl
W=$(mktemp -d /tmp/strata-sites.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

mkdir -p "$W/root/boot"
head -c 3000000 /dev/urandom > "$W/base.img"
head -c 1000000 /dev/zero >> "$W/base.img"
head -c 1000000 /dev/urandom >> "$W/base.img"
printf 'agent' > "$W/root/boot/strata.efi"
BASE=$($SI build --store "$W/root/store" "$W/base.img" 2>/dev/null | tail -1)
HP=$(free_port)
CP=$(free_port)
U=http://127.0.0.1:$HP
C=http://127.0.0.1:$CP
inventory() {
	cat > "$W/root/inventory.conf" <<EOC
default profile=lab action=deploy
profile lab
part label=root type=linux size=64M layer=$BASE
site branch-b subnet=127.0.0.2/32,10.2.0.0/16 store=$C/store boot=$C/boot
$1
machine 52:54:00:12:34:01 name=pc01 profile=lab site=branch-b action=deploy
machine 52:54:00:12:34:02 name=pc02 profile=lab action=deploy
EOC
}
inventory ""
$SRV --root "$W/root" --addr 127.0.0.1 --http-port "$HP" --tftp-port "$(free_port)" --dhcp off \
	2>"$W/log" &
SPID=$!
kill_on_exit $SPID
for _ in $(seq 50); do curl -s -o /dev/null "$U/ipxe/boot.ipxe" && break; sleep 0.1; done

# The shipped cache configuration, with this test's server, port and folder.
site_cache_conf "$W" "127.0.0.1:$HP" "127.0.0.1:$CP" on
cache_start() { nginx -c "$W/nginx.conf" -e "$W/nginx-error.log"; }
cache_stop() { kill "$(cat "$W/nginx.pid")"; for _ in $(seq 50); do [ -f "$W/nginx.pid" ] || break; sleep 0.1; done; }
check "the shipped cache configuration is valid nginx" nginx -t -c "$W/nginx.conf" -e "$W/nginx-error.log"
cache_start
trap 'cache_stop 2>/dev/null; t_on_exit' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "$C/boot/strata.efi" && break; sleep 0.1; done

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# The server logs a request after its answer is sent, so a count taken the moment a client
# exits may miss the last line: count until two reads 0.2 s apart agree.
log_count() {
	local a b
	b=$(grep -c "$1" "$W/log")
	while a=$b; sleep 0.2; b=$(grep -c "$1" "$W/log"); [ "$a" != "$b" ]; do :; done
	echo "$b"
}
store_gets() { log_count 'GET /store/'; }

# Scripts and manifests.
curl -s "$U/ipxe/52-54-00-12-34-01" > "$W/s1"
curl -s "$U/ipxe/52-54-00-12-34-02" > "$W/s2"
check "site machine fetches strata.efi from its site" grep -q "^imgfetch --name agent $C/boot/strata.efi server=$U mac=52:54:00:12:34:01 then=reboot || goto central\$" "$W/s1"
check "... and from the server when that download fails" grep -q "^imgfetch --name agent $U/boot/strata.efi server=$U mac=52:54:00:12:34:01 then=reboot || goto failed\$" "$W/s1"
check "... an agent that ran and handed back goes to the disk, never to the server's agent" test "$(grep -c '^imgexec agent || goto failed$' "$W/s1")" = 2
check "machine at no site fetches it from the server" grep -q "^imgfetch --name agent $U/boot/strata.efi server=$U mac=52:54:00:12:34:02 then=reboot || goto failed\$" "$W/s2"
manifest() {
	sess_register "$U" "$1" "$W" >/dev/null &&
		curl -s "$(sess_url "$W" "$1" "$U/manifest/$1")" > "$W/m-$1" &&
		$SI manifest verify --pub "$W/root/state/server.key.pub" "$W/m-$1" >/dev/null
}
check "site machine's manifest verifies" manifest 52:54:00:12:34:01
check "... and names its site's store" grep -qx "store $C/store" "$W/m-52:54:00:12:34:01"
check "... and still every layer id" grep -q "layer=$BASE" "$W/m-52:54:00:12:34:01"
check "manifest of a machine at no site" manifest 52:54:00:12:34:02
check "... names no store" sh -c "! grep -q '^store' '$W/m-52:54:00:12:34:02'"
curl -s --interface 127.0.0.2 "$U/ipxe/52-54-00-99-00-01" > "$W/s3"
curl -s "$U/ipxe/52-54-00-99-00-02" > "$W/s4"
check "unknown machine from a site's subnet: the site's strata.efi" grep -q "^imgfetch --name agent $C/boot/strata.efi " "$W/s3"
check "unknown machine from elsewhere: the server's" grep -q "^imgfetch --name agent $U/boot/strata.efi " "$W/s4"
check "unknown machine from a site's subnet: the site's store" sh -c "$(declare -f manifest sess_register sess_url); SESS_CLIENT='$SESS_CLIENT' SI=$SI U=$U W=$W; manifest 52:54:00:99:00:01 && grep -qx 'store $C/store' '$W/m-52:54:00:99:00:01'"
check "unknown machine from elsewhere: no store" sh -c "$(declare -f manifest sess_register sess_url); SESS_CLIENT='$SESS_CLIENT' SI=$SI U=$U W=$W; manifest 52:54:00:99:00:02 && ! grep -q '^store' '$W/m-52:54:00:99:00:02'"

# The cache: store files kept, scripts never.
n0=$(store_gets)
check "first deployment through the cache" $SI apply --store "$C/store" "$BASE" "$W/t1"
check "... is the layer" cmp "$W/base.img" "$W/t1"
n1=$(store_gets)
check "... asked the server for store files" test "$n1" -gt "$n0"
check "second deployment through the cache" $SI apply --store "$C/store" "$BASE" "$W/t2"
check "... is the layer" cmp "$W/base.img" "$W/t2"
check "... asked the server for no store file" test "$(store_gets)" = "$n1"
check "the cache refuses runs (agents ask chunk by chunk)" test "$(code "$C/store/runs/${BASE#sha256:}/0-3")" = 404
check "the cache says HIT for a store file" sh -c "curl -sI '$C/store/layers/${BASE#sha256:}.idx' | grep -qi 'x-cache-status: HIT'"
n2=$(log_count 'GET /ipxe/52-54-00-12-34-02')
curl -s -o /dev/null "$C/ipxe/52-54-00-12-34-02"
curl -s -o /dev/null "$C/ipxe/52-54-00-12-34-02"
check "scripts pass through the cache, never cached" test "$(log_count 'GET /ipxe/52-54-00-12-34-02')" = $((n2 + 2))
check "boot files through the cache" sh -c "curl -s '$C/boot/strata.efi' | cmp - '$W/root/boot/strata.efi'"

# Warming an empty cache: afterwards a deployment asks the server for nothing.
cache_stop
rm -rf "$W/cache" && mkdir -p "$W/cache"
cache_start
check "warm script fills the cache" sh server/strata-warm --strata-image "$SI" --tmp "$W" --store "$C/store" "$BASE"
n3=$(store_gets)
check "deployment after warming" $SI apply --store "$C/store" "$BASE" "$W/t3"
check "... asked the server for no store file" test "$(store_gets)" = "$n3"

# A poisoned cache: one cached store file's last byte flipped.
f=$(grep -l "KEY: /store/chunks/" -r "$W/cache" | head -1)
check "a cached chunk to tamper with" test -n "$f"
python3 - "$f" <<'EOP'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[-1] ^= 0xff
open(p, 'wb').write(bytes(b))
EOP
rm -f "$W/t4"
check_not "deployment from the poisoned cache fails" $SI apply --store "$C/store" "$BASE" "$W/t4"
$SI apply --store "$C/store" "$BASE" "$W/t4" 2>"$W/apply4.err"
check "... naming the chunk" grep -q "chunk [0-9]* (sha256:[0-9a-f]*" "$W/apply4.err"
check "... having written only verified data" sh -c "python3 - '$W/base.img' '$W/t4' <<'EOP'
import sys
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
c = 64 * 1024
for i in range(0, len(b), c):
    x, y = a[i:i + c], b[i:i + c]
    y = y + bytes(len(x) - len(y))
    if y != x and y != bytes(len(x)):
        sys.exit('chunk at %d holds neither the layer nor zeros' % i)
EOP"
check "the server's store finishes it" $SI apply --store "$U/store" "$BASE" "$W/t4"
check "... and it is the layer" cmp "$W/base.img" "$W/t4"

# The cache stopped: its store refuses connections (strata.efi then falls back).
cache_stop
check_not "a stopped cache refuses" curl -sf -o /dev/null "$C/store/layers/${BASE#sha256:}.idx"

# A bad site line is refused on reload, naming the file and line.
inventory "site branch-c subnet=10.2.3.0/24 store=$C/other"
kill -HUP $SPID
for _ in $(seq 50); do grep -q "inventory.conf:5:" "$W/log" && break; sleep 0.1; done
check "overlapping site refused with FILE:LINE" grep -q "inventory.conf:5: a subnet overlaps one of site 'branch-b' (line 4)" "$W/log"
check "... and the server still serves" test "$(code "$U/ipxe/boot.ipxe")" = 200
finish
