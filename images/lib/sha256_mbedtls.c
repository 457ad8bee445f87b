/*
 * core/crypto.h's SHA-256 on mbedTLS, for strata.efi (portable C, no CPU extensions).
 * Linux builds use sha256_openssl.c instead, chosen at link time.
 */
#include <mbedtls/sha256.h>
#include "crypto.h"

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

