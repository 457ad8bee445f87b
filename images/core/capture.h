/*
 * The capture engine: a partition's bytes become a layer's chunks and index, the same way in
 * `strata-image build` (images/host/layer_build.c, on every core) and in strata.efi's
 * capture (one partition at a time, through strata_capture_partition).
 *
 * Why one engine: a layer's id is the SHA-256 of its index, and the index records every
 * chunk's class, name and stored size.  A machine captured by the agent and the same image
 * built on Linux must give the same layer id, so the scan, the per-chunk rules and the
 * deflate level must be one code (docs/capture.md, "The capture engine").
 *
 * Per chunk (strata_capture_read, then strata_capture_pack for a data chunk):
 *   - the filesystem map (fsmap.h) says FREE: a free chunk, not read;
 *     ZERO_LOG (a stale journal): a zero chunk, not read;
 *   - USED: read through the reader, the map's free blocks inside it set to zero (deleted
 *     data never leaves the PC, and equal files give equal chunks); all zeros then: a zero
 *     chunk; otherwise a data chunk named by the SHA-256 of those bytes;
 *   - a data chunk's store file is its zlib stream at the given level when that is smaller
 *     than the chunk, else its raw bytes (format.h).
 * Without a map (no filesystem map wanted, or an unsafe volume captured with force) every
 * chunk is USED.
 *
 * The driver for one partition (strata_capture_partition) scans the map, refuses an unsafe
 * volume unless forced, walks the chunks, asks in batches which data chunks the server
 * lacks (need.h's exchange, through the caller's callback), hands each missing one to the
 * caller's upload callback, reports progress, and encodes the index (index.h).  The
 * callbacks are the only I/O besides the reader: the engine holds no socket and no file.
 *
 * strata-server has a server/capture.h of its own (capture tasks); a file in server/ that
 * includes "capture.h" gets that one, so this header's guard is STRATA_CORE_CAPTURE_H.
 */
#ifndef STRATA_CORE_CAPTURE_H
#define STRATA_CORE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include "fsmap.h"
#include "index.h"
#include "need.h"
#include "rc.h"

/** The map's unit: one bit per 4 KiB, the smallest chunk, so a chunk's class is exact. */
#define STRATA_CAPTURE_UNIT_SHIFT 12
/** A filesystem with blocks under 4 KiB is scanned again at its block size while that
 *  map stays under this many bytes (64 MiB: a 512 GiB FAT at 1 KiB per bit). */
#define STRATA_CAPTURE_FINE_MAP_MAX (64u << 20)
/** Default memory for one batch's chunk files in the driver (16 MiB). */
#define STRATA_CAPTURE_BATCH_BYTES (16u << 20)

/**
 * Scan r's partition for its used-block map the way every capture does: at 4 KiB per bit,
 * then again at the filesystem's own block size when it is smaller (FAT's 512-byte
 * clusters, 1 KiB ext4) and the map stays under STRATA_CAPTURE_FINE_MAP_MAX, since a 4 KiB
 * unit shared by a kept cluster and a deleted one would carry the deleted bytes.  Errors
 * and ownership as strata_fsmap_scan: on 0 the caller owns m (strata_fsmap_done).
 */
int strata_capture_scan(const struct strata_fs_reader *r, struct strata_fsmap *m,
			struct strata_diag *diag);

/** A capture's flags (strata_capture_map_open, strata_capture_job). */
#define STRATA_CAPTURE_FSMAP 0x1u  /**< read used blocks only (the map); else every byte */
#define STRATA_CAPTURE_FORCE 0x2u  /**< capture an unsafe volume anyway: every block, and the
				        index records STRATA_INDEX_FORCED */

/** A capture's view of its partition's filesystem: the scan, and whether chunks go by it. */
struct strata_capture_map {
	struct strata_fsmap m;           /**< type, verdict, state, fallback and the map (owned) */
	const struct strata_fsmap *use;  /**< &m when chunks go by the map; NULL: every byte is
					      used (no STRATA_CAPTURE_FSMAP, or forced) */
	int forced;                      /**< an unsafe volume taken whole under FORCE */
};

/**
 * Decide how a capture with flags (STRATA_CAPTURE_*) reads r's partition, the same for
 * every front end: without STRATA_CAPTURE_FSMAP every byte; else scan (strata_capture_scan)
 * and go by the map, unless the verdict is REFUSE: then STRATA_EUNSAFE (diag->msg =
 * cm->m.state, the state and its fix) without STRATA_CAPTURE_FORCE, or every byte and
 * cm->forced with it (a dirty volume's bitmaps are not to be trusted).  A WARN verdict or a
 * fallback is the caller's to print (cm->m.state, cm->m.fallback).  The caller calls
 * strata_capture_map_done after any return, success or not.
 */
int strata_capture_map_open(struct strata_capture_map *cm, const struct strata_fs_reader *r,
			    unsigned int flags, struct strata_diag *diag);

/** Release what cm holds (safe on a cleared or failed cm, and twice). */
void strata_capture_map_done(struct strata_capture_map *cm);

/** Where chunks are read from.  Borrows everything it points at. */
struct strata_capture_src {
	const struct strata_fs_reader *r;  /**< the partition; r->size is the image's size */
	const struct strata_fsmap *map;    /**< its used blocks, or NULL: every byte is used */
	unsigned int shift;                /**< chunks of 2^shift bytes (format.h's range) */
};

/**
 * Per-chunk step 1: chunk i (< strata_chunk_count(r->size, shift)) of src.  Fills *c
 * (index, offset, length; flags STRATA_ENTRY_FREE, STRATA_ENTRY_ZERO or 0 for data;
 * the digest of a data chunk, all zeros otherwise; stored_size 0).  A data chunk's bytes,
 * free blocks zeroed, are left in buf, which the caller owns and which holds 2^shift
 * bytes; buf's content is undefined for the other classes.  0, or STRATA_EIO when the
 * reader failed (diag->where = i).
 */
int strata_capture_read(const struct strata_capture_src *src, uint64_t i, uint8_t *buf,
			struct strata_chunk *c, struct strata_diag *diag);

/**
 * Per-chunk step 2: the store file of data chunk c, whose bytes are in[0..c->length).
 * Deflates at level into out (the caller's, c->length bytes) and keeps the stream only when
 * it is smaller than the chunk.  Sets c->stored_size and c->flags (STRATA_ENTRY_ZLIB or 0)
 * and *file to out or in (borrowed from the caller).  0, or STRATA_ENOMEM / STRATA_ERANGE
 * from strata_deflate.
 */
int strata_capture_pack(struct strata_chunk *c, const uint8_t *in, uint8_t *out, int level,
			const uint8_t **file);

/** What a capture of one partition found and did; the progress callback sees it grow. */
struct strata_capture_stats {
	uint64_t size;             /**< bytes in the partition (the layer's image) */
	uint64_t to_read;          /**< bytes of its used chunks: what the walk reads */
	uint64_t walked;           /**< bytes of the partition passed so far (read or not) */
	uint64_t read;             /**< bytes read so far (never decreases) */
	uint64_t uploaded;         /**< bytes of chunk files handed to upload (never decreases) */
	uint64_t chunks, chunks_free, chunks_zero, chunks_data;
	uint64_t chunks_uploaded;  /**< data chunks handed to upload */
	uint64_t chunks_present;   /**< data chunks the server held (or an earlier one had) */
	enum strata_fs_type fs;    /**< what the scan found (UNKNOWN without a map) */
	enum strata_fs_verdict verdict;
	const char *state;         /**< static: the unsafe or warned state and its fix, or NULL */
	const char *fallback;      /**< static: why the map is fully used, or NULL */
	int forced;                /**< an unsafe volume captured with STRATA_CAPTURE_FORCE */
	uint8_t layer[32];         /**< on success: the digest of the index, the layer's id */
};

/** The caller's side of a capture: the server and the screen.  Every callback gets ctx. */
struct strata_capture_ops {
	/**
	 * Which of the n chunk names d[0..n) the server lacks (1 <= n <= STRATA_NEED_MAX,
	 * no name twice): set missing[i] non-zero for each (missing is the engine's, cleared
	 * before the call).  Both arrays are borrowed for the call.  0, or an rc that stops
	 * the capture and is returned.
	 */
	int (*need)(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing);
	/**
	 * Store chunk c's file, file[0..c->stored_size): a zlib stream of c->length bytes when
	 * c->flags has STRATA_ENTRY_ZLIB, else the raw bytes.  Borrowed for the call.  0, or
	 * an rc that stops the capture and is returned.
	 */
	int (*upload)(void *ctx, const struct strata_chunk *c, const uint8_t *file);
	/** After each batch and at the end; may be NULL.  st is borrowed for the call. */
	void (*progress)(void *ctx, const struct strata_capture_stats *st);
	void *ctx;
};

/** One partition to capture.  Borrows r. */
struct strata_capture_job {
	const struct strata_fs_reader *r;  /**< the partition (also read by the scan) */
	unsigned int shift;                /**< chunk size 2^shift, STRATA_CHUNK_SHIFT_MIN..MAX */
	int level;                         /**< zlib level: STRATA_DEFLATE_LEVEL (codec.h) */
	unsigned int flags;                /**< STRATA_CAPTURE_* */
	size_t batch_bytes;                /**< memory for a batch's files; 0: the default */
};

/**
 * Capture job's partition as a layer: scan the map (with STRATA_CAPTURE_FSMAP), walk the
 * chunks, ask ops->need about the data chunks in batches of at most STRATA_NEED_MAX
 * distinct names (fewer when their files fill batch_bytes), hand each missing chunk to
 * ops->upload once, and encode the index (strata_index_encode, the format
 * strata-image build writes).
 *
 * On 0: *index (allocated with strata_alloc; the caller frees it with strata_free) holds
 * *index_len bytes, and st->layer its SHA-256.  Errors: STRATA_EUNSAFE for a volume whose
 * state is not consistent without STRATA_CAPTURE_FORCE (diag->msg = the state and its fix,
 * as st->state; the caller prefixes "partition N (<strata_fs_name(st->fs)>): "), before
 * any chunk is read or any callback called; STRATA_ERANGE for a bad shift, level or
 * partition size; STRATA_ENOMEM; STRATA_EIO for a failed read (diag->where = the chunk);
 * or what a callback returned (diag->where = the chunk of the batch's first name).
 * Memory: 40 bytes per chunk, the batch, and two chunk buffers, all freed before it returns
 * except *index.  st is filled on every path.
 */
int strata_capture_partition(const struct strata_capture_job *job,
			     const struct strata_capture_ops *ops,
			     struct strata_capture_stats *st, uint8_t **index, size_t *index_len,
			     struct strata_diag *diag);

#endif /* STRATA_CORE_CAPTURE_H */
