/*
 * strata-enroll.efi: enroll the lab's Secure Boot keys on a PC in setup mode, once.
 *
 * A short list of named steps: check that the PC is in setup mode (no PK: the firmware
 * then runs unsigned images and takes db, KEK and PK without a PK's signature), read the
 * three signed payloads `strata-image sb keygen` made (payload.c: from strata-server's
 * boot folder, or next to this file), write db, then KEK, then PK (writing PK ends setup
 * mode, so it goes last), check that setup mode ended, and reset: the PC comes back
 * enforcing the lab's keys.  Nothing is written unless all three payloads were read.
 * It shares strata.efi's build rules and glue (log, rc, clock, network: mk/efi.mk).
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include "alloc.h"
#include "clock.h"
#include "efi_rc.h"
#include "log.h"
#include "payload.h"
#include "rc.h"
#include "sb_state.h"

/** How long a refusal stays on screen before the PC goes back to its firmware (ms). */
#define FAIL_WAIT_MS 10000

/** NV, BS, RT and time-based authenticated writes: what db, KEK and PK carry. */
#define SB_VAR_ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | \
		      EFI_VARIABLE_RUNTIME_ACCESS | \
		      EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS)

/** The three variables, in the order they are written. */
static const struct {
	const char *file;
	CHAR16 *name;
	EFI_GUID guid;
} vars[] = {
	{ "db.auth", L"db", { 0xd719b2cb, 0x3d3a, 0x4596,
			      { 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f } } },
	{ "KEK.auth", L"KEK", EFI_GLOBAL_VARIABLE },
	{ "PK.auth", L"PK", EFI_GLOBAL_VARIABLE },
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

/** The payloads read, owned here until written. */
static struct {
	uint8_t *buf;
	size_t len;
} payload[NVARS];

/* Setup mode or nothing: a PC with a PK would refuse the writes (or, worse, take a db
 * signed by a KEK it already trusts), and the lab's keys would be half there. */
static int check_setup_mode(void)
{
	enum sb_state s = sb_state_read();

	log_msg("strata-enroll.efi: secure boot: %s", sb_state_name(s));
	if (s == SB_SETUP)
		return 0;
	return log_fail(STRATA_EACCES, "strata-enroll.efi: this PC is not in setup mode (it has "
			"a PK); in its firmware menu, clear or delete the Secure Boot keys (setup "
			"mode), then boot this again; nothing was written");
}

/* Read all three before writing any. */
static int read_all(EFI_HANDLE image)
{
	int rc = payload_open(image);

	for (size_t i = 0; !rc && i < NVARS; i++) {
		rc = payload_read(vars[i].file, &payload[i].buf, &payload[i].len);
		if (!rc)
			log_msg("strata-enroll.efi: %s: %u bytes", vars[i].file,
				(unsigned int)payload[i].len);
	}
	payload_close();
	return rc;
}

/* Write db, KEK, PK in that order; the first refusal stops (the firmware names why). */
static int write_all(void)
{
	for (size_t i = 0; i < NVARS; i++) {
		EFI_GUID g = vars[i].guid;
		EFI_STATUS s = RT->SetVariable(vars[i].name, &g, SB_VAR_ATTRS, payload[i].len,
					       payload[i].buf);

		if (EFI_ERROR(s))
			return log_fail(efi_rc(s), "strata-enroll.efi: the firmware refused %s "
					"(%s): a payload not made for this variable, or signed by "
					"another key", vars[i].file, efi_status_name(s));
		log_msg("strata-enroll.efi: wrote %s", vars[i].file);
	}
	return 0;
}

static int run(EFI_HANDLE image)
{
	int rc = check_setup_mode();

	if (!rc)
		rc = read_all(image);
	if (!rc)
		rc = write_all();
	if (!rc && sb_state_read() == SB_SETUP)
		rc = log_fail(STRATA_EIO, "strata-enroll.efi: PK written but the PC is still in "
			      "setup mode");
	for (size_t i = 0; i < NVARS; i++)
		strata_free(payload[i].buf);
	return rc;
}

/* No gnu-efi header declares the entry point; crt0 calls it by name. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

/*
 * Enroll, then reset so the PC comes back enforcing (QEMU's -no-reboot ends there).  On a
 * failure, leave the reason on screen and hand back to the firmware.
 */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	int rc;

	InitializeLib(image, systab);
	log_init();
	clock_init();
	BS->SetWatchdogTimer(0, 0, 0, NULL);
	log_msg("strata-enroll.efi: enrolling the lab's Secure Boot keys (db, KEK, PK)");
	rc = run(image);
	if (rc) {
		log_msg("strata-enroll.efi: FAILED [%s]", strata_strerror(rc));
		clock_sleep_ms(FAIL_WAIT_MS);
		return efi_status_from_rc(rc);
	}
	log_msg("strata-enroll.efi: enrolled: setup mode has ended; from the next boot this PC "
		"enforces Secure Boot with the lab's keys; rebooting");
	RT->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, NULL);
	return EFI_SUCCESS;
}
