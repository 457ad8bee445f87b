/*
 * strata-image apply: make a target hold exactly a layer, moving as few bytes as possible.
 *
 * Two phases, each run by a pool of threads:
 *  1. scan: read every chunk the target holds and decide (core/chunk.h): keep it, write
 *     zeros, or fetch.  Kept chunks go into a table of verified bytes already on the target.
 *  2. fetch: for each chunk to fetch, in disk order: if the table has its digest, copy it
 *     from the target (re-verified); otherwise fetch it from the store, decode and verify it
 *     (strata_chunk_decode), write it, and add it to the table.  Identical chunks thus cross
 *     the network once.
 * Only bytes that hashed to their name are ever written, so an interrupted or failed apply
 * leaves the target holding old data and verified chunks, and running it again fetches
 * only what is still missing.  A chunk that fails is named and skipped; the rest go on.
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
#include "image_io.h"
#include "manifest.h"
#include "store.h"
#include "text.h"

#define BATCH 16
#define MAX_REPORTED 20

/** Shared state of one apply. */
struct apply {
	struct apply_opts *o;
	struct store *store;
	int fd;
	struct strata_index idx;
	uint64_t *need;              /**< chunks to fetch, filled by the scan */
	atomic_uint_fast64_t n_need;
	atomic_uint_fast64_t next;   /**< next unclaimed item of the current phase */
	uint64_t *table;             /**< open-addressed: chunk index + 1 of verified chunks */
	uint64_t table_mask;
	pthread_mutex_t lock;        /**< guards table */
	atomic_uint_fast64_t n_fetched, n_reused, n_zero, bytes_fetched;
	atomic_uint_fast64_t n_failed;
	atomic_int fatal;            /**< a target I/O error: stop everything */
	atomic_int running;
	int phase;                   /**< 1 scan, 2 fetch */
	struct progress prog;
};

/** Per-thread buffers and store handle, owned by the thread. */
struct apply_worker {
	struct apply *a;
	struct store_reader *reader;
	uint8_t *data, *stored;
};

static const uint8_t *entry_digest(const struct apply *a, uint64_t i)
{
	return a->idx.entries + i * sizeof(struct strata_index_entry);
}

/* Find a verified chunk with this digest; returns its index + 1, or 0. */
static uint64_t table_find(struct apply *a, const uint8_t *digest)
{
	uint64_t h, v = 0;

	memcpy(&h, digest, sizeof(h));
	pthread_mutex_lock(&a->lock);
	for (h &= a->table_mask; a->table[h]; h = (h + 1) & a->table_mask) {
		if (!memcmp(entry_digest(a, a->table[h] - 1), digest, 32)) {
			v = a->table[h];
			break;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return v;
}

static void table_add(struct apply *a, uint64_t i)
{
	const uint8_t *digest = entry_digest(a, i);
	uint64_t h;

	memcpy(&h, digest, sizeof(h));
	pthread_mutex_lock(&a->lock);
	for (h &= a->table_mask; a->table[h]; h = (h + 1) & a->table_mask)
		if (!memcmp(entry_digest(a, a->table[h] - 1), digest, 32))
			goto out;
	a->table[h] = i + 1;
out:
	pthread_mutex_unlock(&a->lock);
}

static void report_chunk(struct apply *a, const struct strata_chunk *c, const char *why)
{
	char hex[65], rel[96];

	if (atomic_fetch_add(&a->n_failed, 1) >= MAX_REPORTED)
		return;
	strata_hex_encode(hex, c->digest, 32);
	store_chunk_rel(rel, c->digest);
	errorf("chunk %llu (sha256:%s) from %s/%s: %s; the target keeps its old bytes there",
	       (unsigned long long)c->index, hex, store_root(a->store), rel, why);
}

/* Phase 1 for one chunk. */
static int scan_chunk(struct apply_worker *w, uint64_t i)
{
	struct apply *a = w->a;
	struct strata_chunk c;
	int rc;

	strata_index_chunk(&a->idx, i, &c);
	rc = pread_exact(a->fd, a->o->target, w->data, c.length, c.offset);
	if (rc)
		return rc;
	switch (strata_chunk_action(&c, w->data)) {
	case STRATA_KEEP:
		atomic_fetch_add(c.flags & STRATA_ENTRY_ZERO ? &a->n_zero : &a->n_reused, 1);
		if (!(c.flags & STRATA_ENTRY_ZERO))
			table_add(a, i);
		break;
	case STRATA_ZERO:
		memset(w->data, 0, c.length);
		rc = pwrite_exact(a->fd, a->o->target, w->data, c.length, c.offset);
		atomic_fetch_add(&a->n_zero, 1);
		break;
	case STRATA_FETCH:
		a->need[atomic_fetch_add(&a->n_need, 1)] = i;
		break;
	}
	progress_add(&a->prog, c.length);
	return rc;
}

/* Copy a chunk the target already holds elsewhere; 0, or 1 when it no longer verifies. */
static int copy_local(struct apply_worker *w, const struct strata_chunk *c, uint64_t from)
{
	struct apply *a = w->a;
	uint8_t digest[32];
	int rc;

	rc = pread_exact(a->fd, a->o->target, w->data, c->length,
			 from << a->idx.chunk_shift);
	if (rc)
		return rc;
	strata_sha256(w->data, c->length, digest);
	if (memcmp(digest, c->digest, 32))
		return 1;
	atomic_fetch_add(&a->n_reused, 1);
	return pwrite_exact(a->fd, a->o->target, w->data, c->length, c->offset);
}

/* Fetch, verify and write one chunk.  Chunk failures are reported, not returned. */
static int fetch_chunk(struct apply_worker *w, const struct strata_chunk *c)
{
	struct apply *a = w->a;
	struct strata_diag diag = { 0 };
	const char *why = NULL;
	int rc;

	rc = store_get_chunk(w->reader, c->digest, w->stored, c->stored_size, &why);
	if (rc) {
		report_chunk(a, c, why);
		return 0;
	}
	atomic_fetch_add(&a->bytes_fetched, c->stored_size);
	if (strata_chunk_decode(c, w->stored, c->stored_size, w->data, &diag)) {
		report_chunk(a, c, diag.msg);
		return 0;
	}
	rc = pwrite_exact(a->fd, a->o->target, w->data, c->length, c->offset);
	if (rc)
		return rc;
	atomic_fetch_add(&a->n_fetched, 1);
	table_add(a, c->index);
	return 0;
}

/* Phase 2 for one chunk. */
static int fill_chunk(struct apply_worker *w, uint64_t i)
{
	struct apply *a = w->a;
	struct strata_chunk c;
	uint64_t from;
	int rc = 1;

	strata_index_chunk(&a->idx, i, &c);
	from = table_find(a, c.digest);
	if (from)
		rc = copy_local(w, &c, from - 1);
	if (rc == 1)
		rc = fetch_chunk(w, &c);
	progress_add(&a->prog, c.length);
	return rc;
}

static void *apply_worker(void *arg)
{
	struct apply_worker *w = arg;
	struct apply *a = w->a;
	uint64_t total = a->phase == 1 ? a->idx.chunk_count : atomic_load(&a->n_need);
	uint64_t i, end;

	while (!atomic_load(&a->fatal)) {
		i = atomic_fetch_add(&a->next, BATCH);
		if (i >= total)
			break;
		end = i + BATCH < total ? i + BATCH : total;
		for (; i < end && !atomic_load(&a->fatal); i++)
			if (a->phase == 1 ? scan_chunk(w, i) : fill_chunk(w, a->need[i]))
				atomic_store(&a->fatal, 1);
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
			atomic_store(&a->fatal, 1);
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
	return atomic_load(&a->fatal) ? -1 : 0;
}

static int workers_open(struct apply *a, struct apply_worker *w, unsigned int n)
{
	size_t cs = a->idx.chunk_size;

	for (unsigned int k = 0; k < n; k++) {
		w[k] = (struct apply_worker){ .a = a };
		w[k].data = malloc(cs);
		w[k].stored = malloc(cs);
		if (!w[k].data || !w[k].stored || store_reader_open(a->store, &w[k].reader))
			return errorf("cannot set up worker %u", k);
	}
	return 0;
}

static void workers_close(struct apply_worker *w, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		store_reader_close(w[k].reader);
		free(w[k].data);
		free(w[k].stored);
	}
}

/* Bytes of the chunks still to fetch, for the progress display. */
static uint64_t need_bytes(const struct apply *a)
{
	uint64_t n = atomic_load(&a->n_need), sum = 0;
	struct strata_chunk c;

	for (uint64_t k = 0; k < n; k++) {
		strata_index_chunk(&a->idx, a->need[k], &c);
		sum += c.length;
	}
	return sum;
}

/* Both phases, then flush.  Fills stats.  0 when every chunk is in place. */
static int apply_run(struct apply *a, struct apply_worker *w, unsigned int n)
{
	int rc;

	rc = run_phase(a, w, n, 1, "scan ", a->idx.image_size);
	if (rc == 0) {
		qsort(a->need, atomic_load(&a->n_need), sizeof(uint64_t), cmp_u64);
		rc = run_phase(a, w, n, 2, "fetch", need_bytes(a));
	}
	if (fdatasync(a->fd) < 0 && errno != EINVAL)
		rc = errorf("%s: flush: %s", a->o->target, strerror(errno));
	if (rc == 0 && atomic_load(&a->n_failed)) {
		errorf("%s: %llu chunks could not be fetched or verified; run apply again "
		       "when the store is mended", a->o->target,
		       (unsigned long long)atomic_load(&a->n_failed));
		rc = -1;
	}
	return rc;
}

/* Load and validate the layer's index. */
static int load_index(struct apply *a, struct store_reader *r, uint8_t **buf)
{
	struct strata_diag diag = { 0 };
	uint8_t id[32];
	size_t len;
	char rel[96];
	int rc;

	if (strata_layer_id_parse(id, a->o->layer, strlen(a->o->layer)))
		return errorf("'%s' is not a layer id (sha256:<64 hex digits>)", a->o->layer);
	rc = store_get_index(r, id, buf, &len);
	if (rc)
		return rc;
	rc = strata_index_parse(&a->idx, *buf, len, &diag);
	if (rc) {
		store_index_rel(rel, id);
		return errorf("%s/%s: byte %llu: %s", store_root(a->store), rel,
			      (unsigned long long)diag.where, diag.msg);
	}
	return 0;
}

/* Open the target and give it the layer's size (files) or check it (devices). */
static int open_target(struct apply *a)
{
	struct stat st;
	uint64_t size;

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
		return -1;
	if (size < a->idx.image_size)
		return errorf("%s: holds %llu bytes, the layer needs %llu", a->o->target,
			      (unsigned long long)size, (unsigned long long)a->idx.image_size);
	return 0;
}

static int alloc_tables(struct apply *a)
{
	uint64_t slots = 16;

	while (slots < 2 * a->idx.chunk_count)
		slots *= 2;
	a->table_mask = slots - 1;
	a->table = calloc(slots, sizeof(uint64_t));
	a->need = calloc(a->idx.chunk_count, sizeof(uint64_t));
	if (!a->table || !a->need)
		return errorf("out of memory for %llu chunks",
			      (unsigned long long)a->idx.chunk_count);
	return 0;
}

static unsigned int thread_count(const struct apply_opts *o)
{
	unsigned int n = o->jobs ? o->jobs : cpu_count();

	if (!o->jobs && strncmp(o->store, "http", 4) == 0 && n < 8)
		n = 8;  /* hide network latency behind parallel keep-alive connections */
	return n > 64 ? 64 : n;
}

int apply_layer(struct apply_opts *o, struct apply_stats *st)
{
	struct apply a = { .o = o, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	unsigned int n = thread_count(o);
	struct apply_worker w[64];
	uint8_t *index_buf = NULL;
	double t0 = now_seconds();
	int rc;

	struct store_reader *r = NULL;

	memset(w, 0, sizeof(w));
	if (store_open(o->store, 0, &a.store))
		return -1;
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
	rc = apply_run(&a, w, n);
	*st = (struct apply_stats){
		.chunks_total = a.idx.chunk_count, .chunks_fetched = a.n_fetched,
		.chunks_reused = a.n_reused, .chunks_zero = a.n_zero,
		.bytes_fetched = a.bytes_fetched, .chunks_failed = a.n_failed,
		.image_size = a.idx.image_size, .seconds = now_seconds() - t0,
	};
err_target:
	if (a.fd >= 0)
		close(a.fd);
	free(a.table);
	free(a.need);
err_index:
	workers_close(w, n);
	free(index_buf);
	store_close(a.store);
	return rc;
}
