/* The PC's Secure Boot state (see sb_state.h). */
#include <efi.h>
#include <efilib.h>
#include "sb_state.h"

/* A one-byte global variable's value; 0 when the firmware has none or it is malformed. */
static UINT8 global_u8(CHAR16 *name)
{
	UINT8 v = 0;
	UINTN size = sizeof(v);
	EFI_GUID global = EFI_GLOBAL_VARIABLE;
	EFI_STATUS s = RT->GetVariable(name, &global, NULL, &size, &v);

	return EFI_ERROR(s) || size != 1 ? 0 : v;
}

enum sb_state sb_state_read(void)
{
	if (global_u8(L"SetupMode") == 1)
		return SB_SETUP;
	return global_u8(L"SecureBoot") == 1 ? SB_ENFORCING : SB_OFF;
}

const char *sb_state_name(enum sb_state s)
{
	return s == SB_ENFORCING ? "enforcing" : s == SB_SETUP ? "setup" : "off";
}
