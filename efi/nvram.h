/*
 * The agent's memory across boots: the version of the last manifest it applied, kept in a
 * non-volatile UEFI variable, so an old (validly signed) manifest cannot be replayed to
 * roll the machine back.
 */
#ifndef STRATA_EFI_NVRAM_H
#define STRATA_EFI_NVRAM_H

#include <stdint.h>

/** The last applied version, or 0 when none was recorded. */
uint64_t nvram_last_version(void);

/** Record version as applied.  0, or an rc when the firmware refuses (logged). */
int nvram_set_last_version(uint64_t version);

#endif /* STRATA_EFI_NVRAM_H */
