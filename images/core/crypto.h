/*
 * The core's view of cryptography: SHA-256 and ECDSA P-256 verification.
 *
 * Why an interface: the core must not include mbedTLS's headers (their host configuration
 * pulls in stdio), and the host and strata.efi build mbedTLS with different configurations.
 * images/lib/crypto_mbedtls.c implements this for both, chosen at link time.
 */
#ifndef STRATA_CRYPTO_H
#define STRATA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_SHA256_LEN 32

/** Opaque streaming SHA-256 state, sized for mbedTLS's context (asserted in the glue). */
struct strata_sha256 {
	_Alignas(16) uint8_t opaque[128];
};

void strata_sha256_init(struct strata_sha256 *ctx);
void strata_sha256_update(struct strata_sha256 *ctx, const void *data, size_t len);
void strata_sha256_final(struct strata_sha256 *ctx, uint8_t out[STRATA_SHA256_LEN]);

/** One-shot SHA-256 of a buffer: the chunk-naming hash. */
void strata_sha256(const void *data, size_t len, uint8_t out[STRATA_SHA256_LEN]);

/**
 * Verify an ECDSA P-256 signature (DER, as mbedTLS and OpenSSL write it) over a SHA-256
 * digest with a PEM or DER public key.  Returns 0 when valid, STRATA_EINVAL when the key
 * cannot be parsed, STRATA_EBADSIG otherwise.  Borrows every buffer.
 */
int strata_ecdsa_verify(const uint8_t *pub, size_t pub_len,
			const uint8_t digest[STRATA_SHA256_LEN],
			const uint8_t *sig, size_t sig_len);

#endif /* STRATA_CRYPTO_H */
