#!/bin/bash
# make SB_KEY=... SB_CERT=... (mk/sb.mk): the boot folder a server serves, signed with a lab
# key made here by `strata-image sb keygen`, written into a folder of this test's own
# (BOOT_OUT=), so the build's build/boot and build/efi are left alone.  strata.efi,
# strata-enroll.efi, snponly.efi and ipxe.efi each verify with the key's certificate
# (sbverify --cert) and not with another lab's; no EFI image in the folder is unsigned,
# and none is left when signing fails (a certificate that is not the key's); the payloads
# are there; build/efi's images stay unsigned; a missing SB_KEY or SB_CERT file, or only
# one of the two, stops make naming the file and the fix.  Firmware's view of these
# signatures is tests/e2e/secure-boot.sh's.
. "$(dirname "$0")/../lib/common.sh"
BUILD=$(build_dir "${1:-}")
SI=${STRATA_IMAGE:-$BUILD/san/strata-image}
need_tools make sbsign sbverify openssl sign-efi-sig-list
need_built "$SI" "$BUILD/efi/strata.efi" "$BUILD/efi/strata-enroll.efi"
W=$(mktemp -d /tmp/strata-sbsign.XXXXXX)
rm_on_exit "$W"
EFIS="strata.efi strata-enroll.efi snponly.efi ipxe.efi"

# mk OUT [VAR=VALUE...]: make's boot folder into OUT; its output in OUT.log.
mk() {
	local out=$1
	shift
	make --no-print-directory BUILD="$BUILD" BOOT_OUT="$out" "$@" boot >"$out.log" 2>&1
}
# signed_by CERT DIR: every EFI image of DIR verifies with CERT.
signed_by() {
	local f
	for f in $EFIS; do
		sbverify --cert "$1" "$2/$f" >/dev/null 2>&1 || { echo "$2/$f: not signed by $1"; return 1; }
	done
}
# none_unsigned DIR: no .efi file of DIR (nor a .tmp) lacks a signature.
none_unsigned() {
	local f
	for f in "$1"/*.efi "$1"/*.tmp; do
		[ -e "$f" ] || continue
		sbverify --list "$f" 2>/dev/null | grep -q '^signature 1' || { echo "$f: unsigned"; return 1; }
	done
}

"$SI" sb keygen "$W/k" >/dev/null 2>&1
"$SI" sb keygen --own-keys-only "$W/other" >/dev/null 2>&1
check "the lab's keys (sb keygen)" test -s "$W/k/db.key" -a -s "$W/other/db.crt"
efi_sum=$(cat "$BUILD/efi/strata.efi" "$BUILD/efi/strata-enroll.efi" | sha256sum)
boot_sum=$(cat "$BUILD"/boot/* 2>/dev/null | sha256sum)

t0=$(now_ms)
check "make SB_KEY= SB_CERT= BOOT_OUT= boot" mk "$W/boot" SB_KEY="$W/k/db.key" SB_CERT="$W/k/db.crt"
echo "  ($(($(now_ms) - t0)) ms)"
for f in $EFIS; do
	check "$f: signed with the lab's db key (sbverify --cert db.crt)" \
		sbverify --cert "$W/k/db.crt" "$W/boot/$f"
	check_not "$f: not with another lab's" sbverify --cert "$W/other/db.crt" "$W/boot/$f"
done
check "no unsigned EFI image in the folder" none_unsigned "$W/boot"
check "undionly.kpxe (BIOS) and the payloads db.auth, KEK.auth, PK.auth beside them" sh -c "
	cmp -s /usr/lib/ipxe/undionly.kpxe '$W/boot/undionly.kpxe' &&
	for a in db KEK PK; do cmp -s '$W/k/'\$a.auth '$W/boot/'\$a.auth || exit 1; done"
check "strata.efi: the build's image, signed (same bytes once the signature is removed)" sh -c "
	cp '$W/boot/strata.efi' '$W/s.efi' && sbattach --remove '$W/s.efi' >/dev/null &&
	cmp -s '$W/s.efi' '$BUILD/efi/strata.efi'"
check "build/efi's images untouched and unsigned" sh -c "
	test \"\$(cat '$BUILD/efi/strata.efi' '$BUILD/efi/strata-enroll.efi' | sha256sum)\" = '$efi_sum' &&
	! sbverify --list '$BUILD/efi/strata.efi' 2>/dev/null | grep -q '^signature 1'"
check "build/boot untouched" test "$(cat "$BUILD"/boot/* 2>/dev/null | sha256sum)" = "$boot_sum"
stamps() { stat -c '%n %Y.%y' "$W/boot"/*; }
before=$(stamps)
sleep 1
check "a second make with the same key rewrites nothing" sh -c "
	make --no-print-directory BUILD='$BUILD' BOOT_OUT='$W/boot' SB_KEY='$W/k/db.key' SB_CERT='$W/k/db.crt' boot >/dev/null 2>&1 &&
	test \"\$(stat -c '%n %Y.%y' '$W/boot'/*)\" = '$before'"

# Another key: every image is signed again with it.
check "another key re-signs the folder" mk "$W/boot" SB_KEY="$W/other/db.key" SB_CERT="$W/other/db.crt"
check "  every image now verifies with the other lab's certificate" signed_by "$W/other/db.crt" "$W/boot"
# A certificate that is not the key's: make fails and serves nothing unsigned.
check_not "a certificate that is not the key's: make fails" \
	mk "$W/bad" SB_KEY="$W/k/db.key" SB_CERT="$W/other/db.crt"
# verified_only CERT DIR: every .efi (or .tmp) file left in DIR verifies with CERT.
verified_only() {
	local f
	for f in "$2"/*.efi "$2"/*.tmp; do
		[ -e "$f" ] || continue
		sbverify --cert "$1" "$f" >/dev/null 2>&1 || { echo "$f: left, not signed by $1"; return 1; }
	done
}
check "  and leaves no EFI image that is unsigned or does not verify" verified_only "$W/other/db.crt" "$W/bad"
# Without a key: the same folder, unsigned (what a lab without Secure Boot serves).
check "without a key: the same files, unsigned" sh -c "
	make --no-print-directory BUILD='$BUILD' BOOT_OUT='$W/plain' boot >'$W/plain.log' 2>&1 &&
	cmp -s '$W/plain/strata.efi' '$BUILD/efi/strata.efi' && cmp -s '$W/plain/ipxe.efi' /usr/lib/ipxe/ipxe.efi"

# Mistakes stop make before it writes anything, naming the file and the fix.
check_not "SB_KEY naming no file: make fails" mk "$W/nokey" SB_KEY="$W/k/nope.key" SB_CERT="$W/k/db.crt"
check "  saying which file and how to make it" grep -q "SB_KEY=$W/k/nope.key: no such file; make the lab's keys with .strata-image sb keygen DIR." "$W/nokey.log"
check "  and writes no folder" test ! -e "$W/nokey"
check_not "SB_CERT naming no file: make fails" mk "$W/nocert" SB_KEY="$W/k/db.key" SB_CERT="$W/k/nope.crt"
check "  saying which file" grep -q "SB_CERT=$W/k/nope.crt: no such file" "$W/nocert.log"
check_not "SB_KEY without SB_CERT: make fails" mk "$W/half" SB_KEY="$W/k/db.key"
check "  saying both are needed" grep -q "SB_KEY is set but not SB_CERT: give both" "$W/half.log"
finish
