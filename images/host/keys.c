/*
 * Key generation and manifest signing for strata-image, on mbedTLS.  Signing lives only
 * on the host: strata.efi and the core verify, they never hold a private key.
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <string.h>
#include "host.h"
#include "keys.h"

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

int key_sign(const char *key_path, const uint8_t digest[32], uint8_t *sig, size_t cap,
	     size_t *sig_len)
{
	unsigned char der[MBEDTLS_ECDSA_MAX_LEN];
	mbedtls_pk_context pk;
	struct rng r;
	int rc;

	mbedtls_pk_init(&pk);
	rc = rng_init(&r);
	if (rc)
		goto out;
	if (mbedtls_pk_parse_keyfile(&pk, key_path, NULL)) {
		rc = errorf("%s: not a readable private key (PEM or DER)", key_path);
		goto out;
	}
	if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA) ||
	    mbedtls_pk_get_bitlen(&pk) != 256) {
		rc = errorf("%s: not an ECDSA P-256 key", key_path);
		goto out;
	}
	/* mbedTLS wants room for its largest curve's signature, whatever the key. */
	if (mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, digest, 32, der, sig_len,
			    mbedtls_ctr_drbg_random, &r.drbg) || *sig_len > cap) {
		rc = errorf("%s: signing failed", key_path);
		goto out;
	}
	memcpy(sig, der, *sig_len);
out:
	rng_free(&r);
	mbedtls_pk_free(&pk);
	return rc;
}
