/*
 * The layers strata-server has opened, kept for its life: a runs request names a layer and
 * a range of its chunks, and answering it needs the layer's parsed index.  Opening one
 * (read, hash against the id, parse: strata_layer_open) costs a read and a SHA-256 of the
 * whole index, so it is done once per layer, on first use, and the result is shared by
 * every HTTP thread.
 *
 * Why no eviction: a layer is immutable (its id is its index's hash), so an entry can
 * never go stale, and a store holds few layers.  Entries are added, never changed or
 * freed before layer_cache_free, so a caller may use one without holding any lock.
 */
#ifndef STRATA_LAYER_CACHE_H
#define STRATA_LAYER_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "index.h"

/** Most layers kept; a store with more gets STRATA_ENOSPC for the rest. */
#define LAYER_CACHE_MAX 4096

/** One opened layer.  Immutable once published. */
struct layer_entry {
	uint8_t id[32];            /**< layer id digest */
	char *dir;                 /**< the store folder holding it (owned copy) */
	uint8_t *buf;              /**< the index file's bytes (owned) */
	size_t len;                /**< bytes in buf */
	struct strata_index idx;   /**< parsed; borrows buf */
};

/** The cache.  Zero-initialise, then layer_cache_init. */
struct layer_cache {
	pthread_mutex_t lock;      /**< guards n and e (not the entries' contents) */
	const char *dirs[2];       /**< store folders searched in order (borrowed) */
	size_t n;
	struct layer_entry *e[LAYER_CACHE_MAX]; /**< owned */
};

/**
 * Search dirs[0] then dirs[1] (may be NULL) for layers.  Both strings are borrowed.  A cache
 * for machines' private stores is given none (NULL, NULL) and asked with layer_cache_get_in
 * only, so no private layer is ever found by id alone.
 */
void layer_cache_init(struct layer_cache *c, const char *dir0, const char *dir1);

/** Free every entry. */
void layer_cache_free(struct layer_cache *c);

/**
 * The opened layer id: cached, or read from the first folder that has it, opened with the
 * core and cached.  *out is borrowed from the cache.  STRATA_ENOENT when no folder has
 * it, STRATA_ECORRUPT or a parse rc when its index is bad, STRATA_ENOMEM, STRATA_ENOSPC
 * when the cache is full.  Prints only a read error of a file that is there: the caller
 * answers the request.
 */
int layer_cache_get(struct layer_cache *c, const uint8_t id[32],
		    const struct layer_entry **out);

/**
 * layer_cache_get for the layer id held in the store folder dir alone (borrowed; copied
 * into a new entry): a machine's private store.  An entry matches only with the same
 * folder, so one machine's request never reaches a layer of another's folder, even one
 * with the same id.  Same results as layer_cache_get.
 */
int layer_cache_get_in(struct layer_cache *c, const char *dir, const uint8_t id[32],
		       const struct layer_entry **out);

#endif /* STRATA_LAYER_CACHE_H */
