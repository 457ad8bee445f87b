/*
 * Unit tests of the session protocol (images/core/session.c) and the crypto it stands on
 * (images/lib/crypto_mbedtls.c).  The vectors were computed apart from this code, with
 * python3's hashlib and hmac and python3-cryptography (HKDF, ECDH, X9.62 points), from the
 * fixed inputs below; HMAC and HKDF also against their RFCs' own vectors.
 */
#include <string.h>
#include "crypto.h"
#include "harness.h"
#include "rc.h"
#include "session.h"
#include "text.h"

/* Fixed inputs: private scalars 0x11..11 (agent's ephemeral), 0x22..22 (server's
 * ephemeral), 0x33..33 (machine key), nonce 00..0f, MAC 52:54:00:12:34:56, sid a0..af. */
static const char eph_hex[] = "040217e617f0b6443928278f96999e69a23a4f2c152bdf6d6cdf66e5b80282d4ed"
	"194a7debcb97712d2dda3ca85aa8765a56f45fc758599652f2897c65306e5794";
static const char seph_hex[] = "04d65a93977caa3d1b081852ff57a79e465f1660577304baead505dd3a4858"
	"9cf350185e895372df6221ea3a137557e473fddb6755f05bd507c3c533fce9c91285";
static const char pub_hex[] = "0451a7580833898ea1b183cbd7350a4099078c6ef1c1e18e970cd7683035f25e"
	"7d0110522712b0b5a7cff081685486984a94e6831edac46e7360fa9d834a7a81a1";
static const char x_hex[] = "ccfc261f58193c98ca4ad4a53bbac6f0ee29bc4d48438090446908622ca79af6";
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct fixture {
	uint8_t eph[65], seph[65], pub[65], x[32], nonce[16], sid[16], priv_a[32], priv_b[32];
	struct strata_session_keys k;
};

static void hex(uint8_t *out, const char *s)
{
	if (strata_hex_decode(out, s, strlen(s) / 2))
		abort();
}

static int eq_hex(const uint8_t *b, size_t n, const char *want)
{
	char got[2 * 65 + 1];

	strata_hex_encode(got, b, n);
	return strcmp(got, want) == 0;
}

static void fixture(struct fixture *f)
{
	hex(f->eph, eph_hex);
	hex(f->seph, seph_hex);
	hex(f->pub, pub_hex);
	hex(f->x, x_hex);
	for (int i = 0; i < 16; i++)
		f->nonce[i] = (uint8_t)i, f->sid[i] = (uint8_t)(0xa0 + i);
	memset(f->priv_a, 0x11, 32);
	memset(f->priv_b, 0x22, 32);
	if (strata_session_derive(f->x, f->nonce, mac, f->pub, f->eph, f->seph, f->sid, &f->k))
		abort();
}

/* A counter "random" source, for keygen and blinding: deterministic, never fails. */
static int counter_rng(void *ctx, unsigned char *out, size_t len)
{
	unsigned int *c = ctx;

	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)(++*c * 131u);
	return 0;
}

static void test_hmac_rfc4231(void)
{
	/* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?", in pieces. */
	const struct strata_span parts[] = { { "what do ya", 10 }, { " want for nothing?", 18 } };
	uint8_t out[32];

	CHECK_EQ(strata_hmac_sha256((const uint8_t *)"Jefe", 4, parts, 2, out), 0);
	CHECK(eq_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

static void test_hkdf_rfc5869(void)
{
	/* RFC 5869 test case 1. */
	uint8_t ikm[22], salt[13], info[10], okm[42];

	memset(ikm, 0x0b, sizeof(ikm));
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	CHECK_EQ(strata_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42), 0);
	CHECK(eq_hex(okm, 32, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"));
	CHECK(eq_hex(okm + 32, 10, "34007208d5b887185865"));
}

/* A capture task's keys from its token: the values python3-cryptography's HKDF gives for
 * token 00 01 .. 1f (no salt, info "strata-capture-task-v1", 80 bytes). */
static void test_task_derive(void)
{
	struct strata_session_keys k, k2;
	uint8_t token[STRATA_SESSION_TOKEN_LEN];

	for (int i = 0; i < STRATA_SESSION_TOKEN_LEN; i++)
		token[i] = (uint8_t)i;
	CHECK_EQ(strata_session_task_derive(token, &k), 0);
	CHECK(eq_hex(k.sid, 16, "025e0ad3fc64bb2de54b8ce539afcb51"));
	CHECK(eq_hex(k.req, 32, "ab6437f8034b8f1bba7cc76117819ad5ed5fcc70f8d5043d3222e07007b308ac"));
	CHECK(eq_hex(k.enc, 32, "d90b7a9f94659895ff2f9df654bdb91d011f331c3e7d5e617abab81b16514aa2"));
	token[31] ^= 1;
	CHECK_EQ(strata_session_task_derive(token, &k2), 0);
	CHECK(memcmp(k.sid, k2.sid, 16) && memcmp(k.req, k2.req, 32));
}

/* A capture hello's digest and upload key (python3: hashlib, HKDF with salt the task's enc
 * of token 00..1f, ikm 01..20, client point 04 11.., server point 04 22..); any input
 * changed gives another key. */
static void test_hello(void)
{
	struct strata_session_keys k;
	uint8_t token[STRATA_SESSION_TOKEN_LEN], x[32], ce[65], se[65], up[32], up2[32], d[32];

	for (int i = 0; i < 32; i++)
		token[i] = (uint8_t)i, x[i] = (uint8_t)(i + 1);
	memset(ce, 0x11, sizeof(ce));
	memset(se, 0x22, sizeof(se));
	ce[0] = se[0] = 4;
	CHECK_EQ(strata_session_task_derive(token, &k), 0);
	strata_session_hello_digest(k.sid, ce, se, d);
	CHECK(eq_hex(d, 32, "1c50df0e043c7b615abd5ebb96c838e55aeeae6d1a258a837c3fbcac0775246b"));
	CHECK_EQ(strata_session_hello_derive(&k, x, ce, se, up), 0);
	CHECK(eq_hex(up, 32, "b2cb99ce5a4a85b566cc5a0dcc783d6e2f560834056861a00387c0fec2a1640d"));
	se[64] ^= 1;
	CHECK_EQ(strata_session_hello_derive(&k, x, ce, se, up2), 0);
	CHECK(memcmp(up, up2, 32));
	se[64] ^= 1;
	k.enc[0] ^= 1;
	CHECK_EQ(strata_session_hello_derive(&k, x, ce, se, up2), 0);
	CHECK(memcmp(up, up2, 32));
}

static void test_ecdh(void)
{
	struct fixture f;
	uint8_t x[32], pa[32], qa[65], pb[32], qb[65], xa[32], xb[32], bad[65];
	unsigned int c = 0;

	fixture(&f);
	CHECK_EQ(strata_p256_ecdh(f.priv_a, f.seph, counter_rng, &c, x), 0);
	CHECK(memcmp(x, f.x, 32) == 0);                    /* python's exchange() agrees */
	CHECK_EQ(strata_p256_ecdh(f.priv_b, f.eph, counter_rng, &c, x), 0);
	CHECK(memcmp(x, f.x, 32) == 0);
	CHECK_EQ(strata_p256_keygen(counter_rng, &c, pa, qa), 0);
	CHECK_EQ(strata_p256_keygen(counter_rng, &c, pb, qb), 0);
	CHECK(qa[0] == 4 && memcmp(qa, qb, 65) != 0);
	CHECK_EQ(strata_p256_ecdh(pa, qb, counter_rng, &c, xa), 0);
	CHECK_EQ(strata_p256_ecdh(pb, qa, counter_rng, &c, xb), 0);
	CHECK(memcmp(xa, xb, 32) == 0);
	memcpy(bad, f.seph, 65);
	bad[64] ^= 1;                                      /* off the curve: refused */
	CHECK_EQ(strata_p256_ecdh(f.priv_a, bad, counter_rng, &c, x), STRATA_EINVAL);
	bad[0] = 2;
	CHECK_EQ(strata_p256_ecdh(f.priv_a, bad, counter_rng, &c, x), STRATA_EINVAL);
}

static void test_digests_and_keys(void)
{
	struct fixture f;
	uint8_t d[32];

	fixture(&f);
	strata_session_reg_digest(f.nonce, mac, f.pub, f.eph, d);
	CHECK(eq_hex(d, 32, "f5818ffc3da4a88b6aa99da724f7a80359343f73c3b125a81f9df08e926fb33c"));
	strata_session_srv_digest(f.nonce, mac, f.pub, f.eph, f.sid, f.seph, d);
	CHECK(eq_hex(d, 32, "1a11d9762a03d2ed7650d9fc379f7d4e752b8d521e16bcd0aabe7c28ebf18c4c"));
	CHECK(eq_hex(f.k.req, 32, "e55cc9cf9abbffeb37e903a80cdaabde3219e00315c9e61a6ea950332b3654f9"));
	CHECK(eq_hex(f.k.enc, 32, "654d48cf3d81355ecaa34c62311330805f28fa6c6a20c147dd9d8cbfa3db1991"));
	CHECK(memcmp(f.k.sid, f.sid, 16) == 0);
}

static void test_tag_and_sign(void)
{
	static const char m[] = "/manifest/52:54:00:12:34:56";
	static const char r[] = "/report/52:54:00:12:34:56?phase=ok&done=5&total=5&msg=deployed";
	struct fixture f;
	char tag[STRATA_SESSION_TAG_HEX], url[512];

	fixture(&f);
	CHECK_EQ(strata_session_tag(&f.k, "GET", m, strlen(m), 1, tag), 0);
	CHECK(strcmp(tag, "205870b182969ea78ea46f19ccf6daf3") == 0);
	CHECK_EQ(strata_session_tag(&f.k, "GET", r, strlen(r), 7, tag), 0);
	CHECK(strcmp(tag, "cefbce7f5840e1388845340969be4a0e") == 0);
	snprintf(url, sizeof(url), "http://10.0.0.1:8080%s", m);
	CHECK_EQ(strata_session_sign(&f.k, 1, url, sizeof(url)), 0);
	CHECK(strcmp(url, "http://10.0.0.1:8080/manifest/52:54:00:12:34:56?s=a0a1a2a3a4a5a6a7a8a9a"
		     "aabacadaeaf&n=1&h=205870b182969ea78ea46f19ccf6daf3") == 0);
	snprintf(url, sizeof(url), "%s", r);               /* a bare path works too */
	CHECK_EQ(strata_session_sign(&f.k, 7, url, sizeof(url)), 0);
	CHECK(strstr(url, "&msg=deployed&s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=7&h="
		      "cefbce7f5840e1388845340969be4a0e") != NULL);
	snprintf(url, sizeof(url), "%s", m);               /* no room for the suffix */
	CHECK_EQ(strata_session_sign(&f.k, 1, url, strlen(m) + 40), STRATA_ERANGE);
	snprintf(url, sizeof(url), "http://host-without-path");
	CHECK_EQ(strata_session_sign(&f.k, 1, url, sizeof(url)), STRATA_EINVAL);
}

/* Parse and verify pq, as the server does. */
static int check_pq(const struct strata_session_keys *k, const char *pq)
{
	struct strata_session_query q;
	int rc = strata_session_parse(pq, strlen(pq), &q);

	return rc ? rc : strata_session_verify(k, "GET", pq, &q);
}

static void test_parse_and_verify(void)
{
	static const char good[] = "/manifest/52:54:00:12:34:56?s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
		"&n=1&h=205870b182969ea78ea46f19ccf6daf3";
	static const char *const malformed[] = {
		"/m?s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=01&h=205870b182969ea78ea46f19ccf6daf3",
		"/m?s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=0&h=205870b182969ea78ea46f19ccf6daf3",
		"/m?s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=&h=205870b182969ea78ea46f19ccf6daf3",
		"/m?s=A0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=1&h=205870b182969ea78ea46f19ccf6daf3",
		"/m?s=a0a1a2a3a4a5a6a7a8a9aaabacadaea&n=1&h=205870b182969ea78ea46f19ccf6daf3",
		"/m&s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=1&h=205870b182969ea78ea46f19ccf6daf3",
		"/m?a=b?s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=1&h=205870b182969ea78ea46f19ccf6daf3",
		"s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=1&h=205870b182969ea78ea46f19ccf6daf3",
		"/m?s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=99999999999999999999&h=205870b182969ea78ea46f19ccf6daf3",
	};
	struct strata_session_query q;
	struct fixture f;
	char pq[256];

	fixture(&f);
	CHECK_EQ(strata_session_parse(good, strlen(good), &q), 0);
	CHECK_EQ(q.n, 1);
	CHECK_EQ(q.prefix_len, strlen("/manifest/52:54:00:12:34:56"));
	CHECK_EQ(check_pq(&f.k, good), 0);
	CHECK_EQ(check_pq(&f.k, "/manifest/52:54:00:12:34:56"), STRATA_ENOENT);
	/* A tag of the wrong length does not end the query as a session's: no session. */
	CHECK_EQ(check_pq(&f.k, "/m?s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=1&h=205870b182969ea78e"
			  "a46f19ccf6daf"), STRATA_ENOENT);
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		CHECK_MSG(strata_session_parse(malformed[i], strlen(malformed[i]), &q) ==
			  STRATA_EINVAL, "%s", malformed[i]);
	snprintf(pq, sizeof(pq), "%s", good);
	pq[10] = 'X';                                      /* another path, same tag */
	CHECK_EQ(check_pq(&f.k, pq), STRATA_EBADSIG);
	snprintf(pq, sizeof(pq), "%s", good);
	strstr(pq, "&n=1")[3] = '2';                       /* another counter, same tag */
	CHECK_EQ(check_pq(&f.k, pq), STRATA_EBADSIG);
	snprintf(pq, sizeof(pq), "%s", good);
	pq[strlen(pq) - 1] ^= 1;                           /* a flipped tag */
	CHECK_EQ(check_pq(&f.k, pq), STRATA_EBADSIG);
	f.k.req[0] ^= 1;                                   /* another session's key */
	CHECK_EQ(check_pq(&f.k, good), STRATA_EBADSIG);
}

/* What iPXE does to a URL (decode, then encode ':' '@' '#' '?' '%' and the rest its own
 * way) changes no tag; an encoded separator is refused rather than read as text. */
static void test_ipxe_reencoding(void)
{
	static const char ipxe[] = "/report/52%3A54%3A00%3A12%3A34%3A56?phase=ok&done=5&total=5"
		"&msg=deployed&s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=7&h=cefbce7f5840e1388845340969be4a0e";
	static const char lower[] = "/report/52%3a54:00:12:34:56?phase=ok&done=5&total=5&msg=deplo"
		"%79ed&s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=7&h=cefbce7f5840e1388845340969be4a0e";
	static const char *const separators[] = {
		"/r?phase=ok%26done=5&s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=7&h=cefbce7f5840e1388845340969be4a0e",
		"/r?phase%3dok&s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=7&h=cefbce7f5840e1388845340969be4a0e",
		"/r?msg=a%2Bb&s=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf&n=7&h=cefbce7f5840e1388845340969be4a0e",
	};
	struct strata_session_query q;
	struct fixture f;

	fixture(&f);
	CHECK_EQ(check_pq(&f.k, ipxe), 0);
	CHECK_EQ(check_pq(&f.k, lower), 0);
	for (size_t i = 0; i < sizeof(separators) / sizeof(separators[0]); i++)
		CHECK_MSG(strata_session_parse(separators[i], strlen(separators[i]), &q) ==
			  STRATA_EINVAL, "%s", separators[i]);
}

/* Whatever strata_session_sign makes, strata_session_parse finds and verifies. */
static void test_round_trip(void)
{
	static const char *const urls[] = {
		"http://a/agent/52:54:00:12:34:56", "http://a:80/x?y=z", "/private/p?a=1&b=2&c=",
	};
	struct fixture f;
	char url[512];

	fixture(&f);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		for (uint64_t n = 1; n < UINT64_MAX / 3; n = n * 7 + 1) {
			const char *pq;

			snprintf(url, sizeof(url), "%s", urls[i]);
			CHECK_EQ(strata_session_sign(&f.k, n, url, sizeof(url)), 0);
			pq = url[0] == '/' ? url : strchr(strstr(url, "://") + 3, '/');
			CHECK_MSG(check_pq(&f.k, pq) == 0, "%s", url);
		}
	}
}

int main(void)
{
	RUN(test_hmac_rfc4231);
	RUN(test_hkdf_rfc5869);
	RUN(test_task_derive);
	RUN(test_hello);
	RUN(test_ecdh);
	RUN(test_digests_and_keys);
	RUN(test_tag_and_sign);
	RUN(test_parse_and_verify);
	RUN(test_ipxe_reencoding);
	RUN(test_round_trip);
	return harness_summary();
}
