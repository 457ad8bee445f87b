/*
 * strata.efi's arguments as the firmware hands them over (see args.h for what they mean):
 * the image's LoadOptions and, when they name no server, the boot URI in its device path.
 */
#ifndef STRATA_EFI_ARGS_LOAD_H
#define STRATA_EFI_ARGS_LOAD_H

#include <efi.h>
#include "args.h"

/**
 * Fill a from the image's LoadOptions and, when they name no server, from the boot URI.
 * A build may carry fallback options (mk/efi.mk's strata-fetchtest.efi) used when the
 * firmware passed none.  Logs what it found (never the token) and every failure.
 * Returns 0, STRATA_EINVAL or STRATA_ERANGE.
 */
int args_load(struct args *a, EFI_HANDLE image);

#endif /* STRATA_EFI_ARGS_LOAD_H */
