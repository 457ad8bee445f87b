/*
 * The boundary between UEFI's EFI_STATUS and Strata's int rc (core/rc.h).
 *
 * Why one place: every module under efi/ calls firmware, and each would otherwise invent its
 * own idea of which EFI error is "not found" or "I/O".  efi/rc.c holds the one table; code
 * outside efi/ never sees an EFI_STATUS.
 */
#ifndef STRATA_EFI_RC_H
#define STRATA_EFI_RC_H

#include <efi.h>

/**
 * Strata's rc for a firmware status: 0 for EFI_SUCCESS and for warnings (the high bit
 * clear: the call did its job with a remark), else a STRATA_E* code; a status the table
 * does not know becomes STRATA_EIO.
 */
int efi_rc(EFI_STATUS status);

/**
 * The firmware status for a Strata rc, for what strata.efi hands back to its caller: iPXE
 * and the firmware print a failed image's status, so it should say roughly what went wrong.
 */
EFI_STATUS efi_status_from_rc(int rc);

/** The status's name as the UEFI spec spells it ("EFI_NOT_FOUND"), for messages.  Static. */
const char *efi_status_name(EFI_STATUS status);

/**
 * Log "<what>: <status name>" and return efi_rc(status), so a failure site is one line:
 * `if (EFI_ERROR(s)) return efi_fail(s, "BlockIo WriteBlocks");`.
 */
int efi_fail(EFI_STATUS status, const char *what);

#endif /* STRATA_EFI_RC_H */
