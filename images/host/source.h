/*
 * The deploy engine's source (core/deploy.h) over a store (store.h), for the host's apply.
 *
 * A run of chunks is asked of strata-server's chunk-runs endpoint
 * (<store>/runs/<layer hex>/<first>-<last>, core/store_path.h) in one response when the
 * store offers it; a store that does not (a folder, or any static HTTP server, which
 * answers 404) is read chunk file by chunk file instead, and that is remembered.
 *
 * A chunk the store cannot give (missing, wrong size, a transfer that failed after the
 * store's retries) ends the stream early: the engine then counts that chunk as failed and
 * asks for the rest of the run again.  The store's reason waits in the source until the
 * driver's failed-chunk hook takes it (source_take_why), so the message names the real
 * cause and not only "fewer bytes".
 *
 * A store slower than its limits (STRATA_ETIMEDOUT, store_limits) is not a chunk's fault:
 * the run stops with that rc, the engine names the chunk it was waiting for and the driver
 * stops, instead of waiting out the limit again for every chunk that is left.
 */
#ifndef STRATA_SOURCE_H
#define STRATA_SOURCE_H

#include <stdint.h>
#include "deploy.h"
#include "store.h"

/** One thread's source.  Fill it with source_init; free it with source_done. */
struct store_source {
	struct store_reader *r;         /**< borrowed: the thread's reader */
	const struct strata_index *idx; /**< borrowed */
	uint8_t layer[32];              /**< the layer id's digest, for run paths */
	int per_chunk;                  /**< the store offers no runs */
	uint8_t *file;                  /**< one chunk file (owned, chunk_size bytes) */
	const char *why;                /**< the store's reason for the last early end */
};

/** The ops for strata_deploy.source, with a struct store_source as source_ctx. */
extern const struct strata_source_ops store_source_ops;

/** Borrow r and idx for layer id; allocate the chunk buffer.  0 or STRATA_ENOMEM. */
int source_init(struct store_source *s, struct store_reader *r,
		const struct strata_index *idx, const uint8_t layer[32]);

/** Free the buffer; safe on a zeroed source. */
void source_done(struct store_source *s);

/** The store's reason for the stream's last early end, once; NULL when there is none. */
const char *source_take_why(struct store_source *s);

#endif /* STRATA_SOURCE_H */
