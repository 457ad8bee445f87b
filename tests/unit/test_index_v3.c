/*
 * Unit tests for the version 3 layer index: version 2's header and runs, with data entries
 * of the digest and the stored size less one in 2 bytes (chunks up to 64 KiB: 34-byte
 * entries) or 3 (larger chunks: 35), and no flags (format.h).
 *
 * Why: version 3 is what every build writes, and strata.efi decodes each entry in place.
 * These tests pin the entry size per chunk shift, the entry's bytes, that the sample's
 * chunks decode the same from version 2 and 3 and that the two share their header and
 * runs, each entry rule with its rc and diag in both widths (stored size past the chunk's
 * length, a short last chunk, an all-zero digest), the header's entry size against the
 * shift, the newer-version message, truncation at every length, trailing bytes, bit flips
 * that must re-encode to the same bytes, and strata_index_set_stored in version 3.  The
 * run rules themselves are test_index_v2.c's: the same records and the same parser code.
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
#define RUNSZ 24u
#define V3 STRATA_INDEX_VERSION

/* The sample's runs and data chunks, counted from its pattern. */
static void sample_counts(uint64_t count, uint64_t *runs, uint64_t *data)
{
	*runs = *data = 0;
	for (uint64_t i = 0; i < count; i++) {
		*data += !sample_class(i);
		*runs += sample_class(i) && (i == 0 || sample_class(i - 1) != sample_class(i));
	}
}

static void test_entry_size(void)
{
	for (unsigned int shift = STRATA_CHUNK_SHIFT_MIN; shift <= STRATA_CHUNK_SHIFT_MAX; shift++) {
		CHECK_EQ(strata_index_entry_size(1, shift), 40);
		CHECK_EQ(strata_index_entry_size(2, shift), 40);
		CHECK_EQ(strata_index_entry_size(3, shift), shift <= 16 ? 34 : 35);
	}
}

/* The sample at image_size/shift: version 3's size, header and chunks, against version 2. */
static void check_round_trip(uint64_t image_size, unsigned int shift)
{
	uint64_t count = strata_chunk_count(image_size, shift), runs, data;
	unsigned int ent = shift <= 16 ? 34 : 35;
	uint8_t *entries = sample_entries(image_size, shift);
	struct strata_diag d;
	struct strata_index idx;
	size_t len, len2;
	uint8_t *buf = encode(V3, entries, image_size, shift, 0, &len);
	uint8_t *v2 = encode(STRATA_INDEX_VERSION_V2, entries, image_size, shift, 0, &len2);

	sample_counts(count, &runs, &data);
	CHECK_EQ(len, HDR + runs * RUNSZ + data * ent);
	CHECK_EQ(len2 - len, data * (40 - ent));
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	CHECK(idx.version == 3 && idx.entry_size == ent && le16_get(buf + 12) == ent);
	CHECK(idx.run_count == runs && idx.entries == buf + HDR + runs * RUNSZ);
	CHECK_MSG(same_chunks(&idx, entries), "image %llu shift %u",
		  (unsigned long long)image_size, shift);
	/* Same header bar version and entry size, same runs: v3 changes only the entry. */
	CHECK(memcmp(buf, v2, 8) == 0 && le16_get(v2 + 8) == 2 && le16_get(v2 + 12) == 40);
	CHECK(memcmp(buf + 14, v2 + 14, HDR - 14 + runs * RUNSZ) == 0);
	CHECK_EQ(parse(&idx, v2, len2, &d), 0);
	CHECK(same_chunks(&idx, entries));
	free(v2);
	free(buf);
	free(entries);
}

static void test_round_trip(void)
{
	check_round_trip(1, 12);                    /* one data chunk of one byte */
	check_round_trip(3 * 4096, 12);             /* d z z: ends in a run */
	check_round_trip(17 * 4096 + 5, 12);        /* ends in a short data chunk */
	check_round_trip(40 * 65536, 16);           /* the default: 34-byte entries */
	check_round_trip(40 * 65536 + 3, 16);
	check_round_trip(20 * 131072 + 9, 17);      /* the first 35-byte shift */
	check_round_trip(18 * (4096u << 10), 22);
}

/* One data chunk of stored size stored (of a length-byte chunk) at shift: its entry is the
 * digest, then stored - 1 in 2 or 3 bytes, and it decodes with ZLIB exactly when smaller. */
static void check_entry_bytes(unsigned int shift, uint32_t length, uint32_t stored)
{
	uint8_t e[40] = { 0 }, want[35];
	struct strata_chunk c = { .length = length, .stored_size = stored };
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *buf;
	unsigned int ent = shift <= 16 ? 34 : 35;

	memset(c.digest, 0xA5, 32);
	strata_index_entry_encode(e, &c);
	buf = encode(V3, e, length, shift, 0, &len);
	memset(want, 0xA5, 32);
	memset(want + 32, 0, 3);
	for (unsigned int k = 0; k < ent - 32; k++)
		want[32 + k] = (uint8_t)((stored - 1) >> (8 * k));
	CHECK_EQ(len, HDR + ent);
	CHECK_MSG(memcmp(buf + HDR, want, ent) == 0, "shift %u stored %u", shift, stored);
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	strata_index_chunk(&idx, 0, &c);
	CHECK(c.stored_size == stored && c.flags == (stored < length ? STRATA_ENTRY_ZLIB : 0));
	free(buf);
}

static void test_entry_bytes(void)
{
	check_entry_bytes(12, 4096, 4096);          /* raw: 0x0fff */
	check_entry_bytes(12, 4096, 1);             /* zlib, 1 byte: 0x0000 */
	check_entry_bytes(16, 65536, 65536);        /* raw at 64 KiB: 0xffff, the widest */
	check_entry_bytes(16, 65536, 0x1234);
	check_entry_bytes(17, 131072, 131072);      /* 3 bytes: 0x01ffff */
	check_entry_bytes(17, 131072, 0x12345);
	check_entry_bytes(22, 4u << 20, 4u << 20);  /* 0x3fffff */
	check_entry_bytes(22, 7, 7);                /* a short only chunk */
}

/** An entry mutation: chunk's entry gets stored size less one val (in the entry's width), or
 *  with digest an all-zero digest; rc and where (an offset in the entry) are expected. */
struct ecase {
	const char *name;
	uint64_t image_size;
	unsigned int shift, entry;
	uint32_t val;
	int digest, rc;
	unsigned int field;
};

/* Both images have data entries 0..6 (chunks 0, 5, 8, 9, 10, 16, 17), the last one short:
 * 5 bytes at shift 12, 9 at shift 17. */
static const struct ecase entry_cases[] = {
	{ "2 bytes: stored 4097 of 4096", 17 * 4096 + 5, 12, 1, 4096, 0, STRATA_ERANGE, 32 },
	{ "2 bytes: stored 65536 of 4096", 17 * 4096 + 5, 12, 0, 0xffff, 0, STRATA_ERANGE, 32 },
	{ "2 bytes: short last, stored 6 of 5", 17 * 4096 + 5, 12, 6, 5, 0, STRATA_ERANGE, 32 },
	{ "2 bytes: all-zero digest", 17 * 4096 + 5, 12, 3, 0, 1, STRATA_EINVAL, 0 },
	{ "3 bytes: stored 131073 of 131072", 17 * 131072 + 9, 17, 2, 131072, 0, STRATA_ERANGE, 32 },
	{ "3 bytes: stored 2^24", 17 * 131072 + 9, 17, 0, 0xffffff, 0, STRATA_ERANGE, 32 },
	{ "3 bytes: short last, stored 10 of 9", 17 * 131072 + 9, 17, 6, 9, 0, STRATA_ERANGE, 32 },
	{ "3 bytes: high byte only", 17 * 131072 + 9, 17, 4, 0x020000, 0, STRATA_ERANGE, 32 },
	{ "3 bytes: all-zero digest", 17 * 131072 + 9, 17, 6, 0, 1, STRATA_EINVAL, 0 },
};

static void check_entry_case(const struct ecase *ec)
{
	uint8_t *entries = sample_entries(ec->image_size, ec->shift);
	unsigned int ent = ec->shift <= 16 ? 34 : 35;
	struct strata_diag d;
	struct strata_index idx;
	size_t len;
	uint8_t *buf = encode(V3, entries, ec->image_size, ec->shift, 0, &len), *e;
	int rc;

	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	e = buf + (idx.entries - buf) + ec->entry * ent;
	if (ec->digest)
		memset(e, 0, 32);
	else
		le_n_put(e + 32, ent - 32, ec->val);
	rc = parse(&idx, buf, len, &d);
	CHECK_MSG(rc == ec->rc && d.msg && d.msg[0], "%s: rc %d, want %d", ec->name, rc, ec->rc);
	CHECK_MSG(buf + d.where == e + ec->field, "%s: where %llu", ec->name,
		  (unsigned long long)d.where);
	free(buf);
	free(entries);
}

static void test_entry_rules(void)
{
	for (size_t i = 0; i < sizeof(entry_cases) / sizeof(entry_cases[0]); i++)
		check_entry_case(&entry_cases[i]);
}

/* The encoder refuses a data entry whose stored size a reader would reject (0, or past
 * its chunk's length, the short last chunk's included), in both versions it writes,
 * rather than wrap or cut it into a valid-looking size; the sizes at the limits pass. */
static void test_encode_stored_range(void)
{
	static const struct { unsigned int shift; uint64_t chunk; uint32_t stored; int rc; }
	cases[] = {
		{ 16, 5, 0, STRATA_EINVAL },            /* v3 would write 0xffff: 65536 */
		{ 16, 5, 65537, STRATA_EINVAL },        /* v3 would write 0x0000: 1 */
		{ 16, 5, 65536, 0 },
		{ 16, 5, 1, 0 },
		{ 12, 17, 6, STRATA_EINVAL },           /* the short last chunk: 5 bytes */
		{ 12, 17, 5, 0 },
		{ 17, 9, 0, STRATA_EINVAL },
		{ 17, 9, 131073, STRATA_EINVAL },
	};
	static const unsigned int versions[] = { V3, STRATA_INDEX_VERSION_V2 };

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint64_t size = 17 * (1ull << cases[k].shift) + 5;
		uint8_t *entries = sample_entries(size, cases[k].shift);

		le32_put(entries + cases[k].chunk * PER_CHUNK + 32, cases[k].stored);
		for (unsigned int v = 0; v < 2; v++) {
			size_t len = 0;
			int rc = strata_index_encode_as(versions[v], NULL, &len, entries, size,
							cases[k].shift, 0);

			CHECK_MSG(rc == cases[k].rc, "case %zu version %u: rc %d", k, versions[v], rc);
		}
		free(entries);
	}
}

/* Parse buf with its le16 at off set to val: rc and where 12 or 8 as given. */
static void expect_header(const uint8_t *base, size_t len, unsigned int off, uint16_t val,
			  int rc, uint64_t where)
{
	struct strata_diag d;
	struct strata_index idx;
	uint8_t *buf = copy_of(base, len);

	le16_put(buf + off, val);
	CHECK_MSG(parse(&idx, buf, len, &d) == rc && d.where == where && d.msg,
		  "le16 %u at %u: where %llu", val, off, (unsigned long long)d.where);
	free(buf);
}

/* The header's entry size must be the one the version and shift give; a newer version is
 * refused with a message that asks for an upgrade. */
static void test_header_rules(void)
{
	uint8_t *e16 = sample_entries(40 * 65536, 16), *e17 = sample_entries(20 * 131072, 17);
	struct strata_diag d;
	struct strata_index idx;
	size_t l16, l17;
	uint8_t *b16 = encode(V3, e16, 40 * 65536, 16, 0, &l16);
	uint8_t *b17 = encode(V3, e17, 20 * 131072, 17, 0, &l17), *buf;

	expect_header(b16, l16, 12, 35, STRATA_EINVAL, 12);
	expect_header(b16, l16, 12, 40, STRATA_EINVAL, 12);
	expect_header(b16, l16, 12, 33, STRATA_EINVAL, 12);
	expect_header(b17, l17, 12, 34, STRATA_EINVAL, 12);
	expect_header(b17, l17, 12, 40, STRATA_EINVAL, 12);
	expect_header(b16, l16, 8, 2, STRATA_EINVAL, 12);     /* a v3 body is not version 2 */
	expect_header(b16, l16, 8, 4, STRATA_ENOTSUP, 8);
	buf = copy_of(b16, l16);
	le16_put(buf + 8, 4);
	CHECK_EQ(parse(&idx, buf, l16, &d), STRATA_ENOTSUP);
	CHECK(strstr(d.msg, "newer than this reader (3)") && strstr(d.msg, "upgrade"));
	memcpy(buf, b16, l16);
	buf[14] = 17;                             /* 64 KiB -> 128 KiB: 34 is no longer right */
	CHECK_EQ(parse(&idx, buf, l16, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 12);
	free(buf);
	free(b17);
	free(b16);
	free(e17);
	free(e16);
}

/* Truncation at every length; a trailing byte, and a whole entry's worth of them. */
static void check_truncation(uint64_t image_size, unsigned int shift)
{
	uint8_t *entries = sample_entries(image_size, shift);
	size_t len;
	uint8_t *base = encode(V3, entries, image_size, shift, 0, &len);

	check_prefixes_and_tail(base, len, 1);
	check_prefixes_and_tail(base, len, shift <= 16 ? 34 : 35);
	free(base);
	free(entries);
}

static void test_truncation_and_trailing(void)
{
	check_truncation(17 * 4096 + 5, 12);
	check_truncation(17 * 131072 + 9, 17);
}

/* Truncation may be found only at the end (where == len). */
static void test_bit_flips(void)
{
	uint8_t *e12 = sample_entries(17 * 4096 + 5, 12), *e17 = sample_entries(3 * 131072, 17);
	size_t l12, l17;
	uint8_t *b12 = encode(V3, e12, 17 * 4096 + 5, 12, 0, &l12);
	uint8_t *b17 = encode(V3, e17, 3 * 131072, 17, 0, &l17);

	flip_every_bit(b12, l12, canonical, l12);
	flip_every_bit(b17, l17, canonical, l17);
	free(b17);
	free(b12);
	free(e17);
	free(e12);
}

/* strata_index_set_stored in version 3: the size less one changes in place in its width,
 * the chunk decodes as zlib while smaller than its length, and set back to the length the
 * bytes are the ones encoded; sizes out of range and chunks without a file change nothing. */
static void check_set_stored(uint64_t size, unsigned int shift)
{
	uint64_t count = strata_chunk_count(size, shift);
	uint8_t *entries = sample_entries(size, shift);
	struct strata_index idx;
	struct strata_chunk c;
	struct strata_diag d;
	size_t len;
	uint8_t *buf = encode(V3, entries, size, shift, 0, &len), *orig = copy_of(buf, len);

	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	for (uint64_t i = 0; i < count; i++) {
		strata_index_chunk(&idx, i, &c);
		if (!c.stored_size) {
			CHECK_EQ(strata_index_set_stored(&idx, buf, i, 100), STRATA_EINVAL);
			continue;
		}
		CHECK_EQ(strata_index_set_stored(&idx, buf, i, 0), STRATA_EINVAL);
		CHECK_EQ(strata_index_set_stored(&idx, buf, i, c.length + 1), STRATA_EINVAL);
		CHECK_EQ(strata_index_set_stored(&idx, buf, i, c.length / 2 + 1), 0);
		strata_index_chunk(&idx, i, &c);
		CHECK(c.stored_size == c.length / 2 + 1 &&
		      c.flags == (c.stored_size < c.length ? STRATA_ENTRY_ZLIB : 0));
	}
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	CHECK(canonical(&idx, buf, len));
	for (uint64_t i = 0; i < count; i++)
		if (!sample_class(i)) {
			strata_index_chunk(&idx, i, &c);
			CHECK_EQ(strata_index_set_stored(&idx, buf, i, c.length), 0);
		}
	CHECK(memcmp(buf, orig, len) == 0);
	free(orig);
	free(buf);
	free(entries);
}

static void test_set_stored(void)
{
	check_set_stored(17 * 4096 + 5, 12);
	check_set_stored(17 * 131072 + 9, 17);
}

/* A 1 PiB layer of free chunks is still one 24-byte run; its header says 35-byte entries. */
static void test_huge_run(void)
{
	uint8_t e[40] = { 0 }, *buf;
	struct strata_diag d;
	struct strata_index idx;
	struct strata_chunk c;
	size_t len;

	le32_put(e + 36, STRATA_ENTRY_FREE);
	buf = encode(V3, e, 4096, 12, 0, &len);          /* the header and one run, then: */
	le64_put(buf + 16, STRATA_IMAGE_SIZE_MAX);
	le64_put(buf + 24, 1ULL << 28);
	buf[14] = 22;
	le16_put(buf + 12, 35);
	le32_put(buf + HDR + 16, 1u << 28);
	CHECK_EQ(parse(&idx, buf, len, &d), 0);
	CHECK_EQ(len, HDR + RUNSZ);
	strata_index_chunk(&idx, (1u << 28) - 1, &c);
	CHECK(c.flags == STRATA_ENTRY_FREE && c.offset + c.length == STRATA_IMAGE_SIZE_MAX);
	CHECK_EQ(strata_index_next_data(&idx, 0), idx.chunk_count);
	free(buf);
}

int main(void)
{
	RUN(test_entry_size);
	RUN(test_round_trip);
	RUN(test_entry_bytes);
	RUN(test_entry_rules);
	RUN(test_encode_stored_range);
	RUN(test_header_rules);
	RUN(test_truncation_and_trailing);
	RUN(test_bit_flips);
	RUN(test_set_stored);
	RUN(test_huge_run);
	return harness_summary();
}
