/*
 * Key generation and manifest signing for strata-image, on mbedTLS.  Signing lives only
 * on the host: strata.efi and the core verify, they never hold a private key.
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <stdlib.h>
#include <string.h>
#include "crypto.h"
#include "host.h"
#include "keys.h"
#include "manifest.h"

/** A seeded random generator; init/free in pairs. */
struct rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static int rng_init(struct rng *r)
{
	static const char pers[] = "strata-image";

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	if (mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1))
		return errorf("cannot seed the random generator");
	return 0;
}

static void rng_free(struct rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

static int write_pem(mbedtls_pk_context *pk, const char *path, int private)
{
	unsigned char pem[4096];
	int rc = private ? mbedtls_pk_write_key_pem(pk, pem, sizeof(pem))
			 : mbedtls_pk_write_pubkey_pem(pk, pem, sizeof(pem));

	if (rc)
		return errorf("%s: cannot encode the key", path);
	return write_file_atomic(path, pem, strlen((char *)pem), private ? 0600 : 0644, 1);
}

int key_generate(const char *path)
{
	mbedtls_pk_context pk;
	struct rng r;
	char pub[4096];
	int rc;

	if ((size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >= sizeof(pub))
		return errorf("%s: path too long", path);
	mbedtls_pk_init(&pk);
	rc = rng_init(&r);
	if (rc)
		goto out;
	if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
				mbedtls_ctr_drbg_random, &r.drbg)) {
		rc = errorf("cannot generate an ECDSA P-256 key");
		goto out;
	}
	rc = write_pem(&pk, path, 1);
	if (!rc)
		rc = write_pem(&pk, pub, 0);
out:
	rng_free(&r);
	mbedtls_pk_free(&pk);
	return rc;
}

/* Sign with a parsed key; the rng is seeded here. */
static int sign_with(mbedtls_pk_context *pk, const char *name, const uint8_t digest[32],
		     uint8_t *sig, size_t cap, size_t *sig_len)
{
	unsigned char der[MBEDTLS_ECDSA_MAX_LEN];
	struct rng r;
	int rc;

	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) || mbedtls_pk_get_bitlen(pk) != 256)
		return errorf("%s: not an ECDSA P-256 key", name);
	rc = rng_init(&r);
	/* mbedTLS wants room for its largest curve's signature, whatever the key. */
	if (rc == 0 && (mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, digest, 32, der, sig_len,
					mbedtls_ctr_drbg_random, &r.drbg) || *sig_len > cap))
		rc = errorf("%s: signing failed", name);
	if (rc == 0)
		memcpy(sig, der, *sig_len);
	rng_free(&r);
	return rc;
}

int key_sign_mem(const uint8_t *key, size_t key_len, const char *name,
		 const uint8_t digest[32], uint8_t *sig, size_t cap, size_t *sig_len)
{
	mbedtls_pk_context pk;
	int rc;

	/* PEM must be NUL-terminated with the NUL counted; read_file() adds the NUL. */
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_parse_key(&pk, key, key_len + (key_len && key[0] == '-'), NULL, 0))
		rc = errorf("%s: not a private key (PEM or DER)", name);
	else
		rc = sign_with(&pk, name, digest, sig, cap, sig_len);
	mbedtls_pk_free(&pk);
	return rc;
}

int manifest_sign_mem(const uint8_t *key, size_t key_len, const char *key_name,
		      const char *text, size_t signed_len, char **out, size_t *out_len)
{
	uint8_t digest[32], sig[STRATA_SIG_MAX];
	char line[STRATA_SIG_LINE_MAX];
	size_t sig_len, n;
	int rc;

	strata_sha256(text, signed_len, digest);
	rc = key_sign_mem(key, key_len, key_name, digest, sig, sizeof(sig), &sig_len);
	if (rc)
		return rc;
	n = strata_manifest_sig_line(line, sig, sig_len);
	if (n == 0)
		return errorf("%s: signature longer than a manifest holds", key_name);
	*out = malloc(signed_len + n + 1);
	if (!*out)
		return errorf("out of memory");
	memcpy(*out, text, signed_len);
	memcpy(*out + signed_len, line, n + 1);
	*out_len = signed_len + n;
	return 0;
}
