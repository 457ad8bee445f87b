/*
 * EFI_MP_SERVICES_PROTOCOL (UEFI PI specification, volume 2, "MP Services Protocol"):
 * gnu-efi 3.0.15 has no definition of it, so strata.efi declares the part it calls.
 * The layout is the specification's, member for member; only the services it uses are
 * typed in full.
 */
#ifndef STRATA_EFI_MP_SERVICES_H
#define STRATA_EFI_MP_SERVICES_H

#include <efi.h>

#define STRATA_MP_SERVICES_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

/** What an application processor runs; it may not call boot services. */
typedef VOID (EFIAPI *STRATA_AP_PROCEDURE)(VOID *arg);

typedef struct strata_mp_services STRATA_MP_SERVICES;

struct strata_mp_services {
	EFI_STATUS (EFIAPI *GetNumberOfProcessors)(STRATA_MP_SERVICES *This, UINTN *total,
						   UINTN *enabled);
	VOID *GetProcessorInfo;
	VOID *StartupAllAPs;
	/** With wait non-NULL it returns at once and signals wait when proc returned. */
	EFI_STATUS (EFIAPI *StartupThisAP)(STRATA_MP_SERVICES *This, STRATA_AP_PROCEDURE proc,
					   UINTN cpu, EFI_EVENT wait, UINTN timeout_us,
					   VOID *arg, BOOLEAN *finished);
	VOID *SwitchBSP;
	VOID *EnableDisableAP;
	EFI_STATUS (EFIAPI *WhoAmI)(STRATA_MP_SERVICES *This, UINTN *cpu);
};

#endif /* STRATA_EFI_MP_SERVICES_H */
