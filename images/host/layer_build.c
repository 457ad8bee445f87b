/*
 * Add an image to a store as a layer (strata-image build, and strata-server's per-machine
 * layers).
 *
 * Worker threads (one per core) claim batches of chunks from a shared counter, so reading,
 * hashing and compressing run on every core while each thread still reads runs of
 * neighbouring chunks.  Each chunk goes through the capture engine's per-chunk step (core
 * capture.h, the code strata.efi's capture runs): with a filesystem map (layer_fsmap.h) a
 * chunk with no used block is a free chunk and is not read, a used chunk's free blocks are
 * zeroed before it is hashed, and a data chunk's file is its zlib stream when smaller.  A
 * chunk already in the store (same name) is not compressed again; its existing file
 * decides its entry.  The index is written last, after the store is synced, so a crash
 * never publishes an index whose chunks are not on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "chunk.h"
#include "host.h"
#include "layer_build.h"
#include "crypto.h"
#include "image_io.h"
#include "index.h"
#include "manifest.h"
#include "store.h"

#define BATCH 16

/** Shared state of one build. */
struct build {
	struct layer_build_stats *st;
	const char *path;
	int fd;
	struct store *store;
	uint64_t image_size;
	unsigned int shift;
	int level;
	uint64_t count;
	unsigned int flags;          /**< LAYER_BUILD_* */
	uint32_t index_flags;        /**< STRATA_INDEX_*: what the index records */
	struct strata_fs_reader reader;  /**< the image, for the scan and the chunks */
	struct strata_capture_map fs;
	struct strata_capture_src src;   /**< reader, fs.use, shift: the engine's view */
	uint8_t *entries;            /**< count * 40 bytes, each written by one worker */
	atomic_uint_fast64_t next;   /**< next unclaimed chunk */
	atomic_int failed;
	atomic_uint_fast64_t n_zero, n_free, n_new, n_known, stored_bytes;
	atomic_int running;
	struct progress prog;
};

/** Per-worker buffers, owned by the worker. */
struct worker {
	struct build *b;
	uint8_t *in, *out;           /**< a chunk's bytes and its zlib stream: 2^shift each */
};

/* The image as the engine reads it: exactly len bytes at off. */
static int image_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct build *b = ctx;

	return pread_exact(b->fd, b->path, buf, len, off);
}

/* Store data chunk c (its bytes in w->in) unless the store has it; fill c's size and
 * flags, from the existing file or from the engine's pack step. */
static int store_chunk(struct worker *w, struct strata_chunk *c)
{
	struct build *b = w->b;
	const uint8_t *file;
	uint64_t have;

	if (store_chunk_size(b->store, c->digest, &have) == 0) {
		if (have == 0 || have > c->length)
			return errorf("%s: chunk file for chunk %llu has a bad size; run verify",
				      store_name(b->store), (unsigned long long)c->index);
		c->stored_size = (uint32_t)have;
		c->flags = have < c->length ? STRATA_ENTRY_ZLIB : 0;
		atomic_fetch_add(&b->n_known, 1);
		return 0;
	}
	if (strata_capture_pack(c, w->in, w->out, b->level, &file))
		return errorf("%s: chunk %llu: out of memory for zlib", b->path,
			      (unsigned long long)c->index);
	atomic_fetch_add(&b->n_new, 1);
	atomic_fetch_add(&b->stored_bytes, c->stored_size);
	return store_put_chunk(b->store, c->digest, file, c->stored_size);
}

/* Chunk i through the engine's per-chunk step, then the store; its entry. */
static int build_chunk(struct worker *w, uint64_t i)
{
	struct build *b = w->b;
	struct strata_chunk c;
	int rc = strata_capture_read(&b->src, i, w->in, &c, NULL);

	if (rc)
		return rc;      /* the reader printed why */
	if (c.flags & STRATA_ENTRY_FREE)
		atomic_fetch_add(&b->n_free, 1);
	else if (c.flags & STRATA_ENTRY_ZERO)
		atomic_fetch_add(&b->n_zero, 1);
	else
		rc = store_chunk(w, &c);
	if (rc)
		return rc;
	strata_index_entry_encode(b->entries + i * sizeof(struct strata_index_entry), &c);
	progress_add(&b->prog, c.length);
	return 0;
}

static void *build_worker(void *arg)
{
	struct worker *w = arg;
	struct build *b = w->b;
	uint64_t i, end;

	while (!atomic_load(&b->failed)) {
		i = atomic_fetch_add(&b->next, BATCH);
		if (i >= b->count)
			break;
		end = i + BATCH < b->count ? i + BATCH : b->count;
		for (; i < end; i++) {
			if (build_chunk(w, i)) {
				atomic_store(&b->failed, 1);
				break;
			}
		}
	}
	atomic_fetch_sub(&b->running, 1);
	return NULL;
}

/* Run the workers, drawing progress until they finish.  0 or -1. */
static int run_workers(struct build *b)
{
	unsigned int n = cpu_count();
	pthread_t tid[256];
	struct worker w[256];
	int rc = 0;

	if (n > 256)
		n = 256;
	atomic_store(&b->running, (int)n);
	for (unsigned int k = 0; k < n; k++) {
		w[k] = (struct worker){ .b = b };
		w[k].in = malloc(1u << b->shift);
		w[k].out = malloc(1u << b->shift);
		if (!w[k].in || !w[k].out || pthread_create(&tid[k], NULL, build_worker, &w[k])) {
			atomic_store(&b->failed, 1);
			atomic_fetch_sub(&b->running, (int)(n - k));
			rc = errorf("cannot start worker threads");
			n = k;
			free(w[k].in);
			free(w[k].out);
			break;
		}
	}
	while (atomic_load(&b->running) > 0) {
		progress_tick(&b->prog);
		usleep(50000);
	}
	for (unsigned int k = 0; k < n; k++) {
		pthread_join(tid[k], NULL);
		free(w[k].in);
		free(w[k].out);
	}
	progress_done(&b->prog);
	/* A worker that failed has printed why. */
	return rc ? rc : atomic_load(&b->failed) ? STRATA_EREPORTED : 0;
}

/* Encode the index (version 3: runs of zero and free chunks, compact data entries) from the
 * finished per-chunk entries and store it; its digest is the layer id.  The index buffer is this function's. */
static int publish(struct build *b, uint8_t id[32])
{
	size_t len;
	uint8_t *idx;
	int rc;

	if (strata_index_encode(NULL, &len, b->entries, b->image_size, b->shift, b->index_flags))
		return errorf("%s: cannot encode the index", b->path);
	idx = malloc(len);
	if (!idx)
		return errorf("out of memory for the index");
	strata_index_encode(idx, &len, b->entries, b->image_size, b->shift, b->index_flags);
	rc = store_put_index(b->store, idx, len, id);
	free(idx);
	return rc;
}

static void fill_stats(struct build *b, double t0)
{
	*b->st = (struct layer_build_stats){
		.image_size = b->image_size, .chunks = b->count, .chunks_zero = b->n_zero,
		.chunks_free = b->n_free,
		.chunks_new = b->n_new, .chunks_known = b->n_known,
		.stored_bytes = b->stored_bytes, .seconds = now_seconds() - t0,
	};
}

static int do_build(struct build *b, uint8_t id[32])
{
	double t0 = now_seconds();
	int rc;

	b->fd = open(b->path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0)
		return errorf("%s: %s", b->path, strerror(errno));
	rc = fd_size(b->fd, b->path, &b->image_size);
	if (rc)
		goto err_size;
	if (b->image_size == 0 || b->image_size > STRATA_IMAGE_SIZE_MAX) {
		rc = errorf("%s: image size %llu is out of range", b->path,
			    (unsigned long long)b->image_size);
		goto err_size;
	}
	posix_fadvise(b->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	b->reader = (struct strata_fs_reader){ image_read, b, b->image_size };
	rc = layer_fsmap_open(&b->fs, &b->reader, b->path, b->flags, &b->index_flags);
	if (rc)
		goto err_map;
	b->src = (struct strata_capture_src){ &b->reader, b->fs.use, b->shift };
	b->count = strata_chunk_count(b->image_size, b->shift);
	b->entries = calloc(b->count, sizeof(struct strata_index_entry));
	if (!b->entries) {
		rc = errorf("%s: out of memory for %llu chunks", b->path,
			    (unsigned long long)b->count);
		goto err_map;
	}
	progress_init(&b->prog, "build", b->image_size);
	rc = run_workers(b);
	if (rc == 0)
		rc = publish(b, id);
	fill_stats(b, t0);
	free(b->entries);
err_map:
	strata_capture_map_done(&b->fs);
err_size:
	close(b->fd);
	return rc;
}

int layer_build(struct store *store, const char *path, unsigned int shift, int level,
		unsigned int flags, uint8_t id[32], struct layer_build_stats *st)
{
	struct build b = { .store = store, .path = path, .shift = shift, .level = level,
			   .flags = flags, .st = st };

	return do_build(&b, id);
}
