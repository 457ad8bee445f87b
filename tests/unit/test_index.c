/*
 * Unit tests for the layer index (images/core/index.c, format in format.h).
 *
 * Why: the index is the first untrusted bytes strata.efi and the server read, and every
 * later step trusts what strata_index_parse accepted.  These tests pin the encoding (a
 * round trip of every field, including a short last chunk), reject each out-of-range header
 * field and entry rule with the right rc and diag, reject truncation at every length and
 * trailing bytes, and flip every bit of a small index to check that whatever the parser
 * still accepts is consistent and canonical.  Buffers are heap copies of exactly the bytes
 * under test, so ASan catches any read past them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "crypto.h"
#include "index.h"
#include "index_util.h"
#include "le.h"

#define HDR 64u
#define ENT 40u

/* The chunk the sample index holds at i: zero, raw and zlib chunks in turn. */
static void sample_chunk(struct strata_chunk *c, uint64_t i, uint64_t image_size,
			 unsigned int shift)
{
	uint64_t chunk = 1ULL << shift, left = image_size - (i << shift);

	memset(c, 0, sizeof(*c));
	c->index = i;
	c->offset = i << shift;
	c->length = (uint32_t)(left < chunk ? left : chunk);
	if (i % 3 == 0) {
		c->flags = STRATA_ENTRY_ZERO;
		return;
	}
	for (int k = 0; k < 32; k++)
		c->digest[k] = (uint8_t)(i * 31 + (uint64_t)k * 7 + 1);
	if (i % 3 == 1 || c->length == 1) {
		c->stored_size = c->length;
	} else {
		c->flags = STRATA_ENTRY_ZLIB;
		c->stored_size = c->length / 2 + 1 < c->length ? c->length / 2 + 1 : 1;
	}
}

/* Encode the sample index for image_size/shift into a new exactly-sized heap buffer. */
static uint8_t *sample_index(uint64_t image_size, unsigned int shift, size_t *len)
{
	uint64_t count = strata_chunk_count(image_size, shift);
	uint8_t *buf;
	struct strata_chunk c;

	*len = (size_t)strata_index_size(count);
	buf = malloc(*len);
	if (!buf)
		abort();
	if (strata_index_header_encode(buf, image_size, shift) != 0)
		abort();
	for (uint64_t i = 0; i < count; i++) {
		sample_chunk(&c, i, image_size, shift);
		strata_index_entry_encode(buf + HDR + i * ENT, &c);
	}
	return buf;
}

/* Parse a sample index and compare every decoded field with what was encoded. */
static void check_round_trip(uint64_t image_size, unsigned int shift)
{
	struct strata_diag d = { "untouched", 42 };
	struct strata_index idx;
	struct strata_chunk got, want;
	size_t len;
	uint8_t *buf = sample_index(image_size, shift, &len);
	uint64_t count = strata_chunk_count(image_size, shift);

	memset(&idx, 0, sizeof(idx));
	CHECK_EQ(strata_index_parse(&idx, buf, len, &d), 0);
	CHECK(d.where == 42 && strcmp(d.msg, "untouched") == 0); /* diag only on failure */
	CHECK_EQ(idx.image_size, image_size);
	CHECK_EQ(idx.chunk_shift, shift);
	CHECK_EQ(idx.chunk_size, 1u << shift);
	CHECK_EQ(idx.chunk_count, count);
	CHECK(idx.entries == buf + HDR);
	for (uint64_t i = 0; i < idx.chunk_count && i < count; i++) {
		sample_chunk(&want, i, image_size, shift);
		memset(&got, 0xA5, sizeof(got));
		strata_index_chunk(&idx, i, &got);
		CHECK_EQ(got.index, want.index);
		CHECK_EQ(got.offset, want.offset);
		CHECK_EQ(got.length, want.length);
		CHECK_EQ(got.stored_size, want.stored_size);
		CHECK_EQ(got.flags, want.flags);
		CHECK(memcmp(got.digest, want.digest, 32) == 0);
	}
	free(buf);
}

static void test_round_trip(void)
{
	check_round_trip(3 * 4096 + 100, 12);       /* short last chunk of 100 bytes */
	check_round_trip(4 * 4096, 12);             /* exact multiple: no short chunk */
	check_round_trip(1, 12);                    /* one chunk of one byte */
	check_round_trip(5 * 65536 + 4097, 16);
	check_round_trip((1u << 22) + 1, 22);       /* 4 MiB chunk then a 1-byte chunk */
	check_round_trip(12345, 13);
}

static void test_short_last_chunk(void)
{
	struct strata_diag d;
	struct strata_index idx;
	struct strata_chunk c;
	size_t len;
	uint8_t *buf = sample_index(2 * 4096 + 100, 12, &len);

	CHECK_EQ(len, HDR + 3 * ENT);
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	strata_index_chunk(&idx, 2, &c);
	CHECK_EQ(c.offset, 8192);
	CHECK_EQ(c.length, 100);
	CHECK_EQ(c.flags, STRATA_ENTRY_ZLIB);
	CHECK_EQ(c.stored_size, 51);
	strata_index_chunk(&idx, 1, &c);
	CHECK_EQ(c.length, 4096);
	free(buf);
}

static void test_header_layout(void)
{
	uint8_t h[64];

	CHECK_EQ(strata_index_header_encode(h, 1000000, 16), 0);
	CHECK(memcmp(h, "STRATAIX", 8) == 0);
	CHECK_EQ(le16_get(h + 8), STRATA_INDEX_VERSION_V1);   /* the per-chunk form */
	CHECK_EQ(le16_get(h + 10), 64);
	CHECK_EQ(le16_get(h + 12), 40);
	CHECK_EQ(h[14], 16);
	CHECK_EQ(h[15], STRATA_COMP_ZLIB);
	CHECK_EQ(le64_get(h + 16), 1000000);
	CHECK_EQ(le64_get(h + 24), 16);            /* ceil(1000000 / 65536) */
	for (int i = 32; i < 64; i++)
		CHECK_MSG(h[i] == 0, "byte %d", i);
}

static void test_header_encode_range(void)
{
	uint8_t h[64];

	CHECK_EQ(strata_index_header_encode(h, 4096, 11), STRATA_ERANGE);
	CHECK_EQ(strata_index_header_encode(h, 4096, 23), STRATA_ERANGE);
	CHECK_EQ(strata_index_header_encode(h, 0, 12), STRATA_ERANGE);
	CHECK_EQ(strata_index_header_encode(h, STRATA_IMAGE_SIZE_MAX + 1, 12), STRATA_ERANGE);
	CHECK_EQ(strata_index_header_encode(h, STRATA_IMAGE_SIZE_MAX, 12), 0);
	CHECK_EQ(le64_get(h + 24), STRATA_IMAGE_SIZE_MAX >> 12);
}

static void test_counts(void)
{
	CHECK_EQ(strata_chunk_count(1, 12), 1);
	CHECK_EQ(strata_chunk_count(4096, 12), 1);
	CHECK_EQ(strata_chunk_count(4097, 12), 2);
	CHECK_EQ(strata_chunk_count(STRATA_IMAGE_SIZE_MAX, 12), 1ULL << 38);
	CHECK_EQ(strata_chunk_count(STRATA_IMAGE_SIZE_MAX, 22), 1ULL << 28);
	CHECK_EQ(strata_index_size(0), 64);
	CHECK_EQ(strata_index_size(3), 64 + 120);
}

/** A header mutation: write val as a len-byte little-endian field at off. */
struct hcase {
	const char *name;
	unsigned int off, len;
	uint64_t val;
	int rc;
	uint64_t where;
};

static const struct hcase header_cases[] = {
	{ "magic[0]", 0, 1, 's', STRATA_EINVAL, 0 },
	{ "magic[7]", 7, 1, 'Y', STRATA_EINVAL, 0 },
	{ "version 0", 8, 2, 0, STRATA_ENOTSUP, 8 },
	{ "version 4", 8, 2, 4, STRATA_ENOTSUP, 8 },
	/* A version 1 body under a later version: version 3's entries are not 40 bytes, and
	 * version 2 finds chunk 0's zero entry outside a run (its flags, at 64 + 36). */
	{ "version 3", 8, 2, 3, STRATA_EINVAL, 12 },
	{ "version 2", 8, 2, 2, STRATA_EINVAL, 100 },
	{ "version 0x101", 8, 2, 0x101, STRATA_ENOTSUP, 8 },
	{ "header_size 63", 10, 2, 63, STRATA_EINVAL, 10 },
	{ "header_size 0x140", 10, 2, 0x140, STRATA_EINVAL, 10 },
	{ "entry_size 39", 12, 2, 39, STRATA_EINVAL, 12 },
	{ "entry_size 41", 12, 2, 41, STRATA_EINVAL, 12 },
	{ "chunk_shift 11", 14, 1, 11, STRATA_ERANGE, 14 },
	{ "chunk_shift 23", 14, 1, 23, STRATA_ERANGE, 14 },
	{ "chunk_shift 0", 14, 1, 0, STRATA_ERANGE, 14 },
	{ "chunk_shift 255", 14, 1, 255, STRATA_ERANGE, 14 },
	{ "compression 0", 15, 1, 0, STRATA_ENOTSUP, 15 },
	{ "compression 2", 15, 1, 2, STRATA_ENOTSUP, 15 },
	{ "image_size 0", 16, 8, 0, STRATA_ERANGE, 16 },
	{ "image_size max+1", 16, 8, STRATA_IMAGE_SIZE_MAX + 1, STRATA_ERANGE, 16 },
	{ "image_size 2^64-1", 16, 8, UINT64_MAX, STRATA_ERANGE, 16 },
	{ "chunk_count 0", 24, 8, 0, STRATA_EINVAL, 24 },
	{ "chunk_count 2", 24, 8, 2, STRATA_EINVAL, 24 },
	{ "chunk_count 4", 24, 8, 4, STRATA_EINVAL, 24 },
	{ "chunk_count 2^64-1", 24, 8, UINT64_MAX, STRATA_EINVAL, 24 },
	{ "flags 1", 32, 4, 1, STRATA_ENOTSUP, 32 },
	{ "flags 2^31", 32, 4, 0x80000000u, STRATA_ENOTSUP, 32 },
};

/* Write a little-endian value of n bytes. */
static void put_le(uint8_t *p, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Parse base with one mutation applied; check rc, where and that a message is set. */
static void expect_reject(const uint8_t *base, size_t len, unsigned int off, unsigned int n,
			  uint64_t val, int rc, uint64_t where, const char *name)
{
	struct strata_diag d;
	struct strata_index idx;
	uint8_t *buf = copy_of(base, len);
	int got;

	put_le(buf + off, n, val);
	got = parse(&idx, buf, len, &d);
	CHECK_MSG(got == rc, "%s: rc %d, want %d", name, got, rc);
	CHECK_MSG(d.where == where, "%s: where %llu, want %llu", name,
		  (unsigned long long)d.where, (unsigned long long)where);
	CHECK_MSG(d.msg && d.msg[0], "%s: no diag message", name);
	free(buf);
}

static void test_header_fields(void)
{
	size_t len;
	uint8_t *base = sample_index(3 * 4096, 12, &len);   /* 3 chunks */
	struct strata_diag d;
	struct strata_index idx;

	CHECK_EQ(parse(&idx, base, len, &d), 0);
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		const struct hcase *hc = &header_cases[i];

		expect_reject(base, len, hc->off, hc->len, hc->val, hc->rc, hc->where, hc->name);
	}
	for (unsigned int off = 32; off < 36; off++)
		expect_reject(base, len, off, 1, 0x10, STRATA_ENOTSUP, 32, "flags byte");
	/* Version 1: run_count (36..43) was reserved, and still must be zero. */
	for (unsigned int off = 36; off < 64; off++)
		expect_reject(base, len, off, 1, 0x01, STRATA_EINVAL, off < 44 ? 36 : 44,
			      "reserved byte");
	free(base);
}

/* A header claiming a huge image must fail on length, never read or allocate for it. */
static void test_huge_claim(void)
{
	uint8_t h[64];
	struct strata_diag d;
	struct strata_index idx;
	uint8_t *buf;

	CHECK_EQ(strata_index_header_encode(h, STRATA_IMAGE_SIZE_MAX, 12), 0);
	buf = copy_of(h, sizeof(h));
	CHECK_EQ(parse(&idx, buf, sizeof(h), &d), STRATA_ETRUNC);
	CHECK_EQ(d.where, 64);
	free(buf);
}

static void test_truncation(void)
{
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *base = sample_index(4 * 4096 + 1, 12, &len);

	for (size_t n = 0; n < len; n++) {
		uint8_t *buf = copy_of(base, n);
		int rc = parse(&idx, buf, n, &d);

		CHECK_MSG(rc == STRATA_ETRUNC, "length %zu: rc %d", n, rc);
		CHECK_MSG(d.where == n && d.msg, "length %zu: where %llu", n,
			  (unsigned long long)d.where);
		free(buf);
	}
	free(base);
}

static void test_trailing(void)
{
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *base = sample_index(2 * 4096, 12, &len);

	for (size_t extra = 1; extra <= 41; extra += 40) {
		uint8_t *buf = calloc(1, len + extra);

		if (!buf)
			abort();
		memcpy(buf, base, len);
		CHECK_EQ(parse(&idx, buf, len + extra, &d), STRATA_ETRAIL);
		CHECK_EQ(d.where, len);
		CHECK(d.msg != NULL);
		free(buf);
	}
	free(base);
}

/* Every invariant a parsed index promises, and that re-encoding it gives the same bytes. */
static int index_consistent(const struct strata_index *idx, const uint8_t *buf, size_t len)
{
	uint8_t h[64], e[40];
	struct strata_chunk c;
	int ok = 1;

	ok &= idx->chunk_shift >= STRATA_CHUNK_SHIFT_MIN && idx->chunk_shift <= STRATA_CHUNK_SHIFT_MAX;
	ok &= idx->chunk_size == 1u << idx->chunk_shift;
	ok &= idx->image_size >= 1 && idx->image_size <= STRATA_IMAGE_SIZE_MAX;
	ok &= idx->chunk_count == strata_chunk_count(idx->image_size, idx->chunk_shift);
	ok &= strata_index_size(idx->chunk_count) == len && idx->entries == buf + HDR;
	if (!ok || strata_index_header_encode(h, idx->image_size, idx->chunk_shift) != 0)
		return 0;
	ok &= memcmp(h, buf, HDR) == 0;
	for (uint64_t i = 0; ok && i < idx->chunk_count; i++) {
		static const uint8_t zero[32];

		strata_index_chunk(idx, i, &c);
		ok &= c.index == i && c.offset == i << idx->chunk_shift;
		ok &= c.length >= 1 && c.length <= idx->chunk_size;
		ok &= c.offset + c.length == (i + 1 == idx->chunk_count ? idx->image_size
						: c.offset + idx->chunk_size);
		ok &= !(c.flags & ~STRATA_ENTRY_KNOWN);
		if (c.flags & STRATA_ENTRY_ZERO)
			ok &= c.flags == STRATA_ENTRY_ZERO && c.stored_size == 0 &&
			      memcmp(c.digest, zero, 32) == 0;
		else
			ok &= c.stored_size >= 1 && c.stored_size <= c.length &&
			      !!(c.flags & STRATA_ENTRY_ZLIB) == (c.stored_size < c.length) &&
			      memcmp(c.digest, zero, 32) != 0;
		strata_index_entry_encode(e, &c);
		ok &= memcmp(e, buf + HDR + i * ENT, ENT) == 0;
	}
	return ok;
}

static void test_bit_flips(void)
{
	size_t len;
	uint8_t *base = sample_index(2 * 4096 + 100, 12, &len);   /* zero, raw, zlib(100) */

	flip_every_bit(base, len, index_consistent, len - 1);
	free(base);
}

/** An entry mutation of the sample 3-chunk index (zero, raw, zlib short last chunk). */
struct ecase {
	const char *name;
	unsigned int entry;
	int set_stored;           /* write stored_size */
	uint32_t stored;
	int set_flags;            /* write flags */
	uint32_t flags;
	int digest;               /* 1: make digest non-zero, -1: all zero, 0: leave */
	int rc;
	unsigned int field;       /* expected where, as an offset within the entry */
};

static const struct ecase entry_cases[] = {
	{ "zero chunk with stored size", 0, 1, 4096, 0, 0, 0, STRATA_EINVAL, 32 },
	{ "zero chunk with stored size 1", 0, 1, 1, 0, 0, 0, STRATA_EINVAL, 32 },
	{ "zero chunk with digest", 0, 0, 0, 0, 0, 1, STRATA_EINVAL, 0 },
	{ "zero chunk with unknown flag", 0, 0, 0, 1, STRATA_ENTRY_ZERO | 4, 0, STRATA_EINVAL, 36 },
	{ "raw stored_size 0", 1, 1, 0, 0, 0, 0, STRATA_ERANGE, 32 },
	{ "raw stored_size > length", 1, 1, 4097, 0, 0, 0, STRATA_ERANGE, 32 },
	{ "raw stored_size 2^32-1", 1, 1, UINT32_MAX, 0, 0, 0, STRATA_ERANGE, 32 },
	{ "raw stored < length, no zlib flag", 1, 1, 4095, 0, 0, 0, STRATA_EINVAL, 36 },
	{ "zlib flag, stored == length", 1, 0, 0, 1, STRATA_ENTRY_ZLIB, 0, STRATA_EINVAL, 36 },
	{ "raw unknown flag 4", 1, 0, 0, 1, 4, 0, STRATA_EINVAL, 36 },
	{ "raw unknown flag 2^31", 1, 0, 0, 1, 0x80000000u, 0, STRATA_EINVAL, 36 },
	{ "raw all-zero digest", 1, 0, 0, 0, 0, -1, STRATA_EINVAL, 0 },
	{ "short last: stored 101 > length 100", 2, 1, 101, 0, 0, 0, STRATA_ERANGE, 32 },
	{ "short last: stored 4096 > length 100", 2, 1, 4096, 0, 0, 0, STRATA_ERANGE, 32 },
	{ "short last: stored 100, zlib flag", 2, 1, 100, 0, 0, 0, STRATA_EINVAL, 36 },
	{ "short last: zlib chunk, flag cleared", 2, 0, 0, 1, 0, 0, STRATA_EINVAL, 36 },
	{ "short last: stored 0", 2, 1, 0, 0, 0, 0, STRATA_ERANGE, 32 },
	{ "short last: all-zero digest", 2, 0, 0, 0, 0, -1, STRATA_EINVAL, 0 },
};

static void check_entry_case(const uint8_t *base, size_t len, const struct ecase *ec)
{
	struct strata_diag d;
	struct strata_index idx;
	uint8_t *buf = copy_of(base, len), *e = buf + HDR + ec->entry * ENT;
	uint64_t where = HDR + ec->entry * ENT + ec->field;
	int rc;

	if (ec->set_stored)
		le32_put(e + 32, ec->stored);
	if (ec->set_flags)
		le32_put(e + 36, ec->flags);
	if (ec->digest)
		memset(e, ec->digest > 0 ? 0x5A : 0, 32);
	rc = parse(&idx, buf, len, &d);
	CHECK_MSG(rc == ec->rc, "%s: rc %d, want %d", ec->name, rc, ec->rc);
	CHECK_MSG(d.where == where, "%s: where %llu, want %llu", ec->name,
		  (unsigned long long)d.where, (unsigned long long)where);
	CHECK_MSG(d.msg && d.msg[0], "%s: no message", ec->name);
	free(buf);
}

static void test_entry_rules(void)
{
	size_t len;
	uint8_t *base = sample_index(2 * 4096 + 100, 12, &len);

	for (size_t i = 0; i < sizeof(entry_cases) / sizeof(entry_cases[0]); i++)
		check_entry_case(base, len, &entry_cases[i]);
	free(base);
}

/* ZERO|ZLIB on a zero chunk is rejected; where points at stored_size or flags. */
static void test_zero_and_zlib_flags(void)
{
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *buf = sample_index(2 * 4096 + 100, 12, &len);

	le32_put(buf + HDR + 36, STRATA_ENTRY_ZERO | STRATA_ENTRY_ZLIB);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_EINVAL);
	CHECK(d.where == HDR + 32 || d.where == HDR + 36);
	CHECK(d.msg != NULL);
	free(buf);
}

/* A one-byte last chunk can only be stored raw (1 byte): zlib would need stored < 1. */
static void test_one_byte_chunk(void)
{
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *buf = sample_index(4096 + 1, 12, &len);   /* zero chunk, then 1 byte raw */
	struct strata_chunk c;

	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	strata_index_chunk(&idx, 1, &c);
	CHECK(c.length == 1 && c.stored_size == 1 && c.flags == 0);
	le32_put(buf + HDR + ENT + 36, STRATA_ENTRY_ZLIB);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_EINVAL);
	free(buf);
}

/* A layer opens only from bytes that hash to its id; then it parses as usual. */
static void test_layer_open(void)
{
	struct strata_diag d = { 0 };
	struct strata_index idx;
	uint8_t id[32];
	size_t len;
	uint8_t *buf = sample_index(100000, 12, &len);

	strata_sha256(buf, len, id);
	CHECK_EQ(strata_layer_open(&idx, id, buf, len, &d), 0);
	CHECK_EQ(idx.chunk_count, strata_chunk_count(100000, 12));
	id[31] ^= 1;
	CHECK_EQ(strata_layer_open(&idx, id, buf, len, &d), STRATA_ECORRUPT);
	CHECK(d.msg != NULL && d.where == 0);
	/* Hashing comes first: a corrupt index under its own id still fails to parse. */
	buf[0] ^= 1;
	strata_sha256(buf, len, id);
	CHECK_EQ(strata_layer_open(&idx, id, buf, len, &d), STRATA_EINVAL);
	free(buf);
}

int main(void)
{
	RUN(test_layer_open);
	RUN(test_round_trip);
	RUN(test_short_last_chunk);
	RUN(test_header_layout);
	RUN(test_header_encode_range);
	RUN(test_counts);
	RUN(test_header_fields);
	RUN(test_huge_claim);
	RUN(test_truncation);
	RUN(test_trailing);
	RUN(test_bit_flips);
	RUN(test_entry_rules);
	RUN(test_zero_and_zlib_flags);
	RUN(test_one_byte_chunk);
	return harness_summary();
}
