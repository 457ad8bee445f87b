/*
 * Inside the deploy engine: what deploy.c (the phases, one chunk at a time) and
 * deploy_batch.c (the same decisions in batches on every core) share.  Not for drivers:
 * they use deploy.h.  Why a split: the batches' buffers and job plumbing are one thing,
 * the phases' rules another, and the rules must be written once.
 */
#ifndef STRATA_DEPLOY_INT_H
#define STRATA_DEPLOY_INT_H

#include "chunk.h"
#include "deploy.h"

/** Chunk c's length rounded up to whole target blocks. */
uint64_t strata_deploy_blocks(const struct strata_deploy *d, uint32_t len);

/** Count and name a failed chunk (the first one in d->diag); why is static. */
void strata_deploy_failed(struct strata_deploy *d, const struct strata_chunk *c, const char *why);

/**
 * Phase 1's decision for used chunk c, read by the scan (its bytes in have, borrowed; len
 * its length in whole blocks) and judged act: learn it for blind writes, then keep it,
 * write zeros, or append it to need.  0, or a target rc.
 */
int strata_deploy_decide(struct strata_deploy *d, const struct strata_chunk *c,
			 enum strata_action act, uint64_t len, uint64_t *need, uint64_t *n_need);

/** Write chunk c's verified bytes out[0..its blocks) (borrowed) and count it fetched.
 *  0, or a target rc. */
int strata_deploy_commit(struct strata_deploy *d, const struct strata_chunk *c, const void *out);

/** As strata_deploy_commit, with the target's write_start when it has one: out is then
 *  the target's until strata_batch_settle (deploy.h, struct strata_target_ops).  On a
 *  failure, *failed_off is the offset of the write that failed: c's, or that of an
 *  earlier started one. */
int strata_deploy_commit_start(struct strata_deploy *d, const struct strata_chunk *c,
			       const void *out, uint64_t *failed_off);

/** A started write of chunk c failed, or may have: take it back out of the fetched counts
 *  and the reuse table (its bytes are not known to be on the target). */
void strata_deploy_unwritten(struct strata_deploy *d, const struct strata_chunk *c);

/** Wait for the writes the batches started (a no-op when none is in flight): every batch
 *  buffer is the engine's again.  0, or the target's rc, the chunk whose write failed
 *  counted as failed and named (strata_deploy_failed). */
int strata_batch_settle(struct strata_deploy *d);

/** Allocate d->batch (with d->workers; a no-op without).  0 or STRATA_ENOMEM. */
int strata_batch_init(struct strata_deploy *d);

/** Free d->batch; safe when it was never made. */
void strata_batch_done(struct strata_deploy *d);

/** How many chunks from i (before end) the next scan batch takes: consecutive used chunks
 *  of whole blocks, no more than could miss before blind writes start.  0: scan chunk i
 *  alone. */
uint32_t strata_batch_scan_len(struct strata_deploy *d, uint64_t i, uint64_t end);

/** Scan chunks i..i+n-1 (strata_batch_scan_len's n): one read, hashed on every core,
 *  decided in order.  0, or a target rc. */
int strata_batch_scan(struct strata_deploy *d, uint64_t i, uint32_t n, uint64_t *need,
		      uint64_t *n_need);

/** Where the store file of d->cur goes as it arrives: a slot of the batch being filled. */
uint8_t *strata_batch_slot(struct strata_deploy *d);

/**
 * d->cur's store file is complete in its slot: queue it.  When the batch is full, finish
 * and write the one before, and start this one.  0; STRATA_ECORRUPT when a chunk of the
 * written batch failed (counted, named, d->cur and d->run_next set to it, later chunks
 * dropped); or a target rc (d->cur is the chunk that was not written).
 */
int strata_batch_queue(struct strata_deploy *d);

/** At the end of a run's stream: decode and write every queued chunk.  Same rcs as
 *  strata_batch_queue. */
int strata_batch_drain(struct strata_deploy *d);

#endif /* STRATA_DEPLOY_INT_H */
