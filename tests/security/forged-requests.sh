#!/bin/bash
# Forged and replayed machine requests of "Trust and limits", against a real strata-server
# on loopback: fails if one works again.  Machines are played by
# tests/tools/session_client.py (python3-cryptography, written apart from the C code):
#   - a pinned machine's manifest and orders without a session, with another machine's
#     session, or with a wrong tag: refused (401, 403, 403);
#   - a machine with no key pinned, or a PC claiming a pinned machine's MAC with another
#     key, gets no session, so no orders, no manifest, and its reports are ignored;
#   - a forged report (phase=ok without a valid tag, or with an old report token): refused,
#     and the pending order is still pending;
#   - a replayed signed report: refused (409) and changes nothing;
#   - a tag made for another path or another parameter: refused (403);
#   - a replayed registration: refused (its nonce is used up), no session;
#   - a repeated signed read (orders, manifest): answered again, as the agent's retries need;
#   - after a restart the server knows no session: 401 until the machine registers again.
# usage: bash tests/security/forged-requests.sh   (about 10 s)
# env STRATA_SERVER: the binary (default build/san/strata-server).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
need_tools curl sqlite3 python3
python3 -c 'import cryptography' 2>/dev/null ||
	{ check "python3-cryptography is installed (plays the machines)" false; finish; exit; }
W=$(mktemp -d /tmp/strata-forged.XXXXXX)
chmod 755 "$W"
trap '[ -n "$SRV_PID" ] && kill $SRV_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json() { curl -s -H "$SRV_AUTH" "$U/machines.json"; }
# state NAME: pending and result of machine NAME in /machines.json
state() { json | grep -o "\"name\": \"$1\".*" | sed -n 's/.*"pending": "\([a-z]*\)", "result": "\([a-z]*\)".*/\1 \2/p'; }
srv_root "$W"
check "server starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"
M1=52:54:00:5e:00:01 M2=52:54:00:5e:00:02 M3=52:54:00:5e:00:03
PUB=$W/root/state/server.key.pub
mkdir -p "$W/spoof"

curl -s -X POST -H "$SRV_AUTH" "$U/api/deploy/pc01" >/dev/null
curl -s -X POST -H "$SRV_AUTH" "$U/api/deploy/pc02" >/dev/null
sess_register "$U" $M1 "$W" "$PUB" >"$W/reg1"
sess_register "$U" $M2 "$W" "$PUB" >"$W/reg2"
check "pc01 and pc02 (orders pending) register: pinned, with sessions signed by the server" \
	sh -c "grep -q '^key=pinned .* session=' '$W/reg1' && grep -q '^key=pinned .* session=' '$W/reg2'"

# --- the manifest and orders of a pinned machine -----------------------------------------
check "pc01's manifest without a session: 401" test "$(code "$U/manifest/$M1")" = 401
check "pc01's orders without a session: 401" test "$(code "$U/agent/$M1")" = 401
check "pc01's manifest with pc02's session: 403" test "$(code "$(sess_url "$W" $M2 "$U/manifest/$M1")")" = 403
GOOD=$(sess_url "$W" $M1 "$U/manifest/$M1")
check "pc01's manifest with a wrong tag: 403" test "$(code "${GOOD%?}$( [ "${GOOD: -1}" = 0 ] && echo 1 || echo 0)")" = 403
check "pc01's manifest with its own session: 200" test "$(code "$GOOD")" = 200
check "the same signed read again (a retry, a resume): 200" test "$(code "$GOOD")" = 200
check "  and with a Range header (the agent's resume): answered" test "$(code -r 10-20 "$GOOD")" = 200

# --- machines without a session ----------------------------------------------------------
sess_register "$U" $M3 "$W" >"$W/reg3"
check "pc03 (no order) registers: unpinned, no session" grep -qx 'key=unpinned name=pc03 fingerprint=[0-9a-f]*' "$W/reg3"
check "pc03 gets no orders, no manifest: 401" \
	test "$(code "$U/agent/$M3")$(code "$U/manifest/$M3")" = 401401
check "pc03's report is ignored: 401" test "$(code "$U/report/$M3?phase=ok")" = 401
sess_register "$U" $M1 "$W/spoof" >"$W/reg-spoof"
check "a PC spoofing pc01's MAC with its own key: differs, no session" \
	grep -qx 'key=differs name=pc01 fingerprint=[0-9a-f]*' "$W/reg-spoof"
check "  its manifest request is refused (403, the key awaits an admin)" test "$(code "$U/manifest/$M1")" = 403
check "  its report is ignored (401) and pc01's order still pending" \
	sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' '$U/report/$M1?phase=ok')\" = 401 && test \"\$(curl -s -H '$SRV_AUTH' '$U/machines.json' | grep -o '\"name\": \"pc01\".*' | sed -n 's/.*\"pending\": \"\([a-z]*\)\".*/\1/p')\" = deploy"
SESSION_CLIENT_URLS=$W/urls sess_register "$U" $M1 "$W" "$PUB" >"$W/reg1b"

# --- forged and replayed reports ---------------------------------------------------------
check "the real pc01 registers again after the spoofer: known, a session" \
	grep -q '^key=known name=pc01 .* session=' "$W/reg1b"
FAKE_S=$(sed -n 's/.*session=\([0-9a-f]*\).*/\1/p' "$W/reg1b")
check "a forged report (phase=ok, no tag): 401" test "$(code "$U/report/$M1?phase=ok&done=1&total=1")" = 401
check "a forged report (an old token=): 401" test "$(code "$U/report/$M1?phase=ok&token=0123456789abcdef")" = 401
check "a forged report (pc01's session id, a made-up tag): 403" \
	test "$(code "$U/report/$M1?phase=ok&s=$FAKE_S&n=99&h=00112233445566778899aabbccddeeff")" = 403
check "  pc01's order is still pending, no result" test "$(state pc01)" = "deploy none"
R=$(sess_url "$W" $M1 "$U/report/$M1?phase=progress&done=5&total=10")
check "a signed progress report: 200" test "$(code "$R")" = 200
check "the same report replayed: 409" test "$(code "$R")" = 409
OTHER=$(echo "$R" | sed 's/phase=progress/phase=ok/')
check "its tag on phase=ok instead: 403" test "$(code "$OTHER")" = 403
check "its tag on another path (/manifest): 403" \
	test "$(code "$U/manifest/$M1?${R#*\?}")" = 403
check "  still pending, still running" test "$(state pc01)" = "deploy running"
N=$(python3 -c "import json; print(json.load(open('$W/$M1.state'))['n'] + 1)")
OK=$(sess_url_n "$W" $M1 "$N" "$U/report/$M1?phase=ok&done=10&total=10")
check "pc01's own final report: 200, its order done" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' '$OK')\" = 200"
check "  done" test "$(state pc01)" = "none ok"
check "the final report replayed: 409" test "$(code "$OK")" = 409
check "an encoded separator in a signed request: 400" \
	test "$(code "$(sess_url "$W" $M1 "$U/report/$M1?phase%3Dok")")" = 400

# --- replayed registration, restart ----------------------------------------------------------
check "a replayed registration is refused: 401 (its nonce is used up)" \
	test "$(code "$(tail -1 "$W/urls")")" = 401
check "  and the log has no registration's signature" sh -c "! grep -q 'sig=' '$W/log'"
srv_stop
check "server restarts" srv_start "$W" "$W/log2" --api-tokens "$W/api-tokens"
check "after a restart pc01's session is unknown: 401" \
	test "$(code "$(sess_url "$W" $M1 "$U/agent/$M1")")" = 401
check "and a new registration gives a working one" sh -c \
	"python3 tests/tools/session_client.py register '$U' $M1 '$W/$M1.key' '$W/$M1.state' '$PUB' | grep -q session="
check "  orders to the new session: 200" test "$(code "$(sess_url "$W" $M1 "$U/agent/$M1")")" = 200
check "the server exits 0 on SIGTERM" srv_stop
check_not "no ASan/UBSan/LSan report" grep -qE 'Sanitizer|runtime error' "$W/log" "$W/log2"
finish
