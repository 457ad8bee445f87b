/*
 * A layer in memory for the multicast tests (test_mcast_rx.c) and fuzzer (fuzz_mcast.c):
 * an image of random, compressible, zero and short chunks, its index (version 1) and one
 * store file per data chunk, plus a writer of a chunk's datagrams through the core's
 * strata_mc_encode, so tests send exactly what a server would.  Static functions: each
 * binary links only the core.
 */
#ifndef STRATA_TEST_MCAST_LAYER_H
#define STRATA_TEST_MCAST_LAYER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "chunk.h"
#include "crypto.h"
#include "index.h"
#include "mcast.h"
#include "test_fake_chunk.h"

/** The layer: image, index and store files.  All heap, freed by ml_free. */
struct ml {
	uint8_t *image;
	size_t size;
	unsigned int shift;
	uint8_t *index_buf;
	size_t index_len;
	struct strata_index idx;
	uint8_t **file;        /**< store file of chunk i; NULL for a zero chunk */
};

static void *ml_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		abort();
	return p;
}

/* Chunk i's bytes: every 4th zero, every 4th + 1 compressible, the rest random. */
static void ml_fill(struct ml *l, unsigned int seed)
{
	uint32_t cs = 1u << l->shift, x = seed * 2654435761u + 1;

	for (size_t off = 0; off < l->size; off++) {
		size_t i = off / cs;

		x = x * 1103515245u + 12345u;
		l->image[off] = i % 4 == 0 ? 0 : i % 4 == 1 ? (uint8_t)('a' + off % 3)
			: (uint8_t)(x >> 16);
	}
}

/* l's index and store files, from its image (ml_build's, or a test's own). */
static void ml_index(struct ml *l)
{
	uint64_t n = strata_chunk_count(l->size, l->shift);
	struct strata_diag diag;

	l->index_len = (size_t)strata_index_size(n);
	l->index_buf = ml_alloc(l->index_len);
	l->file = ml_alloc(n * sizeof(*l->file));
	strata_index_header_encode(l->index_buf, l->size, l->shift);
	for (uint64_t i = 0; i < n; i++)
		l->file[i] = fake_chunk(l->image, l->size, l->shift, i, l->index_buf);
	if (strata_index_parse(&l->idx, l->index_buf, l->index_len, &diag))
		abort();
}

/* A layer of size bytes in chunks of 2^shift. */
static void ml_build(struct ml *l, size_t size, unsigned int shift, unsigned int seed)
{
	memset(l, 0, sizeof(*l));
	l->size = size;
	l->shift = shift;
	l->image = ml_alloc(size);
	ml_fill(l, seed);
	ml_index(l);
}

static void ml_free(struct ml *l)
{
	for (uint64_t i = 0; i < l->idx.chunk_count; i++)
		free(l->file[i]);
	free(l->file);
	free(l->index_buf);
	free(l->image);
}

/** What ml_datagram writes besides the chunk's bytes. */
struct ml_session {
	uint8_t session[STRATA_MC_SESSION_LEN];
	uint8_t part, parity;
	uint16_t frag_size;
	uint32_t seq, cycle;
};

/*
 * Datagram frag of chunk i of l into out (STRATA_MC_DGRAM_MAX bytes), through the core's
 * writer; parity fragments carry a filler (the receiver does not use them).  Bumps s->seq.
 * Returns its length (0 when the writer refused).
 */
static size_t ml_datagram(const struct ml *l, struct ml_session *s, uint64_t i, uint32_t frag,
			  uint8_t *out)
{
	static const uint8_t filler[STRATA_MC_PAYLOAD_MAX];
	struct strata_chunk c;
	struct strata_mc_frag f = { 0 };

	strata_index_chunk(&l->idx, i, &c);
	f.part = s->part;
	f.parity = s->parity;
	memcpy(f.session, s->session, sizeof(f.session));
	f.seq = s->seq++;
	f.cycle = s->cycle;
	f.chunk = i;
	f.stored_size = c.stored_size;
	f.frag = (uint16_t)frag;
	f.frag_size = s->frag_size;
	f.type = frag < strata_mc_data_frags(c.stored_size, s->frag_size) ? STRATA_MC_DATA
		: STRATA_MC_PARITY;
	f.payload_len = strata_mc_payload_len(c.stored_size, s->frag_size, s->parity, frag);
	f.payload = f.type == STRATA_MC_DATA && l->file[i] ? l->file[i] + (size_t)frag * s->frag_size
		: filler;
	return strata_mc_encode(out, &f);
}

#endif /* STRATA_TEST_MCAST_LAYER_H */
