/*
 * Add an image to a store as a layer (strata-image build, and strata-server's per-machine
 * layers).
 *
 * Worker threads (one per core) claim batches of chunks from a shared counter, so reading,
 * hashing and compressing run on every core while each thread still reads runs of
 * neighbouring chunks.  A chunk already in the store (same name) is not compressed again;
 * its existing file decides its entry.  With a filesystem map (layer_fsmap.h), a chunk
 * with no used block is a free chunk and is not read; a used chunk's free blocks are
 * zeroed before it is hashed.  The index is written last, after the store is
 * synced, so a crash never publishes an index whose chunks are not on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
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
	struct layer_fsmap fs;
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
	uint8_t *in, *out;
	uLong out_cap;
};

/* Store one chunk's bytes unless the store has it; fill c's size and flags. */
static int store_chunk(struct worker *w, struct strata_chunk *c)
{
	struct build *b = w->b;
	uint64_t have;
	uLongf out_len = w->out_cap;

	if (store_chunk_size(b->store, c->digest, &have) == 0) {
		if (have == 0 || have > c->length)
			return errorf("%s: chunk file for chunk %llu has a bad size; run verify",
				      store_name(b->store), (unsigned long long)c->index);
		c->stored_size = (uint32_t)have;
		c->flags = have < c->length ? STRATA_ENTRY_ZLIB : 0;
		atomic_fetch_add(&b->n_known, 1);
		return 0;
	}
	if (compress2(w->out, &out_len, w->in, c->length, b->level) == Z_OK &&
	    out_len < c->length) {
		c->stored_size = (uint32_t)out_len;
		c->flags = STRATA_ENTRY_ZLIB;
	} else {
		c->stored_size = c->length;
		c->flags = 0;
	}
	atomic_fetch_add(&b->n_new, 1);
	atomic_fetch_add(&b->stored_bytes, c->stored_size);
	return store_put_chunk(b->store, c->digest, c->flags ? w->out : w->in, c->stored_size);
}

/* Read a used chunk (its free blocks zeroed) and make it a zero or a stored chunk. */
static int read_chunk(struct worker *w, struct strata_chunk *c)
{
	struct build *b = w->b;
	int rc = pread_exact(b->fd, b->path, w->in, c->length, c->offset);

	if (rc)
		return rc;
	layer_fsmap_clear_free(&b->fs, c->offset, w->in, c->length);
	if (strata_is_zero(w->in, c->length)) {
		c->flags = STRATA_ENTRY_ZERO;
		atomic_fetch_add(&b->n_zero, 1);
		return 0;
	}
	strata_sha256(w->in, c->length, c->digest);
	return store_chunk(w, c);
}

static int build_chunk(struct worker *w, uint64_t i)
{
	struct build *b = w->b;
	struct strata_chunk c = { .index = i, .offset = i << b->shift };
	uint64_t left = b->image_size - c.offset;
	int rc = 0;

	c.length = left < (1u << b->shift) ? (uint32_t)left : 1u << b->shift;
	switch (layer_fsmap_class(&b->fs, c.offset, c.length)) {
	case STRATA_FS_FREE:
		c.flags = STRATA_ENTRY_FREE;
		atomic_fetch_add(&b->n_free, 1);
		break;
	case STRATA_FS_ZERO_LOG:        /* a stale log must read as zeros on the target */
		c.flags = STRATA_ENTRY_ZERO;
		atomic_fetch_add(&b->n_zero, 1);
		break;
	case STRATA_FS_USED:
		rc = read_chunk(w, &c);
		break;
	}
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
		w[k] = (struct worker){ .b = b, .out_cap = compressBound(1u << b->shift) };
		w[k].in = malloc(1u << b->shift);
		w[k].out = malloc(w[k].out_cap);
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

/* Encode the index (version 2, runs of zero and free chunks) from the finished per-chunk entries
 * and store it; its digest is the layer id.  The index buffer is this function's. */
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
	rc = layer_fsmap_open(&b->fs, b->fd, b->path, b->image_size, b->flags, &b->index_flags);
	if (rc)
		goto err_size;
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
	layer_fsmap_done(&b->fs);
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
