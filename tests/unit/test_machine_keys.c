/*
 * Unit test of machine key registration on the server: the URL parser (server/key_parse.c),
 * the proof of possession checked against signatures mbedTLS makes here with a fresh key
 * (valid, another machine's, another nonce's, another key's, bit flips), and the nonce rows
 * (server/key_db.c) in a temporary database: single use, expiry, per-machine limit, pinning,
 * a replacement's row that awaits a key (key_await) and a retired MAC's (key_forget).
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crypto.h"
#include "harness.h"
#include "key_db.h"
#include "key_parse.h"
#include "rc.h"
#include "text.h"

static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0x5e, 0x00, 0x01 };
static const uint8_t mac2[6] = { 0x52, 0x54, 0x00, 0x5e, 0x00, 0x02 };

/** A test machine: its key and a generator to sign with. */
struct machine {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ecdsa_context key;
	uint8_t pub[KEY_PUB_LEN];
};

static void machine_init(struct machine *m)
{
	size_t n = 0;

	mbedtls_entropy_init(&m->entropy);
	mbedtls_ctr_drbg_init(&m->drbg);
	mbedtls_ecdsa_init(&m->key);
	if (mbedtls_ctr_drbg_seed(&m->drbg, mbedtls_entropy_func, &m->entropy, NULL, 0) ||
	    mbedtls_ecdsa_genkey(&m->key, MBEDTLS_ECP_DP_SECP256R1, mbedtls_ctr_drbg_random,
				 &m->drbg) ||
	    mbedtls_ecp_point_write_binary(&m->key.grp, &m->key.Q, MBEDTLS_ECP_PF_UNCOMPRESSED,
					   &n, m->pub, sizeof(m->pub)) || n != KEY_PUB_LEN)
		abort();
}

static void machine_free(struct machine *m)
{
	mbedtls_ecdsa_free(&m->key);
	mbedtls_ctr_drbg_free(&m->drbg);
	mbedtls_entropy_free(&m->entropy);
}

/* A registration of pub for mac and nonce, signed by m, as the agent would send it. */
static void make_reg(struct key_reg *r, struct machine *m, const uint8_t *pub,
		     const uint8_t mac[6], const uint8_t nonce[KEY_NONCE_LEN])
{
	uint8_t digest[32];

	memset(r, 0, sizeof(*r));
	memcpy(r->pub, pub, KEY_PUB_LEN);
	memcpy(r->eph, pub, KEY_PUB_LEN);      /* any point on the curve stands in for eph */
	memcpy(r->nonce, nonce, KEY_NONCE_LEN);
	strata_session_reg_digest(nonce, mac, pub, r->eph, digest);
	if (mbedtls_ecdsa_write_signature(&m->key, MBEDTLS_MD_SHA256, digest, 32, r->sig,
					  &r->sig_len, mbedtls_ctr_drbg_random, &m->drbg))
		abort();
}

/* Sign r as registration v1 did (no eph, tag "strata-machine-key-v1"): a signature an
 * attacker may have recorded, which v2 must refuse. */
static void v1_sign(struct key_reg *r, struct machine *m, const uint8_t mac[6],
		    const uint8_t nonce[KEY_NONCE_LEN])
{
	uint8_t buf[21 + KEY_NONCE_LEN + 6 + KEY_PUB_LEN], digest[32];

	memcpy(buf, "strata-machine-key-v1", 21);
	memcpy(buf + 21, nonce, KEY_NONCE_LEN);
	memcpy(buf + 21 + KEY_NONCE_LEN, mac, 6);
	memcpy(buf + 27 + KEY_NONCE_LEN, r->pub, KEY_PUB_LEN);
	strata_sha256(buf, sizeof(buf), digest);
	if (mbedtls_ecdsa_write_signature(&m->key, MBEDTLS_MD_SHA256, digest, 32, r->sig,
					  &r->sig_len, mbedtls_ctr_drbg_random, &m->drbg))
		abort();
}

/* r's fields as the query values of a URL, into pub/nonce/sig. */
static void to_hex(const struct key_reg *r, char pub[2 * KEY_PUB_LEN + 1],
		   char nonce[2 * KEY_NONCE_LEN + 1], char sig[2 * KEY_SIG_MAX + 1])
{
	strata_hex_encode(pub, r->pub, KEY_PUB_LEN);
	strata_hex_encode(nonce, r->nonce, KEY_NONCE_LEN);
	strata_hex_encode(sig, r->sig, r->sig_len);
}

static void test_parse(void)
{
	static const uint8_t nonce[KEY_NONCE_LEN] = { 1, 2, 3 };
	char pub[2 * KEY_PUB_LEN + 1], n[2 * KEY_NONCE_LEN + 1], sig[2 * KEY_SIG_MAX + 1];
	struct key_reg r, back;
	struct machine m;

	machine_init(&m);
	make_reg(&r, &m, m.pub, mac1, nonce);
	to_hex(&r, pub, n, sig);
	CHECK_EQ(key_reg_parse(&back, pub, pub, n, sig), 0);
	CHECK(memcmp(&back, &r, sizeof(r)) == 0);
	CHECK_EQ(key_reg_parse(&back, NULL, pub, n, sig), STRATA_EINVAL);
	CHECK_EQ(key_reg_parse(&back, pub, NULL, n, sig), STRATA_EINVAL);   /* v1: no eph */
	CHECK_EQ(key_reg_parse(&back, pub, pub, n, NULL), STRATA_EINVAL);
	CHECK_EQ(key_reg_parse(&back, pub + 2, pub, n, sig), STRATA_EINVAL);     /* short point */
	CHECK_EQ(key_reg_parse(&back, pub, pub, n + 2, sig), STRATA_EINVAL);     /* short nonce */
	CHECK_EQ(key_reg_parse(&back, pub, pub, n, sig + 2), STRATA_EINVAL);     /* DER length off */
	pub[1] = '2';                                           /* compressed point: refused */
	CHECK_EQ(key_reg_parse(&back, pub, pub, n, sig), STRATA_EINVAL);
	pub[1] = '4';
	n[0] = 'g';
	CHECK_EQ(key_reg_parse(&back, pub, pub, n, sig), STRATA_EINVAL);
	machine_free(&m);
}

static void test_verify(void)
{
	static const uint8_t nonce[KEY_NONCE_LEN] = { 9 }, other[KEY_NONCE_LEN] = { 8 };
	struct machine a, b;
	struct key_reg r;

	machine_init(&a);
	machine_init(&b);
	make_reg(&r, &a, a.pub, mac1, nonce);
	CHECK_EQ(key_reg_verify(&r, mac1), 0);
	CHECK_EQ(key_reg_verify(&r, mac2), STRATA_EBADSIG);          /* another machine's */
	memcpy(r.nonce, other, KEY_NONCE_LEN);
	CHECK_EQ(key_reg_verify(&r, mac1), STRATA_EBADSIG);          /* another nonce */
	make_reg(&r, &b, a.pub, mac1, nonce);                          /* b signs for a's key */
	CHECK_EQ(key_reg_verify(&r, mac1), STRATA_EBADSIG);
	make_reg(&r, &a, a.pub, mac1, nonce);
	memcpy(r.eph, b.pub, KEY_PUB_LEN);                             /* a grafted eph */
	CHECK_EQ(key_reg_verify(&r, mac1), STRATA_EBADSIG);
	v1_sign(&r, &a, mac1, nonce);                                  /* v1's signature */
	CHECK_EQ(key_reg_verify(&r, mac1), STRATA_EBADSIG);
	make_reg(&r, &a, a.pub, mac1, nonce);
	for (size_t i = 0; i < r.sig_len * 8; i += 7) {
		r.sig[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK_MSG(key_reg_verify(&r, mac1) != 0, "bit %zu of the signature", i);
		r.sig[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	r.pub[64] ^= 1;                                                /* off the curve */
	CHECK_EQ(key_reg_verify(&r, mac1), STRATA_EINVAL);
	machine_free(&b);
	machine_free(&a);
}

static void test_fingerprint(void)
{
	uint8_t pub[KEY_PUB_LEN] = { 4 };
	char fp[KEY_FP_TEXT];

	key_fingerprint(fp, pub);
	CHECK(strlen(fp) == 64 && strspn(fp, "0123456789abcdef") == 64);
}

/* A fresh database in a temporary folder; path (cap 64) is removed by db_gone. */
static struct db *db_new(char path[64])
{
	struct db *d = NULL;

	snprintf(path, 64, "/tmp/strata-test-keys.%d.db", (int)getpid());
	unlink(path);
	if (db_open(path, &d))
		abort();
	return d;
}

static void db_gone(struct db *d, const char *path)
{
	char side[80];

	db_close(d);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* Take between db_begin and db_end, as machine_keys.c does. */
static int take(struct db *d, const char *mac, const uint8_t n[KEY_NONCE_LEN], int64_t now)
{
	int rc = db_begin(d);

	return rc ? rc : db_end(d, key_nonce_take(d, mac, n, now));
}

static void test_nonces(void)
{
	uint8_t n1[KEY_NONCE_LEN], n2[KEY_NONCE_LEN], n3[KEY_NONCE_LEN], first[KEY_NONCE_LEN];
	char path[64];
	struct db *d = db_new(path);

	CHECK_EQ(key_nonce_issue(d, "m1", 1000, n1), 0);
	CHECK_EQ(key_nonce_issue(d, "m1", 1000, n2), 0);
	CHECK(memcmp(n1, n2, KEY_NONCE_LEN) != 0);
	CHECK_EQ(take(d, "m2", n1, 1001), STRATA_EAUTH);               /* another machine's */
	CHECK_EQ(take(d, "m1", n1, 1000 + KEY_NONCE_TTL), 0);          /* last valid second */
	CHECK_EQ(take(d, "m1", n1, 1001), STRATA_EAUTH);               /* used */
	CHECK_EQ(take(d, "m1", n2, 1001 + KEY_NONCE_TTL), STRATA_EAUTH); /* expired */
	CHECK_EQ(key_nonce_issue(d, "m1", 2000, first), 0);
	for (int i = 1; i <= KEY_NONCES_PER_MAC; i++)
		CHECK_EQ(key_nonce_issue(d, "m1", 2000 + i, n3), 0);
	CHECK_EQ(take(d, "m1", first, 2010), STRATA_EAUTH);            /* pushed out */
	CHECK_EQ(take(d, "m1", n3, 2010), 0);
	db_gone(d, path);
}

static void test_rows(void)
{
	uint8_t a[KEY_PUB_LEN] = { 4, 1 }, b[KEY_PUB_LEN] = { 4, 2 };
	struct key_row row;
	char path[64];
	struct db *d = db_new(path);

	CHECK_EQ(key_row_get(d, "m1", &row), 0);
	CHECK(!row.pinned && !row.pending);
	CHECK_EQ(key_pin(d, "m1", a, 10), 0);
	CHECK_EQ(key_set_pending(d, "m1", b, 20), 0);
	CHECK_EQ(key_row_get(d, "m1", &row), 0);
	CHECK(row.pinned && !memcmp(row.pub, a, KEY_PUB_LEN) && row.pinned_at == 10);
	CHECK(row.pending && !memcmp(row.other, b, KEY_PUB_LEN) && row.pending_at == 20);
	CHECK_EQ(key_pin(d, "m1", b, 30), 0);                          /* accepted */
	CHECK_EQ(key_row_get(d, "m1", &row), 0);
	CHECK(row.pinned && !memcmp(row.pub, b, KEY_PUB_LEN) && !row.pending);
	db_gone(d, path);
}

/* A replacement's row pins nothing and awaits a key; a presented key pends; accepting it
 * pins it and ends the wait; a retired MAC's row goes. */
static void test_awaiting(void)
{
	uint8_t a[KEY_PUB_LEN] = { 4, 1 }, b[KEY_PUB_LEN] = { 4, 2 };
	struct key_row row;
	char path[64];
	struct db *d = db_new(path);

	CHECK_EQ(key_pin(d, "m2", a, 10), 0);
	CHECK_EQ(key_await(d, "m2", 15), 0);                         /* drops key a */
	CHECK_EQ(key_row_get(d, "m2", &row), 0);
	CHECK(!row.pinned && row.awaiting && !row.pending && row.pinned_at == 15);
	CHECK_EQ(key_set_pending(d, "m2", b, 20), 0);
	CHECK_EQ(key_row_get(d, "m2", &row), 0);
	CHECK(!row.pinned && row.awaiting && row.pending && !memcmp(row.other, b, KEY_PUB_LEN));
	CHECK_EQ(key_pin(d, "m2", b, 30), 0);                          /* accepted */
	CHECK_EQ(key_row_get(d, "m2", &row), 0);
	CHECK(row.pinned && !row.awaiting && !row.pending && !memcmp(row.pub, b, KEY_PUB_LEN));
	CHECK_EQ(key_forget(d, "m2"), 0);
	CHECK_EQ(key_row_get(d, "m2", &row), 0);
	CHECK(!row.pinned && !row.awaiting && !row.pending);
	db_gone(d, path);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_verify);
	RUN(test_fingerprint);
	RUN(test_nonces);
	RUN(test_rows);
	RUN(test_awaiting);
	return harness_summary();
}
