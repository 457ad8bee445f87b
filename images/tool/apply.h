/* strata-image apply as a function, so the command and the tests share it. */
#ifndef STRATA_APPLY_H
#define STRATA_APPLY_H

#include <stdint.h>

/** What to apply where.  All strings borrowed. */
struct apply_opts {
	const char *store;   /**< folder or http:// URL */
	const char *layer;   /**< "sha256:<hex>" */
	const char *target;  /**< file (created or resized) or block device */
	unsigned int jobs;   /**< threads; 0 = automatic */
};

/** What an apply did; the --json report. */
struct apply_stats {
	uint64_t chunks_total, chunks_fetched, chunks_reused, chunks_zero, chunks_free;
	uint64_t chunks_failed;
	uint64_t bytes_fetched, image_size;
	double seconds;
};

/** Make o->target hold exactly the layer.  Prints its own errors.  0 or a negative rc. */
int apply_layer(struct apply_opts *o, struct apply_stats *st);

#endif /* STRATA_APPLY_H */
