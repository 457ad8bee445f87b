#!/bin/bash
# The dashboard's attacks (issue 15; docs/security.md "Admin accounts"), replayed against
# strata-server on loopback: fails if one works again.
#   - every state-changing route (each kind of http_route_post in server/http_parse.c,
#     read from the source, plus the routes being built: a POST route without a case here
#     fails the suite) refused with: no credential; a session cookie without X-Strata-CSRF,
#     with a wrong one; with the token but a foreign Origin, or none; a logged-out
#     session; a session expired (1 h idle, and 12 h however busy, through --clock-file);
#     a Bearer token with a foreign Origin or "null"; the machines' routes (captures,
#     multicast status) refuse even a whole admin credential.  A route of the contract not
#     built yet answers 501 whatever is sent, which counts as refused and is printed.  The
#     audit log and the machines' pending orders show nothing, then one right session
#     order shows up (so the refusals were not of a broken credential);
#   - a real cross-site page (python3 -m http.server on another port, and under
#     "localhost", another site) loaded in headless Chromium that holds a session posts a
#     form, a no-cors fetch and a fetch with X-Strata-CSRF (preflighted, never granted) to
#     order deploys and a logout: each arrives and is refused, nothing is audited, the
#     session lives (tests/security/dashboard_cross_site.py);
#   - fixation: a planted cookie is not adopted, each login mints a new value;
#   - headers: a 40 KB Cookie header (libmicrohttpd's 32 KB pool: 431) and the server
#     lives; two Cookie headers give 400; CR, LF and NUL in a login name or a path are
#     refused and logged escaped, never as a line of their own; a password in the query
#     is refused;
#   - paths: /ui/../x, /ui/%2e%2e/, /ui/app.js%00, /ui/, /api/machine/.., /api/deploy/pc01%00x
#     and overlong names give 404 or 400 (a 40 KB one 414) and order nothing;
#   - floods: failed logins from one address see Retry-After grow (2, 4, 8 s); 20
#     addresses (127.0.0.0/8 on loopback) failing at once meet the server-wide hash budget
#     while a token's GET stays fast;
#   - over TLS: on the HTTPS port the matrix again (no credential, no CSRF, the plain
#     port's Origin, the session under the plain port's cookie name), and the plain port
#     refusing the HTTPS session and a token on every POST route (403);
#   - the dashboard's scripts (ui/*.js, when the tree has them) use no innerHTML, eval( or
#     Function(;
# then the server exits cleanly, also with 3 event streams open, with no sanitizer report.
# About 45 s.
#
# usage: bash tests/security/dashboard.sh [BUILD_DIR]
# env STRATA_SERVER, STRATA_IMAGE: the binaries (default BUILD_DIR/san/...);
#     DASH_BROWSER=0 skips the Chromium part (counted as one failure: it must run in make test).
# Prints "ok"/"FAIL" lines and, last, "N passed, N failed".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/security.sh"
suite_setup "${1:-}" dash curl sqlite3 python3 timeout openssl
PY=/usr/bin/python3          # Debian's, which has python3-selenium (not a pyenv's)
PARSE=server/http_parse.c
PW='correct horse'

code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$@"; }
# hash PASSWORD: a SHA-512 crypt(3) hash (1.7 ms a check: the floods stay cheap).
hash() { $PY -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_SHA512)))' "$1" 2>/dev/null; }
# login [CURL ARGS..]: alice's login; the answer in $W/login.json, headers in $W/login.h;
# prints the status.
login() {
	curl -s -o "$W/login.json" -D "$W/login.h" -w '%{http_code}' "$@" \
		--data-urlencode name=alice --data-urlencode "password=$PW" "$U/api/login"
}
json() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$W/login.json" "$1"; }
set_cookie() { sed -n 's/^Set-Cookie: strata=\([0-9a-f]*\);.*/\1/p' "$W/login.h" | tail -1; }
# session VAR: log alice in; VAR_C is the cookie's value, VAR_T its CSRF token.
session() {
	login >/dev/null
	printf -v "$1_C" '%s' "$(set_cookie)"
	printf -v "$1_T" '%s' "$(json csrf)"
}
audited() { srv_sql "$W" "SELECT count(*) FROM orders WHERE action != 'login'"; }
# pending: how many machines have an order pending (machines.json, with the token).
pending() { curl -s -H "$SRV_AUTH" "$U/machines.json" | grep -o '"pending": "[a-z-]*"' | grep -vc '"none"'; }
clock() { echo "$1" > "$W/clock"; }

srv_root "$W"
printf 'alice:%s\n' "$(hash "$PW")" > "$W/admins"
check "a SHA-512 hash made for alice" grep -q '^alice:\$6\$' "$W/admins"
clock 0
check "strata-server starts with --admins, --api-tokens and a clock file" \
	srv_start "$W" "$W/log" --api-tokens "$W/api-tokens" --admins "$W/admins" --clock-file "$W/clock"
[ -n "$SRV_PID" ] || { finish; exit 1; }
LOG=$W/log
session A
check "alice logs in: a cookie and a CSRF token" test "${#A_C}${#A_T}" = 6464

# --- the routes ----------------------------------------------------------------------------
# A sample request of each state-changing route kind: path and body, what would change
# something if the route took it.  The machines' routes (signed by a machine's session)
# are marked "agent".
declare -A RPATH RBODY AGENT
r() { RPATH[$1]=$2; RBODY[$1]=${3:-}; }
r ROUTE_DEPLOY /api/deploy/pc01
r ROUTE_ENROLL /api/enroll/pc01
r ROUTE_ACCEPT_KEY /api/accept-key 'names=pc01,pc02'
r ROUTE_CAPTURE /api/capture/pc01
r ROUTE_CAPTURE_CANCEL /api/capture-cancel/pc01
r ROUTE_RESTORE /api/restore/pc01 'generation=1'
r ROUTE_REPLACE /api/replace/pc01 'mac=52:54:00:5e:00:09'
r ROUTE_GC /api/gc
r ROUTE_LOGOUT /api/logout
r ROUTE_ORDERS_PREVIEW /api/orders/preview 'action=deploy&machines=pc01,pc02&confirm=yes'
r ROUTE_ORDERS /api/orders 'action=deploy&machines=pc01,pc02&confirm=yes'
r ROUTE_SCHEDULE_CANCEL /api/schedule-cancel/1
r ROUTE_REGISTER /api/register 'macs=52:54:00:5e:00:0a&pattern=lab-##&start=1&profile=lab'
r ROUTE_WAKE /api/wake 'names=pc01,pc02'
r ROUTE_CAPTURE_NEED /capture/need 'x'
r ROUTE_CAPTURE_CHUNK "/capture/chunk/$(printf 'ab%.0s' $(seq 32))" 'x'
r ROUTE_CAPTURE_COMMIT /capture/commit 'x'
r ROUTE_CAPTURE_DONE /capture/done 'x'
r ROUTE_CAPTURE_HELLO /capture/hello 'x'
r ROUTE_MCAST_STATUS /mcast/status/52:54:00:5e:00:01 'x'
for k in ROUTE_CAPTURE_NEED ROUTE_CAPTURE_CHUNK ROUTE_CAPTURE_COMMIT ROUTE_CAPTURE_DONE \
	ROUTE_CAPTURE_HELLO ROUTE_MCAST_STATUS; do AGENT[$k]=1; done
# Routes of the contract other helpers are building: until built, 501 whatever is sent.
BUILDING=" ROUTE_ORDERS_PREVIEW ROUTE_ORDERS ROUTE_SCHEDULE_CANCEL ROUTE_REGISTER ROUTE_WAKE "
POSTS=$(sed -n '/^int http_route_post/,/^}/p' "$PARSE" | grep -o 'ROUTE_[A-Z_]*' | sort -u)
check "http_route_post lists the POST routes (read from $PARSE)" test "$(echo "$POSTS" | wc -l)" -ge 15
missing=
for k in $POSTS; do [ -n "${RPATH[$k]:-}" ] || [ "$k" = ROUTE_LOGIN ] || missing="$missing $k"; done
check "every POST route of $PARSE has a case here${missing:+ (add:$missing)}" test -z "$missing"
# The kinds to attack: the server's, and the ones being built that it does not route yet.
KINDS=$(printf '%s\n' $POSTS $BUILDING | grep -vx ROUTE_LOGIN | sort -u)

BEFORE=$(audited)
check "no order audited yet" test "$BEFORE" = 0

# try KIND NAME WANT CURL_ARGS..: POST the kind's sample with CURL_ARGS; the answer must be
# WANT (a |-list), 400/401/403 for a machines' route, or 501 for a route not built yet.
try() {
	local k=$1 name=$2 want=$3 got
	shift 3
	got=$(code -X POST "$@" --data-raw "${RBODY[$k]}" "$U${RPATH[$k]}")
	[ -n "${AGENT[$k]:-}" ] && want='400|401|403'
	if [ "$got" = 501 ] && [[ $BUILDING == *" $k "* ]]; then
		echo "     ($k ${RPATH[$k]}: 501, not built yet)"
		return 0
	fi
	if [[ $got == 40[45] ]] && [[ $BUILDING == *" $k "* ]] && ! grep -q "$k" "$PARSE"; then
		echo "     ($k ${RPATH[$k]}: $got, not routed yet)"
		return 0
	fi
	case "|$want|" in *"|$got|"*) return 0 ;; esac
	echo "$k ${RPATH[$k]} $name: $got, wanted $want"
	return 1
}
# matrix NAME WANT CURL_ARGS..: try every kind.
matrix() {
	local name=$1 want=$2 k bad=0
	shift 2
	for k in $KINDS; do try "$k" "$name" "$want" "$@" || bad=1; done
	return $bad
}
O="Origin: $U"

# Which routes of the contract are not built yet (they answer 501 to anyone).
for k in $BUILDING; do
	case $(code -X POST "$U${RPATH[$k]}") in
	501) echo "note: $k (POST ${RPATH[$k]}) is not built yet: its 501 counts as refused" ;;
	404|405) echo "note: $k (POST ${RPATH[$k]}) is not routed yet: its 404/405 counts as refused" ;;
	esac
done

# --- a real cross-site page, in Chromium ---------------------------------------------------
# First, while the log's failed-request lines are not yet rate-limited (20 per 10 s).
EV=$W/evil
mkdir -p "$EV"
cat > "$EV/attack.html" <<EOF
<!doctype html><html><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="f1" method="POST" action="$U/api/deploy/pc01" target="sink1"><input name="x" value="1"></form>
<form id="f2" method="POST" action="$U/api/logout" target="sink2"></form>
<script>
window.attackLog = [];
const log = s => window.attackLog.push(s);
document.getElementById('f1').submit();
document.getElementById('f2').submit();
Promise.all([
  fetch('$U/api/deploy/pc02', {method: 'POST', mode: 'no-cors', credentials: 'include',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'x=1'})
    .then(r => log('no-cors fetch: ' + r.type)).catch(e => log('no-cors fetch: error ' + e)),
  fetch('$U/api/deploy/pc03', {method: 'POST', credentials: 'include',
        headers: {'X-Strata-CSRF': '$A_T'}})
    .then(r => log('preflighted fetch: ' + r.status)).catch(e => log('preflighted fetch: blocked')),
]).then(() => setTimeout(() => { window.attackDone = true; }, 1500));
</script></body></html>
EOF
EP=$(free_port)
(cd "$EV" && exec $PY -m http.server "$EP" --bind 127.0.0.1 >"$W/evil.log" 2>&1) &
kill_on_exit $!
for _ in $(seq 50); do code "http://127.0.0.1:$EP/attack.html" | grep -q 200 && break; sleep 0.1; done
# xsite ORIGIN: the attack from ORIGIN; its output in $W/xsite.out.
xsite() {
	: > "$W/xsite.out"
	timeout 90 $PY "$(dirname "$0")/dashboard_cross_site.py" "$U" "$1" alice "$PW" \
		>"$W/xsite.out" 2>"$W/xsite.err"
}
# arrived FROM: the log's lines after line FROM have the attack's requests, each refused.
arrived() {
	tail -n "+$(($1 + 1))" "$LOG" > "$W/log.part"
	grep -q "POST /api/deploy/pc01 403 " "$W/log.part" && grep -q "POST /api/deploy/pc02 403 " "$W/log.part" &&
		grep -q "POST /api/logout 403 " "$W/log.part" && grep -q "OPTIONS /api/deploy/pc03 405 " "$W/log.part" &&
		! grep -q "POST /api/deploy/pc03 " "$W/log.part" && ! grep -q "POST /api/deploy/pc0[123] 200 " "$W/log.part"
}
if [ "${DASH_BROWSER:-1}" = 0 ] || [ ! -x /usr/bin/chromedriver ] || ! $PY -c 'import selenium' 2>/dev/null; then
	check "Chromium, chromedriver and python3-selenium for the cross-site page (make deps)" false
else
	for origin in "http://127.0.0.1:$EP" "http://localhost:$EP"; do
		from=$(wc -l < "$LOG")
		xsite "$origin"
		check "$origin: Chromium logged in on the server's origin" grep -qx 'login: 200' "$W/xsite.out"
		check "$origin: the attack page ran" grep -qx 'attack page finished: True' "$W/xsite.out"
		check "$origin: the preflighted fetch was blocked (no CORS grant)" grep -qx 'preflighted fetch: blocked' "$W/xsite.out"
		check "$origin: the form, the no-cors fetch and the logout arrived and got 403; the preflight 405" arrived "$from"
		check "$origin: the browser's session lives (the logout form did nothing)" grep -qx 'session after: 200' "$W/xsite.out"
		check "$origin: the attacker's server served its page" grep -q 'GET /attack.html' "$W/evil.log"
	done
fi
check "cross-site pages: nothing audited" test "$(audited)" = 0
check "cross-site pages: no machine has a pending order" test "$(pending)" = 0

# --- every POST route, every wrong credential ----------------------------------------------
session L
check "a second session, then its logout: 204" test "$(code -X POST -H "$O" -H "X-Strata-CSRF: $L_T" -H "Cookie: strata=$L_C" "$U/api/logout")" = 204
BAD_T=${A_T%?}$([ "${A_T: -1}" = 0 ] && echo 1 || echo 0)
AC="Cookie: strata=$A_C"
check "every POST route: no credential refused (401)" matrix "none" 401
check "every POST route: a session without X-Strata-CSRF refused (403)" matrix "no csrf" 403 -H "$AC" -H "$O"
check "every POST route: a session with a wrong X-Strata-CSRF refused (403)" matrix "wrong csrf" 403 -H "$AC" -H "$O" -H "X-Strata-CSRF: $BAD_T"
check "every POST route: a session's CSRF token with its cookie absent refused (401)" matrix "csrf only" 401 -H "$O" -H "X-Strata-CSRF: $A_T"
check "every POST route: a session with a foreign Origin refused (403)" matrix "foreign origin" 403 -H "$AC" -H "Origin: http://127.0.0.1:1" -H "X-Strata-CSRF: $A_T"
check "every POST route: a session without Origin refused (403)" matrix "no origin" 403 -H "$AC" -H "X-Strata-CSRF: $A_T"
check "every POST route: a session with Origin null refused (403)" matrix "origin null" 403 -H "$AC" -H "Origin: null" -H "X-Strata-CSRF: $A_T"
check "every POST route: a logged-out session refused (401)" matrix "logged out" 401 -H "Cookie: strata=$L_C" -H "$O" -H "X-Strata-CSRF: $L_T"
check "every POST route: a token with a foreign Origin refused (403)" matrix "token, foreign origin" 403 -H "$SRV_AUTH" -H "Origin: http://evil.example"
check "every POST route: a token with Origin null refused (403)" matrix "token, origin null" 403 -H "$SRV_AUTH" -H "Origin: null"
check "every POST route: a session's cookie as the Bearer token refused (401)" matrix "cookie as bearer" 401 -H "Authorization: Bearer $A_C"
# The machines' routes answer a machine's signature only: a whole admin credential is not one.
agent_whole() {
	local k bad=0
	for k in "${!AGENT[@]}"; do
		try "$k" "session" 400 -H "$AC" -H "$O" -H "X-Strata-CSRF: $A_T" || bad=1
		try "$k" "token" 400 -H "$SRV_AUTH" || bad=1
	done
	return $bad
}
check "the machines' routes refuse a whole admin session and a token" agent_whole
check "refused: nothing audited" test "$(audited)" = 0
check "refused: no machine has a pending order" test "$(pending)" = 0
check "refused: no action logged" sh -c "! grep -q '^action: ' '$LOG'"
check "alice's session lives after all that" test "$(code -H "$AC" "$U/api/session")" = 200
check "the same session, right: an order taken (200)" test "$(code -X POST -H "$AC" -H "$O" -H "X-Strata-CSRF: $A_T" "$U/api/deploy/pc03")" = 200
check "... and audited as alice via session" test "$(srv_sql "$W" "SELECT token_name || '|' || via || '|' || target FROM orders WHERE action = 'deploy'")" = "alice|session|pc03"

# --- fixation ------------------------------------------------------------------------------
PLANT=$(printf '%064d' 42)
check "a planted cookie names no session (401)" test "$(code -H "Cookie: strata=$PLANT" "$U/api/session")" = 401
login -H "Cookie: strata=$PLANT" >/dev/null
F1=$(set_cookie)
check "a login with a planted cookie mints a new value" sh -c "test ${#F1} = 64 && test '$F1' != '$PLANT'"
check "the planted value still names nothing" test "$(code -H "Cookie: strata=$PLANT" "$U/api/session")" = 401
login -H "Cookie: strata=$F1" >/dev/null
F2=$(set_cookie)
check "a login with a live session's cookie mints another value" sh -c "test ${#F2} = 64 && test '$F2' != '$F1' && test '$F2' != '$A_C'"
login >/dev/null
check "each login mints a new value" sh -c "test '$(set_cookie)' != '$F2' && test '$(set_cookie)' != '$F1'"

# --- headers -------------------------------------------------------------------------------
BIG=$(head -c 40960 /dev/zero | tr '\0' a)
check "a 40 KB Cookie header: 431 (libmicrohttpd's 32 KB pool)" test "$(code -H "Cookie: strata=$A_C; x=$BIG" "$U/api/session")" = 431
check "a 40 KB Cookie header on a POST: refused, nothing ordered" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Cookie: x=$BIG' '$U/api/deploy/pc01')\" = 431 && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT count(*) FROM orders WHERE target = 'pc01'\")\" = 0"
check "the server lives after them" test "$(code -H "$AC" "$U/api/session")" = 200
check "two Cookie headers: 400 (GET)" test "$(code -H "$AC" -H "$AC" "$U/api/session")" = 400
check "two Cookie headers: 400 (POST, with CSRF and Origin)" test "$(code -X POST -H "$AC" -H "$AC" -H "$O" -H "X-Strata-CSRF: $A_T" "$U/api/deploy/pc01")" = 400
check "two session values in one header: 400" test "$(code -H "Cookie: strata=$A_C; strata=$F1" "$U/api/session")" = 400
check "a password in the login's query: 400" test "$(code -X POST --data-urlencode name=alice "$U/api/login?password=correct+horse")" = 400
check "... and no session for it" sh -c "! grep -q 'correct horse' '$LOG'"
sleep 10.5    # the failed-request lines' window (20 per 10 s) refills: the next ones are logged
check "a login name with CR LF: 400" test "$(code -X POST --data-raw "name=alice%0d%0alogin:%20mallory%20from%2010.0.0.1&password=x" "$U/api/login")" = 400
check "a login name with NUL: 400" test "$(code -X POST --data-raw "name=alice%00mallory&password=x" "$U/api/login")" = 400
check "a login name with ESC: 400" test "$(code -X POST --data-raw "name=%1b%5d0;pwned%07&password=x" "$U/api/login")" = 400
check "a path with CR LF: 404" test "$(code --path-as-is -H "$SRV_AUTH" "$U/api/machine/pc01%0d%0aaction:%20deploy%20marked%20by%20mallory")" = 404
check "a path with NUL: 400, nothing ordered" test "$(code --path-as-is -X POST -H "$SRV_AUTH" "$U/api/deploy/pc01%00x")" = 400
check "the CR LF path is logged escaped, in its access line" eventually grep -qF 'GET /api/machine/pc01\x0d\x0aaction: deploy marked by mallory 404 ' "$LOG"
check "no forged line: no 'login: mallory', no 'action: ... mallory'" sh -c "! grep -q '^login: mallory\|^action: deploy marked by mallory\|^action: .*mallory' '$LOG'"
check "no raw control byte in the log" sh -c "! LC_ALL=C grep -q \$'[\x01-\x08\x0b-\x1f\x7f]' '$LOG'"
check "nothing ordered on pc01 by the hostile requests" test "$(srv_sql "$W" "SELECT count(*) FROM orders WHERE target = 'pc01'")" = 0

# --- paths ---------------------------------------------------------------------------------
path_refused() {
	local p
	for p in /ui/../x /ui/%2e%2e/ /ui/%2e%2e/x /ui/app.js%00 /ui/ /ui/.app.js /api/machine/.. \
		/api/machine/%2e%2e /api/machine/pc01/.. /api/deploy/.. "/api/machine/$(printf 'a%.0s' $(seq 65))" \
		"/ui/$(printf 'a%.0s' $(seq 300))" "/api/generations/$(printf 'p%.0s' $(seq 257))"; do
		case $(code --path-as-is -H "$SRV_AUTH" "$U$p") in
		400|404) ;;
		*) echo "$p: $(code --path-as-is -H "$SRV_AUTH" "$U$p")"; return 1 ;;
		esac
	done
}
check "/ui/../x, /ui/%2e%2e/, /ui/app.js%00, /ui/, /api/machine/.., overlong names: 404 or 400" path_refused
check "a 40 KB path: 414 (libmicrohttpd's pool)" test "$(code -H "$SRV_AUTH" "$U/api/machine/$(head -c 40960 /dev/zero | tr '\0' a)")" = 414
check "an 8 KB path: 404" test "$(code -H "$SRV_AUTH" "$U/api/machine/$(head -c 8192 /dev/zero | tr '\0' a)")" = 404
check "POST /api/deploy/.. with a token: 405 (no such route), nothing ordered" sh -c "test \"\$(curl -s --path-as-is -o /dev/null -w '%{http_code}' -X POST -H '$SRV_AUTH' '$U/api/deploy/..')\" = 405 && test \"\$(sqlite3 '$W/root/state/strata.db' \"SELECT count(*) FROM orders WHERE action = 'deploy'\")\" = 1"

# --- expired sessions (the server's clock moved by --clock-file) ---------------------------
session E
session B
clock 3000
check "50 min idle: the session still answers" test "$(code -H "Cookie: strata=$B_C" "$U/api/session")" = 200
clock 3661
check "every POST route: a session 1 h idle refused (401)" matrix "idle 1 h" 401 -H "Cookie: strata=$E_C" -H "$O" -H "X-Strata-CSRF: $E_T"
# B is used every 50 minutes until past 12 h: it ends all the same.
busy_until_12h() {
	local t
	for t in $(seq 6000 3000 42000); do
		clock "$t"
		[ "$(code -H "Cookie: strata=$B_C" "$U/api/session")" = 200 ] || { echo "ended at +$t s"; return 1; }
	done
}
check "a session used every 50 min lives until 12 h" busy_until_12h
clock 43300
check "every POST route: a session past 12 h, however busy, refused (401)" matrix "12 h" 401 -H "Cookie: strata=$B_C" -H "$O" -H "X-Strata-CSRF: $B_T"
check "expired sessions: nothing more audited" test "$(audited)" = 1
clock 0

# --- floods --------------------------------------------------------------------------------
# fail FROM [HEADERS]: a failed login from address FROM (127.0.0.0/8 is all loopback);
# prints the status, the headers in HEADERS (default $W/fail.h).
fail() {
	curl -s -o /dev/null -D "${2:-$W/fail.h}" -w '%{http_code}' --interface "$1" \
		--data-urlencode name=alice --data-urlencode password=wrong "$U/api/login"
}
retry_after() { sed -n 's/^Retry-After: \([0-9]*\)\r$/\1/p' "$W/fail.h"; }
sleep 1.1     # a fresh second of the hash budget
for i in 1 2 3 4 5; do fail 127.0.0.9; echo; done > "$W/fails"
check "one address: 5 failed logins answered 401" test "$(tr -d '\n' < "$W/fails")" = 401401401401401
R6=$(fail 127.0.0.9)/$(retry_after)
check "one address: the 6th gets 429, Retry-After: 2 ($R6)" test "$R6" = 429/2
sleep 2.1
R7=$(fail 127.0.0.9)/$(retry_after)
sleep 4.1
R8=$(fail 127.0.0.9)/$(retry_after)
check "one address: Retry-After grows, 2 then 4 then 8 s ($R7, $R8)" test "$R7 $R8" = "429/4 429/8"
check "one address locked out: the right password gets 429 too" test "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.9 --data-urlencode name=alice --data-urlencode "password=$PW" "$U/api/login")" = 429
check "another address still logs in" test "$(login --interface 127.0.0.10)" = 200
# 20 addresses, 3 failures each, all at once: beyond 8 checks a second, 429 Retry-After: 1.
sleep 1.1
FLOOD_PIDS=
for a in $(seq 20 39); do
	(for i in 1 2 3; do echo "$(fail "127.0.0.$a" /dev/null)"; done) >> "$W/flood" 2>/dev/null &
	FLOOD_PIDS="$FLOOD_PIDS $!"
done
t_max=0
for i in $(seq 10); do
	t=$(curl -s -o /dev/null -w '%{time_total}' -H "$SRV_AUTH" "$U/api/session")
	t_max=$(awk -v a="$t_max" -v b="$t" 'BEGIN { print (b > a) ? b : a }')
done
wait $FLOOD_PIDS
check "20 addresses failing at once: the hash budget answers some 429, the rest 401" \
	sh -c "grep -qx 429 '$W/flood' && grep -qx 401 '$W/flood' && test \$(grep -cvx '401\|429' '$W/flood') = 0"
echo "     (flood: $(grep -cx 401 "$W/flood") checked, $(grep -cx 429 "$W/flood") refused by the budget; a token's GET took at most ${t_max}s meanwhile)"
check "a token's GET during the flood: under 0.5 s each (at most ${t_max}s)" awk -v t="$t_max" 'BEGIN { exit !(t < 0.5) }'

# --- over TLS ------------------------------------------------------------------------------
# The same checks on the HTTPS port (a self-signed certificate): the cookie is
# __Host-strata there, the Origin --tls-url; a cookie of the plain port's name is no
# session, and the plain port takes no admin request at all.
srv_stop; rc=$?
check "clean exit on SIGTERM" test "$rc" = 0
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
chmod 644 "$W/key.pem" "$W/cert.pem"
HS=$(free_port)
check "strata-server starts with TLS" srv_start "$W" "$W/log-tls" --api-tokens "$W/api-tokens" \
	--admins "$W/admins" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" --https-port "$HS"
PLAIN=$U
U=https://127.0.0.1:$HS
O="Origin: $U"
code() { curl -sk -o /dev/null -m 10 -w '%{http_code}' "$@"; }
login -k >/dev/null
T_C=$(sed -n 's/^Set-Cookie: __Host-strata=\([0-9a-f]*\);.*/\1/p' "$W/login.h" | tail -1)
T_T=$(json csrf)
check "https: alice logs in, a __Host-strata cookie" test "${#T_C}" = 64
TC="Cookie: __Host-strata=$T_C"
BEFORE=$(audited)
check "https, every POST route: no credential refused (401)" matrix "none" 401
check "https, every POST route: a session without X-Strata-CSRF refused (403)" matrix "no csrf" 403 -H "$TC" -H "$O"
check "https, every POST route: a session with the plain port's Origin refused (403)" matrix "plain origin" 403 -H "$TC" -H "Origin: $PLAIN" -H "X-Strata-CSRF: $T_T"
check "https, every POST route: the session under the plain port's cookie name refused (401)" matrix "plain name" 401 -H "Cookie: strata=$T_C" -H "$O" -H "X-Strata-CSRF: $T_T"
U=$PLAIN
check "plain port, every POST route: the https session refused (403, over HTTPS only)" matrix "plain port" 403 -H "$TC" -H "Origin: $U" -H "X-Strata-CSRF: $T_T"
check "plain port, every POST route: a token refused (403, over HTTPS only)" matrix "plain port token" 403 -H "$SRV_AUTH"
check "TLS: nothing audited" test "$(audited)" = "$BEFORE"
U=https://127.0.0.1:$HS
check "https: the session, right: an order taken (200)" test "$(code -X POST -H "$TC" -H "$O" -H "X-Strata-CSRF: $T_T" "$U/api/deploy/pc02")" = 200
U=$PLAIN

# --- the dashboard's scripts ---------------------------------------------------------------
js_clean() {
	local f=$(ls ui/*.js ui/**/*.js 2>/dev/null | sort -u)
	[ -n "$f" ] || { echo "no ui/*.js in this tree"; return 0; }
	! grep -nE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|Function\(' $f
}
check "ui/*.js: no innerHTML, eval( or Function(" js_clean

# --- the end -------------------------------------------------------------------------------
# A stop with event streams open (suspended connections: libmicrohttpd forbids stopping
# with them) must be clean, leak-free under LSan.
for i in 1 2 3; do
	curl -skN -m 20 -H "$SRV_AUTH" "https://127.0.0.1:$HS/api/events" > "$W/stream$i" 2>/dev/null &
	STREAMS="${STREAMS:-} $!"
done
sleep 2.5
check "3 event streams open over TLS (a hello each)" sh -c "grep -q '^event: hello' '$W/stream1' && grep -q '^event: hello' '$W/stream3'"
srv_stop; rc=$?
check "clean exit on SIGTERM with the streams open (TLS)" test "$rc" = 0
wait $STREAMS
check "no sanitizer report in the servers' logs" sanitizer_clean "$W/log" "$W/log-tls"
finish
