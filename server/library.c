/* The library's sizes, computed on a worker thread (see library.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "host.h"
#include "layer_bytes.h"
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

/** One computation's state.  Memory: 16 bytes per data chunk of each layer (refs,
 *  layer_bytes.h) and 56 per layer (sz.per_layer), nothing per distinct chunk besides. */
struct tally {
	struct server *s;
	struct store *st;
	struct layer_bytes refs;  /**< every layer's data chunks, numbered by sz.per_layer */
	size_t cap;               /**< room in sz.per_layer */
	struct library_sizes sz;  /**< owns per_layer until handed to the caller */
};

/* A new per-layer entry for id (size image bytes) at t->sz.per_layer[t->sz.nper]: 0 or
 * STRATA_ENOMEM (the entry is counted by the caller once its chunks are in). */
static int new_layer(struct tally *t, const uint8_t id[32], uint64_t size)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct library_layer *a;

	if (t->sz.nper == t->cap) {
		if (!(a = realloc(t->sz.per_layer, cap * sizeof(*a))))
			return STRATA_ENOMEM;
		t->sz.per_layer = a;
		t->cap = cap;
	}
	a = &t->sz.per_layer[t->sz.nper];
	memcpy(a->id, id, 32);
	a->size = size;
	a->stored = a->unique = 0;
	return 0;
}

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
	if (t->sz.nper >= UINT32_MAX || new_layer(t, id, e->idx.image_size))
		return errorf("library: out of memory");
	for (uint64_t i = strata_index_next_data(&e->idx, 0); i < e->idx.chunk_count;
	     i = strata_index_next_data(&e->idx, i + 1)) {
		strata_index_chunk(&e->idx, i, &c);
		if (!c.stored_size)
			continue;
		t->sz.logical_bytes += c.length;
		if (layer_bytes_add(&t->refs, c.digest, (uint32_t)t->sz.nper, c.stored_size))
			return errorf("library: out of memory after %zu chunks of %zu layers "
				      "(16 bytes each): the sizes need more memory for the server",
				      t->refs.n, t->sz.nper + 1);
	}
	t->sz.nper++;
	return 0;
}

/* The chunks grouped: each layer's stored and unique bytes, the store's total.  0 or
 * STRATA_EREPORTED. */
static int sum_layers(struct tally *t)
{
	struct layer_bytes_sum *sum = calloc(t->sz.nper + 1, sizeof(*sum));

	if (!sum)
		return errorf("library: out of memory");
	t->sz.store_bytes = layer_bytes_sum(&t->refs, sum, t->sz.nper);
	for (size_t i = 0; i < t->sz.nper; i++) {
		t->sz.per_layer[i].stored = sum[i].stored;
		t->sz.per_layer[i].unique = sum[i].unique;
	}
	free(sum);
	return 0;
}

/* The whole computation: *out filled (its per_layer the caller's) on 0, untouched on
 * STRATA_EREPORTED. */
static int compute(struct server *s, struct library_sizes *out)
{
	struct tally t = { .s = s };
	char dir[4096];
	int rc = store_open(s->cfg.store_dir, 0, &t.st);

	if (rc)
		return STRATA_EREPORTED;
	snprintf(dir, sizeof(dir), "%s/layers", s->cfg.store_dir);
	if (access(dir, F_OK) == 0)   /* a store without layers yet holds nothing */
		rc = store_each_layer(t.st, add_layer, &t);
	if (rc == 0)
		rc = sum_layers(&t);
	layer_bytes_free(&t.refs);
	store_close(t.st);
	if (rc) {
		library_sizes_free(&t.sz);
		return STRATA_EREPORTED;
	}
	t.sz.computed_at = (int64_t)time(NULL);
	*out = t.sz;
	return 0;
}

static void *worker(void *arg)
{
	struct library *l = arg;
	struct library_sizes sz;
	int rc = compute(l->s, &sz);

	pthread_mutex_lock(&l->lock);
	if (rc == 0) {
		library_sizes_free(&l->last);
		l->last = sz, l->have = 1;
	}
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
	library_sizes_free(&l->last);
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

/* A copy of z into *out, per_layer duplicated (the caller's).  0 or STRATA_ENOMEM. */
static int copy_sizes(struct library_sizes *out, const struct library_sizes *z)
{
	*out = *z;
	out->per_layer = NULL;
	if (!z->nper)
		return 0;
	if (!(out->per_layer = malloc(z->nper * sizeof(*z->per_layer))))
		return out->nper = 0, STRATA_ENOMEM;
	memcpy(out->per_layer, z->per_layer, z->nper * sizeof(*z->per_layer));
	return 0;
}

int library_get(struct library *l, struct library_sizes *out)
{
	int rc;

	pthread_mutex_lock(&l->lock);
	if (!l->tried_at || (int64_t)time(NULL) - l->tried_at >= LIBRARY_TTL_S)
		start(l);
	*out = (struct library_sizes){ 0 };
	rc = l->have ? copy_sizes(out, &l->last) : l->running ? 1 : STRATA_EREPORTED;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void library_sizes_free(struct library_sizes *z)
{
	free(z->per_layer);
	z->per_layer = NULL;
	z->nper = 0;
}
