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
	/** A partition of a disk (apply --manifest): the layer goes at byte base of target,
	 *  which must exist and is never resized, and must fit in extent bytes.  0 and 0:
	 *  the whole target is the layer's (a file is given the layer's size). */
	uint64_t base, extent;
	const char *manifest; /**< --manifest FILE: deploy a whole disk (apply_manifest) */
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

/**
 * Deploy the manifest o->manifest onto the disk o->target (an image file or a block device
 * that exists) as strata.efi does: the whole deployment is planned against the disk first
 * (core/disk_fit.h: the GPT and every layer it writes, their indexes read from o->store),
 * and when it does not fit nothing is written and the shortfall is printed per partition;
 * then the GPT (a preserved partition never moved or overwritten), then each write
 * partition's layer, and each restore partition's when the disk lacks it.  *st sums the
 * layers' applies.  Prints its own errors.  0, STRATA_ENOSPC or STRATA_EINVAL for a plan
 * that does not fit (disk_fit.h), or another negative rc.
 */
int apply_manifest(struct apply_opts *o, struct apply_stats *st);

#endif /* STRATA_APPLY_H */
