/*
 * images/core/seal.c and the AES-256-GCM glue (crypto.h, images/lib/crypto_mbedtls.c):
 * NIST's GCM test case 16 (AES-256, 96-bit IV, with AAD) through strata_gcm_*, and a
 * sealed body of the format in seal.h whose bytes were computed independently with
 * python3's `cryptography` (AESGCM; the script is in this file's comment below), fed in
 * every split; the tag refused on a flipped byte of body, path, counter or key, and on a
 * body shorter than a tag.  Uploads (strata_upload_seal, strata_upload_open): a vector of
 * the upload direction (IV 00000001 || le64(n), the script's second line below), round
 * trips of every length around a block, every refusal, and the IV separation: an upload
 * and an answer under one key and one n never share an IV, and neither opens as the other.
 *
 *     from cryptography.hazmat.primitives.ciphers.aead import AESGCM; import struct
 *     key = bytes(range(32)); n = 0x0102030405060708
 *     aad = b"/private/52-54-00-12-34-56/layers/" + b"ab" * 32 + b".idx"
 *     pt = bytes((i * 7 + 3) & 0xff for i in range(100))
 *     AESGCM(key).encrypt(b"\0" * 4 + struct.pack("<Q", n), pt, aad).hex()
 *     AESGCM(key).encrypt(b"\0\0\0\1" + struct.pack("<Q", n), pt,
 *                         b"/capture/chunk/" + b"ab" * 32).hex()
 */
#include <string.h>
#include "harness.h"
#include "rc.h"
#include "seal.h"
#include "store_path.h"
#include "text.h"

static void unhex(uint8_t *out, const char *hex)
{
	strata_hex_decode(out, hex, strlen(hex) / 2);
}

static const char nist_k[] = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char nist_iv[] = "cafebabefacedbaddecaf888";
static const char nist_p[] = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
			     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char nist_a[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char nist_c[] = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
			     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
static const char nist_t[] = "76fc6ece0f4e1768cddf8853bb2d551b";

/* NIST test case 16, fed in pieces of size step. */
static void nist_case(size_t step)
{
	uint8_t k[32], iv[12], p[60], a[20], c[60], t[16], out[60 + 32], tag[16];
	struct strata_gcm g;
	size_t o = 0;

	unhex(k, nist_k), unhex(iv, nist_iv), unhex(p, nist_p), unhex(a, nist_a);
	unhex(c, nist_c), unhex(t, nist_t);
	CHECK_EQ(strata_gcm_start(&g, 0, k, iv, a, sizeof(a)), 0);
	for (size_t i = 0; i < sizeof(p); i += step)
		o += strata_gcm_update(&g, p + i, sizeof(p) - i < step ? sizeof(p) - i : step, out + o);
	o += strata_gcm_final(&g, out + o, tag);
	strata_gcm_free(&g);
	CHECK_EQ(o, sizeof(p));
	CHECK_MSG(!memcmp(out, c, sizeof(c)), "ciphertext, step %zu", step);
	CHECK_MSG(!memcmp(tag, t, 16), "tag, step %zu", step);
}

static void test_gcm_nist(void)
{
	for (size_t step = 1; step <= 61; step++)
		nist_case(step);
}

static const char seal_body[] =
	"1ff2ee5d7d09e57aae31b763c9705fc6ce8fb640d722b4ec02d66970b9c656f8ebb3de87f7d6c66001a3ba08"
	"b3763f670e8ec4f214b0f78d0cbe010b5b81e5f1cb01314764aa5beb023a15015cacf1e17fb6f66f5deec16a"
	"09d4aa429f0bfdf085b86a5a70de56883c73378da6b96a386e353566";
#define SEAL_N 0x0102030405060708ULL
#define PT_LEN 100

/* The vector's key, path and plaintext. */
static void vector(uint8_t key[32], char path[STRATA_PRIVATE_PATH_MAX], uint8_t pt[PT_LEN])
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct strata_store_ref ref = { .kind = STRATA_STORE_INDEX };

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	memset(ref.digest, 0xab, 32);
	strata_private_path(path, mac, &ref);
	for (int i = 0; i < PT_LEN; i++)
		pt[i] = (uint8_t)(i * 7 + 3);
}

/* Seal the vector's plaintext in pieces of step; out gets the body. */
static size_t seal(size_t step, uint8_t *out)
{
	uint8_t key[32], pt[PT_LEN];
	char path[STRATA_PRIVATE_PATH_MAX];
	struct strata_seal s;
	size_t o = 0;

	vector(key, path, pt);
	CHECK_EQ(strata_seal_start(&s, 0, key, SEAL_N, path, strlen(path)), 0);
	for (size_t i = 0; i < PT_LEN; i += step)
		o += strata_seal_update(&s, pt + i, PT_LEN - i < step ? PT_LEN - i : step, out + o);
	o += strata_seal_final(&s, out + o);
	strata_seal_free(&s);
	return o;
}

static void test_seal_vector(void)
{
	uint8_t want[PT_LEN + 16], got[PT_LEN + 64];
	char path[STRATA_PRIVATE_PATH_MAX];
	uint8_t key[32], pt[PT_LEN];

	vector(key, path, pt);
	CHECK(!strcmp(path, "/private/52-54-00-12-34-56/layers/"
		      "abababababababababababababababababababababababababababababababab.idx"));
	unhex(want, seal_body);
	for (size_t step = 1; step <= PT_LEN + 1; step++) {
		CHECK_EQ(seal(step, got), sizeof(want));
		CHECK_MSG(!memcmp(got, want, sizeof(want)), "step %zu", step);
	}
}

/* Open body[0..len) fed in pieces of step, with a path and counter; 0 or the tag's rc. */
static int open_body(const uint8_t *body, size_t len, size_t step, const char *path, uint64_t n,
		     const uint8_t key[32], uint8_t *out, size_t *olen)
{
	struct strata_seal s;
	size_t o = 0, last;
	int rc;

	CHECK_EQ(strata_seal_start(&s, 1, key, n, path, strlen(path)), 0);
	for (size_t i = 0; i < len; i += step)
		o += strata_seal_update(&s, body + i, len - i < step ? len - i : step, out + o);
	rc = strata_open_final(&s, out + o, &last);
	strata_seal_free(&s);
	*olen = o + last;
	return rc;
}

static void test_open(void)
{
	uint8_t body[PT_LEN + 16], out[PT_LEN + 64], key[32], pt[PT_LEN];
	char path[STRATA_PRIVATE_PATH_MAX];
	size_t olen;

	vector(key, path, pt);
	unhex(body, seal_body);
	for (size_t step = 1; step <= sizeof(body) + 1; step++) {
		CHECK_EQ(open_body(body, sizeof(body), step, path, SEAL_N, key, out, &olen), 0);
		CHECK_EQ(olen, PT_LEN);
		CHECK_MSG(!memcmp(out, pt, PT_LEN), "step %zu", step);
	}
}

static void test_open_refused(void)
{
	uint8_t body[PT_LEN + 16], out[PT_LEN + 64], key[32], pt[PT_LEN];
	char path[STRATA_PRIVATE_PATH_MAX];
	size_t olen;

	vector(key, path, pt);
	unhex(body, seal_body);
	for (size_t i = 0; i < sizeof(body); i++) {
		body[i] ^= 0x01;
		CHECK_MSG(open_body(body, sizeof(body), 7, path, SEAL_N, key, out, &olen) ==
			  STRATA_EBADSIG, "byte %zu flipped", i);
		body[i] ^= 0x01;
	}
	CHECK_EQ(open_body(body, sizeof(body), 7, path, SEAL_N + 1, key, out, &olen),
		 STRATA_EBADSIG);
	path[strlen(path) - 5] ^= 1;   /* another layer's index */
	CHECK_EQ(open_body(body, sizeof(body), 7, path, SEAL_N, key, out, &olen), STRATA_EBADSIG);
	path[strlen(path) - 5] ^= 1;
	key[31] ^= 0x80;
	CHECK_EQ(open_body(body, sizeof(body), 7, path, SEAL_N, key, out, &olen), STRATA_EBADSIG);
	key[31] ^= 0x80;
	CHECK_EQ(open_body(body, sizeof(body) - 1, 7, path, SEAL_N, key, out, &olen),
		 STRATA_EBADSIG);
	for (size_t len = 0; len < 16; len++)
		CHECK_EQ(open_body(body, len, 3, path, SEAL_N, key, out, &olen), STRATA_EBADSIG);
}

/* An empty body seals to its tag alone, which opens to nothing. */
static void test_empty(void)
{
	uint8_t key[32] = { 1 }, body[32], out[32];
	struct strata_seal s;
	size_t n, olen;

	CHECK_EQ(strata_seal_start(&s, 0, key, 7, "/p", 2), 0);
	n = strata_seal_final(&s, body);
	strata_seal_free(&s);
	CHECK_EQ(n, 16);
	CHECK_EQ(open_body(body, n, 1, "/p", 7, key, out, &olen), 0);
	CHECK_EQ(olen, 0);
}

static void test_iv(void)
{
	uint8_t iv[12];
	static const uint8_t want[12] = { 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1 };

	strata_seal_iv(iv, STRATA_SEAL_ANSWER, SEAL_N);
	CHECK(!memcmp(iv, want, 12));
}

static const char upload_body[] =
	"5dddbfc328089bd5552d6ceffaadefa4d9906847ed36f05a547318950b3335cca5c2dacd989ba96960e9a5"
	"06b2bb6a77f5b4afcc16c768a8b9a8c683035dbb9dac3ae52942e138b365bd9c7ae4c70827853d79cf8475e2"
	"be4cc1f67b251a172a71b09edcf6008d4b1016b7d5d2bb54cc16c1fb2c";
static const char upload_path[] =
	"/capture/chunk/abababababababababababababababababababababababababababababababab";

static void test_upload_vector(void)
{
	uint8_t key[32], pt[PT_LEN], want[PT_LEN + 16], got[PT_LEN + 16], back[PT_LEN + 16];
	char path[STRATA_PRIVATE_PATH_MAX];
	size_t n;

	vector(key, path, pt);
	unhex(want, upload_body);
	CHECK_EQ(strata_upload_seal(key, SEAL_N, upload_path, strlen(upload_path), pt, PT_LEN,
				    got, &n), 0);
	CHECK_EQ(n, sizeof(want));
	CHECK(!memcmp(got, want, sizeof(want)));
	CHECK_EQ(strata_upload_open(key, SEAL_N, upload_path, strlen(upload_path), want,
				    sizeof(want), back, &n), 0);
	CHECK_EQ(n, PT_LEN);
	CHECK(!memcmp(back, pt, PT_LEN));
}

/* Every length from 0 to 3 blocks and a bit, sealed and opened back. */
static void test_upload_round_trip(void)
{
	uint8_t key[32] = { 9 }, pt[70], body[70 + 16], back[70 + 16];
	size_t n, m;

	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 13);
	for (size_t len = 0; len <= sizeof(pt); len++) {
		CHECK_EQ(strata_upload_seal(key, len, "/capture/commit", 15, pt, len, body, &n), 0);
		CHECK_EQ(n, len + 16);
		CHECK_EQ(strata_upload_open(key, len, "/capture/commit", 15, body, n, back, &m), 0);
		CHECK_MSG(m == len && !memcmp(back, pt, len), "length %zu", len);
	}
}

/* A flipped byte, another counter, path or key, a cut body: refused. */
static void test_upload_refused(void)
{
	uint8_t key[32] = { 1 }, pt[40] = { 2 }, body[56], out[56];
	size_t n, m;

	CHECK_EQ(strata_upload_seal(key, 5, "/a", 2, pt, sizeof(pt), body, &n), 0);
	for (size_t i = 0; i < n; i++) {
		body[i] ^= 0x01;
		CHECK_MSG(strata_upload_open(key, 5, "/a", 2, body, n, out, &m) == STRATA_EBADSIG,
			  "byte %zu", i);
		body[i] ^= 0x01;
	}
	CHECK_EQ(strata_upload_open(key, 6, "/a", 2, body, n, out, &m), STRATA_EBADSIG);
	CHECK_EQ(strata_upload_open(key, 5, "/b", 2, body, n, out, &m), STRATA_EBADSIG);
	CHECK_EQ(m, 0);
	key[31] ^= 1;
	CHECK_EQ(strata_upload_open(key, 5, "/a", 2, body, n, out, &m), STRATA_EBADSIG);
	key[31] ^= 1;
	for (size_t len = 0; len < n; len++)
		CHECK_EQ(strata_upload_open(key, 5, "/a", 2, body, len, out, &m), STRATA_EBADSIG);
	CHECK_EQ(strata_upload_open(key, 5, "/a", 2, body, n, out, &m), 0);
}

/* IV separation: for one key and every pair of counters tried, the upload's IV is never an
 * answer's IV; an upload and an answer with the same n differ, and neither opens as the
 * other. */
static void test_upload_iv_separation(void)
{
	static const uint64_t ns[] = { 0, 1, 2, 0xffffffffULL, 1ULL << 32, SEAL_N, UINT64_MAX };
	uint8_t key[32] = { 3 }, pt[32] = { 4 }, up[48], ans[48], out[48], a[12], b[12];
	struct strata_seal s;
	size_t n, o, m;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			strata_seal_iv(a, STRATA_SEAL_UPLOAD, ns[i]);
			strata_seal_iv(b, STRATA_SEAL_ANSWER, ns[j]);
			CHECK_MSG(memcmp(a, b, 12), "upload n %zu, answer n %zu", i, j);
		}
		CHECK_EQ(strata_upload_seal(key, ns[i], "/p", 2, pt, sizeof(pt), up, &n), 0);
		CHECK_EQ(strata_seal_start(&s, 0, key, ns[i], "/p", 2), 0);
		o = strata_seal_update(&s, pt, sizeof(pt), ans);
		o += strata_seal_final(&s, ans + o);
		strata_seal_free(&s);
		CHECK_EQ(o, n);
		CHECK(memcmp(up, ans, n));
		CHECK_EQ(strata_upload_open(key, ns[i], "/p", 2, ans, o, out, &m), STRATA_EBADSIG);
		CHECK_EQ(open_body(up, n, 5, "/p", ns[i], key, out, &m), STRATA_EBADSIG);
	}
	CHECK_EQ(a[3], 1);
	CHECK_EQ(b[3], 0);
}

int main(void)
{
	RUN(test_gcm_nist);
	RUN(test_seal_vector);
	RUN(test_open);
	RUN(test_open_refused);
	RUN(test_empty);
	RUN(test_iv);
	RUN(test_upload_vector);
	RUN(test_upload_round_trip);
	RUN(test_upload_refused);
	RUN(test_upload_iv_separation);
	return harness_summary();
}
