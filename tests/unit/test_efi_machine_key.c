/*
 * Unit test of strata.efi's machine key (efi/machine_key.c) on the host, with the host's
 * mbedTLS: the randomness source and the NV variable are stand-ins defined here.
 * Without a source of randomness the agent refuses: no key is made or stored and nothing
 * can be signed.  With one, the first load makes a key and stores its 32-byte scalar, a
 * second load reads the same key back, and a registration it signs passes the server's
 * check (server/key_parse.c); a stored scalar that is not a P-256 key is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "crypto.h"
#include "efi_host/efi_host.h"
#include "harness.h"
#include "key_parse.h"
#include "machine_key.h"
#include "nvram.h"
#include "rc.h"
#include "rng.h"

/* --- stand-ins for rng.c and nvram.c ----------------------------------------------------- */

static int have_rng;                 /* whether the "machine" has a source of randomness */
static uint8_t var[NVRAM_KEY_LEN];   /* the StrataMachineKey variable */
static int var_set, var_writes;

int rng_open(void)
{
	return have_rng ? 0 : STRATA_ENOTSUP;
}

const char *rng_source_name(void)
{
	return have_rng ? "host getrandom" : "none";
}

int rng_read(uint8_t *buf, size_t n)
{
	return have_rng && getrandom(buf, n, 0) == (ssize_t)n ? 0 : STRATA_EIO;
}

int rng_entropy(void *ctx, unsigned char *buf, size_t n)
{
	return rng_read(buf, n) ? -1 : 0;
}

int nvram_machine_key(uint8_t d[NVRAM_KEY_LEN])
{
	if (!var_set)
		return STRATA_ENOENT;
	memcpy(d, var, NVRAM_KEY_LEN);
	return 0;
}

int nvram_set_machine_key(const uint8_t d[NVRAM_KEY_LEN])
{
	memcpy(var, d, NVRAM_KEY_LEN);
	var_set = 1;
	var_writes++;
	return 0;
}

/* --- tests ------------------------------------------------------------------------------ */

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x5a, 0x00, 0x01 };

/* Sign a registration for nonce with the loaded key and check it as the server does. */
static int registration_verifies(const uint8_t pub[KEY_PUB_LEN])
{
	struct key_reg r = { 0 };
	uint8_t digest[32];

	memset(r.nonce, 0x5a, sizeof(r.nonce));
	memcpy(r.pub, pub, KEY_PUB_LEN);
	memcpy(r.eph, pub, KEY_PUB_LEN);
	strata_session_reg_digest(r.nonce, mac, r.pub, r.eph, digest);
	if (machine_key_sign(digest, r.sig, &r.sig_len))
		return 0;
	return key_reg_verify(&r, mac) == 0;
}

static void test_no_randomness(void)
{
	uint8_t pub[KEY_PUB_LEN], digest[32] = { 0 }, sig[KEY_SIG_MAX];
	size_t len;

	have_rng = 0;
	var_set = var_writes = 0;
	CHECK_EQ(machine_key_load(pub), STRATA_ENOTSUP);
	CHECK_EQ(var_writes, 0);                        /* no key made, none stored */
	CHECK_EQ(machine_key_sign(digest, sig, &len), STRATA_EINVAL);
}

static void test_create_then_load(void)
{
	uint8_t first[KEY_PUB_LEN], again[KEY_PUB_LEN];

	have_rng = 1;
	var_set = var_writes = 0;
	log_capture_reset();
	CHECK_EQ(machine_key_load(first), 0);
	CHECK(first[0] == 0x04);
	CHECK_EQ(var_writes, 1);
	CHECK(log_capture_has("machine key: randomness from host getrandom"));
	CHECK(log_capture_has_prefix("machine key: created, kept in a boot-services-only NV "
				     "variable, sha256:"));
	CHECK(registration_verifies(first));
	log_capture_reset();
	CHECK_EQ(machine_key_load(again), 0);           /* the next boot */
	CHECK_EQ(var_writes, 1);
	CHECK(log_capture_has_prefix("machine key: loaded sha256:"));
	CHECK(memcmp(first, again, KEY_PUB_LEN) == 0);
	CHECK(registration_verifies(again));
}

static void test_bad_scalar(void)
{
	uint8_t pub[KEY_PUB_LEN];

	have_rng = 1;
	memset(var, 0xff, sizeof(var));                 /* above the group order */
	var_set = 1;
	var_writes = 0;
	CHECK_EQ(machine_key_load(pub), STRATA_EINVAL);
	CHECK_EQ(var_writes, 0);
	memset(var, 0, sizeof(var));                    /* zero is not a key either */
	CHECK_EQ(machine_key_load(pub), STRATA_EINVAL);
}

/* This boot's ephemeral key comes from the loaded key's DRBG: fresh each time, good for
 * ECDH with the server's; once the key is unloaded the DRBG gives nothing. */
static void test_ephemeral(void)
{
	uint8_t pub[KEY_PUB_LEN], pa[32], qa[65], pb[32], qb[65], xa[32], xb[32];

	have_rng = 1;
	var_set = 0;                                    /* a first boot: a key is made */
	CHECK_EQ(machine_key_load(pub), 0);
	CHECK_EQ(strata_p256_keygen(machine_key_rng, NULL, pa, qa), 0);
	CHECK_EQ(strata_p256_keygen(machine_key_rng, NULL, pb, qb), 0);
	CHECK(memcmp(qa, qb, sizeof(qa)) != 0 && memcmp(qa, pub, sizeof(qa)) != 0);
	CHECK_EQ(strata_p256_ecdh(pa, qb, machine_key_rng, NULL, xa), 0);
	CHECK_EQ(strata_p256_ecdh(pb, qa, machine_key_rng, NULL, xb), 0);
	CHECK(memcmp(xa, xb, sizeof(xa)) == 0);
	machine_key_unload();
	CHECK(machine_key_rng(NULL, xa, sizeof(xa)) != 0);
	CHECK(strata_p256_keygen(machine_key_rng, NULL, pa, qa) != 0);
}

int main(void)
{
	RUN(test_no_randomness);
	RUN(test_create_then_load);
	RUN(test_bad_scalar);
	RUN(test_ephemeral);
	return harness_summary();
}
