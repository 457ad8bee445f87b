/*
 * core/crypto.h's SHA-256 on OpenSSL's libcrypto, for the Linux programs.  Why not mbedTLS
 * here too: mbedTLS 2.28 has no SHA-NI code, and hashing is most of apply's work; OpenSSL
 * uses the CPU's SHA extensions where present (about 6x faster on the machines measured
 * in docs/benchmarks.md).  strata.efi keeps sha256_mbedtls.c.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include "crypto.h"

/* The opaque context holds a pointer to OpenSSL's heap-allocated digest context. */
_Static_assert(sizeof(EVP_MD_CTX *) <= sizeof(struct strata_sha256), "room for a pointer");

static EVP_MD_CTX *ctx_of(struct strata_sha256 *ctx)
{
	EVP_MD_CTX *m;

	memcpy(&m, ctx->opaque, sizeof(m));
	return m;
}

void strata_sha256_init(struct strata_sha256 *ctx)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	if (!m || !EVP_DigestInit_ex(m, EVP_sha256(), NULL))
		abort();                 /* out of memory: nothing sensible to hash with */
	memcpy(ctx->opaque, &m, sizeof(m));
}

void strata_sha256_update(struct strata_sha256 *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate(ctx_of(ctx), data, len);
}

void strata_sha256_final(struct strata_sha256 *ctx, uint8_t out[STRATA_SHA256_LEN])
{
	EVP_MD_CTX *m = ctx_of(ctx);

	EVP_DigestFinal_ex(m, out, NULL);
	EVP_MD_CTX_free(m);
}

void strata_sha256(const void *data, size_t len, uint8_t out[STRATA_SHA256_LEN])
{
	if (!EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL))
		abort();
}
