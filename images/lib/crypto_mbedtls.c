/*
 * core/crypto.h on mbedTLS 2.28.  Built against the system's mbedTLS on Linux and against
 * efi/'s verify-only configuration in strata.efi: both provide the functions used here.
 */
#include <mbedtls/sha256.h>
#include <mbedtls/pk.h>
#include <mbedtls/ecdsa.h>
#include "crypto.h"
#include "mem.h"
#include "rc.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(struct strata_sha256),
	       "strata_sha256 too small for mbedTLS's context");

void strata_sha256_init(struct strata_sha256 *ctx)
{
	mbedtls_sha256_context *s = (void *)ctx->opaque;

	mbedtls_sha256_init(s);
	mbedtls_sha256_starts_ret(s, 0);
}

void strata_sha256_update(struct strata_sha256 *ctx, const void *data, size_t len)
{
	mbedtls_sha256_update_ret((void *)ctx->opaque, data, len);
}

void strata_sha256_final(struct strata_sha256 *ctx, uint8_t out[STRATA_SHA256_LEN])
{
	mbedtls_sha256_context *s = (void *)ctx->opaque;

	mbedtls_sha256_finish_ret(s, out);
	mbedtls_sha256_free(s);
}

void strata_sha256(const void *data, size_t len, uint8_t out[STRATA_SHA256_LEN])
{
	mbedtls_sha256_ret(data, len, out, 0);
}

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
