/*
 * The machine's own key pair (ECDSA P-256), made on its first deployment and kept in a
 * boot-services-only NV variable (nvram.h), with which it proves to the server that it is
 * the PC whose key was pinned (docs/security.md, "Machine keys").
 *
 * One key per run, held in this module's static state from machine_key_load on; signing
 * uses a HMAC_DRBG seeded from rng.h (deterministic ECDSA, RFC 6979, with that DRBG only
 * blinding), so a weak moment of the randomness source cannot leak the key.
 */
#ifndef STRATA_EFI_MACHINE_KEY_H
#define STRATA_EFI_MACHINE_KEY_H

#include <stddef.h>
#include <stdint.h>
#include "key_reg.h"

/**
 * Open a randomness source (refusing to go on without one), then read the key from NVRAM,
 * or make one and store it when there is none.  Logs the source and the key's
 * fingerprint.  pub (the caller's) gets the uncompressed public point.  0, STRATA_ENOTSUP
 * without randomness, or another rc (logged).
 */
int machine_key_load(uint8_t pub[STRATA_KEY_PUB_LEN]);

/**
 * Sign digest with the loaded key: a DER signature into sig (room for STRATA_KEY_SIG_MAX,
 * the caller's), its length into *len.  0 or an rc.
 */
int machine_key_sign(const uint8_t digest[32], uint8_t sig[STRATA_KEY_SIG_MAX], size_t *len);

/**
 * Random bytes from the loaded key's DRBG, in core/crypto.h's strata_rng_fn shape (ctx
 * unused): this boot's ephemeral session key and the blinding of its ECDH.  Non-zero
 * when no key is loaded or the DRBG failed.
 */
int machine_key_rng(void *ctx, unsigned char *out, size_t len);

/**
 * Forget the key and the DRBG (mbedTLS wipes both), so the private scalar does not stay in
 * memory that the OS inherits after the agent hands over.  Safe to call more than once.
 */
void machine_key_unload(void);

#endif /* STRATA_EFI_MACHINE_KEY_H */
