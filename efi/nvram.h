/*
 * The agent's memory across boots, in non-volatile UEFI variables under Strata's vendor
 * GUID, all boot-services-only (NV|BS, never RT): the OS cannot read or change them through
 * the firmware once ExitBootServices has run.
 * - the version of the last manifest it applied, so an old (validly signed) manifest cannot
 *   be replayed to roll the machine back;
 * - the machine key's private scalar (machine_key.c), which docs/security.md says what
 *   this does and does not protect.
 */
#ifndef STRATA_EFI_NVRAM_H
#define STRATA_EFI_NVRAM_H

#include <stdint.h>

/** The last applied version, or 0 when none was recorded.  A variable of that name that
 *  strata.efi did not write (other attributes or size: planted by the OS before the first
 *  deployment) is deleted and read as 0, so it cannot make every manifest look old. */
uint64_t nvram_last_version(void);

/** Record version as applied.  0, or an rc when the firmware refuses (logged). */
int nvram_set_last_version(uint64_t version);

/** Size of the stored machine key: a P-256 private scalar. */
#define NVRAM_KEY_LEN 32

/**
 * Read the machine key into d (the caller's).  0; STRATA_ENOENT when there is none or the
 * variable cannot be trusted (wrong size, or attributes other than NV|BS: a variable with
 * runtime access could have been planted or read by the OS); such a variable is deleted
 * first (logged) so a new key can take its place.  Any other failed read returns its rc:
 * the key may be there, and replacing it would lock the machine out.
 */
int nvram_machine_key(uint8_t d[NVRAM_KEY_LEN]);

/** Store d (borrowed) as the machine key, NV|BS.  0, or an rc (logged). */
int nvram_set_machine_key(const uint8_t d[NVRAM_KEY_LEN]);

#endif /* STRATA_EFI_NVRAM_H */
