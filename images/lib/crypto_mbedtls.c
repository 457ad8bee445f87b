/*
 * core/crypto.h on mbedTLS 2.28: the signature check, HMAC, HKDF, P-256 ECDH and
 * AES-256-GCM.  Built against the system's mbedTLS on Linux and against efi/'s small
 * configuration in strata.efi.  SHA-256 is in sha256_mbedtls.c (strata.efi) or
 * sha256_openssl.c (Linux), chosen at link time.
 */
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
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

int strata_hmac_sha256(const uint8_t *key, size_t key_len, const struct strata_span *parts,
		       size_t n, uint8_t out[STRATA_SHA256_LEN])
{
	mbedtls_md_context_t md;
	int rc = STRATA_ENOMEM;

	mbedtls_md_init(&md);
	if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) ||
	    mbedtls_md_hmac_starts(&md, key, key_len))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (mbedtls_md_hmac_update(&md, parts[i].p, parts[i].len))
			goto out;
	rc = mbedtls_md_hmac_finish(&md, out) ? STRATA_ENOMEM : 0;
out:
	mbedtls_md_free(&md);         /* zeroizes the keyed state */
	return rc;
}

int strata_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len, ikm,
			    ikm_len, info, info_len, out, out_len) ? STRATA_EINVAL : 0;
}

/* A P-256 group, or STRATA_ENOMEM. */
static int p256(mbedtls_ecp_group *g)
{
	mbedtls_ecp_group_init(g);
	return mbedtls_ecp_group_load(g, MBEDTLS_ECP_DP_SECP256R1) ? STRATA_ENOMEM : 0;
}

int strata_p256_keygen(strata_rng_fn rng, void *rng_ctx, uint8_t priv[STRATA_P256_PRIV_LEN],
		       uint8_t pub[STRATA_P256_PUB_LEN])
{
	mbedtls_ecp_group g;
	mbedtls_mpi d;
	mbedtls_ecp_point q;
	size_t n = 0;
	int rc = p256(&g);

	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);
	if (rc == 0 && (mbedtls_ecp_gen_keypair(&g, &d, &q, rng, rng_ctx) ||
			mbedtls_mpi_write_binary(&d, priv, STRATA_P256_PRIV_LEN) ||
			mbedtls_ecp_point_write_binary(&g, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pub,
						       STRATA_P256_PUB_LEN) ||
			n != STRATA_P256_PUB_LEN))
		rc = STRATA_EIO;
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&d);         /* mbedTLS zeroizes the limbs */
	mbedtls_ecp_group_free(&g);
	return rc;
}

int strata_p256_ecdh(const uint8_t priv[STRATA_P256_PRIV_LEN],
		     const uint8_t peer[STRATA_P256_PUB_LEN], strata_rng_fn rng, void *rng_ctx,
		     uint8_t x[32])
{
	mbedtls_ecp_group g;
	mbedtls_mpi d;
	mbedtls_ecp_point q, r;
	int rc = p256(&g);

	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&r);
	if (rc == 0 && (peer[0] != 0x04 ||
			mbedtls_ecp_point_read_binary(&g, &q, peer, STRATA_P256_PUB_LEN) ||
			mbedtls_ecp_check_pubkey(&g, &q) ||
			mbedtls_mpi_read_binary(&d, priv, STRATA_P256_PRIV_LEN) ||
			mbedtls_ecp_check_privkey(&g, &d)))
		rc = STRATA_EINVAL;
	if (rc == 0 && (mbedtls_ecp_mul(&g, &r, &d, &q, rng, rng_ctx) ||
			mbedtls_mpi_write_binary(&r.X, x, 32)))
		rc = STRATA_EIO;
	mbedtls_ecp_point_free(&r);
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_group_free(&g);
	return rc;
}

void strata_wipe(void *p, size_t n)
{
	mbedtls_platform_zeroize(p, n);
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
