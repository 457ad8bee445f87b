/*
 * Which bytes of an image a build reads and stores, from the used-block map of the
 * filesystem it holds (core fsmap.h).  See layer_fsmap.c.
 */
#ifndef STRATA_LAYER_FSMAP_H
#define STRATA_LAYER_FSMAP_H

#include <stdint.h>
#include "fsmap.h"

/** layer_build flags. */
#define LAYER_BUILD_FSMAP 0x1u  /**< store used blocks only (strata-image build's default) */
#define LAYER_BUILD_FORCE 0x2u  /**< build an unsafe volume anyway, every block, recorded */

/** A build's view of its image's filesystem.  Owns map.used while on. */
struct layer_fsmap {
	struct strata_fsmap map;
	int on;                 /**< 0: every byte is used (no map, or --no-fsmap, or forced) */
};

/**
 * Scan the image (fd, size bytes, named path in messages) when flags has LAYER_BUILD_FSMAP.
 * An unsafe volume (hibernated, dirty) is refused with a message naming path, the state and
 * the fix, unless flags has LAYER_BUILD_FORCE: then every block is stored and
 * STRATA_INDEX_FORCED is added to *index_flags.  A warning verdict is printed and the map
 * used.  0, or STRATA_EREPORTED after printing why.  f owns what it holds until
 * layer_fsmap_done.
 */
int layer_fsmap_open(struct layer_fsmap *f, int fd, const char *path, uint64_t size,
		     unsigned int flags, uint32_t *index_flags);

/** The class of the chunk at [off, off + len): STRATA_FS_USED whenever the map is off. */
enum strata_fs_class layer_fsmap_class(const struct layer_fsmap *f, uint64_t off, uint32_t len);

/** Zero the free blocks of a used chunk's bytes buf[0..len) read at off, so deleted data
 *  never leaves the PC and equal files give equal chunks.  buf is the caller's. */
void layer_fsmap_clear_free(const struct layer_fsmap *f, uint64_t off, uint8_t *buf,
			    uint32_t len);

/** Release what f holds (safe to call twice). */
void layer_fsmap_done(struct layer_fsmap *f);

#endif /* STRATA_LAYER_FSMAP_H */
