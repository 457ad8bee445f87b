/*
 * strata-image apply: make a target hold exactly a layer, moving as few bytes as possible.
 *
 * A driver of the core's deployment engine (core/deploy.h), which does all the work:
 * scan, reuse of verified duplicates, fetch, decode, verify, write.  Here a pool of
 * threads, each with its own engine and store reader, runs it over slices of the layer:
 *  1. scan: each thread claims slices of chunks and scans them; kept chunks go into the
 *     reuse table all threads share (under a mutex), chunks to fetch into one need list;
 *  2. fetch: the need list, in disk order, is cut into slices again; for each chunk the
 *     engine copies a verified duplicate from the target or fetches it (source.h: chunk
 *     runs from strata-server, chunk files from a folder or any static server).
 * Only bytes that hashed to their name are ever written, so an interrupted or failed apply
 * leaves the target holding old data and verified chunks, and running it again fetches
 * only what is still missing.  A chunk that fails is named and skipped; the rest go on.
 * A target error or a store slower than its limits (store_limits) stops every thread at
 * its next slice; the summary then counts the chunks not reached (apply.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "apply.h"
#include "chunk.h"
#include "cli.h"
#include "crypto.h"
#include "deploy.h"
#include "image_io.h"
#include "manifest.h"
#include "reuse.h"
#include "source.h"
#include "store.h"
#include "text.h"

#define BATCH 16
#define MAX_REPORTED 20

/** Shared state of one apply. */
struct apply {
	struct apply_opts *o;
	struct store *store;
	int fd;
	uint8_t layer[32];
	struct strata_index idx;
	struct strata_reuse reuse;   /**< shared by every thread's engine */
	pthread_mutex_t lock;        /**< guards reuse */
	uint64_t *need;              /**< chunks to fetch, filled by the scan */
	atomic_uint_fast64_t n_need;
	atomic_uint_fast64_t next;   /**< next unclaimed item of the current phase */
	atomic_uint_fast64_t n_reported;
	atomic_int fatal;            /**< the first rc that stops everything (a target I/O
					  error, a store too slow), 0 while none */
	atomic_int running;
	atomic_uint_fast64_t target_read, target_written;   /**< bytes, for the stats */
	int phase;                   /**< 1 scan, 2 fetch */
	struct progress prog;
};

/** One thread: its engine, source and reader, all owned by the thread's slot. */
struct apply_worker {
	struct apply *a;
	struct store_reader *reader;
	struct store_source src;
	struct strata_deploy d;
	uint64_t shown;              /**< bytes of this phase already on the progress line */
	uint64_t need[BATCH];        /**< what one scanned slice needs */
};

/* The target, for the engine: a file or device, any alignment (block size 1). */
static int t_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct apply *a = ctx;

	atomic_fetch_add(&a->target_read, len);
	return pread_exact(a->fd, a->o->target, buf, len, a->o->base + off) ? STRATA_EIO : 0;
}

static int t_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct apply *a = ctx;

	atomic_fetch_add(&a->target_written, len);
	return pwrite_exact(a->fd, a->o->target, buf, len, a->o->base + off) ? STRATA_EIO : 0;
}

static const struct strata_target_ops file_target = { .read = t_read, .write = t_write };

static void lock_reuse(void *ctx)
{
	pthread_mutex_lock(ctx);
}

static void unlock_reuse(void *ctx)
{
	pthread_mutex_unlock(ctx);
}

static const struct strata_lock_ops mutex_ops = { lock_reuse, unlock_reuse };

/* The engine's failed-chunk hook: name the chunk, its file and the store's reason. */
static void report_chunk(void *ctx, const struct strata_chunk *c, const char *why)
{
	struct apply_worker *w = ctx;
	const char *store_why = source_take_why(&w->src);
	char hex[65], rel[96];

	if (atomic_fetch_add(&w->a->n_reported, 1) >= MAX_REPORTED)
		return;
	if (c->flags & STRATA_ENTRY_FREE) {     /* --wipe: the target is at fault */
		errorf("%s: chunk %llu (byte %llu): %s", w->a->o->target,
		       (unsigned long long)c->index, (unsigned long long)c->offset, why);
		return;
	}
	strata_hex_encode(hex, c->digest, 32);
	store_chunk_rel(rel, c->digest);
	errorf("chunk %llu (sha256:%s) from %s/%s: %s; nothing unverified was written there",
	       (unsigned long long)c->index, hex, store_root(w->a->store), rel,
	       store_why ? store_why : why);
}

/* The engine's progress hook: add what this thread did since its last call. */
static void on_progress(void *ctx, int phase, uint64_t done, uint64_t total)
{
	struct apply_worker *w = ctx;

	progress_add(&w->a->prog, done - w->shown);
	w->shown = done;
}

/* Phase 1 over chunks i..end-1; what they need joins the shared list. */
static int worker_scan(struct apply_worker *w, uint64_t i, uint64_t end)
{
	uint64_t n = 0, at;
	int rc = strata_deploy_scan(&w->d, i, end, w->need, &n);

	at = atomic_fetch_add(&w->a->n_need, n);
	memcpy(w->a->need + at, w->need, n * sizeof(uint64_t));
	return rc;
}

/* Keep the first rc that stops the apply; every thread stops at its next slice. */
static void stop_all(struct apply *a, int rc)
{
	int none = 0;

	atomic_compare_exchange_strong(&a->fatal, &none, rc);
}

static void *apply_worker(void *arg)
{
	struct apply_worker *w = arg;
	struct apply *a = w->a;
	uint64_t total = a->phase == 1 ? a->idx.chunk_count : atomic_load(&a->n_need);
	uint64_t i, end;
	int rc;

	w->shown = 0;
	while (!atomic_load(&a->fatal)) {
		i = atomic_fetch_add(&a->next, BATCH);
		if (i >= total)
			break;
		end = i + BATCH < total ? i + BATCH : total;
		rc = a->phase == 1 ? worker_scan(w, i, end)
				   : strata_deploy_fetch(&w->d, a->need + i, end - i);
		if (rc)
			stop_all(a, rc);
	}
	atomic_fetch_sub(&a->running, 1);
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Run one phase on n threads (w[] prepared by the caller). */
static int run_phase(struct apply *a, struct apply_worker *w, unsigned int n, int phase,
		     const char *what, uint64_t bytes)
{
	pthread_t tid[64];
	unsigned int k;

	a->phase = phase;
	atomic_store(&a->next, 0);
	progress_init(&a->prog, what, bytes);
	atomic_store(&a->running, (int)n);
	for (k = 0; k < n; k++) {
		if (pthread_create(&tid[k], NULL, apply_worker, &w[k])) {
			stop_all(a, errorf("cannot start worker thread %u", k));
			atomic_fetch_sub(&a->running, (int)(n - k));
			break;
		}
	}
	while (atomic_load(&a->running) > 0) {
		progress_tick(&a->prog);
		usleep(50000);
	}
	while (k--)
		pthread_join(tid[k], NULL);
	progress_done(&a->prog);
	return atomic_load(&a->fatal);
}

/* Each thread's reader, source and engine; all freed by workers_close. */
static int workers_open(struct apply *a, struct apply_worker *w, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		w[k].a = a;
		w[k].d = (struct strata_deploy){
			.idx = &a->idx, .target = &file_target, .target_ctx = a, .block_size = 1,
			.source = &store_source_ops, .source_ctx = &w[k].src,
			.progress = on_progress, .failed = report_chunk, .hook_ctx = &w[k],
			.reuse = &a->reuse, .wipe = a->o->wipe,
		};
		if (store_reader_open(a->store, &w[k].reader) ||
		    source_init(&w[k].src, w[k].reader, &a->idx, a->layer) ||
		    strata_deploy_init(&w[k].d))
			return errorf("cannot set up worker %u", k);
	}
	return 0;
}

static void workers_close(struct apply_worker *w, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		strata_deploy_done(&w[k].d);
		source_done(&w[k].src);
		store_reader_close(w[k].reader);
	}
}

/* What every thread's engine did, added up. */
static void sum_stats(const struct apply_worker *w, unsigned int n,
		      struct strata_deploy_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int k = 0; k < n; k++) {
		const struct strata_deploy_stats *s = &w[k].d.st;

		t->chunks_kept += s->chunks_kept;
		t->chunks_zero += s->chunks_zero;
		t->chunks_free += s->chunks_free;
		t->chunks_wiped += s->chunks_wiped;
		t->chunks_fetched += s->chunks_fetched;
		t->chunks_reused += s->chunks_reused;
		t->chunks_failed += s->chunks_failed;
		t->chunks_blind += s->chunks_blind;
		t->bytes_fetched += s->bytes_fetched;
		t->bytes_to_write += s->bytes_to_write;
	}
}

/* What a stop's rc means when its site could not say all of it (a target error names the
 * target and offset where it happens). */
static void explain_stop(const struct apply *a, int rc)
{
	const struct store_limits *l = &a->o->limits;

	if (rc == STRATA_ETIMEDOUT)
		errorf("%s: apply stopped: the store timed out (under %u bytes/s for %u s: "
		       "--low-speed-limit, --low-speed-time; or no connection in 10 s)",
		       store_root(a->store), l->low_speed_limit, l->low_speed_time);
}

/* Both phases, then flush.  Fills *t.  0 when every chunk is in place. */
static int apply_run(struct apply *a, struct apply_worker *w, unsigned int n,
		     struct strata_deploy_stats *t)
{
	int rc;

	rc = run_phase(a, w, n, 1, "scan ", a->idx.image_size);
	if (rc == 0) {
		qsort(a->need, atomic_load(&a->n_need), sizeof(uint64_t), cmp_u64);
		sum_stats(w, n, t);
		rc = run_phase(a, w, n, 2, "fetch", t->bytes_to_write);
	}
	sum_stats(w, n, t);
	explain_stop(a, rc);
	if (fdatasync(a->fd) < 0 && errno != EINVAL)
		rc = errorf("%s: flush: %s", a->o->target, strerror(errno));
	if (rc == 0 && t->chunks_failed) {
		errorf("%s: %llu chunks could not be fetched or verified; run apply again "
		       "when the store is mended", a->o->target,
		       (unsigned long long)t->chunks_failed);
		rc = STRATA_ECORRUPT;
	}
	return rc;
}

/* Fetch the layer's index and open it (hashed against its id, parsed) once, through the
 * store, which prints any error naming the store and file.  *buf is the caller's to free;
 * a->idx borrows it. */
static int load_index(struct apply *a, struct store_reader *r, uint8_t **buf)
{
	size_t len;

	if (strata_layer_id_parse(a->layer, a->o->layer, strlen(a->o->layer)))
		return errorf("'%s' is not a layer id (sha256:<64 hex digits>)", a->o->layer);
	return store_get_layer(r, a->layer, buf, &len, &a->idx);
}

/* A partition's extent (apply --manifest): the target is a disk, never resized, and the
 * layer must fit (the plan checked it; this is the last word before writing). */
static int open_partition(struct apply *a)
{
	a->fd = open(a->o->target, O_RDWR | O_CLOEXEC);
	if (a->fd < 0)
		return errorf("%s: %s", a->o->target, strerror(errno));
	if (a->idx.image_size > a->o->extent)
		return errorf("%s: the layer's %llu bytes do not fit its %llu-byte partition at "
			      "byte %llu", a->o->target, (unsigned long long)a->idx.image_size,
			      (unsigned long long)a->o->extent, (unsigned long long)a->o->base);
	return 0;
}

/* Open the target and give it the layer's size (files) or check it (devices). */
static int open_target(struct apply *a)
{
	struct stat st;
	uint64_t size;

	if (a->o->extent)
		return open_partition(a);
	a->fd = open(a->o->target, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (a->fd < 0)
		return errorf("%s: %s", a->o->target, strerror(errno));
	if (fstat(a->fd, &st) < 0)
		return errorf("%s: %s", a->o->target, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size != a->idx.image_size &&
		    ftruncate(a->fd, (off_t)a->idx.image_size) < 0)
			return errorf("%s: cannot resize to %llu bytes: %s", a->o->target,
				      (unsigned long long)a->idx.image_size, strerror(errno));
		return 0;
	}
	if (fd_size(a->fd, a->o->target, &size))
		return STRATA_EREPORTED;
	if (size < a->idx.image_size)
		return errorf("%s: holds %llu bytes, the layer needs %llu", a->o->target,
			      (unsigned long long)size, (unsigned long long)a->idx.image_size);
	return 0;
}

/* The need list and the shared reuse table; freed by apply_layer. */
static int alloc_tables(struct apply *a)
{
	a->need = calloc(a->idx.chunk_count + 1, sizeof(uint64_t));
	if (!a->need || strata_reuse_init(&a->reuse, &a->idx))
		return errorf("out of memory for %llu chunks",
			      (unsigned long long)a->idx.chunk_count);
	a->reuse.lock = &mutex_ops;
	a->reuse.lock_ctx = &a->lock;
	return 0;
}

static unsigned int thread_count(const struct apply_opts *o)
{
	unsigned int n = o->jobs ? o->jobs : cpu_count();

	if (!o->jobs && strncmp(o->store, "http", 4) == 0 && n < 8)
		n = 8;  /* hide network latency behind parallel keep-alive connections */
	return n > 64 ? 64 : n;
}

/* The --json report from the engines' sums.  "Reused" counts every data chunk that did
 * not cross the network: kept where it was, or copied from a duplicate.  What no count
 * holds was not reached. */
static void fill_stats(const struct apply *a, const struct strata_deploy_stats *t,
		       double seconds, struct apply_stats *st)
{
	*st = (struct apply_stats){
		.chunks_total = a->idx.chunk_count, .chunks_fetched = t->chunks_fetched,
		.chunks_reused = t->chunks_kept + t->chunks_reused, .chunks_zero = t->chunks_zero,
		.chunks_free = t->chunks_free, .chunks_wiped = t->chunks_wiped,
		.target_read = atomic_load(&a->target_read),
		.target_written = atomic_load(&a->target_written),
		.bytes_fetched = t->bytes_fetched, .chunks_failed = t->chunks_failed,
		.chunks_blind = t->chunks_blind,
		.image_size = a->idx.image_size, .seconds = seconds,
	};
	st->chunks_left = st->chunks_total - st->chunks_fetched - st->chunks_reused -
			  st->chunks_zero - st->chunks_free - st->chunks_failed;
}

int apply_layer(struct apply_opts *o, struct apply_stats *st)
{
	struct apply a = { .o = o, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	unsigned int n = thread_count(o);
	struct apply_worker w[64];
	struct strata_deploy_stats t = { 0 };
	struct store_reader *r = NULL;
	uint8_t *index_buf = NULL;
	double t0 = now_seconds();
	int rc;

	memset(w, 0, sizeof(w));
	rc = store_open(o->store, 0, &a.store);
	if (rc)
		return rc;
	store_set_limits(a.store, &o->limits);
	rc = store_reader_open(a.store, &r);
	if (!rc)
		rc = load_index(&a, r, &index_buf);
	store_reader_close(r);
	if (rc)
		goto err_index;
	rc = workers_open(&a, w, n);
	if (!rc)
		rc = open_target(&a);
	if (!rc)
		rc = alloc_tables(&a);
	if (rc)
		goto err_target;
	rc = apply_run(&a, w, n, &t);
	fill_stats(&a, &t, now_seconds() - t0, st);
err_target:
	if (a.fd >= 0)
		close(a.fd);
	strata_reuse_done(&a.reuse);
	free(a.need);
err_index:
	workers_close(w, n);
	free(index_buf);
	store_close(a.store);
	return rc;
}
