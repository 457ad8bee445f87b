/*
 * What a machine signs to register its key (docs/security.md, "Machine keys"): shared by
 * strata.efi, which signs it, and strata-server, which checks it, so the two cannot drift.
 *
 * The digest is SHA-256 of STRATA_KEY_REG_TAG || nonce || MAC (6 bytes) || pub, where pub
 * is the uncompressed P-256 point (04 || X || Y).  The tag names the protocol version, so a
 * signature made for this step cannot be replayed as part of a later handshake.
 */
#ifndef STRATA_KEY_REG_H
#define STRATA_KEY_REG_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_KEY_PUB_LEN 65      /**< uncompressed P-256 point */
#define STRATA_KEY_NONCE_LEN 16
#define STRATA_KEY_SIG_MAX 72      /**< longest DER ECDSA P-256 signature */
/** Domain separation of the registration signature (no NUL is signed). */
#define STRATA_KEY_REG_TAG "strata-machine-key-v1"

/** The digest a registration signs, into out. */
void strata_key_reg_digest(const uint8_t nonce[STRATA_KEY_NONCE_LEN], const uint8_t mac[6],
			   const uint8_t pub[STRATA_KEY_PUB_LEN], uint8_t out[32]);

#endif /* STRATA_KEY_REG_H */
