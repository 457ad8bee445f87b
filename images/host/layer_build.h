/* Building a layer from an image file or block device (see layer_build.c). */
#ifndef STRATA_LAYER_BUILD_H
#define STRATA_LAYER_BUILD_H

#include <stdint.h>
#include "layer_fsmap.h"
#include "store.h"

/** What a build did, for the caller to report. */
struct layer_build_stats {
	uint64_t image_size, chunks, chunks_zero, chunks_new, chunks_known, stored_bytes;
	uint64_t chunks_free;     /**< chunks whose every block the filesystem marks free */
	double seconds;
};

/**
 * Add the image at path to a writable store in chunks of 2^shift bytes, compressing with
 * zlib at level, on every core; the layer id's digest goes into id.  flags: LAYER_BUILD_*
 * (layer_fsmap.h); with LAYER_BUILD_FSMAP, blocks the image's filesystem marks free are
 * neither read nor stored (zeros inside a used chunk, free chunks otherwise) and an unsafe
 * volume is refused unless LAYER_BUILD_FORCE.  Shows progress on a terminal.  Prints its
 * own errors.  0 or a negative rc.
 */
int layer_build(struct store *store, const char *path, unsigned int shift, int level,
		unsigned int flags, uint8_t id[32], struct layer_build_stats *st);

#endif /* STRATA_LAYER_BUILD_H */
