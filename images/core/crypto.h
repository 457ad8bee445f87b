/*
 * The core's view of cryptography: SHA-256, ECDSA P-256 verification, what a session
 * key needs (HMAC-SHA-256, HKDF-SHA-256, P-256 key pairs and ECDH; session.h), and
 * AES-256-GCM for sealed bodies (seal.h).
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

/**
 * A source of random bytes, in mbedTLS's f_rng shape so the glue passes it through: fill
 * out[0..len), return 0, or non-zero when the source failed.
 */
typedef int (*strata_rng_fn)(void *ctx, unsigned char *out, size_t len);

/** One piece of a message that is hashed as the concatenation of its pieces. */
struct strata_span {
	const void *p;
	size_t len;
};

/**
 * HMAC-SHA-256 (RFC 2104) with key[0..key_len) over the concatenation of the n spans, into
 * out.  Pieces, so a caller authenticates text it holds in several places without copying
 * it together.  0, or STRATA_ENOMEM.  Borrows every buffer.
 */
int strata_hmac_sha256(const uint8_t *key, size_t key_len, const struct strata_span *parts,
		       size_t n, uint8_t out[STRATA_SHA256_LEN]);

/**
 * HKDF-SHA-256 (RFC 5869), extract then expand: out_len bytes (at most 255 * 32) of key
 * material into out.  0, or STRATA_EINVAL.  Borrows every buffer.
 */
int strata_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

#define STRATA_P256_PRIV_LEN 32   /**< a private scalar, big-endian */
#define STRATA_P256_PUB_LEN 65    /**< an uncompressed point: 04 || X || Y */

/**
 * A fresh P-256 key pair from rng: the private scalar into priv, the point into pub (the
 * caller's; the caller wipes priv when done).  0, or STRATA_EIO when rng failed.
 */
int strata_p256_keygen(strata_rng_fn rng, void *rng_ctx, uint8_t priv[STRATA_P256_PRIV_LEN],
		       uint8_t pub[STRATA_P256_PUB_LEN]);

/**
 * ECDH on P-256: the x-coordinate of priv * peer into x (the caller's; a secret it wipes).
 * peer must be an uncompressed point on the curve, else STRATA_EINVAL: a point off the
 * curve would leak bits of priv.  rng blinds the multiplication.  Borrows every buffer.
 */
int strata_p256_ecdh(const uint8_t priv[STRATA_P256_PRIV_LEN],
		     const uint8_t peer[STRATA_P256_PUB_LEN], strata_rng_fn rng, void *rng_ctx,
		     uint8_t x[32]);

/** Overwrite n bytes at p with zeros in a way the compiler cannot drop (secrets). */
void strata_wipe(void *p, size_t n);

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
