/*
 * Which bytes of an image a build reads and stores, from the used-block map of the
 * filesystem it holds: the capture engine's decision (core capture.h,
 * strata_capture_map_open) with the build's messages.  See layer_fsmap.c.
 */
#ifndef STRATA_LAYER_FSMAP_H
#define STRATA_LAYER_FSMAP_H

#include <stdint.h>
#include "capture.h"

/** layer_build flags: the capture engine's, so a build and a capture decide alike. */
#define LAYER_BUILD_FSMAP STRATA_CAPTURE_FSMAP  /**< store used blocks only (the default) */
#define LAYER_BUILD_FORCE STRATA_CAPTURE_FORCE  /**< build an unsafe volume anyway, every
						     block, recorded */

/**
 * Decide how the build of the image r reads (path names it in messages), for flags
 * LAYER_BUILD_*: cm->use is the map to go by, or NULL for every byte.  An unsafe volume
 * (hibernated, dirty) is refused with a message naming path, the state and the fix, unless
 * flags has LAYER_BUILD_FORCE: then every block is stored and STRATA_INDEX_FORCED is added
 * to *index_flags.  A warning verdict and a fallback are printed.  0, or STRATA_EREPORTED
 * after printing why.  The caller calls strata_capture_map_done(cm) after any return.
 */
int layer_fsmap_open(struct strata_capture_map *cm, const struct strata_fs_reader *r,
		     const char *path, unsigned int flags, uint32_t *index_flags);

#endif /* STRATA_LAYER_FSMAP_H */
