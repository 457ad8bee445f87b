/* The table of PCs seen but not in the inventory (see unknown.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "unknown.h"

struct unknown {
	pthread_mutex_t lock;   /**< guards everything below */
	struct unknown_pc *v;   /**< cap slots, n used, in no order (owned) */
	size_t n, cap;
	uint64_t forgotten;
};

struct unknown *unknown_new(size_t cap)
{
	struct unknown *u = calloc(1, sizeof(*u));

	if (!u || !(u->v = calloc(cap ? cap : 1, sizeof(*u->v)))) {
		free(u);
		return NULL;
	}
	u->cap = cap ? cap : 1;
	pthread_mutex_init(&u->lock, NULL);
	return u;
}

void unknown_free(struct unknown *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u->v);
	free(u);
}

/* mac's slot, or NULL.  Under the lock. */
static struct unknown_pc *find(struct unknown *u, const uint8_t mac[6])
{
	for (size_t i = 0; i < u->n; i++)
		if (!memcmp(u->v[i].mac, mac, 6))
			return &u->v[i];
	return NULL;
}

/* A slot for a new MAC: a free one, else the least recently seen (forgotten).  Under the
 * lock. */
static struct unknown_pc *take_slot(struct unknown *u)
{
	size_t old = 0;

	if (u->n < u->cap)
		return &u->v[u->n++];
	for (size_t i = 1; i < u->n; i++)
		if (u->v[i].last < u->v[old].last)
			old = i;
	u->forgotten++;
	return &u->v[old];
}

void unknown_seen(struct unknown *u, const uint8_t mac[6], uint32_t ip, enum unknown_how how,
		  int64_t now)
{
	struct unknown_pc *p;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	p = find(u, mac);
	if (!p) {
		p = take_slot(u);
		*p = (struct unknown_pc){ .first = now };
		memcpy(p->mac, mac, 6);
	}
	p->how = how;
	p->last = now;
	p->ip = ip ? ip : p->ip;
	p->seen++;
	pthread_mutex_unlock(&u->lock);
}

void unknown_drop(struct unknown *u, const uint8_t mac[6])
{
	struct unknown_pc *p;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	if ((p = find(u, mac)))
		*p = u->v[--u->n];
	pthread_mutex_unlock(&u->lock);
}

/* qsort's order: the most recently seen first, then by MAC (a stable answer). */
static int by_recency(const void *a, const void *b)
{
	const struct unknown_pc *x = a, *y = b;

	if (x->last != y->last)
		return x->last < y->last ? 1 : -1;
	return memcmp(x->mac, y->mac, 6);
}

size_t unknown_list(struct unknown *u, struct unknown_pc *out, size_t cap,
		    uint64_t *forgotten)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = u->n < cap ? u->n : cap;
	memcpy(out, u->v, n * sizeof(*out));
	*forgotten = u->forgotten;
	pthread_mutex_unlock(&u->lock);
	qsort(out, n, sizeof(*out), by_recency);
	return n;
}

const char *unknown_how_name(enum unknown_how how)
{
	static const char *const names[] = {
		[UNKNOWN_PXE] = "pxe", [UNKNOWN_HTTP_BOOT] = "http-boot", [UNKNOWN_IPXE] = "ipxe",
	};

	return (unsigned int)how < 3 ? names[how] : "pxe";
}
