/*
 * The duplicate-reuse table of a deployment: from a chunk's digest to a chunk index whose
 * bytes already sit verified on the target (kept by the scan, or fetched and written).  A
 * layer that repeats a chunk (runs of the same block in a filesystem, copies of a file)
 * then crosses the network once; the engine reads the copy back and hashes it again before
 * writing it elsewhere, so the table is a hint, never a reason to trust bytes.
 *
 * Threads that share a table pass lock hooks; a single-threaded driver passes none.  The
 * hooks are an ops struct the driver picks at link time, so the core names no thread API.
 */
#ifndef STRATA_REUSE_H
#define STRATA_REUSE_H

#include <stdint.h>
#include "index.h"
#include "rc.h"

/** A lock around table lookups and inserts, for drivers that share a table. */
struct strata_lock_ops {
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
};

/** An open-addressed table of chunk indices of one layer, keyed by their digest. */
struct strata_reuse {
	const struct strata_index *idx;     /**< borrowed; digests are read from it */
	const struct strata_lock_ops *lock; /**< NULL: one thread uses the table */
	void *lock_ctx;
	/* internal */
	uint64_t *slot;                     /**< chunk index + 1; 0 is an empty slot */
	uint64_t mask;
};

/**
 * Make an empty table for idx's chunks (twice their count in slots, so probes stay short).
 * t->lock and t->lock_ctx are left for the caller to set.  The table owns its slots
 * (strata_alloc) until strata_reuse_done.  0 or STRATA_ENOMEM.
 */
int strata_reuse_init(struct strata_reuse *t, const struct strata_index *idx);

/** The same for a table that will hold at most n of idx's chunks (the engine's set of
 *  the digests in the run it is building). */
int strata_reuse_init_for(struct strata_reuse *t, const struct strata_index *idx, uint64_t n);

/** Empty the table, keeping its slots. */
void strata_reuse_clear(struct strata_reuse *t);

/** Free the slots; t may be zeroed or already done. */
void strata_reuse_done(struct strata_reuse *t);

/**
 * Record that chunk i sits verified on the target.  It takes the place of an older entry
 * for the same digest: the newest verified copy is the one most likely still intact (an
 * older one may since have failed its re-check, which is why a new copy was written).
 */
void strata_reuse_add(struct strata_reuse *t, uint64_t i);

/**
 * Chunk i's bytes are not known to be on the target after all (a started write of it
 * failed, or may have): when its digest's entry names i, the entry goes, so nothing is
 * copied from there.  An entry naming another chunk of that digest stays.
 */
void strata_reuse_forget(struct strata_reuse *t, uint64_t i);

/** A chunk index holding digest on the target, plus one; 0 when none is known. */
uint64_t strata_reuse_find(struct strata_reuse *t, const uint8_t digest[32]);

#endif /* STRATA_REUSE_H */
