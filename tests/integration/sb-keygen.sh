#!/bin/bash
# strata-image sb keygen: the lab's PK, KEK and db keys (RSA-2048, self-signed, 0600),
# their signature lists (read back with efitools' sig-list-to-certs), db keeping the two
# Microsoft certificates of Debian's OVMF_VARS_4M.ms.fd unless --own-keys-only (which
# warns), and the signed payloads checked apart from efitools by tests/tools/efi_auth.py
# (PK and KEK signed by PK, db by KEK, no ContentInfo wrapper, a flipped byte refused).
# A second run into the same folder, and an --ms-vars file with no variable store, are
# refused naming the file.  Enrollment in firmware is tests/e2e/secure-boot.sh's.
. "$(dirname "$0")/../lib/common.sh"
SI=${STRATA_IMAGE:-build/san/strata-image}
need_tools openssl sig-list-to-certs sign-efi-sig-list python3
need_built "$SI"
W=$(mktemp -d /tmp/strata-sbkeys.XXXXXX)
rm_on_exit "$W"
AUTH="python3 tests/tools/efi_auth.py"

check "sb keygen --help" sh -c "'$SI' sb keygen --help | grep -q -- --own-keys-only"
check "sb keygen makes the keys" sh -c "'$SI' sb keygen '$W/k' 2>'$W/k.log'"
for k in PK KEK db; do
	check "$k: RSA-2048, CN 'Strata lab $k', private key 0600" bash -c "
		openssl x509 -in '$W/k/$k.crt' -noout -subject | grep -q 'CN = Strata lab $k\$' &&
		openssl x509 -in '$W/k/$k.crt' -noout -text | grep -q 'Public-Key: (2048 bit)' &&
		test \"\$(stat -c %a '$W/k/$k.key')\" = 600 &&
		cmp -s <(openssl x509 -in '$W/k/$k.crt' -outform DER) '$W/k/$k.cer'"
done
certs() { rm -rf "$W/c" && mkdir "$W/c" && (cd "$W/c" && sig-list-to-certs "$1" c >/dev/null) && ls "$W/c" | wc -l; }
check "db.esl: the lab's db and Microsoft's two ($(certs "$W/k/db.esl") certificates)" test "$(certs "$W/k/db.esl")" = 3
check "db.esl: Microsoft's UEFI CA kept" sh -c "for f in '$W'/c/*; do openssl x509 -inform DER -in \$f -noout -subject; done | grep -q 'Microsoft Corporation UEFI CA 2011'"
check "keygen printed what db keeps" grep -q "kept in db: .*Microsoft Corporation UEFI CA 2011" "$W/k.log"
check "PK.auth: signed by PK, no ContentInfo" $AUTH PK "$W/k/PK.auth" "$W/k/PK.crt"
check "KEK.auth: signed by PK" $AUTH KEK "$W/k/KEK.auth" "$W/k/PK.crt"
check "db.auth: signed by KEK" $AUTH db "$W/k/db.auth" "$W/k/KEK.crt"
check_not "db.auth: not signed by PK" $AUTH db "$W/k/db.auth" "$W/k/PK.crt"
cp "$W/k/KEK.auth" "$W/flip.auth"
flip_bit "$W/flip.auth" $(($(stat -c %s "$W/flip.auth") - 40))
check_not "a flipped byte in KEK.auth's value is refused" $AUTH KEK "$W/flip.auth" "$W/k/PK.crt"
check "noPK.auth: an empty PK, signed by PK" $AUTH PK "$W/k/noPK.auth" "$W/k/PK.crt"
check "a second run into the folder is refused" sh -c "! '$SI' sb keygen '$W/k' 2>'$W/again.log' && grep -q 'already holds keys' '$W/again.log'"
check "--own-keys-only warns" sh -c "'$SI' sb keygen --own-keys-only --name 'Room 7' '$W/o' 2>&1 | grep -q 'WARNING: --own-keys-only'"
check "--own-keys-only: db holds the lab's certificate only" test "$(certs "$W/o/db.esl")" = 1
check "--name: 'Room 7 db'" sh -c "openssl x509 -in '$W/o/db.crt' -noout -subject | grep -q 'CN = Room 7 db'"
head -c 65536 /dev/zero > "$W/novars.fd"
check "--ms-vars with no variable store: refused naming it" sh -c "! '$SI' sb keygen --ms-vars '$W/novars.fd' '$W/n' 2>'$W/n.log' && grep -q '$W/novars.fd: db: no EDK II variable store header' '$W/n.log'"
finish
