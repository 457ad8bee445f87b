#!/bin/bash
# A lab without VMs for working on the dashboard (not shipped: mk/ui.mk embeds ui/*.* only).
#   bash ui/dev/fake_lab.sh DIR [--tls]
# starts build/san/strata-server on loopback over DIR/root with 14 machines in three rooms,
# an admin alice (password "correct horse"), then plays agents' reports so the tiles show
# every state: idle, queued, deploying (moving), failed with a long reason.  Prints the URL
# (and DIR/url), then keeps playing progress until killed; DIR/progress MAC N plays N reports.
. "$(dirname "$0")/../../tests/lib/common.sh"
. "$(dirname "$0")/../../tests/lib/server.sh"
. "$(dirname "$0")/../../tests/lib/session.sh"
W=$1
mkdir -p "$W"
chmod 755 "$W"
srv_root "$W"
inv="$W/root/inventory.conf"
sed -i '/^machine /d' "$inv"
n=0
for room in B.204 B.205 lab3; do
	for k in 1 2 3 4 5; do
		n=$((n + 1))
		[ $n -gt 14 ] && break
		printf 'machine 52:54:00:5e:00:%02x name=%s-%02d profile=lab room=%s\n' $n "$(echo $room | tr -d . | tr A-Z a-z)" $k $room >> "$inv"
	done
done
printf 'alice:%s\n' "$(openssl passwd -6 'correct horse')" > "$W/admins"
args=(--api-tokens "$W/api-tokens" --admins "$W/admins")
if [ "${2:-}" = --tls ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
	HS=$(free_port)
	args+=(--tls-cert "$W/cert.pem" --tls-key "$W/key.pem" --https-port "$HS")
fi
srv_start "$W" "$W/log" "${args[@]}" || exit 1
B=$U
[ -n "${HS:-}" ] && B=https://127.0.0.1:$HS
echo "$B" > "$W/url"
echo "$SRV_TOKEN" > "$W/token"
echo "$U" > "$W/plain"
mac() { printf '52:54:00:5e:00:%02x' "$1"; }
report() { curl -s -o /dev/null "$(sess_url "$W" "$1" "$U/report/$1?$2")"; }
curl -sk -o /dev/null -H "$SRV_AUTH" -X POST "$B/api/deploy/all"
for k in $(seq 1 14); do sess_register "$U" "$(mac $k)" "$W" >/dev/null 2>&1; done
for k in 1 2 3 6 7 11 12 13; do report "$(mac $k)" 'phase=ok&done=4000&total=4000&msg=deployed+v1'; done
report "$(mac 4)" 'phase=failed&msg=layer+root%3A+chunk+7+(disk+LBA+123904)%3A+digest+differs+from+the+index%3A+the+store+copy+is+damaged%3B+run+strata-image+verify+on+the+server+and+deploy+again'
report "$(mac 14)" 'phase=failed&msg=disk+too+small%3A+need+64+GB'
curl -sk -o /dev/null -H "$SRV_AUTH" -X POST "$B/api/deploy/b205-05"
# Three PCs the inventory does not know ask for their script (New PCs, where served).
for k in 1 2 3; do curl -s -o /dev/null "$U/ipxe/52:54:00:aa:00:0$k"; done
echo "fake lab at $B (alice / correct horse), token in $W/token"
# Machines 8, 9 and 10 deploy slowly, over and over; touching DIR/deploy-K (K of 1..7)
# plays a 20 s deployment of machine K, as its agent would.
s=0
while :; do
	s=$((s % 40 + 1))
	for k in 8 9 10; do report "$(mac $k)" "phase=progress&done=$((s * k * 1000000))&total=$((40 * k * 1000000))&msg=part+root"; done
	for f in "$W"/deploy-*; do
		[ -e "$f" ] || continue
		k=${f##*-}; p=$(cat "$f"); p=$((${p:-0} + 1)); echo $p > "$f"
		if [ $p -le 20 ]; then
			report "$(mac $k)" "phase=progress&done=$((p * 3000000))&total=60000000&msg=part+root"
		else
			report "$(mac $k)" 'phase=ok&done=60000000&total=60000000&msg=deployed+v1'; rm -f "$f"
		fi
	done
	sleep 1
done
