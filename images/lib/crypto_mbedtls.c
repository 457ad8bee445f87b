/*
 * core/crypto.h's signature check and AES-256-GCM on mbedTLS 2.28.  Built against the system's mbedTLS on
 * Linux and against efi/'s verify-only configuration in strata.efi.  SHA-256 is in
 * sha256_mbedtls.c (strata.efi) or sha256_openssl.c (Linux), chosen at link time.
 */
#include <mbedtls/pk.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/gcm.h>
#include "crypto.h"
#include "mem.h"
#include "rc.h"

/* mbedTLS wants PEM NUL-terminated with the NUL counted; DER as is. */
static int parse_pub(mbedtls_pk_context *pk, const uint8_t *pub, size_t len)
{
	uint8_t pem[2048];

	if (len && pub[len - 1] != '\0' && len < sizeof(pem) && pub[0] == '-') {
		strata_memcpy(pem, pub, len);
		pem[len] = '\0';
		return mbedtls_pk_parse_public_key(pk, pem, len + 1);
	}
	return mbedtls_pk_parse_public_key(pk, pub, len);
}

int strata_ecdsa_verify(const uint8_t *pub, size_t pub_len,
			const uint8_t digest[STRATA_SHA256_LEN],
			const uint8_t *sig, size_t sig_len)
{
	mbedtls_pk_context pk;
	int rc = STRATA_EINVAL;

	mbedtls_pk_init(&pk);
	if (parse_pub(&pk, pub, pub_len) != 0)
		goto out;
	if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA))
		goto out;
	rc = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, STRATA_SHA256_LEN, sig, sig_len)
		? STRATA_EBADSIG : 0;
out:
	mbedtls_pk_free(&pk);
	return rc;
}

/* --- AES-256-GCM ------------------------------------------------------------------------ */

_Static_assert(sizeof(mbedtls_gcm_context) <= sizeof(((struct strata_gcm *)0)->opaque),
	       "strata_gcm too small for mbedTLS's context");

int strata_gcm_start(struct strata_gcm *ctx, int decrypt, const uint8_t key[STRATA_GCM_KEY_LEN],
		     const uint8_t iv[STRATA_GCM_IV_LEN], const void *aad, size_t aad_len)
{
	mbedtls_gcm_context *g = (void *)ctx->opaque;

	mbedtls_gcm_init(g);
	ctx->part_len = 0;
	ctx->decrypt = decrypt;
	if (mbedtls_gcm_setkey(g, MBEDTLS_CIPHER_ID_AES, key, 8 * STRATA_GCM_KEY_LEN) ||
	    mbedtls_gcm_starts(g, decrypt ? MBEDTLS_GCM_DECRYPT : MBEDTLS_GCM_ENCRYPT, iv,
			       STRATA_GCM_IV_LEN, aad, aad_len))
		return STRATA_EINVAL;
	return 0;
}

/* mbedTLS 2.28 returns an error from update only for a length not a multiple of 16 before
 * the last call, which the held-back block rules out. */
size_t strata_gcm_update(struct strata_gcm *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
	mbedtls_gcm_context *g = (void *)ctx->opaque;
	size_t done = 0, take, whole;

	if (ctx->part_len) {
		take = 16 - ctx->part_len < len ? 16 - ctx->part_len : len;
		strata_memcpy(ctx->part + ctx->part_len, in, take);
		ctx->part_len += take;
		in += take;
		len -= take;
		if (ctx->part_len < 16)
			return 0;
		(void)mbedtls_gcm_update(g, 16, ctx->part, out);
		ctx->part_len = 0;
		done = 16;
	}
	whole = len & ~(size_t)15;
	if (whole)
		(void)mbedtls_gcm_update(g, whole, in, out + done);
	strata_memcpy(ctx->part, in + whole, len - whole);
	ctx->part_len = len - whole;
	return done + whole;
}

size_t strata_gcm_final(struct strata_gcm *ctx, uint8_t *out, uint8_t tag[STRATA_GCM_TAG_LEN])
{
	mbedtls_gcm_context *g = (void *)ctx->opaque;
	size_t n = ctx->part_len;

	if (n)
		(void)mbedtls_gcm_update(g, n, ctx->part, out);
	ctx->part_len = 0;
	(void)mbedtls_gcm_finish(g, tag, STRATA_GCM_TAG_LEN);
	return n;
}

void strata_gcm_free(struct strata_gcm *ctx)
{
	mbedtls_gcm_free((mbedtls_gcm_context *)(void *)ctx->opaque);
}
