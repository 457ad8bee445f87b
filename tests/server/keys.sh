#!/bin/bash
# strata-server's machine key pinning (server/machine_keys.c) against a machine played by
# openssl: a nonce from GET /key/MAC/nonce, a registration (v2: with an ephemeral point)
# signed over it, a v1 registration refused, trust on first
# use only for a machine with a pending order (a DB row and an audit row, shown in
# /machines.json), single-use nonces, a forged signature refused, a different key refused
# with the manifest withheld until POST /api/accept-key/NAME, and the selection form
# ?names=; a default-profile machine's key accepted by its MAC and by all.  Loopback only; needs curl, sqlite3, openssl, xxd.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
need_tools curl sqlite3 openssl xxd
W=$(mktemp -d /tmp/strata-keys.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json() { curl -s -H "$SRV_AUTH" "$U/machines.json"; }
srv_root "$W"
check "server starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"

M1=52:54:00:5e:00:01 M2=52:54:00:5e:00:02
newkey() { openssl ecparam -name prime256v1 -genkey -noout -out "$W/$1.pem" 2>/dev/null; }
pubhex() { openssl ec -in "$W/$1.pem" -pubout -outform DER 2>/dev/null | tail -c 65 | xxd -p -c 200; }
nonce() { curl -s "$U/key/$1/nonce" | sed -n 's/^nonce=\([0-9a-f]*\) .*/\1/p'; }
# sign KEY NONCE MAC [TAG]: the DER signature over TAG || nonce || MAC || pub || eph (the
# point of key "e"), as hex; TAG strata-machine-key-v2 unless given
sign() {
	{ printf '%s' "${4:-strata-machine-key-v2}"; echo "$2" | xxd -r -p; echo "${3//:/}" | xxd -r -p
	  pubhex "$1" | xxd -r -p; pubhex e | xxd -r -p; } |
		openssl dgst -sha256 -sign "$W/$1.pem" -binary | xxd -p -c 200
}
# register KEY MAC [NONCE]: the server's answer (body, status on the last line)
register() {
	local n=${3:-$(nonce "$2")}
	curl -s -w '\n%{http_code}' "$U/key/$2?pub=$(pubhex "$1")&eph=$(pubhex e)&nonce=$n&sig=$(sign "$1" "$n" "$2")"
}
# says PATTERN CMD..: CMD's output has a line matching PATTERN (grep -E)
says() { local pat=$1; shift; "$@" | grep -Eq -- "$pat"; }
audited() { srv_sql "$W" "SELECT count(*) FROM orders WHERE action LIKE '$1 %'"; }
newkey a; newkey b; newkey e

check "a nonce for a known machine" sh -c "curl -s '$U/key/$M1/nonce' | grep -Eqx 'nonce=[0-9a-f]{32} expires=120'"
check "no nonce for an unknown machine" test "$(code "$U/key/52:54:00:99:99:99/nonce")" = 404
check "without a pending order the key is not pinned" says '^key=unpinned name=pc01 ' register a $M1
check "  and no row" test "$(srv_sql "$W" "SELECT count(*) FROM machine_keys")" = 0

curl -s -X POST -H "$SRV_AUTH" "$U/api/deploy/pc01" > /dev/null
N=$(nonce $M1)
check "a v1 registration (no eph) is refused" test "$(code "$U/key/$M1?pub=$(pubhex a)&nonce=$N&sig=$(sign a "$N" $M1)")" = 400
N=$(nonce $M1)
check "a signature under v1's tag is refused" test "$(code "$U/key/$M1?pub=$(pubhex a)&eph=$(pubhex e)&nonce=$N&sig=$(sign a "$N" $M1 strata-machine-key-v1)")" = 403
check "first key of a machine with an order is pinned, with a session" says '^key=pinned name=pc01 fingerprint=[0-9a-f]{64} session=[0-9a-f]{32} eph=04[0-9a-f]{128} ssig=30[0-9a-f]+$' register a $M1
FP=$(pubhex a | xxd -r -p | sha256sum | cut -c1-64)
check "  the DB row holds the point" test "$(srv_sql "$W" "SELECT hex(pubkey) FROM machine_keys WHERE mac = '$M1'")" = "$(pubhex a | tr a-f A-F)"
check "  the audit log names it" test "$(srv_sql "$W" "SELECT token_name || ' ' || target || ' ' || action FROM orders WHERE action LIKE 'key-%'")" = "machine pc01 key-pinned sha256:$FP"
check "  /machines.json shows it" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"key\": {\"state\": \"pinned\", \"fingerprint\": \"sha256:$FP\"'"
check "the same key again is known" says '^key=known ' register a $M1

N=$(nonce $M1)
register a $M1 "$N" > /dev/null
check "a nonce is single-use" test "$(register a $M1 "$N" | tail -n1)" = 401
check "a nonce is the machine's own" test "$(register a $M2 "$(nonce $M1)" | tail -n1)" = 401
N=$(nonce $M1)
check "a signature by another key is refused" test "$(code "$U/key/$M1?pub=$(pubhex a)&eph=$(pubhex e)&nonce=$N&sig=$(sign b "$N" $M1)")" = 403
check "a malformed registration is refused" test "$(code "$U/key/$M1?pub=04&nonce=00&sig=30")" = 400
srv_sql "$W" "INSERT INTO nonces VALUES (x'00112233445566778899aabbccddeeff', '$M1', strftime('%s','now') - 1)"
check "an expired nonce is refused" test "$(register a $M1 00112233445566778899aabbccddeeff | tail -n1)" = 401

check "a different key for a known machine differs, without a session" says '^key=differs name=pc01 fingerprint=[0-9a-f]{64}$' register b $M1
check "  its manifest is withheld" test "$(code "$U/manifest/$M1")" = 403
check "  /machines.json shows the pending key" sh -c "curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -q '\"name\": \"pc01\".*\"state\": \"differs\", \"fingerprint\": \"sha256:$FP\", \"pinned_at\": [0-9]*, \"pending_fingerprint\": \"sha256:'"
register b $M1 > /dev/null
check "  audited once" test "$(audited key-differs)" = 1
check "accepting needs a credential" test "$(code -X POST "$U/api/accept-key/pc01")" = 401
check "accepting needs POST" test "$(code -H "$SRV_AUTH" "$U/api/accept-key/pc01")" = 405
check "POST /api/accept-key/pc01 accepts it" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/accept-key/pc01' | grep -qx 'accepted the pending keys of 1 machines'"
check "  the manifest is served again" test "$(code -H "$SRV_AUTH" "$U/manifest/$M1")" = 200
check "  the new key is known" says '^key=known ' register b $M1
check "  audited with the credential" test "$(srv_sql "$W" "SELECT token_name || ' ' || target FROM orders WHERE action LIKE 'key-accepted %'")" = "admin pc01"

# A selection: pc01 and pc02 both present new keys, ?names= accepts both.
curl -s -X POST -H "$SRV_AUTH" "$U/api/deploy/pc02" > /dev/null
register a $M2 > /dev/null; register b $M2 > /dev/null; register a $M1 > /dev/null
check "two keys pending" test "$(srv_sql "$W" "SELECT count(*) FROM machine_keys WHERE pending IS NOT NULL")" = 2
check "?names=pc01,pc02 accepts both" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/accept-key?names=pc01,pc02' | grep -qx 'accepted the pending keys of 2 machines'"
check "  none left pending" test "$(srv_sql "$W" "SELECT count(*) FROM machine_keys WHERE pending IS NOT NULL")" = 0
# A machine no inventory line names, served under the default profile ("image any PC"):
# its keys are pinned and refused like any other, and accept-key reaches it by MAC or all.
M9=52:54:00:5e:00:99
sed -i 's/^default local$/default profile=lab action=deploy/' "$W/root/inventory.conf"
kill -HUP "$SRV_PID"; sleep 1
curl -s "$U/ipxe/${M9//:/-}" > /dev/null
check "a default-profile machine's first key is pinned" says '^key=pinned ' register a $M9
check "  another key for it differs" says '^key=differs ' register b $M9
check "accept-key by its MAC reaches it" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/accept-key/${M9//:/-}' | grep -qx 'accepted the pending keys of 1 machines'"
check "  the new key is known" says '^key=known ' register b $M9
register a $M9 > /dev/null
check "accept-key/all reaches it too" sh -c "curl -s -X POST -H '$SRV_AUTH' '$U/api/accept-key/all' | grep -qx 'accepted the pending keys of 1 machines'"
check "  audited with its MAC" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE target = '$M9' AND action LIKE 'key-accepted %'")" = 2
check "nonces do not pile up" sh -c "for i in 1 2 3 4 5 6 7 8; do curl -s '$U/key/$M2/nonce' >/dev/null; done; test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT count(*) FROM nonces WHERE mac = '$M2'\")\" -le 4"
check "server stops cleanly" srv_stop
finish
