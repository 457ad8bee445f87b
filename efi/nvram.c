/* The last applied manifest version in an NV variable (see nvram.h). */
#include <efi.h>
#include <efilib.h>
#include "efi_rc.h"
#include "nvram.h"

/** Strata's vendor GUID for its variables (random, fixed). */
static EFI_GUID strata_vendor = { 0x5f2a6c1e, 0x3b7d, 0x4e91,
				  { 0x9a, 0x4c, 0x2d, 0x81, 0x6f, 0x0b, 0x7e, 0x33 } };

static CHAR16 var_name[] = L"StrataManifestVersion";

uint64_t nvram_last_version(void)
{
	uint64_t v = 0;
	UINTN size = sizeof(v);
	UINT32 attr;

	if (EFI_ERROR(RT->GetVariable(var_name, &strata_vendor, &attr, &size, &v)) ||
	    size != sizeof(v))
		return 0;
	return v;
}

int nvram_set_last_version(uint64_t version)
{
	EFI_STATUS s = RT->SetVariable(var_name, &strata_vendor,
				       EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS,
				       sizeof(version), &version);

	return EFI_ERROR(s) ? efi_fail(s, "SetVariable StrataManifestVersion") : 0;
}
