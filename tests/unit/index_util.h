/*
 * Helpers the layer index tests share (test_index.c for version 1, test_index_v2.c for
 * version 2): heap copies of exactly the bytes under test, a parse that resets what it
 * fills, and the bit-flip sweep.  Static functions: each test binary links only the core.
 */
#ifndef STRATA_TEST_INDEX_UTIL_H
#define STRATA_TEST_INDEX_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "index.h"

/* A heap copy of len bytes of src (so reads past len are caught); the caller frees it. */
static uint8_t *copy_of(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	if (len)
		memcpy(p, src, len);
	return p;
}

/* strata_index_parse with idx and d reset first, so a stale field cannot pass a check. */
static int parse(struct strata_index *idx, const uint8_t *buf, size_t len,
		 struct strata_diag *d)
{
	d->msg = NULL;
	d->where = UINT64_MAX;
	memset(idx, 0, sizeof(*idx));
	return strata_index_parse(idx, buf, len, d);
}

/** What a bit-flipped index that still parses must satisfy. */
typedef int index_ok_fn(const struct strata_index *idx, const uint8_t *buf, size_t len);

/*
 * Flip every bit of base[0..len) in turn: an index that still parses must pass ok; one
 * that does not must fail with a known rc, a message and diag.where <= where_max.  Some
 * of each must happen (digest bits may flip, header bits mostly may not).  base stays
 * the caller's.
 */
static void flip_every_bit(const uint8_t *base, size_t len, index_ok_fn *ok, size_t where_max)
{
	struct strata_diag d;
	struct strata_index idx;
	unsigned int accepted = 0, rejected = 0;

	for (size_t bit = 0; bit < len * 8; bit++) {
		uint8_t *buf = copy_of(base, len);
		int rc;

		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = parse(&idx, buf, len, &d);
		if (rc == 0) {
			accepted++;
			CHECK_MSG(ok(&idx, buf, len), "bit %zu accepted but inconsistent", bit);
		} else {
			rejected++;
			CHECK_MSG(rc < 0 && rc >= STRATA_ENOTSUP && d.msg && d.where <= where_max,
				  "bit %zu: rc %d where %llu", bit, rc, (unsigned long long)d.where);
		}
		free(buf);
	}
	CHECK(accepted > 0 && rejected > 0);
}

#endif /* STRATA_TEST_INDEX_UTIL_H */
