/*
 * The core's view of cryptography: SHA-256, ECDSA P-256 verification and AES-256-GCM.
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

#define STRATA_GCM_KEY_LEN 32
#define STRATA_GCM_IV_LEN 12
#define STRATA_GCM_TAG_LEN 16

/**
 * Opaque streaming AES-256-GCM state (mbedTLS's context, asserted in the glue).  Why a
 * stream: a sealed body (seal.h) can be a 256 MiB run, sealed and opened as it flows.
 * mbedTLS 2.28 takes whole 16-byte blocks until the last call, so the glue holds back a
 * partial block: update writes fewer bytes than it is given, final writes the rest.
 */
struct strata_gcm {
	_Alignas(16) uint8_t opaque[512];
	uint8_t part[16];      /**< input not yet processed: less than one block */
	size_t part_len;
	int decrypt;
};

/**
 * Start sealing (decrypt = 0) or opening (1) with a 256-bit key and a 96-bit IV, over the
 * additional authenticated data aad[0..aad_len).  0, or STRATA_EINVAL when mbedTLS refuses
 * (it never does for these sizes).  Borrows everything during the call; call
 * strata_gcm_free after, on every path.
 */
int strata_gcm_start(struct strata_gcm *ctx, int decrypt, const uint8_t key[STRATA_GCM_KEY_LEN],
		     const uint8_t iv[STRATA_GCM_IV_LEN], const void *aad, size_t aad_len);

/**
 * Process in[0..len) into out, which has room for len + 15 bytes (in and out must not
 * overlap); returns the bytes written: all whole 16-byte blocks of what is held and given.
 */
size_t strata_gcm_update(struct strata_gcm *ctx, const uint8_t *in, size_t len, uint8_t *out);

/**
 * Process what is held (up to 15 bytes, into out) and write the tag; returns the bytes
 * written to out.
 */
size_t strata_gcm_final(struct strata_gcm *ctx, uint8_t *out, uint8_t tag[STRATA_GCM_TAG_LEN]);

/** Release the context (mbedTLS allocates the cipher's state); safe after a failed start. */
void strata_gcm_free(struct strata_gcm *ctx);

#endif /* STRATA_CRYPTO_H */
