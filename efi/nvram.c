/* Strata's non-volatile variables (see nvram.h). */
#include <efi.h>
#include <efilib.h>
#include "efi_rc.h"
#include "log.h"
#include "nvram.h"
#include "rc.h"

/** Strata's vendor GUID for its variables (random, fixed). */
static EFI_GUID strata_vendor = { 0x5f2a6c1e, 0x3b7d, 0x4e91,
				  { 0x9a, 0x4c, 0x2d, 0x81, 0x6f, 0x0b, 0x7e, 0x33 } };

static CHAR16 var_name[] = L"StrataManifestVersion";
static CHAR16 key_name[] = L"StrataMachineKey";

/** Non-volatile, boot services only: no EFI_VARIABLE_RUNTIME_ACCESS, ever. */
#define STRATA_VAR_ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS)

/*
 * A variable of ours with other attributes or size than strata.efi writes was planted (the
 * OS can create NV|BS|RT variables, never see ours): delete it, so the agent can write its
 * own.  Logs it, naming the variable.
 */
static void delete_planted(CHAR16 *name, const char *what, UINT32 attr, UINTN size)
{
	log_msg("%s: the variable is not one strata.efi wrote (attributes 0x%x, %u bytes): "
		"deleting it", what, attr, (unsigned int)size);
	RT->SetVariable(name, &strata_vendor, 0, 0, NULL);
}

uint64_t nvram_last_version(void)
{
	uint64_t v = 0;
	UINTN size = sizeof(v) + 1;
	UINT8 buf[sizeof(v) + 1];
	UINT32 attr = 0;
	EFI_STATUS s = RT->GetVariable(var_name, &strata_vendor, &attr, &size, buf);

	if (s == EFI_BUFFER_TOO_SMALL || (!EFI_ERROR(s) && (size != sizeof(v) ||
							    attr != STRATA_VAR_ATTRS)))
		delete_planted(var_name, "rollback counter", attr, size);
	else if (!EFI_ERROR(s))
		CopyMem(&v, buf, sizeof(v));
	return v;
}

int nvram_set_last_version(uint64_t version)
{
	EFI_STATUS s = RT->SetVariable(var_name, &strata_vendor, STRATA_VAR_ATTRS,
				       sizeof(version), &version);

	return EFI_ERROR(s) ? efi_fail(s, "SetVariable StrataManifestVersion") : 0;
}

int nvram_machine_key(uint8_t d[NVRAM_KEY_LEN])
{
	uint8_t buf[NVRAM_KEY_LEN + 1];
	UINTN size = sizeof(buf);
	UINT32 attr = 0;
	EFI_STATUS s = RT->GetVariable(key_name, &strata_vendor, &attr, &size, buf);

	if (s == EFI_NOT_FOUND)
		return STRATA_ENOENT;
	/* A read that failed says nothing of the key: never replace a pinned key for it. */
	if (EFI_ERROR(s) && s != EFI_BUFFER_TOO_SMALL)
		return efi_fail(s, "GetVariable StrataMachineKey");
	if (!EFI_ERROR(s) && size == NVRAM_KEY_LEN && attr == STRATA_VAR_ATTRS) {
		CopyMem(d, buf, NVRAM_KEY_LEN);
		SetMem(buf, sizeof(buf), 0);
		return 0;
	}
	SetMem(buf, sizeof(buf), 0);
	delete_planted(key_name, "machine key", attr, size);
	return STRATA_ENOENT;
}

int nvram_set_machine_key(const uint8_t d[NVRAM_KEY_LEN])
{
	EFI_STATUS s = RT->SetVariable(key_name, &strata_vendor, STRATA_VAR_ATTRS, NVRAM_KEY_LEN,
				       (void *)d);

	return EFI_ERROR(s) ? efi_fail(s, "SetVariable StrataMachineKey") : 0;
}
