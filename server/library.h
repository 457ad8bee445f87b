/*
 * The library's sizes (GET /api/library, docs/dashboard-api.md): how many bytes the public
 * store holds for its layers, how many they would take one by one, and the ratio; and each
 * layer's image size, stored bytes and unique bytes (layer_bytes.h).
 *
 * Why off the request thread: the numbers need every layer's index opened (through the
 * server's layer cache, layer_cache.h, shared with /store/runs) and every layer's chunks
 * sorted together, which for a large store takes seconds.  A request reads the last result;
 * when there is none, or it is older than LIBRARY_TTL_S, a worker thread computes a new
 * one, and a request with nothing to show answers 202 meanwhile.
 */
#ifndef STRATA_LIBRARY_H
#define STRATA_LIBRARY_H

#include <stdint.h>

struct server;
struct library;

/** Seconds a result is shown before a request starts a new computation. */
#define LIBRARY_TTL_S 60

/** One layer's numbers. */
struct library_layer {
	uint8_t id[32];          /**< the layer's id */
	uint64_t size;           /**< its image's bytes (the index's image_size) */
	uint64_t stored;         /**< its distinct data chunks' store files */
	uint64_t unique;         /**< those of them no other store layer names */
};

/** One computation's numbers. */
struct library_sizes {
	uint64_t store_bytes;    /**< the distinct chunk files the layers name, as stored */
	uint64_t logical_bytes;  /**< the layers' data chunks, uncompressed, each counted
				      wherever a layer names it */
	uint64_t layers;         /**< layer indexes in the store */
	int64_t computed_at;     /**< Unix seconds, when it ended */
	struct library_layer *per_layer; /**< owned: library_sizes_free; each layer whose
					      index opens, in the store's order */
	size_t nper;             /**< entries in per_layer */
};

/** A new library view of s (the caller's, library_close).  NULL without memory. */
struct library *library_open(struct server *s);

/** Wait for a running computation, then free.  NULL is fine. */
void library_close(struct library *l);

/**
 * The last result into *out, a copy the caller frees with library_sizes_free: 0 (perhaps
 * up to LIBRARY_TTL_S old, while a new one is computed); or 1 when there is none yet (a
 * computation runs: answer 202); STRATA_EREPORTED when every computation so far failed
 * (logged) and none runs; STRATA_ENOMEM when the copy cannot be made.  Starts a
 * computation when none ran yet, or the last one ended LIBRARY_TTL_S ago or more.  *out
 * holds nothing to free unless 0 is returned.  Any thread.
 */
int library_get(struct library *l, struct library_sizes *out);

/** Free z's per_layer (z itself is the caller's).  Idempotent. */
void library_sizes_free(struct library_sizes *z);

#endif /* STRATA_LIBRARY_H */
