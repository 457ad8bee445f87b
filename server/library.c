/* The library's sizes, computed on a worker thread (see library.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "digest_set.h"
#include "host.h"
#include "layer_cache.h"
#include "library.h"
#include "server.h"
#include "store.h"
#include "text.h"

struct library {
	struct server *s;
	pthread_mutex_t lock;     /**< guards everything below */
	pthread_t worker;
	int running;              /**< worker computes now */
	int joinable;             /**< worker ran and has not been joined */
	int have;                 /**< last holds a result */
	int failed;               /**< the last computation failed */
	int64_t tried_at;         /**< when the last computation ended; 0: none yet */
	struct library_sizes last;
};

/** One computation's state. */
struct tally {
	struct server *s;
	struct store *st;
	struct digest_set chunks;
	struct library_sizes sz;
};

/* store_each_layer's call: one layer's data chunks into the tally.  A layer the cache
 * cannot open is logged and left out (its chunks then count nowhere). */
static int add_layer(void *ctx, const uint8_t id[32])
{
	struct tally *t = ctx;
	const struct layer_entry *e;
	struct strata_chunk c;
	char hex[65];

	t->sz.layers++;
	if (layer_cache_get(&t->s->layers, id, &e)) {
		strata_hex_encode(hex, id, 32);
		fprintf(stderr, "library: layer %s cannot be opened; its chunks are not "
			"counted\n", hex);
		return 0;
	}
	for (uint64_t i = strata_index_next_data(&e->idx, 0); i < e->idx.chunk_count;
	     i = strata_index_next_data(&e->idx, i + 1)) {
		strata_index_chunk(&e->idx, i, &c);
		if (!c.stored_size)
			continue;
		t->sz.logical_bytes += c.length;
		if (digest_set_add(&t->chunks, c.digest))
			return errorf("library: out of memory");
	}
	return 0;
}

/* The whole computation.  0 or STRATA_EREPORTED. */
static int compute(struct server *s, struct library_sizes *out)
{
	struct tally t = { .s = s };
	char dir[4096];
	uint64_t size;
	int rc = store_open(s->cfg.store_dir, 0, &t.st);

	if (rc)
		return STRATA_EREPORTED;
	snprintf(dir, sizeof(dir), "%s/layers", s->cfg.store_dir);
	if (access(dir, F_OK) == 0)   /* a store without layers yet holds nothing */
		rc = store_each_layer(t.st, add_layer, &t);
	digest_set_seal(&t.chunks);
	for (size_t i = 0; rc == 0 && i < t.chunks.n; i++)
		if (store_chunk_size(t.st, t.chunks.d[i], &size) == 0)
			t.sz.store_bytes += size;
	digest_set_free(&t.chunks);
	store_close(t.st);
	t.sz.computed_at = (int64_t)time(NULL);
	*out = t.sz;
	return rc ? STRATA_EREPORTED : 0;
}

static void *worker(void *arg)
{
	struct library *l = arg;
	struct library_sizes sz;
	int rc = compute(l->s, &sz);

	pthread_mutex_lock(&l->lock);
	if (rc == 0)
		l->last = sz, l->have = 1;
	l->failed = rc != 0;
	l->tried_at = (int64_t)time(NULL);
	l->running = 0;
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

struct library *library_open(struct server *s)
{
	struct library *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->s = s;
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void library_close(struct library *l)
{
	if (!l)
		return;
	if (l->joinable)
		pthread_join(l->worker, NULL);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* Start the worker unless it runs (the previous one joined first).  Under l->lock. */
static void start(struct library *l)
{
	if (l->running)
		return;
	if (l->joinable)
		pthread_join(l->worker, NULL);   /* it ended: running is 0 */
	l->joinable = pthread_create(&l->worker, NULL, worker, l) == 0;
	l->running = l->joinable;
	if (!l->running)
		fprintf(stderr, "library: cannot start its worker thread\n");
}

int library_get(struct library *l, struct library_sizes *out)
{
	int rc;

	pthread_mutex_lock(&l->lock);
	if (!l->tried_at || (int64_t)time(NULL) - l->tried_at >= LIBRARY_TTL_S)
		start(l);
	*out = l->last;
	rc = l->have ? 0 : l->running ? 1 : STRATA_EREPORTED;
	pthread_mutex_unlock(&l->lock);
	return rc;
}
