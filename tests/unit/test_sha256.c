/*
 * images/lib/sha256_x86.c (SHA-256 on the x86 SHA extensions, used by strata.efi on CPUs
 * that have them) against the host's SHA-256 (OpenSSL, through the core's strata_sha256):
 * FIPS 180-4 vectors, every length around the padding boundaries, and streaming with
 * arbitrary split points.  On a CPU without the extensions the tests say so and pass.
 */
#include <string.h>
#include "crypto.h"
#include "harness.h"
#include "sha256_x86.h"
#include "text.h"

static int have(void)
{
	if (!sha256_x86_available()) {
		printf("note: this CPU has no SHA extensions; sha256_x86 not exercised\n");
		return 0;
	}
	return 1;
}

static void x86_oneshot(const void *p, size_t len, uint8_t out[32])
{
	struct sha256_x86 s;

	sha256_x86_init(&s);
	sha256_x86_update(&s, p, len);
	sha256_x86_final(&s, out);
}

static void test_vectors(void)
{
	static const struct { const char *msg, *hex; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	uint8_t d[32];
	char hex[65];

	if (!have())
		return;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		x86_oneshot(v[i].msg, strlen(v[i].msg), d);
		strata_hex_encode(hex, d, 32);
		CHECK_MSG(!strcmp(hex, v[i].hex), "vector %zu: %s", i, hex);
	}
}

/* Every length from 0 to 300 (all padding cases) and a few large ones. */
static void test_lengths(void)
{
	static uint8_t buf[1 << 20];
	size_t lens[] = { 1000, 4095, 4096, 65536, 65537, sizeof(buf) };
	uint8_t a[32], b[32];

	if (!have())
		return;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t n = 0; n <= 300; n++) {
		x86_oneshot(buf, n, a);
		strata_sha256(buf, n, b);
		CHECK_MSG(!memcmp(a, b, 32), "length %zu", n);
	}
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		x86_oneshot(buf, lens[i], a);
		strata_sha256(buf, lens[i], b);
		CHECK_MSG(!memcmp(a, b, 32), "length %zu", lens[i]);
	}
}

/* The same 100 000 bytes fed in pieces of every size from 1 to 130. */
static void test_streaming(void)
{
	static uint8_t buf[100000];
	uint8_t a[32], b[32];
	struct sha256_x86 s;

	if (!have())
		return;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i ^ (i >> 7));
	strata_sha256(buf, sizeof(buf), b);
	for (size_t step = 1; step <= 130; step++) {
		sha256_x86_init(&s);
		for (size_t off = 0; off < sizeof(buf); off += step)
			sha256_x86_update(&s, buf + off, off + step <= sizeof(buf) ? step : sizeof(buf) - off);
		sha256_x86_final(&s, a);
		CHECK_MSG(!memcmp(a, b, 32), "pieces of %zu", step);
	}
}

int main(void)
{
	RUN(test_vectors);
	RUN(test_lengths);
	RUN(test_streaming);
	return harness_summary();
}
