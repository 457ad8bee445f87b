/*
 * Unit tests for the version 2 layer index: runs of zero and free chunks (format.h).
 *
 * Why: version 2 was what builds wrote before version 3, and stores and captured
 * generations keep it, so every reader still reads it; strata.efi finds each chunk's entry
 * in it by a binary search it trusts to strata_index_parse.  Its files are written here
 * with strata_index_encode_as.  These tests pin the encoder
 * (runs merged, singletons in runs, the split of a run at 2^32 - 1 chunks, the --force
 * flag), the lookup of every chunk against the per-chunk entries it was encoded from, each
 * run rule the parser enforces with its rc and diag, truncation at every length, trailing
 * bytes, huge layers described by one run, the message for a newer version, and that
 * whatever a bit flip leaves acceptable still re-encodes to the same bytes.  test_index.c
 * tests version 1, test_index_v3.c version 3 (the same runs, smaller entries).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "index.h"
#include "index_util.h"
#include "index_sample.h"
#include "le.h"

#define HDR 64u
#define ENT 40u
#define RUNSZ 24u
#define V2 STRATA_INDEX_VERSION_V2

static void check_round_trip(uint64_t image_size, unsigned int shift)
{
	uint64_t count = strata_chunk_count(image_size, shift), runs = 0, data = 0;
	uint8_t *entries = sample_entries(image_size, shift);
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *buf = encode(V2, entries, image_size, shift, 0, &len);

	for (uint64_t i = 0; i < count; i++) {
		data += !sample_class(i);
		runs += sample_class(i) && (i == 0 || sample_class(i - 1) != sample_class(i));
	}
	CHECK_EQ(len, HDR + runs * RUNSZ + data * ENT);
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	CHECK_EQ(idx.version, 2);
	CHECK_EQ(idx.entry_size, ENT);
	CHECK_EQ(idx.run_count, runs);
	CHECK_EQ(idx.flags, 0);
	CHECK(idx.entries == buf + HDR + runs * RUNSZ);
	CHECK_MSG(same_chunks(&idx, entries), "image %llu shift %u",
		  (unsigned long long)image_size, shift);
	/* strata_index_next_data visits exactly the data chunks, in order */
	uint64_t want = 0, seen = 0;
	for (want = 0; want < count && sample_class(want); want++)
		;
	for (uint64_t i = strata_index_next_data(&idx, 0); i < count;
	     i = strata_index_next_data(&idx, i + 1)) {
		CHECK_EQ(i, want);
		seen++;
		for (want = i + 1; want < count && sample_class(want); want++)
			;
	}
	CHECK_EQ(seen, data);
	free(buf);
	free(entries);
}

static void test_round_trip(void)
{
	check_round_trip(1, 12);                    /* one data chunk of one byte */
	check_round_trip(3 * 4096, 12);             /* d z z: ends in a run */
	check_round_trip(5 * 4096 + 7, 12);         /* ends in a short data chunk */
	check_round_trip(100 * 4096 + 1, 12);
	check_round_trip(40 * 65536, 16);
}

/* strata_index_set_stored: a data chunk takes another file size in place, its ZLIB flag
 * following (smaller than the chunk: zlib; equal: raw), and the index still parses to
 * the same chunks otherwise; a chunk with no file or a size out of range changes nothing. */
static void test_set_stored(void)
{
	uint64_t size = 5 * 4096 + 7, count = strata_chunk_count(size, 12);
	uint8_t *entries = sample_entries(size, 12);
	struct strata_index idx;
	struct strata_chunk c;
	struct strata_diag d;
	size_t len;
	uint8_t *buf = encode(V2, entries, size, 12, 0, &len), *orig = copy_of(buf, len);

	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	for (uint64_t i = 0; i < count; i++) {
		strata_index_chunk(&idx, i, &c);
		if (!c.stored_size) {       /* zero or free: no file, nothing to set */
			CHECK_EQ(strata_index_set_stored(&idx, buf, i, 100), STRATA_EINVAL);
			continue;
		}
		CHECK_EQ(strata_index_set_stored(&idx, buf, i, 0), STRATA_EINVAL);
		CHECK_EQ(strata_index_set_stored(&idx, buf, i, c.length + 1), STRATA_EINVAL);
		CHECK_EQ(strata_index_set_stored(&idx, buf, i, c.length - 1), 0);
	}
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	for (uint64_t i = 0; i < count; i++) {
		strata_index_chunk(&idx, i, &c);
		if (!sample_class(i))
			CHECK(c.stored_size == c.length - 1 && c.flags == STRATA_ENTRY_ZLIB &&
			      c.digest[0] == (uint8_t)(i * 13 + 1));
	}
	for (uint64_t i = 0; i < count; i++)
		if (!sample_class(i)) {
			strata_index_chunk(&idx, i, &c);
			CHECK_EQ(strata_index_set_stored(&idx, buf, i, c.length), 0);
		}
	CHECK(memcmp(buf, orig, len) == 0);     /* raw again: the very bytes encoded */
	free(orig);
	free(buf);
	free(entries);
}

/* A whole image of zero chunks is one run and no entry; --force is recorded. */
static void test_all_zero_forced(void)
{
	uint64_t count = 1000;
	uint8_t *entries = calloc(count, ENT);
	struct strata_diag d;
	struct strata_index idx;
	struct strata_chunk c;
	size_t len;
	uint8_t *buf;

	for (uint64_t i = 0; i < count; i++)
		le32_put(entries + i * ENT + 36, STRATA_ENTRY_ZERO);
	buf = encode(V2, entries, count * 4096, 12, STRATA_INDEX_FORCED, &len);
	CHECK_EQ(len, HDR + RUNSZ);
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	CHECK_EQ(idx.flags, STRATA_INDEX_FORCED);
	strata_index_chunk(&idx, 999, &c);
	CHECK_EQ(c.flags, STRATA_ENTRY_ZERO);
	CHECK_EQ(c.offset, 999 * 4096);
	CHECK_EQ(strata_index_encode_as(V2, NULL, &len, entries, count * 4096, 12, 2),
		 STRATA_EINVAL);
	CHECK_EQ(strata_index_encode_as(V2, NULL, &len, entries, count * 4096, 11, 0),
		 STRATA_ERANGE);
	CHECK_EQ(strata_index_encode_as(1, NULL, &len, entries, count * 4096, 12, 0),
		 STRATA_EINVAL);         /* version 1 has no runs: not a version to encode */
	CHECK_EQ(strata_index_encode_as(4, NULL, &len, entries, count * 4096, 12, 0),
		 STRATA_EINVAL);
	free(buf);
	free(entries);
}

/* Write a run record at buf + HDR + k * RUNSZ. */
static void put_run(uint8_t *buf, uint64_t k, uint64_t first, uint64_t before, uint32_t count,
		    uint32_t flags)
{
	uint8_t *r = buf + HDR + k * RUNSZ;

	le64_put(r, first);
	le64_put(r + 8, before);
	le32_put(r + 16, count);
	le32_put(r + 20, flags);
}

/* A header for a hand-made version 2 index (h is 64 bytes). */
static void put_header(uint8_t *h, uint64_t image_size, unsigned int shift, uint64_t runs)
{
	uint8_t e[ENT] = { 0 };
	size_t len;

	le32_put(e + 36, STRATA_ENTRY_FREE);
	/* One free chunk encodes to the header wanted, bar the sizes set below. */
	if (strata_index_encode_as(V2, h, &len, e, 4096, 12, 0) != 0)
		abort();
	le64_put(h + 16, image_size);
	le64_put(h + 24, strata_chunk_count(image_size, shift));
	h[14] = (uint8_t)shift;
	le64_put(h + 36, runs);
}

/* A 1 PiB layer of free chunks is one 24-byte run; lookups anywhere work. */
static void test_huge_run(void)
{
	uint8_t *buf = calloc(1, HDR + RUNSZ);
	struct strata_diag d;
	struct strata_index idx;
	struct strata_chunk c;

	put_header(buf, STRATA_IMAGE_SIZE_MAX, 22, 1);
	put_run(buf, 0, 0, 0, 1u << 28, STRATA_ENTRY_FREE);
	CHECK_EQ(parse(&idx, buf, HDR + RUNSZ, &d), 0);
	strata_index_chunk(&idx, (1u << 28) - 1, &c);
	CHECK_EQ(c.flags, STRATA_ENTRY_FREE);
	CHECK_EQ(strata_index_next_data(&idx, 0), idx.chunk_count);   /* one step, no walk */
	CHECK_EQ(c.offset + c.length, STRATA_IMAGE_SIZE_MAX);
	put_run(buf, 0, 0, 0, (1u << 28) - 1, STRATA_ENTRY_FREE);   /* one chunk short */
	CHECK_EQ(parse(&idx, buf, HDR + RUNSZ, &d), STRATA_ETRUNC);
	free(buf);
}

/* Two runs of one class may touch only when the first is full (2^32 - 1 chunks). */
static void test_full_run_split(void)
{
	uint64_t count = (1ULL << 32) + 5;
	uint8_t *buf = calloc(1, HDR + 2 * RUNSZ);
	struct strata_diag d;
	struct strata_index idx;
	struct strata_chunk c;

	put_header(buf, count * 4096, 12, 2);
	put_run(buf, 0, 0, 0, 0xffffffffu, STRATA_ENTRY_ZERO);
	put_run(buf, 1, 0xffffffffu, 0, 6, STRATA_ENTRY_ZERO);
	CHECK_EQ(parse(&idx, buf, HDR + 2 * RUNSZ, &d), 0);
	strata_index_chunk(&idx, count - 1, &c);
	CHECK_EQ(c.flags, STRATA_ENTRY_ZERO);
	put_run(buf, 0, 0, 0, 0xfffffffeu, STRATA_ENTRY_ZERO);
	put_run(buf, 1, 0xfffffffeu, 0, 7, STRATA_ENTRY_ZERO);
	CHECK_EQ(parse(&idx, buf, HDR + 2 * RUNSZ, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, HDR + RUNSZ);
	free(buf);
}

/** A run-record mutation of the 17-chunk sample "dzzffdfzdddffffzd" (runs at 1, 3, 6, 7,
 *  11, 15); where is expected in run at_run, at byte field of it. */
struct rcase {
	const char *name;
	unsigned int run, off, len;
	uint64_t val;
	int rc;
	unsigned int at_run, field;
};

static const struct rcase run_cases[] = {
	{ "flags zlib", 0, 20, 4, STRATA_ENTRY_ZLIB, STRATA_EINVAL, 0, 20 },
	{ "flags zero|free", 0, 20, 4, STRATA_ENTRY_ZERO | STRATA_ENTRY_FREE, STRATA_EINVAL, 0, 20 },
	{ "flags 0", 1, 20, 4, 0, STRATA_EINVAL, 1, 20 },
	{ "empty run", 0, 16, 4, 0, STRATA_EINVAL, 0, 16 },
	{ "overlaps the run before", 1, 0, 8, 2, STRATA_EINVAL, 1, 0 },
	{ "out of order", 3, 0, 8, 4, STRATA_EINVAL, 3, 0 },
	{ "past the last chunk", 3, 0, 8, 1000, STRATA_EINVAL, 3, 0 },
	{ "ends past the last chunk", 5, 16, 4, 3, STRATA_ERANGE, 5, 16 },
	{ "data count wrong", 1, 8, 8, 2, STRATA_EINVAL, 1, 8 },
	{ "zero run continues a zero run", 1, 20, 4, STRATA_ENTRY_ZERO, STRATA_EINVAL, 1, 0 },
	{ "run swallows a data chunk", 3, 16, 4, 2, STRATA_EINVAL, 4, 8 },
};

static void test_run_rules(void)
{
	uint8_t *entries = sample_entries(17 * 4096, 12);
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *base = encode(V2, entries, 17 * 4096, 12, 0, &len);

	CHECK_EQ(parse(&idx, base, len, &d), 0);
	CHECK_EQ(idx.run_count, 6);
	for (size_t i = 0; i < sizeof(run_cases) / sizeof(run_cases[0]); i++) {
		const struct rcase *rc = &run_cases[i];
		uint8_t *buf = copy_of(base, len);
		uint64_t at = HDR + rc->run * RUNSZ, want = HDR + rc->at_run * RUNSZ + rc->field;
		int got;

		for (unsigned int b = 0; b < rc->len; b++)
			buf[at + rc->off + b] = (uint8_t)(rc->val >> (8 * b));
		got = parse(&idx, buf, len, &d);
		CHECK_MSG(got == rc->rc && d.msg, "%s: rc %d", rc->name, got);
		CHECK_MSG(d.where == want, "%s: where %llu, want %llu", rc->name,
			  (unsigned long long)d.where, (unsigned long long)want);
		free(buf);
	}
	free(base);
	free(entries);
}

/* Header rules of version 2: known flags only, no more runs than chunks; a version newer
 * than the reader is refused with a message that asks for an upgrade, and a version 2
 * body that claims version 3 fails on its entry size. */
static void test_header_rules(void)
{
	uint8_t *entries = sample_entries(17 * 4096, 12);
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *base = encode(V2, entries, 17 * 4096, 12, 0, &len), *buf;

	buf = copy_of(base, len);
	le32_put(buf + 32, 2);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_ENOTSUP);
	CHECK_EQ(d.where, 32);
	memcpy(buf, base, len);
	le64_put(buf + 36, 18);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_ERANGE);
	CHECK_EQ(d.where, 36);
	memcpy(buf, base, len);
	le16_put(buf + 8, 4);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_ENOTSUP);
	CHECK(d.where == 8 && strstr(d.msg, "newer than this reader (3)") &&
	      strstr(d.msg, "upgrade"));
	memcpy(buf, base, len);
	le16_put(buf + 8, 3);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 12);
	free(buf);
	free(base);
	free(entries);
}

/* Data entries of version 2 never carry the zero or free flag; version 1 knows no free. */
static void test_entry_classes(void)
{
	uint8_t *entries = sample_entries(17 * 4096, 12), v1[HDR + ENT] = { 0 };
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *buf = encode(V2, entries, 17 * 4096, 12, 0, &len);
	uint64_t e0 = HDR + 6 * RUNSZ;                /* data entry of chunk 0 */

	le32_put(buf + e0 + 32, 0);
	memset(buf + e0, 0, 32);
	le32_put(buf + e0 + 36, STRATA_ENTRY_ZERO);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, e0 + 36);
	le32_put(buf + e0 + 36, STRATA_ENTRY_FREE);
	CHECK_EQ(parse(&idx, buf, len, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, e0 + 36);
	CHECK_EQ(strata_index_header_encode(v1, 4096, 12), 0);
	le32_put(v1 + HDR + 36, STRATA_ENTRY_FREE);
	CHECK_EQ(parse(&idx, v1, sizeof(v1), &d), STRATA_EINVAL);
	CHECK_EQ(d.where, HDR + 36);
	free(buf);
	free(entries);
}

static void test_truncation_and_trailing(void)
{
	uint8_t *entries = sample_entries(17 * 4096 + 5, 12);
	size_t len;
	uint8_t *base = encode(V2, entries, 17 * 4096 + 5, 12, 0, &len);

	check_prefixes_and_tail(base, len, 1);
	free(base);
	free(entries);
}

/* Truncation may be found only at the end (where == len). */
static void test_bit_flips(void)
{
	uint8_t *entries = sample_entries(17 * 4096 + 5, 12);
	size_t len;
	uint8_t *base = encode(V2, entries, 17 * 4096 + 5, 12, 0, &len);

	flip_every_bit(base, len, canonical, len);
	free(base);
	free(entries);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_all_zero_forced);
	RUN(test_huge_run);
	RUN(test_full_run_split);
	RUN(test_run_rules);
	RUN(test_header_rules);
	RUN(test_entry_classes);
	RUN(test_truncation_and_trailing);
	RUN(test_bit_flips);
	RUN(test_set_stored);
	return harness_summary();
}
