/*
 * core/crypto.h's SHA-256 for strata.efi: the x86 SHA extensions when the CPU has them
 * (sha256_x86.c), mbedTLS's portable code otherwise.  The choice is made once, on first
 * use, so every context of a run is of the same kind.  Linux builds use sha256_openssl.c
 * instead, chosen at link time.
 */
#include <mbedtls/sha256.h>
#include "crypto.h"
#include "sha256_x86.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(struct strata_sha256),
	       "strata_sha256 too small for mbedTLS's context");
_Static_assert(sizeof(struct sha256_x86) <= sizeof(struct strata_sha256),
	       "strata_sha256 too small for sha256_x86");

/** -1 until asked, then whether the CPU has the SHA extensions. */
static int use_x86 = -1;

static int x86(void)
{
	if (use_x86 < 0)
		use_x86 = sha256_x86_available();
	return use_x86;
}

void strata_sha256_init(struct strata_sha256 *ctx)
{
	mbedtls_sha256_context *s = (void *)ctx->opaque;

	if (x86()) {
		sha256_x86_init((void *)ctx->opaque);
		return;
	}
	mbedtls_sha256_init(s);
	mbedtls_sha256_starts_ret(s, 0);
}

void strata_sha256_update(struct strata_sha256 *ctx, const void *data, size_t len)
{
	if (x86())
		sha256_x86_update((void *)ctx->opaque, data, len);
	else
		mbedtls_sha256_update_ret((void *)ctx->opaque, data, len);
}

void strata_sha256_final(struct strata_sha256 *ctx, uint8_t out[STRATA_SHA256_LEN])
{
	mbedtls_sha256_context *s = (void *)ctx->opaque;

	if (x86()) {
		sha256_x86_final((void *)ctx->opaque, out);
		return;
	}
	mbedtls_sha256_finish_ret(s, out);
	mbedtls_sha256_free(s);
}

void strata_sha256(const void *data, size_t len, uint8_t out[STRATA_SHA256_LEN])
{
	struct strata_sha256 ctx;

	if (!x86()) {
		mbedtls_sha256_ret(data, len, out, 0);
		return;
	}
	strata_sha256_init(&ctx);
	strata_sha256_update(&ctx, data, len);
	strata_sha256_final(&ctx, out);
}
