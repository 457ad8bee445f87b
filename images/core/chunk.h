/*
 * The chunk rules every front end shares: how a target's bytes compare with a chunk, and
 * how a fetched store file becomes bytes that may be written.
 *
 * This is where "no unverified byte reaches a disk" is enforced: strata_chunk_decode is the
 * only way from store bytes to writable bytes, and it succeeds only when the output hashes
 * to the chunk's digest.
 */
#ifndef STRATA_CHUNK_H
#define STRATA_CHUNK_H

#include <stddef.h>
#include "index.h"

/** What a target must do for one chunk. */
enum strata_action {
	STRATA_KEEP = 0,    /**< the target already holds the chunk, or it is free */
	STRATA_ZERO = 1,    /**< a zero chunk where the target is not zero: write zeros */
	STRATA_FETCH = 2,   /**< the target differs: fetch, verify, write */
};

/** True when n bytes at p are all zero.  Fast path for zero chunks and zero targets. */
int strata_is_zero(const void *p, size_t n);

/**
 * Compare what the target holds for chunk c (have[0..c->length)) with the chunk, and say
 * what must be done.  Hashes have only when it is not already decided by zeros; a free
 * chunk is always kept, so callers need not even read it (have may then be NULL).
 * Borrows have.
 */
enum strata_action strata_chunk_action(const struct strata_chunk *c, const void *have);

/**
 * Turn a chunk's store file (stored[0..stored_len)) into its c->length bytes in out, and
 * verify them against c->digest; a free chunk leaves out untouched.  Fails with STRATA_ECORRUPT (diag->where = c->index) when
 * the size, the zlib stream or the hash is wrong; then out holds garbage that must not be
 * written.  Borrows both buffers.
 */
int strata_chunk_decode(const struct strata_chunk *c, const void *stored, size_t stored_len,
			void *out, struct strata_diag *diag);

/**
 * strata_chunk_decode that inflates in work[0..STRATA_INFLATE_WORK) (codec.h; the
 * caller's) and allocates nothing: what the deploy engine's workers run on cores that may
 * not call the allocator.  work NULL is strata_chunk_decode.
 */
int strata_chunk_decode_in(const struct strata_chunk *c, const void *stored, size_t stored_len,
			   void *out, void *work, struct strata_diag *diag);

#endif /* STRATA_CHUNK_H */
