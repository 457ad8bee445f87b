#!/bin/bash
# strata-ctl (ctl/, README "strata-ctl") against a running strata-server on loopback, no
# VM: every command's --help; every command with and without --json (python3 reads the
# JSON); each exit code provoked (2 usage and no --yes off a terminal, 3 a wrong token, 4 an
# unknown machine, 5 a duplicate capture (409) and a refused order (400), 6 a dead port, 7 a
# list with one unknown name, 8 watch --until-idle after a failure report, 130 SIGINT); the
# [y/N] question on a terminal (script(1)); https checked against --cacert (6 without it),
# and the plain port with TLS on (3); a generation captured with strata-image, listed
# and restored; watch --until-idle on reports a machine's session posts
# (tests/tools/session_client.py), ending 0 once the lab is idle; the audit names the
# token.  Needs curl, sqlite3, python3-cryptography, script (util-linux), openssl, strata-image.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/session.sh"
. "$(dirname "$0")/../lib/generations.sh"
gen_setup strata-ctl
need_tools script openssl
CTL=${STRATA_CTL:-$(dirname "$SRV")/strata-ctl}
need_built "$CTL"

# ex ARGS..: strata-ctl off a terminal, output in $W/out and $W/err; prints its exit code
ex() { "$CTL" "$@" < /dev/null > "$W/out" 2> "$W/err"; echo $?; }
# t N ARGS..: ex ARGS exits N
t() { local want=$1 got; shift; got=$(ex "$@"); [ "$got" = "$want" ] || { echo "exit $got, not $want"; cat "$W/out" "$W/err"; return 1; }; }
# tty N INPUT ARGS..: on_tty exits N
tty_is() { local want=$1 got; shift; got=$(on_tty "$@"); [ "$got" = "$want" ] || { echo "exit $got, not $want"; cat "$W/tty"; return 1; }; }
out() { grep -q -- "$1" "$W/out"; }
err() { grep -q -- "$1" "$W/err"; }
# pyj EXPR: EXPR of the JSON in $W/out (as d) is true
pyj() { python3 -c "import json,sys; d=json.load(open(sys.argv[2])); sys.exit(0 if eval(sys.argv[1]) else 1)" "$1" "$W/out"; }
# ndj EXPR: every line of $W/out is JSON, and EXPR of the list of them (as d) is true
ndj() { python3 -c "import json,sys; d=[json.loads(l) for l in open(sys.argv[2])]; sys.exit(0 if eval(sys.argv[1]) else 1)" "$1" "$W/out"; }
# on_tty INPUT ARGS..: strata-ctl on a terminal (script) typing INPUT; its exit code
on_tty() { local in=$1; shift; printf '%s\n' "$in" | script -qec "$CTL $*" /dev/null > "$W/tty" 2>&1; echo $?; }
pending() { curl -s -H "$SRV_AUTH" "$U/machines.json" | json "[m['pending'] for m in d['machines'] if m['name'] == '$1'][0]"; }

srv_root "$W"
LOG=$W/log
sed -i 's/^part label=data type=linux size=rest policy=preserve$/& capture=yes/' "$W/root/inventory.conf"
check "server starts" srv_start "$W" "$LOG" --api-tokens "$W/api-tokens"
export STRATA_URL=$U STRATA_TOKEN_FILE=$W/api-tokens

# --help everywhere, the exit codes listed; usage errors are 2.
check "--help: every command, the exit codes" sh -c "'$CTL' --help | grep -q 'strata-ctl watch' && '$CTL' --help | grep -q '8 watch'"
for c in machines show generations deploy capture replace restore accept-key cancel gc watch profiles layers; do
	check "$c --help: its usage, exit 0" sh -c "'$CTL' $c --help > '$W/help' && grep -q '^usage: strata-ctl \[OPTIONS\] $c' '$W/help' && grep -q '^Exit codes' '$W/help'"
done
check "no command: 2" t 2
check "an unknown command: 2" t 2 frobnicate
check "  naming it" err "no command 'frobnicate'"
check "an option of another command: 2" t 2 machines --mac 1
check "  naming it" err '--mac is not one of its options'
check "no server named: 2" env STRATA_URL= bash -c "'$CTL' machines < /dev/null; test \$? = 2"
check "no token file named: 2" env STRATA_TOKEN_FILE= bash -c "'$CTL' machines < /dev/null; test \$? = 2"
check "a token file without a token: 2" t 2 --token /dev/null machines
check "  naming the file" err 'token file /dev/null'
cut -d' ' -f2 "$W/api-tokens" > "$W/tok"
check "a file of the token alone works too" t 0 --token "$W/tok" machines

# Listings.
check "machines" t 0 machines
check "  a table: its header" out '^NAME  *MAC  *PROFILE  *STATE'
check "  pc01..pc03, idle" test "$(grep -c '^pc0[123] .* idle ' "$W/out")" = 3
check "machines --json" t 0 machines --json
check "  python3 reads it: 3 machines" pyj "[m['name'] for m in d['machines']] == ['pc01', 'pc02', 'pc03']"
check "show pc01" t 0 show pc01
check "  its state and MAC" sh -c "grep -q '^state: *idle' '$W/out' && grep -q '^mac: *52:54:00:5e:00:01' '$W/out'"
check "show by MAC (dashes) --json" t 0 show 52-54-00-5e-00-02 --json
check "  python3 reads it, with its generations" pyj "d['name'] == 'pc02' and d['generations']['machine'] == 'pc02'"
check "show pc99: 4" t 4 show pc99
check "  naming it" err 'no machine pc99'

check "profiles" t 0 profiles
check "  a table: each profile, its machines and partitions" sh -c "grep -q '^PROFILE  *MACHINES  *PARTITIONS  *CAPTURED FROM' '$W/out' && grep -q '^[a-z0-9-]*  *[0-9]  *.*data:preserve' '$W/out'"
check "profiles --json" t 0 profiles --json
check "  python3 reads it: the machines add up to 3" pyj "sum(p['machines'] for p in d) == 3"
check "layers" t 0 layers
check "  a table: LAYER, MACHINES, PROFILES, PARTITIONS, CAPTURED FROM" out '^LAYER  *MACHINES  *PROFILES  *PARTITIONS  *CAPTURED FROM'
check "layers --json" t 0 layers --json
check "  python3 reads it: 64-hex ids" pyj "all(len(l['id']) == 64 for l in d)"
check "profiles with an operand: 2" t 2 profiles extra

# A generation of pc01's data, captured by strata-image with an order's token.
img "$W/g1.img" 256
check "a generation of pc01 is captured (strata-image)" test -n "$(gen pc01 "$W/g1.img")"
check "generations pc01" t 0 generations pc01
check "  a table with generation 1" out '^data  *1  '
check "generations pc01 --json" t 0 generations pc01 --json
check "  python3 reads it" pyj "d['partitions'][0]['part'] == 'data' and d['partitions'][0]['generations'][0]['number'] == 1"
check "generations pc99: 4" t 4 generations pc99

# Orders: --yes off a terminal, [y/N] on one.
check "deploy pc02 off a terminal without --yes: 2" t 2 deploy pc02
check "  saying to add --yes" err 'add --yes'
check "  nothing ordered" test "$(pending pc02)" = none
check "deploy pc02 on a terminal, answered n: 2" tty_is 2 n deploy pc02
check "  asked [y/N]" grep -q 'Deploy pc02 at the next network boot? \[y/N\]' "$W/tty"
check "  nothing ordered" test "$(pending pc02)" = none
check "deploy pc02 on a terminal, answered y: 0" tty_is 0 y deploy pc02
check "  ordered" test "$(pending pc02)" = deploy
check "deploy pc01 --yes" t 0 deploy pc01 --yes
check "  says so" out '^pc01: deploy pending on 1 machines'
check "deploy --all --yes --json" t 0 deploy --all --yes --json
check "  python3 reads it" ndj "d == [{'machine': 'all', 'message': 'deploy pending on 3 machines'}]"
check "  audited under the token's name, via token" test "$(srv_sql "$W" "SELECT token_name || ' ' || via || ' ' || target FROM orders WHERE action = 'deploy' ORDER BY id DESC LIMIT 1")" = "admin token all"
check "deploy pc99: 4" t 4 deploy pc99 --yes
check "deploy pc01 pc99: 7" t 7 deploy pc01 pc99 --yes
check "  pc01 ordered" out '^pc01: deploy pending'
check "  pc99 refused, named" err 'deploy pc99: 404'
check "deploy pc01 pc99 --json: 7" t 7 deploy pc01 pc99 --yes --json
check "  python3 reads each line: pc01 ordered, pc99 refused (4)" ndj "d == [{'machine': 'pc01', 'message': 'deploy pending on 1 machines'}, {'machine': 'pc99', 'refused': True, 'exit': 4}]"
check "deploy with names and --all: 2" t 2 deploy pc01 --all --yes
check "deploy ALL as a name: 2 (--all says it)" t 2 deploy pc01 ALL --yes
check "  the refusal points at --all" err "say --all"

check "capture --as without --prepared off a terminal: 2" t 2 capture pc02 --as gold1 --yes
check "  saying to add --prepared" err 'add --prepared'
check "capture pc02 --as gold1 --prepared --yes" t 0 capture pc02 --as gold1 --prepared --yes
check "  the task's token" grep -qE '^task token .*: [0-9a-f]{64}$' "$W/out"
check "  again: 5 (409)" t 5 capture pc02 --as gold2 --prepared --yes
check "  saying to cancel first" err 'capture pc02: 409 .*cancel it first'
check "cancel pc02 --yes" t 0 cancel pc02 --yes
check "  says so" out 'capture cancelled'
check "capture pc02 --json (a machine capture)" t 0 capture pc02 --yes --json
check "  python3 reads it" pyj "d['machine'] == 'pc02' and d['kind'] == 'machine' and len(d['token']) == 64"
check "cancel pc02 --json" t 0 cancel pc02 --yes --json
check "  python3 reads it" pyj "d == {'machine': 'pc02', 'message': 'capture cancelled'}"
check "capture all: 5 (400)" t 5 capture all --yes

check "restore pc01 --generation 9: 4" t 4 restore pc01 --generation 9 --yes
check "restore without --generation: 2" t 2 restore pc01 --yes
check "restore pc01 --generation 1 --json" t 0 restore pc01 --generation 1 --yes --json
check "  python3 reads it" pyj "d['machine'] == 'pc01' and d['generation'] == 1"
check "  again while open: 5 (409)" t 5 restore pc01 --generation 1 --yes
ex cancel pc01 --yes > /dev/null
check "restore pc01 --generation 1 (its capture cancelled: a new order)" t 0 restore pc01 --generation 1 --yes
check "  says so" out '^restore of pc01 to generation 1 ordered'

check "replace with a malformed MAC: 2" t 2 replace pc03 --mac nonsense --yes
check "replace pc03 --mac 52:54:00:5e:00:09" t 0 replace pc03 --mac 52:54:00:5e:00:09 --yes
check "  says so" out '^pc03 is now the PC 52:54:00:5e:00:09 (was 52:54:00:5e:00:03)'
check "replace pc02 with pc03's new MAC: 5 (400)" t 5 replace pc02 --mac 52:54:00:5e:00:09 --yes
check "replace pc02 --json" t 0 replace pc02 --mac 52:54:00:5e:00:0a --yes --json
check "  python3 reads it" pyj "d['replaced'] == '52:54:00:5e:00:02' and d['key'] == 'awaiting'"
check "accept-key pc03" t 0 accept-key pc03 --yes
check "  says so" out '^accepted the pending keys of'
check "accept-key pc03 --json" t 0 accept-key pc03 --yes --json
check "  python3 reads it" pyj "d['message'].startswith('accepted the pending keys of')"

check "gc --dry-run (no confirmation needed)" t 0 gc --dry-run
check "  says what it would delete" out '^would delete '
check "gc --dry-run --json" t 0 gc --dry-run --json
check "  python3 reads it" pyj "d['dry_run'] is True and 'bytes' in d"
check "gc without --yes off a terminal: 2" t 2 gc
check "gc --yes" t 0 gc --yes
check "  says what it deleted" out '^deleted '
check "gc --yes --json" t 0 gc --yes --json
check "  python3 reads it" pyj "d['dry_run'] is False"

# The other exit codes.
printf 'admin %s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$W/wrong"
check "a token the server does not know: 3" t 3 --token "$W/wrong" machines
check "  saying to check it" err '401 .*check the token file'
check "  an order with it: 3" t 3 --token "$W/wrong" deploy pc02 --yes
DEAD=$(free_port)
check "a dead port: 6" t 6 --server "http://127.0.0.1:$DEAD" machines
check "  naming the server" err "cannot reach http://127.0.0.1:$DEAD"
check "--timeout 0: 2" t 2 --timeout 0 machines
check "the token is in no output" sh -c "! grep -rq '$SRV_TOKEN' '$W/out' '$W/err' '$W/tty'"
srv_stop

# https: the server's certificate checked against --cacert; the plain port refuses the API.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
HS=$(free_port)
check "a server with TLS starts" srv_start "$W" "$W/log-tls" --api-tokens "$W/api-tokens" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" --https-port "$HS"
check "https without --cacert: 6 (TLS failed)" t 6 --server "https://127.0.0.1:$HS" machines
check "  saying to give --cacert" err 'with --cacert FILE'
check "https with --cacert: 0" t 0 --server "https://127.0.0.1:$HS" --cacert "$W/cert.pem" machines
check "  the machines" test "$(grep -c '^pc0[123] ' "$W/out")" = 3
check "the plain port with TLS on: 3 (403)" t 3 --server "$U" machines
check "  naming the https URL" err "https://127.0.0.1:$HS"
srv_stop

# watch, on a fresh lab: reports from pc01's session, then pc02's failure.
W2=$W/w2
srv_root "$W2"
check "a fresh server starts" srv_start "$W2" "$W2/log" --api-tokens "$W2/api-tokens"
export STRATA_URL=$U STRATA_TOKEN_FILE=$W2/api-tokens
report() { curl -s -o /dev/null -w '%{http_code}' "$(sess_url "$W2" "$1" "$U/report/$1?$2")"; }
check "watch --until-idle on an idle lab: 0 at once" test "$(ex watch --until-idle)" = 0
check "watch on a terminal: the counts line" tty_is 0 "" watch --until-idle
check "  " grep -q -- '3 machines: 0 deploying, 0 capturing, 0 queued, 0 failed, 3 idle' "$W/tty"
ex deploy pc01 --yes > /dev/null
check "pc01 registers (a deploy pending: a session)" grep -q ' session=' <<< "$(sess_register "$U" 52:54:00:5e:00:01 "$W2" 2>&1)"
check "a progress report" test "$(report 52:54:00:5e:00:01 'phase=progress&done=10&total=100')" = 200
"$CTL" watch --until-idle --json --interval 1 < /dev/null > "$W/watch1" 2> "$W/watch1.err" &
WP=$!
# Each report waits for watch's line of the one before: a slow start or poll would merge them.
lines() { [ "$(wc -l < "$1")" -ge "$2" ]; }
eventually lines "$W/watch1" 1
report 52:54:00:5e:00:01 'phase=progress&done=60&total=100' > /dev/null
eventually lines "$W/watch1" 2
report 52:54:00:5e:00:01 'phase=ok' > /dev/null
wait "$WP"
check "watch --until-idle --json: 0 once pc01 is done" test $? = 0
cp "$W/watch1" "$W/out"
check "  python3 reads each line: deploying 10, deploying 60, then idle" ndj "[(x['name'], x['state'], x['done']) for x in d] == [('pc01', 'deploying', 10), ('pc01', 'deploying', 60), ('pc01', 'idle', 0)]"

ex deploy pc02 --yes > /dev/null
sess_register "$U" 52:54:00:5e:00:02 "$W2" > /dev/null 2>&1
report 52:54:00:5e:00:02 'phase=progress&done=5&total=100' > /dev/null
"$CTL" watch --until-idle < /dev/null > "$W/watch2" 2> "$W/watch2.err" &
WP=$!
eventually grep -q ' pc02 deploying 5% of 100 B$' "$W/watch2"
report 52:54:00:5e:00:02 'phase=failed&msg=part+root:+chunk+7:+bad+digest' > /dev/null
wait "$WP"
check "watch --until-idle after a failure report: 8" test $? = 8
check "  one line per change, the failure's message" sh -c "grep -q ' pc02 deploying 5% of 100 B$' '$W/watch2' && grep -q ' pc02 failed: part root: chunk 7: bad digest$' '$W/watch2'"
"$CTL" watch < /dev/null > /dev/null 2>&1 &
WP=$!
sleep 1
kill -INT "$WP"
wait "$WP"
check "watch interrupted (SIGINT): 130" test $? = 130
check "the server's log holds no error from strata-ctl's requests" sh -c "! grep -q 'ERROR: AddressSanitizer' '$W2/log' '$LOG'"
finish
