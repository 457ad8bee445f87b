/*
 * One chunk of an in-memory layer, made the way strata-image makes it: the unit tests of
 * the deploy engine (test_deploy.c) and of multicast (test_mcast_layer.h, and through it
 * fuzz_mcast.c) build their layers chunk by chunk with it, so the format's rule is written
 * once in the tests.  Static: each binary links only the core.
 */
#ifndef STRATA_TEST_FAKE_CHUNK_H
#define STRATA_TEST_FAKE_CHUNK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "chunk.h"
#include "crypto.h"
#include "index.h"

/*
 * Chunk i of image (size bytes, chunks of 2^shift): writes its version 1 index entry into
 * index_buf (a whole version 1 index, header first) and returns its store file, zlib only
 * when smaller, as the format says.  A zero chunk has no store file: NULL.  The caller owns
 * the returned buffer (free); image and index_buf stay the caller's.
 */
static uint8_t *fake_chunk(const uint8_t *image, size_t size, unsigned int shift, uint64_t i,
			   uint8_t *index_buf)
{
	uint32_t cs = 1u << shift;
	struct strata_chunk c = { .index = i, .offset = i * cs };
	uLongf zl = compressBound(cs);
	uint8_t *z = calloc(1, zl);

	if (!z)
		abort();
	c.length = (uint32_t)(size - c.offset < cs ? size - c.offset : cs);
	if (strata_is_zero(image + c.offset, c.length)) {
		c.flags = STRATA_ENTRY_ZERO;
		free(z);
		z = NULL;
	} else {
		strata_sha256(image + c.offset, c.length, c.digest);
		compress2(z, &zl, image + c.offset, c.length, 6);
		if (zl < c.length) {
			c.flags = STRATA_ENTRY_ZLIB;
			c.stored_size = (uint32_t)zl;
		} else {
			memcpy(z, image + c.offset, c.length);
			c.stored_size = c.length;
		}
	}
	strata_index_entry_encode(index_buf + 64 + i * 40, &c);
	return z;
}

#endif
