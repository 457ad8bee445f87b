/* strata-image apply as a function, so the command and the tests share it. */
#ifndef STRATA_APPLY_H
#define STRATA_APPLY_H

#include <stdint.h>
#include "store.h"

/** What to apply where.  All strings borrowed. */
struct apply_opts {
	const char *store;   /**< folder or http:// URL */
	const char *layer;   /**< "sha256:<hex>" */
	const char *target;  /**< file (created or resized) or block device */
	unsigned int jobs;   /**< threads; 0 = automatic */
	struct store_limits limits;  /**< how slow the store may be (store.h) */
	int wipe;            /**< --wipe: free chunks made zero and read back (deploy.h) */
};

/**
 * What an apply did; the summary line and the --json report.  Every chunk is counted
 * once: fetched + reused + zero + failed + left = total, so a stopped apply (a full
 * disk, a store too slow) says how much it did not do instead of "0 failed".
 */
struct apply_stats {
	uint64_t chunks_total, chunks_fetched, chunks_reused, chunks_zero, chunks_free;
	uint64_t chunks_wiped;  /**< free chunks written as zeros (--wipe) */
	uint64_t chunks_failed;
	/** Used chunks the scan did not read, after a streak of chunks that the target did
	 *  not hold (deploy.h, blind writes): fetched or zeroed without a look. */
	uint64_t chunks_blind;
	/** Bytes the engines read from and wrote to the target: what a deployment costs the
	 *  disk, for comparing with other tools (tests/bench/fsaware.sh). */
	uint64_t target_read, target_written;
	uint64_t chunks_left;   /**< not reached: the apply stopped before them */
	uint64_t bytes_fetched, image_size;
	double seconds;
};

/** Make o->target hold exactly the layer.  Prints its own errors.  0 or a negative rc. */
int apply_layer(struct apply_opts *o, struct apply_stats *st);

#endif /* STRATA_APPLY_H */
