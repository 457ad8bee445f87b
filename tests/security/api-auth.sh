#!/bin/bash
# strata-server's admin API needs credentials (--api-tokens), from every address: orders
# (POST /api/deploy/...) and /machines.json without a token, with a wrong one, or from a
# browser page of another origin are refused (401/403) and change nothing; with a token
# they are taken and the audit log names the token's NAME.  Without --api-tokens every
# such request is refused with a message saying how to start the server.  Token file
# errors name FILE:LINE; SIGHUP re-reads the file (a bad one keeps the old tokens); no
# token ever reaches the log.  Loopback only; needs curl and sqlite3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
W=$(mktemp -d /tmp/strata-auth.XXXXXX)
chmod 755 "$W"
trap '[ -n "$SRV_PID" ] && kill $SRV_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
orders() { srv_sql "$W" "SELECT count(*) FROM orders"; }
pending_none() { curl -s -H "$SRV_AUTH" "$U/machines.json" | grep -q '"name": "pc02".*"pending": "none"'; }
srv_root "$W"

# Without --api-tokens: every order and lab-wide view refused, saying how to turn it on.
check "server without --api-tokens starts" srv_start "$W" "$W/log0"
check "no token file: order refused with 403" test "$(code -H "$SRV_AUTH" -X POST "$U/api/deploy/pc02")" = 403
check "no token file: the refusal names --api-tokens" sh -c "curl -s -X POST '$U/api/deploy/pc02' | grep -q 'start strata-server with --api-tokens FILE'"
check "no token file: /machines.json refused" test "$(code "$U/machines.json")" = 403
check "no token file: machine scripts still served" test "$(code "$U/ipxe/52:54:00:5e:00:02")" = 200
srv_stop

# A token file with an error names its line, and the server does not start.
printf '# lab admins\nalice 0123456789abcdef0123\nbob short\n' > "$W/bad-tokens"
check "token file error names FILE:LINE" sh -c "'$SRV' --root '$W/root' --addr 127.0.0.1 --http-port 1 --tftp-port 1 --dhcp off --api-tokens '$W/bad-tokens' 2>&1 | grep -q 'bad-tokens:3: TOKEN must be 16-128'"

BOB=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'bob %s\n' "$BOB" >> "$W/api-tokens"
check "server with --api-tokens starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"
check "start names the token count" grep -q "api-tokens: 2 API tokens" "$W/log"
check "order without a token: 401" test "$(code -X POST "$U/api/deploy/pc02")" = 401
check "401 says Bearer" sh -c "curl -si -X POST '$U/api/deploy/pc02' | grep -qi '^WWW-Authenticate: Bearer'"
check "order with a wrong token: 401" test "$(code -H "Authorization: Bearer ${SRV_TOKEN}x" -X POST "$U/api/deploy/pc02")" = 401
check "order with a token cut short: 401" test "$(code -H "Authorization: Bearer ${SRV_TOKEN:0:20}" -X POST "$U/api/deploy/pc02")" = 401
check "order with Basic credentials: 401" test "$(code -u "admin:$SRV_TOKEN" -X POST "$U/api/deploy/pc02")" = 401
check "order with the token from another origin: 403" test "$(code -H "$SRV_AUTH" -H "Origin: http://127.0.0.1:8080" -X POST "$U/api/deploy/pc02")" = 403
check "order with the token from origin null: 403" test "$(code -H "$SRV_AUTH" -H "Origin: null" -X POST "$U/api/deploy/all")" = 403
check "order with the token from a foreign site: 403" test "$(code -H "$SRV_AUTH" -H "Origin: http://evil.example" -X POST "$U/api/deploy/all")" = 403
check "/machines.json without a token: 401" test "$(code "$U/machines.json")" = 401
check "/machines.json from another origin: 403" test "$(code -H "$SRV_AUTH" -H "Origin: http://127.0.0.1:1" "$U/machines.json")" = 403
check "refused orders changed nothing" pending_none
check "refused orders left no audit row" test "$(orders)" = 0
check "pc02 still boots its disk" sh -c "curl -s '$U/ipxe/52:54:00:5e:00:02' | grep -q 'boots its local disk'"

check "order with the token: 200" test "$(code -H "$SRV_AUTH" -X POST "$U/api/deploy/pc02")" = 200
check "order from the server's own origin: 200" test "$(code -H "Authorization: Bearer $BOB" -H "Origin: $U" -X POST "$U/api/deploy/all")" = 200
check "pc02 now chains strata.efi" sh -c "curl -s '$U/ipxe/52:54:00:5e:00:02' | grep -q strata.efi"
check "audit: the first order names admin and pc02" test "$(srv_sql "$W" "SELECT token_name, target, action, group_concat(mac) FROM orders JOIN order_machines ON id = order_id WHERE id = 1")" = "admin|pc02|deploy|52:54:00:5e:00:02"
check "audit: the second order names bob and all 3 machines" test "$(srv_sql "$W" "SELECT token_name, target, count(*) FROM orders JOIN order_machines ON id = order_id WHERE id = 2")" = "bob|all|3"
check "order log line names the token's NAME" grep -q "action: deploy marked for 3 machines (all) by bob" "$W/log"

# An outcome closes the machine's open orders in the audit log.
sess_register "$U" 52:54:00:5e:00:02 "$W" >/dev/null
check "pc02 reports failure (signed by its session)" test "$(code "$(sess_url "$W" 52:54:00:5e:00:02 "$U/report/52:54:00:5e:00:02?phase=failed&msg=disk+too+small")")" = 200
check "audit: both of pc02's orders say failed" test "$(srv_sql "$W" "SELECT group_concat(outcome) FROM order_machines WHERE mac = '52:54:00:5e:00:02'")" = "failed,failed"
check "audit: pc01's order still open" test "$(srv_sql "$W" "SELECT count(*) FROM order_machines WHERE mac = '52:54:00:5e:00:01' AND outcome IS NULL")" = 1

# SIGHUP re-reads the token file: a removed token stops working, a new one works; a bad
# file keeps the old tokens and names its line.
CAROL=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'admin %s\ncarol %s\n' "$SRV_TOKEN" "$CAROL" > "$W/api-tokens"
kill -HUP "$SRV_PID"; sleep 1
check "reload: a removed token is refused" test "$(code -H "Authorization: Bearer $BOB" -X POST "$U/api/deploy/pc01")" = 401
check "reload: a new token is taken" test "$(code -H "Authorization: Bearer $CAROL" -X POST "$U/api/deploy/pc01")" = 200
printf 'admin %s\ncarol\n' "$SRV_TOKEN" > "$W/api-tokens"
kill -HUP "$SRV_PID"; sleep 1
check "bad reload names FILE:LINE" grep -q "api-tokens:2: expected 'NAME TOKEN'" "$W/log"
check "bad reload keeps the old tokens" test "$(code -H "Authorization: Bearer $CAROL" "$U/machines.json")" = 200

srv_stop; rc=$?
check "clean exit on SIGTERM" test "$rc" = 0
check "no token in the logs" sh -c "! grep -q -e '$SRV_TOKEN' -e '$BOB' -e '$CAROL' '$W/log' '$W/log0'"
finish
