#!/bin/bash
# strata.efi end to end: QEMU with OVMF under TCG, network-booted in a lab of network
# namespaces (tests/lib/lab.sh): dnsmasq as the site DHCP server, strata-server with
# proxyDHCP, TFTP and HTTP.  Each case checks the VM's disk from the host afterwards.
#   1. empty disk, iPXE option ROM: a layered gold disk (ESP, root, CIDATA machine layer,
#      preserved data partition) is deployed; partitions equal their layers byte for byte;
#      a chunk the root layer repeats is asked of the server once, the repeats are copied
#   2. redeploy after the gold root changes in a few places, on 2 vCPUs (multi-threaded
#      TCG: the agent hashes and inflates on both cores): only changed chunks cross the
#      wire, the preserved partition is bit-identical; the disk is an NVMe controller
#      this time, so the agent writes through Block I/O 2 (asynchronous writes), where
#      case 1's virtio-blk disk has Block I/O only (the fallback)
#   3. a server signing with the wrong key: its session is refused (it cannot prove itself
#      with the key strata.efi trusts), so no manifest is fetched and nothing written
#   4. a corrupted chunk on the server: deployment fails naming it, only verified data on
#      disk; after the chunk is mended the next boot completes
#   5. OVMF's own PXE loading snponly.efi (TFTP via proxyDHCP) deploys a fresh disk
#   6. UEFI HTTP Boot (PXE off): the firmware fetches strata.efi by the proxyDHCP's URL,
#      and the agent finds its server, MAC and orders by itself
#   7. the server killed in the middle of a deployment: the disk holds only old or verified
#      new chunks; once the server is back the next boot completes
#   8. (run with 2, on the NVRAM the VM kept from it) a server that lost its state signs
#      version 1 again: the agent refuses the older manifest and writes nothing
#  10. (after 1) a second PC claims vm1's MAC, with its own NVRAM and so its own key: it
#      gets no session, stops before fetching a manifest, writes nothing; the manifest is
#      refused it and a forged report in its name is ignored, the order still pending.  Its
#      key stays pending (there is no "reject"): run it with 9, whose acceptance clears it
#   9. the PC's NVRAM wiped: its new machine key differs from the one case 1 pinned, so it
#      is refused and writes nothing until POST /api/accept-key/vm1; then it is served
#  11. the root partition full of random bytes (a used disk): the agent writes only the
#      layer's used chunks (its summary's counts against inspect's), the free chunks keep
#      the old bytes, e2fsck -fn is clean, and after a streak of chunks the disk lacked
#      the agent wrote the rest blind (its summary's "written blind"); then with wipe=yes
#      every free chunk is zeroed
#      (the agent's count, and read from the host) and the partition equals its layer
# Case 1 also checks the machine key: made from EFI_RNG_PROTOCOL (the lab's virtio-rng),
# pinned on first use in the database, the audit log and /machines.json; the session:
# established once, every orders, manifest and report request signed (s=, n=, h=); and that
# the CIDATA layer came sealed from the machine's private route: a packet capture of the
# VM's NIC during the deployment (QEMU's filter-dump) holds no 32-byte window of any of its
# private chunk files, while it does hold one of a public chunk that was sent (so the check
# is not blind).
# E2E_CASES="1 5" runs only those cases (2-4, 7 and 9-11 build on 1).  E2E_KILL_AFTER_MS=N makes
# case 7 kill the server N ms after the root layer's first runs request instead of at once
# (make soak picks N at random).
# Needs root (namespaces), QEMU, OVMF, iPXE; without them it says so and counts nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/../lib/gold.sh"
gold_init "${1:-build}" e2e
MAC=52:54:00:5a:00:01
MIB=1048576

gold
inventory "$ROOT1"; CUR_ROOT=v1
lab_start "$W/root" "$KEY" || { check "lab starts" false; finish; exit; }

want() { [ -z "${E2E_CASES:-}" ] || [[ " $E2E_CASES " == *" $1 "* ]]; }

# 1. Empty disk, iPXE ROM (always: the lab's first deployment).
truncate -s 200M "$W/disk.img"
lab_vm vm1-a "$MAC" "$W/disk.img" -object "filter-dump,id=cap0,netdev=n0,file=$LAB_RUN/vm1-a.pcap"
check "1: VM ends by itself after deploying" test $? -eq 0
check "1: identity: MAC and SMBIOS UUID" grep -q "identity: MAC $MAC, SMBIOS UUID 5a7a0000-0000-4000-8000-${MAC//:/}" <(debug vm1-a)
check "1: agent verified the manifest" grep -q "manifest: version [0-9]* for vm1 verified" <(debug vm1-a)
check "1: clear final line" grep -q "strata.efi: deployment complete" <(debug vm1-a)
check "1: GPT valid (sgdisk -v)" sh -c "sgdisk -v '$W/disk.img' | grep -q 'No problems found'"
check "1: ESP equals its layer" part_equals "$W/disk.img" 1 "$W/esp.img"
check "1: root equals its layer" part_equals "$W/disk.img" 2 "$W/root-v1.img"
check "1: CIDATA names the machine" cidata_names "$W/disk.img" vm1
PRIV=$W/root/state/private/${MAC//:/}
CID=$(sed -n 's/.*layer CIDATA: private (sha256:\([0-9a-f]*\)\.\.).*/\1/p' <(debug vm1-a))
check "1: the agent fetched CIDATA as a private layer (${CID:-none})" test -n "$CID"
check "1: its index and runs came signed from /private/" sh -c "grep -q 'GET /private/${MAC//:/-}/layers/$CID[0-9a-f]*.idx 200 ' '$LAB_RUN/server.log' && grep -q 'GET /private/${MAC//:/-}/runs/$CID[0-9a-f]*/[0-9]*-[0-9]* 200 ' '$LAB_RUN/server.log'"
check "1: nothing of it was asked under /store/" sh -c "! grep -q 'GET /store/[a-z]*/$CID' '$LAB_RUN/server.log'"
LEAK=$(python3 tests/tools/private_scan.py windows "$LAB_RUN/vm1-a.pcap" "$PRIV" | tail -1)
check "1: the capture ($(stat -c %s "$LAB_RUN/vm1-a.pcap" 2>/dev/null) bytes) holds no 32-byte window of the $(echo "$LEAK" | cut -d' ' -f1) private chunk files ($LEAK)" \
	sh -c "test '$(echo "$LEAK" | cut -d' ' -f1)' -gt 0 && test '$(echo "$LEAK" | cut -d' ' -f3)' = 0"
PUB=$($SI inspect --store "$W/root/store" --chunks "$ESP" | awk '/^chunk [0-9]/ && $9 != "zero" && $9 != "free" {print $NF; exit}')
CTRL=$(python3 tests/tools/private_scan.py windows "$LAB_RUN/vm1-a.pcap" "$W/root/store/chunks/${PUB:0:2}/$PUB" | tail -1)
check "1: control: it holds the ESP's first chunk file, sent in clear ($CTRL)" test "$(echo "$CTRL" | cut -d' ' -f3)" = 1
check "1: virtio-blk: writes through Block I/O (no Block I/O 2)" grep -q "disk: Block I/O (no Block I/O 2 on this disk)" <(debug vm1-a)
check "1: progress bar on the serial console" grep -q "root fetch \[##" <(lab_console "$LAB_RUN/vm1-a.serial")
# The root layer's most repeated data chunk (etc/repeated; zero and free chunks have no
# file): how many of its indices fall in the chunk runs (or chunk files) the agent asked for.
REP=$($SI inspect --store "$W/root/store" --chunks "$ROOT1" | awk '/^chunk [0-9]/ && $9 != "zero" && $9 != "free" {print $10}' | sort | uniq -c | sort -rn | head -1)
REP_N=$(echo "$REP" | awk '{print $1}'); REP_HEX=$(echo "$REP" | awk '{print $2}')
REP_IDX=$($SI inspect --store "$W/root/store" --chunks "$ROOT1" | awk -v h="$REP_HEX" '$10 == h {print $2}' | tr '\n' ' ')
REP_ASKED=$(awk -v l="${ROOT1#sha256:}" -v h="$REP_HEX" -v idx="$REP_IDX" '
	BEGIN { n = split(idx, want, " ") }
	$4 ~ ("/store/chunks/../" h "$") { asked++ }
	$4 ~ ("/store/runs/" l "/") { split($4, p, "/"); split(p[5], r, "-")
		for (k = 1; k <= n; k++) if (want[k] + 0 >= r[1] + 0 && want[k] + 0 <= r[2] + 0) asked++ }
	END { print asked + 0 }' "$LAB_RUN/server.log")
REUSED=$(sed -n 's/.*layer root: .* \([0-9]*\) reused.*/\1/p' <(debug vm1-a))
check "1: a chunk the root repeats ${REP_N:-?} times was asked for once (${REP_ASKED} times)" test "${REP_N:-0}" -ge 8 -a "$REP_ASKED" = 1
check "1: the agent copied its repeats (${REUSED:-?} reused)" test "${REUSED:-0}" -ge $((${REP_N:-1} - 1))
check "1: server recorded success" grep -q '"result": "ok"' <(lab_machines)
DB=$W/root/state/strata.db
FP=$(sed -n 's/.*machine key: created, .* sha256:\([0-9a-f]*\).*/\1/p' <(debug vm1-a))
check "1: machine key from EFI_RNG_PROTOCOL (virtio-rng)" grep -q "machine key: randomness from EFI_RNG_PROTOCOL" <(debug vm1-a)
check "1: machine key created (${FP:0:16}..)" test -n "$FP"
check "1: machine key pinned on first use" grep -q "machine key: pinned by the server (first use)" <(debug vm1-a)
check "1: the key's DB row" test "$(sqlite3 "$DB" "SELECT count(*) FROM machine_keys WHERE mac = '$MAC' AND pending IS NULL")" = 1
check "1: the key's audit row" test "$(sqlite3 "$DB" "SELECT token_name || ' ' || target || ' ' || action FROM orders WHERE action LIKE 'key-%'")" = "machine vm1 key-pinned sha256:$FP"
check "1: /machines.json shows the pinned key" grep -q "\"key\": {\"state\": \"pinned\", \"fingerprint\": \"sha256:$FP\"" <(lab_machines)
check "1: session established once" test "$(grep -c "session: established with http://" <(debug vm1-a))" = 1
check "1: orders, manifest, reports all signed and taken" sh -c "grep -E 'GET /(agent|manifest|report)/' '$LAB_RUN/server.log' | grep -vq ' 200 ' && exit 1; grep -cE 'GET /(agent|manifest|report)/.* 200 ' '$LAB_RUN/server.log' | grep -qv '^0$'"

# 10. A spoofer: another PC (its own NVRAM, so its own key, and its own disk) claims vm1's MAC.
if want 10; then
mark
cp "$LAB_RUN/nvram-${MAC//:/}.fd" "$W/vm1-nvram.fd"
truncate -s 0 "$W/spoof.img"; truncate -s 200M "$W/spoof.img"
SLINES=$(wc -l < "$LAB_RUN/server.log")
LAB_NVRAM=fresh lab_vm vm1-s "$MAC" "$W/spoof.img"
check "10: the spoofer's key differs from vm1's; it stops" grep -q "vm1: this PC's key differs from the one the server pinned" <(debug vm1-s)
check "10: it got no session" sh -c "! grep -q 'session: established' '$LAB_RUN/vm1-s.debug'"
check "10: it asked for no orders and no manifest" sh -c "! tail -n +$((SLINES + 1)) '$LAB_RUN/server.log' | grep -qE 'GET /(agent|manifest)/'"
check "10: its disk is untouched (all zeros)" test "$(tr -d '\0' < "$W/spoof.img" | head -c 1 | wc -c)" = 0
check "10: vm1's manifest is refused while the spoofer's key is pending" test "$(lab_curl -s -o /dev/null -w '%{http_code}' "$(lab_url)/manifest/$MAC")" = 403
check "10: a forged report in vm1's name is ignored (401)" test "$(lab_curl -s -o /dev/null -w '%{http_code}' "$(lab_url)/report/$MAC?phase=ok&done=1&total=1")" = 401
check "10: vm1's order is still pending" grep -q '"name": "vm1".*"pending": "deploy"' <(lab_machines)
cp "$W/vm1-nvram.fd" "$LAB_RUN/nvram-${MAC//:/}.fd"   # the real vm1 again
fi

# 9. The PC's NVRAM wiped (a firmware update, a CMOS reset): a new key, refused until accepted.
if want 9; then
mark
DISK_SUM=$(sha256sum < "$W/disk.img")
LAB_NVRAM=fresh lab_vm vm1-k "$MAC" "$W/disk.img"
check "9: wiped NVRAM: a new machine key" sh -c "grep 'machine key: created' '$LAB_RUN/vm1-k.debug' | grep -vq '$FP'"
check "9: the agent says an admin must accept it" grep -q "vm1: this PC's key differs from the one the server pinned; an admin must accept it: POST /api/accept-key/vm1" <(debug vm1-k)
check "9: clear failure line" grep -q "strata.efi: FAILED" <(debug vm1-k)
check "9: disk untouched" test "$(sha256sum < "$W/disk.img")" = "$DISK_SUM"
check "9: /machines.json shows the key awaiting acceptance" grep -q "\"state\": \"differs\", \"fingerprint\": \"sha256:$FP\", \"pinned_at\": [0-9]*, \"pending_fingerprint\"" <(lab_machines)
check "9: its manifest is withheld" test "$(lab_curl -s -o /dev/null -w '%{http_code}' "$(lab_url)/manifest/$MAC")" = 403
check "9: POST /api/accept-key/vm1" grep -qx "accepted the pending keys of 1 machines" <(lab_curl -s -X POST "$(lab_url)/api/accept-key/vm1")
check "9: acceptance audited" test "$(sqlite3 "$DB" "SELECT token_name || ' ' || target FROM orders WHERE action LIKE 'key-accepted %'")" = "lab vm1"
lab_vm vm1-l "$MAC" "$W/disk.img"
check "9: after acceptance the key is known" grep -q "machine key: known to the server" <(debug vm1-l)
check "9: and the PC is served" grep -q "strata.efi: deployment complete" <(debug vm1-l)
fi

if want 2; then
# 2. User data on the preserved partition; gold root changes; redeploy.
DATA_SUM=$(user_data "$W/disk.img")
echo "gold 2" > "$W/release2"
ROOT2=$(gold_change v1 v2 "rm /etc/release" "write $W/release2 /etc/release")
inventory "$ROOT2"; CUR_ROOT=v2
kill -HUP "$LAB_SERVER"; sleep 2
mark
: > "$LAB_RUN/server.log.mark"; LINES_BEFORE=$(wc -l < "$LAB_RUN/server.log")
LAB_SMP=2 LAB_ACCEL=tcg,thread=multi LAB_DISK_DEV=nvme lab_vm vm1-b "$MAC" "$W/disk.img"
check "2: redeploy completes" grep -q "strata.efi: deployment complete" <(debug vm1-b)
check "2: NVMe: writes through Block I/O 2" grep -q "disk: Block I/O 2, up to [0-9]* writes in flight" <(debug vm1-b)
check "2: on 2 vCPUs the agent hashes and inflates on both (its cores line)" grep -q "cores: 2 cores (the boot processor and 1 application processor" <(debug vm1-b)
check "2: root equals the new layer" part_equals "$W/disk.img" 2 "$W/root-v2.img"
check "2: preserved data bit-identical" test "$(data_sum "$W/disk.img")" = "$DATA_SUM"
FETCHED=$(sed -n 's/.*layer root: .* fetched (\([0-9]*\) bytes).*/\1/p' <(debug vm1-b))
check "2: only changed chunks crossed the wire (${FETCHED:-?} bytes)" test "${FETCHED:-999999999}" -lt 1000000
check "2: server log shows no ESP chunks fetched" sh -c "! tail -n +$LINES_BEFORE '$LAB_RUN/server.log' | grep -q 'runs/${ESP#sha256:}'"

# 8. A replayed older manifest: a server whose state is lost signs version 1 again, while
# the VM's NVRAM remembers that it applied case 2's higher version.
netns_stop "$LAB_SERVER"
netns_spawn LAB_SERVER "$LAB_NS" "$LAB_RUN/server-lost.log" "$STRATA_SERVER" --root "$W/root" \
	--state "$W/state-lost" --key "$KEY" --addr "$LAB_IP" --http-port 80 --tftp-port 69 --dhcp proxy \
	--api-tokens "$LAB_RUN/api-tokens"
sleep 3
DISK_SUM=$(sha256sum < "$W/disk.img")
LAB_VARS_FROM="$LAB_RUN/vm1-b.vars" lab_vm vm1-r "$MAC" "$W/disk.img"
check "8: the server issued version 1 again" grep -q "manifest: version 1 for vm1 is older than version 2" <(debug vm1-r)
check "8: older manifest refused" grep -q "manifest version is older than the one last applied" <(debug vm1-r)
check "8: clear failure line" grep -q "strata.efi: FAILED" <(debug vm1-r)
check "8: disk untouched" test "$(sha256sum < "$W/disk.img")" = "$DISK_SUM"
check "8: failure reported to the server" grep -q '"result": "failed"' <(lab_machines)

# 3. A manifest signed by another key is refused before anything is written.
$SI keygen "$W/other.key" 2>/dev/null
netns_stop "$LAB_SERVER"
netns_spawn LAB_SERVER "$LAB_NS" "$LAB_RUN/server2.log" "$STRATA_SERVER" --root "$W/root" \
	--key "$W/other.key" --addr "$LAB_IP" --http-port 80 --tftp-port 69 --dhcp proxy \
	--api-tokens "$LAB_RUN/api-tokens"
sleep 3
mark
DISK_SUM=$(sha256sum < "$W/disk.img")
lab_vm vm1-c "$MAC" "$W/disk.img"
check "3: the other key's session refused" grep -q "key: the session is not signed by the server's manifest key" <(debug vm1-c)
check "3: clear failure line" grep -q "strata.efi: FAILED" <(debug vm1-c)
check "3: disk untouched" test "$(sha256sum < "$W/disk.img")" = "$DISK_SUM"
check "3: no manifest asked for" sh -c "! grep -q 'GET /manifest/' '$LAB_RUN/server2.log'"
netns_stop "$LAB_SERVER"
netns_spawn LAB_SERVER "$LAB_NS" "$LAB_RUN/server3.log" "$STRATA_SERVER" --root "$W/root" \
	--key "$KEY" --addr "$LAB_IP" --http-port 80 --tftp-port 69 --dhcp proxy \
	--api-tokens "$LAB_RUN/api-tokens"
sleep 3

# 4. A corrupted chunk of a changed region: the deployment fails naming it; mended, it completes.
head -c 200000 /dev/urandom > "$W/blob3"
ROOT3=$(gold_change v1 v3 "write $W/blob3 /etc/blob3")
CH=$($SI inspect --store "$W/root/store" --chunks "$ROOT3" | awk '/^chunk [0-9]/ && $9 != "zero" {print $NF}' | while read -r h; do
	grep -q "$h" <($SI inspect --store "$W/root/store" --chunks "$ROOT2") || { echo "$h"; break; }; done)
CF="$W/root/store/chunks/${CH:0:2}/$CH"
cp "$CF" "$W/good-chunk"
printf '\x55\x55\x55\x55' | dd of="$CF" bs=1 seek=20 conv=notrunc 2>/dev/null
inventory "$ROOT3"; CUR_ROOT=v3
kill -HUP "$LAB_SERVER"; sleep 2
mark
lab_vm vm1-d "$MAC" "$W/disk.img"
check "4: corrupt chunk named" grep -q "layer root: chunk [0-9]* (disk LBA [0-9]*): chunk" <(debug vm1-d)
check "4: deployment failed" grep -q "strata.efi: FAILED" <(debug vm1-d)
check "4: preserved data still bit-identical" test "$(data_sum "$W/disk.img")" = "$DATA_SUM"
cp "$W/good-chunk" "$CF"
lab_vm vm1-e "$MAC" "$W/disk.img"
check "4: after the fix the next boot completes" grep -q "strata.efi: deployment complete" <(debug vm1-e)
check "4: root equals the layer" part_equals "$W/disk.img" 2 "$W/root-v3.img"

fi

# 7. The server killed while the root layer streams; the next boot, with it back, completes.
if want 7; then
# Run without case 2 (make soak runs "1 7"), the preserved data is what case 1 left.
DATA_SUM=${DATA_SUM:-$(data_sum "$W/disk.img")}
head -c 30000000 /dev/urandom > "$W/big4"
ROOT4=$(gold_change "$CUR_ROOT" v4 "write $W/big4 /etc/big4")
PREV_ROOT=$CUR_ROOT
inventory "$ROOT4"; CUR_ROOT=v4
kill -HUP "$LAB_SERVER"; sleep 2
mark
SLOG=$(ls -t "$LAB_RUN"/server*.log | head -1)
( for _ in $(seq 1200); do
	grep -q "GET /store/runs/${ROOT4#sha256:}" "$SLOG" &&
		{ sleep "$(awk -v ms="${E2E_KILL_AFTER_MS:-0}" 'BEGIN { print ms / 1000 }')"
		  kill -KILL "$LAB_SERVER"; break; }
	sleep 0.05
  done ) &
lab_vm vm1-h "$MAC" "$W/disk.img"
check "7: the deployment failed when the server died" grep -q "strata.efi: FAILED" <(debug vm1-h)
check "7: root holds only old or verified new chunks" only_known "$W/disk.img" 2 "$W/root-$PREV_ROOT.img" "$W/root-v4.img"
check "7: preserved data bit-identical" test "$(data_sum "$W/disk.img")" = "$DATA_SUM"
netns_spawn LAB_SERVER "$LAB_NS" "$LAB_RUN/server7.log" "$STRATA_SERVER" --root "$W/root" \
	--key "$KEY" --addr "$LAB_IP" --http-port 80 --tftp-port 69 --dhcp proxy \
	--api-tokens "$LAB_RUN/api-tokens"
sleep 3
lab_vm vm1-i "$MAC" "$W/disk.img"
check "7: with the server back, the next boot completes" grep -q "strata.efi: deployment complete" <(debug vm1-i)
check "7: root equals the layer" part_equals "$W/disk.img" 2 "$W/root-v4.img"
fi

# 11. A used disk: the root partition full of random bytes.  The gold root is a filesystem,
# not a bootable OS: e2fsck stands for "the OS still boots".
if want 11; then
# The agent's summary for root: total kept zero zero-written free wiped fetched reused.
root_counts() {
	sed -n 's/.*layer root: \([0-9]*\) chunks: \([0-9]*\) kept, \([0-9]*\) zero (\([0-9]*\) written), \([0-9]*\) free (\([0-9]*\) wiped), \([0-9]*\) fetched ([0-9]* bytes), \([0-9]*\) reused.*/\1 \2 \3 \4 \5 \6 \7 \8/p' <(debug "$1")
}
head -c $((48 * MIB)) /dev/urandom > "$W/fill"
part_fill "$W/disk.img" 2 "$W/fill"
inventory "$ROOT1"; CUR_ROOT=v1
kill -HUP "$LAB_SERVER"; sleep 2
mark
lab_vm vm1-m "$MAC" "$W/disk.img"
check "11: deploys onto a root full of random bytes" grep -q "strata.efi: deployment complete" <(debug vm1-m)
read -r T K Z ZW F FW X R < <(root_counts vm1-m)
FREE=$(free_chunks "$ROOT1" | wc -l)
USED=$($SI inspect --store "$W/root/store" --chunks "$ROOT1" | awk '/^chunk [0-9]/ && $9 != "free"' | wc -l)
check "11: the agent wrote only the used chunks (${ZW:-?} zeroed + ${X:-?} fetched + ${R:-?} copied of ${T:-?}; inspect: $USED used, $FREE free)" \
	test "$((${ZW:-0} + ${X:-0} + ${R:-0}))" = "$USED" -a "${F:-}" = "$FREE" -a "${FW:-}" = 0 -a "${K:-}" = 0
BLIND=$(sed -n 's/.*layer root: .*, \([0-9]*\) written blind.*/\1/p' <(debug vm1-m))
check "11: after a streak of chunks the disk lacked, the agent wrote blind (${BLIND:-?} written blind)" \
	test "${BLIND:-0}" -gt 0
check "11: free chunks still hold the old bytes" free_hold "$W/disk.img" 2 "$ROOT1" "$W/fill"
check "11: the root filesystem checks clean (e2fsck -fn)" part_fsck "$W/disk.img" 2 $((48 * MIB))
inventory "$ROOT1" wipe
kill -HUP "$LAB_SERVER"; sleep 2
mark
lab_vm vm1-n "$MAC" "$W/disk.img"
check "11: wipe=yes: deployment completes" grep -q "strata.efi: deployment complete" <(debug vm1-n)
read -r T K Z ZW F FW X R < <(root_counts vm1-n)
check "11: wipe=yes: every free chunk zeroed (${FW:-?} of $FREE), nothing fetched (${X:-?})" \
	test "${FW:-}" = "$FREE" -a "${X:-}" = 0
check "11: wipe=yes: the free chunks read as zeros from the host" free_hold "$W/disk.img" 2 "$ROOT1" zero
check "11: wipe=yes: the root partition equals its layer" part_equals "$W/disk.img" 2 "$W/root-v1.img"
check "11: wipe=yes: e2fsck -fn clean" part_fsck "$W/disk.img" 2 $((48 * MIB))
inventory "$ROOT1"
kill -HUP "$LAB_SERVER"; sleep 2
fi

# 5. OVMF's own PXE (snponly.efi over TFTP) on a fresh disk.
if want 5; then
truncate -s 0 "$W/disk2.img"; truncate -s 200M "$W/disk2.img"
mark
LAB_NIC_OPTS=",romfile=" lab_vm vm1-f "$MAC" "$W/disk2.img"
check "5: OVMF PXE + snponly.efi deploys" grep -q "strata.efi: deployment complete" <(debug vm1-f)
check "5: root equals its layer" part_equals "$W/disk2.img" 2 "$W/root-$CUR_ROOT.img"
fi

# 6. UEFI HTTP Boot: no iPXE at all.
if want 6; then
truncate -s 0 "$W/disk3.img"; truncate -s 200M "$W/disk3.img"
mark
LAB_NIC_OPTS=",romfile=" lab_vm vm1-g "$MAC" "$W/disk3.img" \
	-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
check "6: HTTP Boot: server taken from the boot URI" grep -q "server=http://$LAB_IP:80 (from boot URI)" <(debug vm1-g)
check "6: HTTP Boot: EFI_HTTP back-end" grep -q "using the efi-http back-end" <(debug vm1-g)
check "6: HTTP Boot deploys" grep -q "strata.efi: deployment complete" <(debug vm1-g)
check "6: root equals its layer" part_equals "$W/disk3.img" 2 "$W/root-$CUR_ROOT.img"
fi

finish
