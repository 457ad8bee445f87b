/*
 * Unit tests for the chunk rules (images/core/chunk.c): strata_is_zero,
 * strata_chunk_action and strata_chunk_decode.
 *
 * Why: strata_chunk_decode is the only path from store bytes to bytes written on a disk,
 * so every way a store file can be wrong (size, zlib stream, trailing bytes, too much or
 * too little output, hash) must fail with STRATA_ECORRUPT and the chunk's index in diag,
 * and a good file must decode exactly.  strata_is_zero has an aligned fast path, so it is
 * tested at every alignment and length around its 8- and 64-byte steps, with non-zero
 * guard bytes outside the range to catch reads past it.  Output buffers are exactly
 * c->length bytes on the heap so ASan catches any overrun.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "harness.h"
#include "chunk.h"
#include "crypto.h"

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

/* Deterministic bytes; compressible when period is small. */
static void fill(uint8_t *p, size_t n, unsigned int seed, unsigned int period)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i % period) * 13 + seed * 7 + (i % period) / 5);
}

/* zlib-compress src into a new heap buffer; *out_len is its size. */
static uint8_t *deflate_buf(const uint8_t *src, size_t n, size_t *out_len)
{
	uLongf cap = compressBound((uLong)n);
	uint8_t *out = xmalloc(cap);

	if (compress2(out, &cap, src, (uLong)n, 9) != Z_OK)
		abort();
	*out_len = cap;
	return out;
}

/* A chunk of length bytes at index idx whose digest is the SHA-256 of data. */
static void make_chunk(struct strata_chunk *c, uint64_t idx, const uint8_t *data,
		       uint32_t length, uint32_t stored, uint32_t flags)
{
	memset(c, 0, sizeof(*c));
	c->index = idx;
	c->offset = idx * 4096;
	c->length = length;
	c->stored_size = stored;
	c->flags = flags;
	if (data)
		strata_sha256(data, length, c->digest);
}

/* Decode into a fresh exactly-sized buffer; returns rc and leaves a copy of out in *keep. */
static int decode(const struct strata_chunk *c, const uint8_t *stored, size_t stored_len,
		  struct strata_diag *d, uint8_t **keep)
{
	uint8_t *in = xmalloc(stored_len), *out = xmalloc(c->length);
	int rc;

	memcpy(in, stored, stored_len);
	memset(out, 0xAA, c->length);
	d->msg = NULL;
	d->where = UINT64_MAX;
	rc = strata_chunk_decode(c, in, stored_len, out, d);
	free(in);
	if (keep)
		*keep = out;
	else
		free(out);
	return rc;
}

/* Expect STRATA_ECORRUPT with the chunk's index and a message. */
static void expect_corrupt(const struct strata_chunk *c, const uint8_t *stored, size_t n,
			   const char *what)
{
	struct strata_diag d;
	int rc = decode(c, stored, n, &d, NULL);

	CHECK_MSG(rc == STRATA_ECORRUPT, "%s: rc %d", what, rc);
	CHECK_MSG(d.where == c->index, "%s: where %llu", what, (unsigned long long)d.where);
	CHECK_MSG(d.msg && d.msg[0], "%s: no message", what);
}

static void test_is_zero_alignments(void)
{
	enum { SPAN = 200, CAP = SPAN + 32 };
	uint8_t *buf = xmalloc(CAP);

	for (size_t off = 1; off < 17; off++) {
		for (size_t n = 0; n <= SPAN; n++) {
			memset(buf, 0xFF, CAP);             /* guards outside [off, off+n) */
			memset(buf + off, 0, n);
			CHECK_MSG(strata_is_zero(buf + off, n), "off %zu len %zu", off, n);
			for (size_t k = 0; k < n; k++) {
				buf[off + k] = (uint8_t)(1u << (k % 8));
				CHECK_MSG(!strata_is_zero(buf + off, n), "off %zu len %zu byte %zu",
					  off, n, k);
				buf[off + k] = 0;
			}
		}
	}
	free(buf);
}

static void test_is_zero_large(void)
{
	size_t n = (1u << 22) + 3;                          /* a 4 MiB chunk and a tail */
	uint8_t *buf = calloc(1, n);

	if (!buf)
		abort();
	CHECK(strata_is_zero(buf, n));
	CHECK(strata_is_zero(buf, 0));
	buf[n - 1] = 0x80;
	CHECK(!strata_is_zero(buf, n));
	CHECK(strata_is_zero(buf, n - 1));
	buf[n - 1] = 0;
	buf[n / 2] = 1;
	CHECK(!strata_is_zero(buf, n));
	buf[n / 2] = 0;
	buf[0] = 1;
	CHECK(!strata_is_zero(buf, n));
	CHECK(strata_is_zero(buf + 1, n - 1));
	free(buf);
}

static void test_action_zero_chunk(void)
{
	struct strata_chunk c;
	uint8_t *have = calloc(1, 100);

	if (!have)
		abort();
	make_chunk(&c, 3, NULL, 100, 0, STRATA_ENTRY_ZERO);
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_KEEP);
	have[99] = 1;
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_ZERO);
	have[99] = 0;
	have[0] = 0xFF;
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_ZERO);
	free(have);
}

/* A free chunk is kept whatever the target holds, without looking (have may be NULL), and
 * decoding it leaves the output alone. */
static void test_free_chunk(void)
{
	struct strata_chunk c;
	struct strata_diag diag = { 0 };
	uint8_t out[100];

	make_chunk(&c, 4, NULL, 100, 0, STRATA_ENTRY_FREE);
	CHECK_EQ(strata_chunk_action(&c, NULL), STRATA_KEEP);
	memset(out, 0x5A, sizeof(out));
	CHECK_EQ(strata_chunk_decode(&c, NULL, 0, out, &diag), 0);
	CHECK(out[0] == 0x5A && out[99] == 0x5A);
}

static void test_action_data_chunk(void)
{
	struct strata_chunk c;
	uint8_t *data = xmalloc(4096), *have = xmalloc(4096);

	fill(data, 4096, 1, 251);
	make_chunk(&c, 0, data, 4096, 4096, 0);
	memcpy(have, data, 4096);
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_KEEP);
	have[4095] ^= 1;
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_FETCH);
	memset(have, 0, 4096);                              /* a zero target */
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_FETCH);
	/* A data chunk of zeros not flagged ZERO (build never makes one) is fetched over a zero
	 * target rather than hashed: a zero target is taken to need every data chunk. */
	memset(data, 0, 4096);
	make_chunk(&c, 0, data, 4096, 4096, 0);
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_FETCH);
	free(data);
	free(have);
}

/* The short last chunk: only c->length bytes of the target are read and compared. */
static void test_action_short_chunk(void)
{
	struct strata_chunk c;
	uint8_t data[100], *have = xmalloc(100);

	fill(data, sizeof(data), 2, 7);
	make_chunk(&c, 9, data, 100, 60, STRATA_ENTRY_ZLIB);
	memcpy(have, data, 100);
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_KEEP);
	have[0] ^= 0x40;
	CHECK_EQ(strata_chunk_action(&c, have), STRATA_FETCH);
	free(have);
}

static void test_decode_raw(void)
{
	struct strata_diag d = { "untouched", 7 };
	struct strata_chunk c;
	uint8_t *data = xmalloc(4096), *out;

	fill(data, 4096, 3, 253);
	make_chunk(&c, 5, data, 4096, 4096, 0);
	CHECK_EQ(decode(&c, data, 4096, &d, &out), 0);
	CHECK(memcmp(out, data, 4096) == 0);
	free(out);
	out = xmalloc(4096);
	d = (struct strata_diag){ "untouched", 7 };
	CHECK_EQ(strata_chunk_decode(&c, data, 4096, out, &d), 0);
	CHECK(d.where == 7 && strcmp(d.msg, "untouched") == 0);       /* untouched on success */
	free(out);
	free(data);
}

/* A raw entry whose stored size is short of the chunk (not from a parsed index) must not
 * make decode read past the stored buffer. */
static void test_decode_raw_short(void)
{
	struct strata_diag d = { 0 };
	struct strata_chunk c;
	uint8_t *data = xmalloc(4096), *small = xmalloc(10), *out = xmalloc(4096);

	fill(data, 4096, 3, 253);
	make_chunk(&c, 9, data, 4096, 10, 0);
	memcpy(small, data, 10);
	CHECK_EQ(strata_chunk_decode(&c, small, 10, out, &d), STRATA_ECORRUPT);
	CHECK_EQ(d.where, 9);
	free(out);
	free(small);
	free(data);
}

static void test_decode_zlib(void)
{
	static const uint32_t lengths[] = { 4096, 65536, 1u << 22, 100 };
	struct strata_diag d;
	struct strata_chunk c;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		uint32_t n = lengths[i];
		uint8_t *data = xmalloc(n), *z, *out;
		size_t zlen;

		fill(data, n, (unsigned int)i, 16);
		z = deflate_buf(data, n, &zlen);
		CHECK_MSG(zlen < n, "length %u: stream %zu not smaller", n, zlen);
		make_chunk(&c, i, data, n, (uint32_t)zlen, STRATA_ENTRY_ZLIB);
		CHECK_MSG(decode(&c, z, zlen, &d, &out) == 0, "length %u", n);
		CHECK_MSG(memcmp(out, data, n) == 0, "length %u", n);
		free(out);
		free(z);
		free(data);
	}
}

static void test_decode_zero_chunk(void)
{
	struct strata_diag d;
	struct strata_chunk c;
	uint8_t *out;

	make_chunk(&c, 1, NULL, 4096, 0, STRATA_ENTRY_ZERO);
	CHECK_EQ(decode(&c, (const uint8_t *)"", 0, &d, &out), 0);
	CHECK(strata_is_zero(out, 4096));
	free(out);
}

static void test_decode_wrong_size(void)
{
	struct strata_chunk c;
	uint8_t *data = xmalloc(4097), *z;
	size_t zlen;

	fill(data, 4097, 4, 9);
	make_chunk(&c, 11, data, 4096, 4096, 0);
	expect_corrupt(&c, data, 4095, "raw one byte short");
	expect_corrupt(&c, data, 4097, "raw one byte long");
	expect_corrupt(&c, data, 0, "raw empty");
	z = deflate_buf(data, 4096, &zlen);
	make_chunk(&c, 12, data, 4096, (uint32_t)zlen, STRATA_ENTRY_ZLIB);
	expect_corrupt(&c, z, zlen - 1, "zlib one byte short");
	free(z);
	free(data);
}

static void test_decode_corrupt_stream(void)
{
	struct strata_chunk c;
	uint8_t *data = xmalloc(4096), *z;
	size_t zlen;

	fill(data, 4096, 5, 16);
	z = deflate_buf(data, 4096, &zlen);
	make_chunk(&c, 13, data, 4096, (uint32_t)zlen, STRATA_ENTRY_ZLIB);
	for (size_t i = 0; i < zlen; i++) {                 /* every byte of the stream */
		z[i] ^= 0x55;
		expect_corrupt(&c, z, zlen, "flipped stream byte");
		z[i] ^= 0x55;
	}
	memset(z, 0xEE, zlen);
	expect_corrupt(&c, z, zlen, "not zlib at all");
	free(z);
	free(data);
}

static void test_decode_trailing_byte(void)
{
	struct strata_chunk c;
	uint8_t *data = xmalloc(4096), *z, *z1;
	size_t zlen;

	fill(data, 4096, 6, 16);
	z = deflate_buf(data, 4096, &zlen);
	z1 = xmalloc(zlen + 1);
	memcpy(z1, z, zlen);
	z1[zlen] = 0;
	make_chunk(&c, 14, data, 4096, (uint32_t)zlen + 1, STRATA_ENTRY_ZLIB);
	expect_corrupt(&c, z1, zlen + 1, "stream plus a trailing byte");
	free(z1);
	free(z);
	free(data);
}

/* Streams that inflate to one byte more or less, with a digest that would match if the
 * inflater silently truncated or left the last byte alone. */
static void test_decode_wrong_length(void)
{
	struct strata_chunk c;
	uint8_t *data = xmalloc(4097), *z;
	size_t zlen;

	fill(data, 4097, 7, 16);
	z = deflate_buf(data, 4097, &zlen);                  /* one byte too many */
	make_chunk(&c, 15, data, 4096, (uint32_t)zlen, STRATA_ENTRY_ZLIB);
	expect_corrupt(&c, z, zlen, "inflates to length + 1");
	free(z);
	z = deflate_buf(data, 4095, &zlen);                  /* one byte too few */
	data[4095] = 0xAA;                                   /* what decode's buffer held */
	make_chunk(&c, 16, data, 4096, (uint32_t)zlen, STRATA_ENTRY_ZLIB);
	expect_corrupt(&c, z, zlen, "inflates to length - 1");
	free(z);
	free(data);
}

/* A small stream that inflates to far more than the chunk: stops at the bound. */
static void test_decode_bomb(void)
{
	struct strata_chunk c;
	size_t n = 1u << 22, zlen;
	uint8_t *zeros = calloc(1, n), *z;

	if (!zeros)
		abort();
	z = deflate_buf(zeros, n, &zlen);
	make_chunk(&c, 17, zeros, 4096, (uint32_t)zlen, STRATA_ENTRY_ZLIB);
	CHECK(zlen < 4096);
	expect_corrupt(&c, z, zlen, "4 MiB of zeros into a 4 KiB chunk");
	free(z);
	free(zeros);
}

static void test_decode_wrong_digest(void)
{
	struct strata_chunk c;
	uint8_t *data = xmalloc(4096), *z;
	size_t zlen;

	fill(data, 4096, 8, 16);
	z = deflate_buf(data, 4096, &zlen);
	make_chunk(&c, 123456789012ULL, data, 4096, (uint32_t)zlen, STRATA_ENTRY_ZLIB);
	c.digest[31] ^= 1;
	expect_corrupt(&c, z, zlen, "zlib, good stream, wrong digest");
	make_chunk(&c, 18, data, 4096, 4096, 0);
	c.digest[0] ^= 0x80;
	expect_corrupt(&c, data, 4096, "raw, wrong digest");
	make_chunk(&c, 19, data, 4096, 4096, 0);
	data[2048] ^= 1;                                     /* stored file altered */
	expect_corrupt(&c, data, 4096, "raw, altered byte");
	free(z);
	free(data);
}

int main(void)
{
	RUN(test_is_zero_alignments);
	RUN(test_is_zero_large);
	RUN(test_action_zero_chunk);
	RUN(test_free_chunk);
	RUN(test_action_data_chunk);
	RUN(test_action_short_chunk);
	RUN(test_decode_raw);
	RUN(test_decode_zlib);
	RUN(test_decode_zero_chunk);
	RUN(test_decode_wrong_size);
	RUN(test_decode_corrupt_stream);
	RUN(test_decode_trailing_byte);
	RUN(test_decode_wrong_length);
	RUN(test_decode_bomb);
	RUN(test_decode_wrong_digest);
	RUN(test_decode_raw_short);
	return harness_summary();
}
