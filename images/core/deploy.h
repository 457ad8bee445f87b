/*
 * Deploying one layer onto one target region, single-threaded and portable: the algorithm
 * strata.efi runs for each partition, testable on a Linux host.
 *
 * 1. Scan: read the target chunk by chunk and decide (chunk.h): keep, write zeros, or
 *    fetch.  Zero chunks are written only where the target is not already zero.  Free
 *    chunks are skipped, or with d->wipe made zero and read back to check.
 *    Blind writes: reading pays only where the target may already hold the layer (a
 *    redeployment, a delta).  After blind_after used chunks in a row that the target does
 *    not hold (data chunks no verified copy on the target stands in for, zero chunks
 *    where the target is not zero), the scan stops reading: the next used chunks go
 *    straight to the fetch list, or are written as zeros, without a look, which is what
 *    they would cost anyway on a disk of unrelated data.  It still reads a sample: one
 *    used chunk after 1, 3, 7, ... passed blind, the gap doubling up to blind_gap - 1,
 *    and it reads again from the first sample that the target holds.  So a disk of old
 *    data is read only for the samples, and a disk that holds the layer again after a
 *    changed region costs at most blind_gap - 1 needless writes.  Correctness does not
 *    depend on the guess: a blind chunk is written only verified (or as zeros), like any
 *    other.
 * 2. Fetch: a chunk whose digest the reuse table (reuse.h) finds elsewhere on the target
 *    is read back, verified again and copied.  The others are grouped into runs of
 *    consecutive chunk indices (zero chunks inside a run cost nothing: they have no store
 *    file; a run stops before a repeat of one of its chunks, which is then copied), and
 *    each run is asked of the source as one stream of store files.  Each chunk is decoded
 *    and verified (strata_chunk_decode) before it is written; a chunk that fails is
 *    counted and named in the diag, the rest of its run is asked for again, and the
 *    deployment goes on.
 *
 * Between the two, an optional hook (d->between) may deliver some of the needed chunks
 * another way, a multicast session (mcast_rx.h), through strata_deploy_put: the same
 * decode, verify and write as a fetched chunk's (a repeat of a chunk just put is written
 * from its decoded bytes, hashed again: strata_deploy_put_same).  It shrinks the need
 * list, and the fetch phase gets the rest (for multicast, the HTTP repair).
 *
 * Every core (d->workers): the CPU work, hashing what the scan read and inflating and
 * verifying fetched chunks, runs in batches on all the machine's cores while the caller's
 * core keeps the target and the source.  The scan reads a batch of consecutive used chunks
 * in one read, hashes them on every core and decides them in index order, so its choices
 * and counts are the one-core scan's (a batch never reaches past the chunk where blind
 * writes could start).  The fetch fills one batch of store files while the cores decode the
 * previous one, then writes the previous one in order: at most two batches held, and a
 * chunk is written only after it verified.  With a target that starts writes
 * (write_start), a batch's writes go on while the next batch arrives; its buffers are the
 * target's until settle, which the engine calls before it decodes into them again, and
 * before strata_deploy_fetch returns, so nothing is in flight between calls.  A chunk that fails drops the batch after it,
 * and the rest of the run is asked for again, as without workers.
 *
 * strata_deploy_run does both phases over a whole layer; the range API below lets a driver
 * run them over slices (the host's threaded apply).
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
#include "reuse.h"

/** Where the layer goes.  Offsets are bytes from the start of the region. */
struct strata_target_ops {
	/** Read len bytes at off into buf; off and len are multiples of the block size. */
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	/** Write len bytes at off from buf; same alignment.  buf is free again on return. */
	int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
	/**
	 * Optional, with settle: a write that may return before the bytes are on the target
	 * (UEFI's Block I/O 2), so that the target writes one batch while the engine receives
	 * and decodes the next.  buf stays the target's, neither changed nor freed by the
	 * engine, until settle returns.  The target orders overlapping transfers: a read or
	 * write issued later sees this one.  Only the batches on every core use it.  0, or the
	 * rc of this write or of an earlier started one that failed, with the off of the one
	 * that failed in *failed_off (as settle's).
	 */
	int (*write_start)(void *ctx, uint64_t off, const void *buf, size_t len,
			   uint64_t *failed_off);
	/** Wait until every started write is done; then their buffers are the engine's again.
	 *  0, or the rc of the first that failed (the earliest started, where several did),
	 *  with that write's off in *failed_off: the engine names its chunk as failed and
	 *  takes it and the writes started after it back out of the fetched counts. */
	int (*settle)(void *ctx, uint64_t *failed_off);
};

/** Called by a source with the next bytes of a run's stream; non-zero stops the stream. */
typedef int strata_sink_fn(void *sink_ctx, const void *data, size_t len);

/** Where chunks come from. */
struct strata_source_ops {
	/**
	 * Deliver the store files of chunks first..last (inclusive; zero and free chunks have
	 * none), concatenated in index order, to sink, each byte once.  Returns 0, the sink's
	 * non-zero return, or a transfer error (after the source's own retries).
	 */
	int (*fetch_run)(void *ctx, uint64_t first, uint64_t last, strata_sink_fn *sink,
			 void *sink_ctx);
};

/** What a deployment did.  Counts add up over every scan and fetch of one engine. */
struct strata_deploy_stats {
	uint64_t chunks_total;
	uint64_t chunks_kept;      /**< data chunks already right on the target */
	uint64_t chunks_zero;      /**< zero chunks, already zero or written */
	uint64_t chunks_zeroed;    /**< zero chunks written because the target was not zero */
	uint64_t chunks_free;      /**< free chunks: neither read, hashed nor written
				    (with wipe: read, and zeroed where not zero) */
	uint64_t chunks_wiped;     /**< free chunks written as zeros and read back (wipe) */
	uint64_t chunks_fetched;   /**< fetched, verified and written */
	uint64_t chunks_reused;    /**< copied from elsewhere on the target, re-verified */
	uint64_t chunks_failed;    /**< did not verify, not delivered, or the transfer or
				    target failure that stopped the phase hit it */
	uint64_t chunks_blind;     /**< used chunks (data or zero) the scan did not read:
				    put on the fetch list or zeroed blind (see the top) */
	uint64_t chunks_rejected;  /**< given to strata_deploy_put and did not verify: not
				    failures, the fetch phase gets them again */
	uint64_t bytes_fetched;    /**< store bytes received by the fetch phase */
	uint64_t bytes_put;        /**< store bytes strata_deploy_put wrote (verified) */
	uint64_t bytes_scanned;    /**< image bytes the scan has looked at */
	uint64_t bytes_to_write;   /**< image bytes the fetch phase must write */
	uint64_t bytes_written;    /**< image bytes written so far by the fetch phase */
};

/**
 * Progress, called after every chunk: phase 1 (scan) or 2 (fetch), and this engine's
 * bytes done and to do in that phase (scan: bytes_scanned of the image size; fetch:
 * bytes_written of bytes_to_write).  The driver decides how often to draw or report.
 */
typedef void strata_progress_fn(void *ctx, int phase, uint64_t done, uint64_t total);

/** A chunk that did not arrive or verify; why is static.  The deployment goes on. */
typedef void strata_failed_fn(void *ctx, const struct strata_chunk *c, const char *why);

/** One job's work on one item (0..n-1 of its batch), run by core worker (0..cores-1). */
typedef void strata_job_fn(void *arg, uint32_t item, uint32_t worker);

/**
 * The machine's cores, for the engine's CPU work (see the top).  Platform glue chosen at
 * link time: efi/mp_workers.c runs jobs on UEFI's application processors.  A job touches
 * only the buffers it is given and calls no target, source, hook or allocator, since an
 * application processor may not call boot services.  One batch runs at a time.
 */
struct strata_workers {
	uint32_t cores;        /**< workers, the caller's core included; at least 1 */
	void *ctx;
	/** Begin fn(arg, item, worker) for items 0..n-1 on the other cores; returns at once. */
	void (*start)(void *ctx, strata_job_fn *fn, void *arg, uint32_t n);
	/** Run the started batch's items on the caller's core too; return when all are done. */
	void (*finish)(void *ctx);
};

/** Chunks per batch on the workers: 1 MiB of 64 KiB chunks to hash or decode at once. */
#define STRATA_BATCH 16

struct strata_batch;   /* deploy_batch.c's */

/** One engine.  The caller fills the first block; the engine owns the rest. */
struct strata_deploy {
	const struct strata_index *idx;
	const struct strata_target_ops *target;
	void *target_ctx;
	/** Target's; a power of two up to the chunk size: 512..4096 for a disk, 1 for a
	 *  byte-addressable target such as a file. */
	uint32_t block_size;
	const struct strata_source_ops *source;
	void *source_ctx;
	strata_progress_fn *progress;  /**< optional */
	strata_failed_fn *failed;      /**< optional: name every failed chunk, not just one */
	void *hook_ctx;                /**< for progress, failed and between */
	/** Optional duplicate reuse (reuse.h): NULL fetches every chunk the target lacks. */
	struct strata_reuse *reuse;
	uint32_t max_run;              /**< chunks per run; 0 means 256 */
	/** The manifest's wipe=yes: free chunks are not left as they are but made zero (where
	 *  not already zero) and read back; a chunk that does not read back as zeros fails
	 *  like a chunk that did not verify. */
	int wipe;
	/** Blind writes (see the top): used chunks missing in a row before the scan stops
	 *  reading; 0 means STRATA_BLIND_AFTER, UINT32_MAX never. */
	uint32_t blind_after;
	/** The widest sampling gap while blind, in used chunks; 0 means STRATA_BLIND_GAP. */
	uint32_t blind_gap;
	/**
	 * Optional, called by strata_deploy_run with hook_ctx after the scan and before the
	 * fetch, with the need list (ascending chunk indices, the engine's): it may deliver
	 * chunks through strata_deploy_put and remove them from need[0..*n_need), keeping the
	 * order.  0 goes on to the fetch; any other rc stops the deployment (a target
	 * failure), so a hook whose own transport fails returns 0 and leaves the chunks to
	 * the fetch.
	 */
	int (*between)(void *ctx, struct strata_deploy *d, uint64_t *need, uint64_t *n_need);
	/** Optional: the cores for hashing and decoding (see the top); NULL does that work on
	 *  the caller's core, chunk by chunk.  Borrowed for the engine's life. */
	const struct strata_workers *workers;

	struct strata_deploy_stats st;
	struct strata_diag diag;       /**< the first chunk failure, where = chunk index */
	/* internal */
	uint8_t *buf, *stored;
	struct strata_reuse run_set;   /**< digests of the run being built, to stop at repeats */
	struct strata_chunk cur;       /**< chunk the stream is filling */
	uint64_t run_next;             /**< next chunk index expected in the stream */
	uint64_t run_last;
	uint32_t cur_got;
	uint32_t missed;               /**< used chunks missing in a row while reading */
	uint32_t gap;                  /**< 0 reading; else blind, sampling every gap */
	uint32_t skip;                 /**< used chunks to pass blind before the next sample */
	struct strata_batch *batch;    /**< with workers: the batches' buffers */
};

/** Defaults for blind_after and blind_gap, measured in docs/benchmarks.md ("Blind
 *  writes"): 1 MiB and 2 MiB of 64 KiB chunks. */
#define STRATA_BLIND_AFTER 16
#define STRATA_BLIND_GAP 32

/**
 * Deploy d->idx onto the target: scan every chunk, then fetch what is missing.  Returns 0
 * when every chunk is in place; STRATA_ECORRUPT when some chunks failed to verify or
 * arrive, or with wipe to read back as zeros (d->st.chunks_failed, d->diag names the
 * first); another rc for a target or transfer failure.  Allocates its buffers with strata_alloc and frees them before
 * returning.
 */
int strata_deploy_run(struct strata_deploy *d);

/*
 * The range API, for drivers that split a layer between engines (threads, each with its
 * own struct strata_deploy sharing one reuse table): init, any number of scans and fetches
 * over slices, done.  Scans of all slices should end before fetches start, so that every
 * kept chunk is in the reuse table when the fetches look for duplicates.
 */

/**
 * Check the block size, zero the stats and allocate the engine's chunk buffers (and, with
 * d->reuse, its run set) with strata_alloc; d owns them until strata_deploy_done.  0, STRATA_EINVAL or STRATA_ENOMEM.
 */
int strata_deploy_init(struct strata_deploy *d);

/** Free the engine's buffers; safe after a failed init. */
void strata_deploy_done(struct strata_deploy *d);

/**
 * Phase 1 over chunks first..end-1: keep each, write zeros, or append its index to
 * need[*n_need] and count it in bytes_to_write.  need is the caller's, with room for
 * end - first more entries.  0, or a target rc.
 */
int strata_deploy_scan(struct strata_deploy *d, uint64_t first, uint64_t end, uint64_t *need,
		       uint64_t *n_need);

/**
 * Deliver chunk i's store file stored[0..len) (borrowed) from elsewhere than the source (a
 * multicast session): decode and verify it (strata_chunk_decode) and write it, counting it
 * as fetched, as the fetch phase does with a chunk from a run.  For a chunk on the need
 * list, between the scan and the fetch.  0; STRATA_ECORRUPT when it does not verify
 * (counted in chunks_rejected, not chunks_failed: nothing was written and the fetch phase
 * gets the chunk again); STRATA_EINVAL for a chunk past the layer or without a store
 * file; or a target rc (the chunk then counts as failed and is named).
 */
int strata_deploy_put(struct strata_deploy *d, uint64_t i, const void *stored, size_t len);

/**
 * After strata_deploy_put(d, i, ...) returned 0: write chunk j, of the same digest, from
 * the bytes that put decoded and verified (the engine's, still in its buffer), so a store
 * file repeated at many indices is decoded once.  Any call on d between (a fallback put
 * of another repeat) may leave other bytes there; they are refused, never written: the
 * bytes are hashed again against j's digest and must have j's length
 * in whole blocks (as a copy on the target, phase 2's reuse); else nothing is written and
 * it returns 1: then put j's store file.  Counts and other rcs are strata_deploy_put's
 * for j (chunks_fetched, bytes_put as if its store file were put).
 */
int strata_deploy_put_same(struct strata_deploy *d, uint64_t i, uint64_t j);

/**
 * Phase 2 over need[0..n) (ascending chunk indices, borrowed): copy each chunk from a
 * verified duplicate on the target when d->reuse knows one, else fetch runs of them from
 * the source.  A chunk that fails is counted and named (diag, d->failed) and the rest go
 * on.  0, or a target or transfer rc that stopped the phase; the chunk that rc stopped
 * counts as failed and is named too.
 */
int strata_deploy_fetch(struct strata_deploy *d, const uint64_t *need, uint64_t n);

#endif /* STRATA_DEPLOY_H */
