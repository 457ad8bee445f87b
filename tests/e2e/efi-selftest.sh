#!/bin/bash
# strata.efi end to end in QEMU with OVMF (TCG: KVM does not work on these machines).
#
# The built strata.efi goes onto an ESP image as EFI/BOOT/BOOTX64.EFI, the firmware boots it
# from a virtio disk (as from a USB stick: no load options, no network), and the agent runs
# its start-up self-test, says plainly that it found no Strata server and wrote nothing, and
# returns to the firmware.  We read the clean log it writes to the debug port (-debugcon)
# and the console it mirrors to serial, and stop QEMU once the agent has handed back (the
# firmware then shows its boot menu, which would wait forever).
# A second boot runs a copy whose embedded manifest has one byte changed: it must report the
# failed signature check and still hand back, which shows both that the verify is real and
# that a failing agent ends the run instead of hanging.
#
# Usage: tests/e2e/efi-selftest.sh [BUILD_DIR]      (after `make`; about 10 s)
. "$(dirname "$0")/../lib/common.sh"
BUILD=${1:-build}
EFI=${STRATA_EFI:-$BUILD/efi/strata.efi}
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
# Hard limit per boot.  A good boot takes a few seconds under TCG; a firmware that falls
# through to its next boot option or a hung agent would otherwise never end.
BOOT_TIMEOUT=120
W=$(mktemp -d /tmp/strata-efi.XXXXXX)
BOOT_PID=
# The versions mk/deps.sh used, which the self-test line must name.
ZLIB_V=$(sed -n 's/^zlib //p' "$BUILD/src/versions" 2>/dev/null)
MBED_V=$(sed -n 's/^mbedtls //p' "$BUILD/src/versions" 2>/dev/null)
OK_LINE="strata.efi: self-test ok (zlib $ZLIB_V, mbedtls $MBED_V)"

# Stop a boot still running (timeout forwards the TERM to QEMU), then remove everything.
cleanup() {
	[ -n "$BOOT_PID" ] && kill "$BOOT_PID" 2>/dev/null && wait "$BOOT_PID" 2>/dev/null
	rm -rf "$W"
	rm -f "$T_OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# make_esp EFI_FILE IMAGE: a 16 MiB FAT image with EFI_FILE as the removable-media loader.
make_esp() {
	rm -f "$2"
	mkfs.vfat -C -n STRATA "$2" 16384 > /dev/null &&
	mmd -i "$2" ::/EFI ::/EFI/BOOT &&
	mcopy -i "$2" "$1" ::/EFI/BOOT/BOOTX64.EFI &&
	mdir -i "$2" ::/EFI/BOOT | grep -q BOOTX64
}

# boot NAME: boot $W/NAME.img with fresh firmware variables; logs in $W/NAME.*.
# Sets BOOT_RC (QEMU's status; 124 on timeout; "returned" once the agent handed the PC
# back to the firmware, when QEMU is stopped) and BOOT_SECS.
boot() {
	local start=$SECONDS
	cp "$OVMF_VARS" "$W/$1.vars.fd"
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -nodefaults -machine q35 -accel tcg -m 512 \
		-display none -no-reboot \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file="$W/$1.vars.fd" \
		-drive file="$W/$1.img",format=raw,if=none,id=d0 \
		-device virtio-blk-pci,drive=d0,bootindex=1 \
		-serial file:"$W/$1.serial" -monitor none -debugcon file:"$W/$1.debugcon" \
		> "$W/$1.qemu" 2>&1 &
	BOOT_PID=$!
	wait_vm "$BOOT_PID" "$W/$1.debugcon"
	BOOT_RC=$VM_WAIT
	BOOT_PID=
	BOOT_SECS=$((SECONDS - start))
	# The console log without CRs and terminal escapes (OVMF also sends ESC[=3h, a mode set).
	sed 's/\x1b\[[0-9;=?]*[a-zA-Z]//g; s/\r//g' "$W/$1.serial" > "$W/$1.console" 2>/dev/null
	echo "     ($1: QEMU status $BOOT_RC after ${BOOT_SECS} s)"
}

# has NAME LINE: the debugcon log of boot NAME holds exactly this line.
has() { grep -qxF "$2" "$W/$1.debugcon" || { tail -n 20 "$W/$1.debugcon"; return 1; }; }
hasnt() { [ -s "$W/$1.debugcon" ] && ! grep -qF "$2" "$W/$1.debugcon"; }
returned() { [ "$BOOT_RC" = returned ] || { cat "$W/$1.qemu"; return 1; }; }

# tamper SRC DST: copy strata.efi with one byte of its embedded signed manifest changed.
tamper() {
	local off
	off=$(grep -obUaF 'machine efi-selftest' "$1" | cut -d: -f1)
	[ "$(printf '%s\n' "$off" | grep -c .)" = 1 ] || { echo "manifest text found ${off:-0 times}"; return 1; }
	cp "$1" "$2" && printf 'X' | dd of="$2" bs=1 seek=$((off + 19)) conv=notrunc 2>/dev/null
	! cmp -s "$1" "$2"
}

prereqs() {
	local missing=
	for t in qemu-system-x86_64 mkfs.vfat mmd mcopy timeout; do
		command -v "$t" > /dev/null || missing="$missing $t"
	done
	for f in "$OVMF_CODE" "$OVMF_VARS" "$EFI"; do
		[ -f "$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] || { echo "missing:$missing (run make, and make deps as root)"; return 1; }
}

check "prerequisites (qemu, OVMF, mtools, $EFI)" prereqs
# Without them every boot would only wait out its timeout.
[ "$T_FAIL" = 0 ] || { finish; exit 1; }
check "ESP image with EFI/BOOT/BOOTX64.EFI" make_esp "$EFI" "$W/good.img"

sha256sum < "$W/good.img" > "$W/good.before"
boot good
check "good: handed back to the firmware by itself (no timeout)" returned good
check "good: banner on the debug port" grep -q '^strata.efi: Strata UEFI agent on ' "$W/good.debugcon"
for step in sha256 inflate manifest index layer capture; do
	check "good: self-test step $step ok" has good "selftest: $step ok"
done
check "good: versions built from are known ($BUILD/src/versions)" test -n "$ZLIB_V" -a -n "$MBED_V"
check "good: self-test ok line names zlib $ZLIB_V and mbedtls $MBED_V" has good "$OK_LINE"
check "good: no error lines" hasnt good "error:"
check "good: console mirrored to serial" grep -qxF "$OK_LINE" "$W/good.console"
check "good: says no server was found and nothing was written" has good \
	"strata.efi: no Strata server: not started by a network boot and no server= given; nothing was written"
check "good: returns to the firmware, no power-off" hasnt good "powering off"
check "good: the disk it booted from is untouched" sh -c 'sha256sum < "$1" | cmp -s - "$2"' sh "$W/good.img" "$W/good.before"

check "tampered copy: one manifest byte changed" tamper "$EFI" "$W/tampered.efi"
check "tampered: ESP image" make_esp "$W/tampered.efi" "$W/tampered.img"
boot tampered
check "tampered: handed back to the firmware by itself" returned tampered
check "tampered: signature failure reported" \
	has tampered "error: selftest: manifest: manifest signature does not verify [bad signature]"
check "tampered: self-test FAILED line" has tampered "strata.efi: self-test FAILED [bad signature]"
check "tampered: no self-test ok line" hasnt tampered "self-test ok"

finish
