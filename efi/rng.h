/*
 * Randomness for strata.efi's machine key: the firmware's EFI_RNG_PROTOCOL, or the CPU's
 * RDSEED, or its RDRAND, in that order of preference.  With none of them the agent refuses
 * to make or use a key: there is no honest way to fake randomness in firmware (a clock or
 * a counter would give every PC of a lab a guessable key).
 */
#ifndef STRATA_EFI_RNG_H
#define STRATA_EFI_RNG_H

#include <stddef.h>
#include <stdint.h>

/** Where random bytes come from. */
enum rng_source {
	RNG_NONE = 0,
	RNG_EFI,          /**< EFI_RNG_PROTOCOL (OVMF with a virtio-rng device, most PCs) */
	RNG_RDSEED,       /**< the CPU's entropy source */
	RNG_RDRAND,       /**< the CPU's DRBG, reseeded by its entropy source */
};

/**
 * Pick the best source this machine has and remember it for rng_read.  0, or
 * STRATA_ENOTSUP when there is none (logged).
 */
int rng_open(void);

/** The source rng_open picked, as a name for the log ("EFI_RNG_PROTOCOL", ...). */
const char *rng_source_name(void);

/** Fill buf (n bytes, the caller's) from the source.  0, or STRATA_EIO (logged). */
int rng_read(uint8_t *buf, size_t n);

/**
 * The same, in mbedTLS's entropy-callback form (ctx unused), to seed its DRBG.  0 or
 * -1 on failure, as mbedTLS expects.
 */
int rng_entropy(void *ctx, unsigned char *buf, size_t n);

#endif /* STRATA_EFI_RNG_H */
