/*
 * strata.efi's entry point: a short list of named steps.
 *
 * Today the agent proves its own build (selftest.c) and powers off.  The deployment steps
 * (find the target disk, fetch and verify the manifest, apply layers) will slot in between
 * the self-test and the power-off.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include "efi_rc.h"
#include "log.h"
#include "rc.h"
#include "selftest.h"

/* Copy a UCS-2 firmware string into ASCII for the log; anything else becomes '?'. */
static void ascii_from_ucs2(char *out, size_t cap, const CHAR16 *in)
{
	size_t n = 0;

	while (in && in[n] && n + 1 < cap) {
		out[n] = in[n] >= 0x20 && in[n] < 0x7f ? (char)in[n] : '?';
		n++;
	}
	out[n] = '\0';
}

/* Who we are and what we run on: the first line of every log. */
static void banner(void)
{
	char vendor[64];

	ascii_from_ucs2(vendor, sizeof(vendor), ST->FirmwareVendor);
	log_msg("strata.efi: Strata UEFI agent on %s firmware rev 0x%x, UEFI %u.%u", vendor,
		ST->FirmwareRevision, ST->Hdr.Revision >> 16, ST->Hdr.Revision & 0xffff);
}

/*
 * The firmware arms a 5-minute watchdog before it starts a boot option (UEFI spec,
 * SetWatchdogTimer), and iPXE re-arms it only while its own loop runs: a long deployment
 * would reset the machine mid-write.  Failing to disarm is logged, not fatal.
 */
static void watchdog_disable(void)
{
	EFI_STATUS s = BS->SetWatchdogTimer(0, 0, 0, NULL);

	if (EFI_ERROR(s))
		efi_fail(s, "SetWatchdogTimer (disable)");
}

/* End the run.  EfiResetShutdown makes QEMU exit with status 0, which tests rely on. */
static void power_off(int rc)
{
	log_msg("strata.efi: powering off");
	RT->ResetSystem(EfiResetShutdown, efi_status_from_rc(rc), 0, NULL);
}

/* No gnu-efi header declares the entry point; crt0 calls it by name. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

/*
 * Called by gnu-efi's crt0 after relocation, with the SysV calling convention: it must not
 * be EFIAPI.  Returns (the outcome, as a status) only if the firmware ignores the shutdown.
 */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	int rc;

	InitializeLib(image, systab);
	log_init();
	watchdog_disable();
	banner();
	rc = selftest_run();
	if (rc)
		log_msg("strata.efi: self-test FAILED [%s]", strata_strerror(rc));
	else
		log_msg("strata.efi: self-test ok");
	power_off(rc);
	return efi_status_from_rc(rc);
}
