/*
 * Each store layer's stored and unique bytes, for the library's sizes (library.h): the
 * worker lists every data chunk of every layer here, then one sort groups them by chunk.
 * A layer's stored bytes are its distinct data chunks' store files; its unique bytes
 * those of the chunks no other layer names (what removing the layer alone would free).
 *
 * Why a sorted array of digest prefixes: a per-layer set of full digests costs 32 bytes
 * per chunk per layer plus a set's overhead.  Here a chunk of a layer takes one 16-byte
 * record (the digest's first 8 bytes, the layer's number, the chunk file's size) and
 * nothing else: memory is 16 bytes times the data chunks the layers name in all (a chunk
 * named by three layers counts three times), e.g. 160 MB for 10 million.  Two distinct
 * chunks whose digests share their first 64 bits (about n^2 / 2^65 for n chunks: 3e-6 for
 * 10 million) would be counted as one; the numbers are shown, never acted on.
 */
#ifndef STRATA_LAYER_BYTES_H
#define STRATA_LAYER_BYTES_H

#include <stddef.h>
#include <stdint.h>

/** One data chunk of one layer: 16 bytes. */
struct layer_bytes_ref {
	uint64_t prefix;   /**< the digest's first 8 bytes, big-endian: sorts like it */
	uint32_t layer;    /**< the layer's number, given by the caller */
	uint32_t stored;   /**< its store file's bytes (the index's stored_size) */
};
_Static_assert(sizeof(struct layer_bytes_ref) == 16, "16 bytes a chunk");

/** The records; zero-initialised is empty.  Owns its array: layer_bytes_free. */
struct layer_bytes {
	struct layer_bytes_ref *r;
	size_t n, cap;
};

/** One layer's sums. */
struct layer_bytes_sum {
	uint64_t stored;   /**< its distinct data chunks' store files */
	uint64_t unique;   /**< those of them no other layer names */
};

/** Note that layer names the data chunk digest (borrowed), stored bytes in the store.
 *  0 or STRATA_ENOMEM. */
int layer_bytes_add(struct layer_bytes *t, const uint8_t digest[32], uint32_t layer,
		    uint32_t stored);

/**
 * Sort the records and sum them into sum[0..nlayers) (the caller's, overwritten; a
 * record of a layer >= nlayers counts in the total only).  Returns the store-wide total:
 * the stored bytes of the distinct chunks all layers name.
 */
uint64_t layer_bytes_sum(struct layer_bytes *t, struct layer_bytes_sum *sum, size_t nlayers);

void layer_bytes_free(struct layer_bytes *t);

#endif /* STRATA_LAYER_BYTES_H */
