/*
 * SHA-256 on the x86 SHA extensions (see sha256_x86.h).  The extensions keep the eight
 * working variables in two registers, ABEF and CDGH; SHA256RNDS2 does two rounds, and
 * SHA256MSG1/MSG2 compute the message schedule four words at a time.  Only these functions
 * are compiled for SHA/SSE4.1 (target attribute), so the rest of the program still runs
 * on any x86_64.
 */
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>
#include "sha256_x86.h"

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* The round constants: the first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

int sha256_x86_available(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & bit_SHA) != 0;
}

/* Sixteen groups of four rounds; m[] holds the last sixteen schedule words, four a lane. */
SHA_TARGET static void block(__m128i *abef, __m128i *cdgh, const uint8_t *p)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
	__m128i s0 = *abef, s1 = *cdgh, m[4], w, t;

	for (int r = 0; r < 16; r++) {
		if (r < 4) {
			w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * r)), bswap);
		} else {   /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
			t = _mm_sha256msg1_epu32(m[r & 3], m[(r + 1) & 3]);
			t = _mm_add_epi32(t, _mm_alignr_epi8(m[(r + 3) & 3], m[(r + 2) & 3], 4));
			w = _mm_sha256msg2_epu32(t, m[(r + 3) & 3]);
		}
		m[r & 3] = w;
		w = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * r]));
		s1 = _mm_sha256rnds2_epu32(s1, s0, w);
		s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(w, 0x0e));
	}
	*abef = _mm_add_epi32(*abef, s0);
	*cdgh = _mm_add_epi32(*cdgh, s1);
}

/* A..H in memory order <-> the ABEF/CDGH register layout. */
SHA_TARGET void sha256_x86_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	__m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1), efgh = _mm_shuffle_epi32(hgfe, 0x1b);
	__m128i abef = _mm_alignr_epi8(cdab, efgh, 8), cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
	__m128i feba, dchg;

	for (; nblocks; nblocks--, p += 64)
		block(&abef, &cdgh, p);
	feba = _mm_shuffle_epi32(abef, 0x1b);
	dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xf0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

void sha256_x86_init(struct sha256_x86 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->bytes = 0;
}

void sha256_x86_update(struct sha256_x86 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t have = s->bytes % 64, n;

	s->bytes += len;
	if (have) {
		n = len < 64 - have ? len : 64 - have;
		memcpy(s->buf + have, p, n);
		p += n, len -= n;
		if (have + n < 64)
			return;
		sha256_x86_blocks(s->h, s->buf, 1);
	}
	sha256_x86_blocks(s->h, p, len / 64);
	memcpy(s->buf, p + len / 64 * 64, len % 64);
}

/* FIPS 180-4 5.1.1: a one bit, zeros, then the message length in bits, big-endian. */
void sha256_x86_final(struct sha256_x86 *s, uint8_t out[32])
{
	size_t have = s->bytes % 64;
	uint64_t bits = s->bytes * 8;

	s->buf[have++] = 0x80;
	if (have > 56) {
		memset(s->buf + have, 0, 64 - have);
		sha256_x86_blocks(s->h, s->buf, 1);
		have = 0;
	}
	memset(s->buf + have, 0, 56 - have);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_x86_blocks(s->h, s->buf, 1);
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}
