/*
 * Deploying one layer onto one target region, single-threaded and portable: the algorithm
 * strata.efi runs for each partition, testable on a Linux host.
 *
 * 1. Scan: read the target chunk by chunk and decide (chunk.h): keep, write zeros, or
 *    fetch.  Zero chunks are written only where the target is not already zero.
 * 2. Fetch: chunks to fetch are grouped into runs of consecutive chunk indices (zero
 *    chunks inside a run cost nothing: they have no store file), and each run is asked of
 *    the source as one stream of store files.  Each chunk is decoded and verified
 *    (strata_chunk_decode) before it is written; a chunk that fails is counted and named
 *    in the diag, the rest of its run is asked for again, and the deployment goes on.
 *
 * The target only ever receives zeros (for zero chunks) and verified chunks, so a run cut
 * off at any point leaves a target that the next run finishes, fetching only what is still
 * missing.
 */
#ifndef STRATA_DEPLOY_H
#define STRATA_DEPLOY_H

#include <stddef.h>
#include <stdint.h>
#include "index.h"
#include "rc.h"

/** Where the layer goes.  Offsets are bytes from the start of the region. */
struct strata_target_ops {
	/** Read len bytes at off into buf; off and len are multiples of the block size. */
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	/** Write len bytes at off from buf; same alignment. */
	int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
};

/** Called by a source with the next bytes of a run's stream; non-zero stops the stream. */
typedef int strata_sink_fn(void *sink_ctx, const void *data, size_t len);

/** Where chunks come from. */
struct strata_source_ops {
	/**
	 * Deliver the store files of chunks first..last (inclusive; zero chunks have none),
	 * concatenated in index order, to sink, each byte once.  Returns 0, the sink's
	 * non-zero return, or a transfer error (after the source's own retries).
	 */
	int (*fetch_run)(void *ctx, uint64_t first, uint64_t last, strata_sink_fn *sink,
			 void *sink_ctx);
};

/** What a deployment did. */
struct strata_deploy_stats {
	uint64_t chunks_total;
	uint64_t chunks_kept;      /**< data chunks already right on the target */
	uint64_t chunks_zero;      /**< zero chunks, already zero or written */
	uint64_t chunks_zeroed;    /**< zero chunks written because the target was not zero */
	uint64_t chunks_fetched;   /**< fetched, verified and written */
	uint64_t chunks_failed;    /**< fetched but did not verify, or not delivered */
	uint64_t bytes_fetched;    /**< store bytes received */
	uint64_t bytes_to_write;   /**< image bytes the fetch phase must write */
	uint64_t bytes_written;    /**< image bytes written so far by the fetch phase */
};

/** One deployment.  The caller fills the first block; the engine owns the rest. */
struct strata_deploy {
	const struct strata_index *idx;
	const struct strata_target_ops *target;
	void *target_ctx;
	uint32_t block_size;           /**< target's; a power of two, 512..4096 */
	const struct strata_source_ops *source;
	void *source_ctx;
	/** Called after every chunk; the caller decides how often to draw or report. */
	void (*progress)(void *ctx, const struct strata_deploy *d);
	void *progress_ctx;
	uint32_t max_run;              /**< chunks per run; 0 means 256 */

	struct strata_deploy_stats st;
	int phase;                     /**< 1 scan, 2 fetch */
	struct strata_diag diag;       /**< the first chunk failure, where = chunk index */
	/* internal */
	uint64_t *need;
	uint64_t n_need;
	uint8_t *buf, *stored;
	struct strata_chunk cur;       /**< chunk the stream is filling */
	uint64_t run_next;             /**< next chunk index expected in the stream */
	uint64_t run_last;
	uint32_t cur_got;
};

/**
 * Deploy d->idx onto the target.  Returns 0 when every chunk is in place; STRATA_ECORRUPT
 * when some chunks failed to verify or arrive (d->st.chunks_failed, d->diag names the
 * first); another rc for a target or transfer failure.  Allocates its buffers with
 * strata_alloc and frees them before returning.
 */
int strata_deploy_run(struct strata_deploy *d);

#endif /* STRATA_DEPLOY_H */
