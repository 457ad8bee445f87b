/* The machine's key pair: made once, kept in NVRAM, used to sign (see machine_key.h). */
#include <string.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/platform_util.h>
#include "crypto.h"
#include "log.h"
#include "machine_key.h"
#include "nvram.h"
#include "rc.h"
#include "rng.h"
#include "text.h"

static mbedtls_hmac_drbg_context drbg;
static mbedtls_ecdsa_context key;      /* ECDSA's context is the key pair */
static int loaded;

/* Seed the DRBG from the randomness source, personalised so no other use shares it. */
static int drbg_seed(void)
{
	static const char pers[] = "strata.efi machine key";

	mbedtls_hmac_drbg_init(&drbg);
	if (mbedtls_hmac_drbg_seed(&drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
				   rng_entropy, NULL, (const unsigned char *)pers, sizeof(pers) - 1))
		return log_fail(STRATA_EIO, "machine key: cannot seed the random generator");
	return 0;
}

/* The key from the scalar d: Q = dG, checked. */
static int from_scalar(const uint8_t d[NVRAM_KEY_LEN])
{
	if (mbedtls_mpi_read_binary(&key.d, d, NVRAM_KEY_LEN) ||
	    mbedtls_ecp_check_privkey(&key.grp, &key.d) ||
	    mbedtls_ecp_mul(&key.grp, &key.Q, &key.d, &key.grp.G, mbedtls_hmac_drbg_random, &drbg))
		return log_fail(STRATA_EINVAL, "machine key: the stored key is not a P-256 key");
	return 0;
}

/* A new key pair, stored before it is used: a key the server pinned must survive. */
static int create(void)
{
	uint8_t d[NVRAM_KEY_LEN];
	int rc = STRATA_EIO;

	if (mbedtls_ecp_gen_keypair(&key.grp, &key.d, &key.Q, mbedtls_hmac_drbg_random, &drbg) ||
	    mbedtls_mpi_write_binary(&key.d, d, sizeof(d)))
		return log_fail(rc, "machine key: cannot make a key pair");
	rc = nvram_set_machine_key(d);
	mbedtls_platform_zeroize(d, sizeof(d));
	return rc;
}

/* Log the key's fingerprint (SHA-256 of the point, as the server shows it). */
static void log_key(const char *how, const uint8_t pub[STRATA_KEY_PUB_LEN])
{
	uint8_t h[32];
	char fp[65];

	strata_sha256(pub, STRATA_KEY_PUB_LEN, h);
	strata_hex_encode(fp, h, sizeof(h));
	log_msg("machine key: %s sha256:%s", how, fp);
}

/* Read the stored key or make one; pub gets its point. */
static int read_or_create(uint8_t pub[STRATA_KEY_PUB_LEN])
{
	uint8_t d[NVRAM_KEY_LEN];
	size_t n = 0;
	int rc = nvram_machine_key(d), made = rc == STRATA_ENOENT;

	rc = made ? create() : rc ? rc : from_scalar(d);
	mbedtls_platform_zeroize(d, sizeof(d));
	if (rc)
		return rc;
	if (mbedtls_ecp_point_write_binary(&key.grp, &key.Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pub,
					   STRATA_KEY_PUB_LEN) || n != STRATA_KEY_PUB_LEN)
		return log_fail(STRATA_EINVAL, "machine key: cannot encode the public key");
	log_key(made ? "created, kept in a boot-services-only NV variable," : "loaded", pub);
	return 0;
}

void machine_key_unload(void)
{
	mbedtls_ecdsa_free(&key);         /* mbedTLS zeroizes the limbs and the DRBG state */
	mbedtls_hmac_drbg_free(&drbg);
	loaded = 0;
}

int machine_key_load(uint8_t pub[STRATA_KEY_PUB_LEN])
{
	int rc;

	/* Start clean: a second load (the host tests make several) must not leak the first. */
	machine_key_unload();
	rc = rng_open();
	if (rc)
		return rc;
	log_msg("machine key: randomness from %s", rng_source_name());
	rc = drbg_seed();
	if (rc)
		return rc;
	mbedtls_ecdsa_init(&key);
	if (mbedtls_ecp_group_load(&key.grp, MBEDTLS_ECP_DP_SECP256R1))
		return log_fail(STRATA_ENOMEM, "machine key: cannot load the curve");
	rc = read_or_create(pub);
	loaded = rc == 0;
	return rc;
}

int machine_key_sign(const uint8_t digest[32], uint8_t sig[STRATA_KEY_SIG_MAX], size_t *len)
{
	uint8_t buf[MBEDTLS_ECDSA_MAX_LEN];   /* 2.28 writes without a size: room for any curve */

	if (!loaded)
		return STRATA_EINVAL;
	if (mbedtls_ecdsa_write_signature(&key, MBEDTLS_MD_SHA256, digest, 32, buf, len,
					  mbedtls_hmac_drbg_random, &drbg) ||
	    *len > STRATA_KEY_SIG_MAX)
		return log_fail(STRATA_EIO, "machine key: cannot sign");
	memcpy(sig, buf, *len);
	return 0;
}

int machine_key_rng(void *ctx, unsigned char *out, size_t len)
{
	return loaded ? mbedtls_hmac_drbg_random(&drbg, out, len) : -1;
}
