/*
 * The sample layer the tests of the run-based index versions share (test_index_v2.c,
 * test_index_v3.c): a pattern of data, zero and free chunks, its per-chunk entries, its
 * encoding in either version, and the checks that a parsed index decodes to those entries
 * and re-encodes to its own bytes.  Why one sample: versions 2 and 3 differ only in the
 * data entry, so the same chunks must decode the same from both.  Static functions, as in
 * index_util.h.
 */
#ifndef STRATA_TEST_INDEX_SAMPLE_H
#define STRATA_TEST_INDEX_SAMPLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "index.h"
#include "index_util.h"

/* The per-chunk (version 1) entry size: what builds fill and strata_index_encode reads. */
#define PER_CHUNK 40u

/* Chunk i of the sample: a pattern of data, zero and free stretches by i. */
static uint32_t sample_class(uint64_t i)
{
	static const char pat[] = "dzzffdfzdddffffzd";

	switch (pat[i % (sizeof(pat) - 1)]) {
	case 'z':
		return STRATA_ENTRY_ZERO;
	case 'f':
		return STRATA_ENTRY_FREE;
	default:
		return 0;
	}
}

/* The per-chunk entries of the sample (heap, count * 40 bytes, the caller's): data chunks
 * stored raw (stored size = length) with a digest made from i. */
static uint8_t *sample_entries(uint64_t image_size, unsigned int shift)
{
	uint64_t count = strata_chunk_count(image_size, shift);
	uint8_t *e = calloc(count, PER_CHUNK);
	struct strata_chunk c;

	if (!e)
		abort();
	for (uint64_t i = 0; i < count; i++) {
		memset(&c, 0, sizeof(c));
		c.flags = sample_class(i);
		if (!c.flags) {
			uint64_t left = image_size - (i << shift);

			c.stored_size = (uint32_t)(left < (1ULL << shift) ? left : 1ULL << shift);
			for (int k = 0; k < 32; k++)
				c.digest[k] = (uint8_t)(i * 13 + (uint64_t)k + 1);
		}
		strata_index_entry_encode(e + i * PER_CHUNK, &c);
	}
	return e;
}

/* Encode entries as an index of version into an exactly-sized heap buffer (the caller's). */
static uint8_t *encode(unsigned int version, const uint8_t *entries, uint64_t image_size,
		       unsigned int shift, uint32_t flags, size_t *len)
{
	uint8_t *buf;

	if (strata_index_encode_as(version, NULL, len, entries, image_size, shift, flags) != 0)
		abort();
	buf = malloc(*len);
	if (!buf || strata_index_encode_as(version, buf, len, entries, image_size, shift,
					   flags) != 0)
		abort();
	return buf;
}

/* Every chunk of a parsed index decodes to the per-chunk entry it was encoded from. */
static int same_chunks(const struct strata_index *idx, const uint8_t *entries)
{
	struct strata_chunk c;
	uint8_t e[PER_CHUNK];
	int ok = 1;

	for (uint64_t i = 0; i < idx->chunk_count; i++) {
		strata_index_chunk(idx, i, &c);
		strata_index_entry_encode(e, &c);
		ok &= c.index == i && memcmp(e, entries + i * PER_CHUNK, PER_CHUNK) == 0;
	}
	return ok;
}

/* An accepted index re-encodes, in its own version, from its decoded chunks, to exactly
 * its own bytes. */
static int canonical(const struct strata_index *idx, const uint8_t *buf, size_t len)
{
	uint8_t *e = calloc(idx->chunk_count, PER_CHUNK), *again;
	struct strata_chunk c;
	size_t n;
	int ok;

	if (!e)
		abort();
	for (uint64_t i = 0; i < idx->chunk_count; i++) {
		strata_index_chunk(idx, i, &c);
		strata_index_entry_encode(e + i * PER_CHUNK, &c);
	}
	again = encode(idx->version, e, idx->image_size, idx->chunk_shift, idx->flags, &n);
	ok = n == len && memcmp(again, buf, len) == 0;
	free(again);
	free(e);
	return ok;
}

/* Every proper prefix of base[0..len) is refused as truncated at its own end, and base with
 * extra (>= 1) zero bytes after it as trailing bytes at len.  base stays the caller's. */
static void check_prefixes_and_tail(const uint8_t *base, size_t len, size_t extra)
{
	struct strata_diag d;
	struct strata_index idx;
	uint8_t *buf;

	for (size_t n = 0; n < len; n++) {
		int rc;

		buf = copy_of(base, n);
		rc = parse(&idx, buf, n, &d);
		CHECK_MSG(rc == STRATA_ETRUNC && d.where == n && d.msg, "length %zu: rc %d", n, rc);
		free(buf);
	}
	buf = calloc(1, len + extra);
	if (!buf)
		abort();
	memcpy(buf, base, len);
	CHECK_EQ(parse(&idx, buf, len + extra, &d), STRATA_ETRAIL);
	CHECK_EQ(d.where, len);
	free(buf);
}

#endif /* STRATA_TEST_INDEX_SAMPLE_H */
