/* The duplicate-reuse table (see reuse.h). */
#include "alloc.h"
#include "le.h"
#include "mem.h"
#include "reuse.h"

static void lock(struct strata_reuse *t)
{
	if (t->lock)
		t->lock->lock(t->lock_ctx);
}

static void unlock(struct strata_reuse *t)
{
	if (t->lock)
		t->lock->unlock(t->lock_ctx);
}

int strata_reuse_init(struct strata_reuse *t, const struct strata_index *idx)
{
	return strata_reuse_init_for(t, idx, idx->chunk_count);
}

int strata_reuse_init_for(struct strata_reuse *t, const struct strata_index *idx, uint64_t n)
{
	uint64_t slots = 16;

	while (slots < 2 * n)
		slots *= 2;
	t->idx = idx;
	t->mask = slots - 1;
	t->slot = strata_alloc((size_t)slots * sizeof(uint64_t));
	return t->slot ? 0 : STRATA_ENOMEM;
}

void strata_reuse_clear(struct strata_reuse *t)
{
	strata_memset(t->slot, 0, (size_t)(t->mask + 1) * sizeof(uint64_t));
}

void strata_reuse_done(struct strata_reuse *t)
{
	strata_free(t->slot);
	t->slot = (void *)0;
}

/* The slot that holds digest, or the empty slot where it would go.  Under the lock. */
static uint64_t *probe(struct strata_reuse *t, const uint8_t digest[32])
{
	struct strata_chunk c;
	uint64_t h = le64_get(digest) & t->mask;

	for (; t->slot[h]; h = (h + 1) & t->mask) {
		strata_index_chunk(t->idx, t->slot[h] - 1, &c);
		if (!strata_memcmp(c.digest, digest, 32))
			break;
	}
	return &t->slot[h];
}

/* The slot that holds chunk i's digest, or the empty slot where it would go.  Under the
 * lock. */
static uint64_t *probe_chunk(struct strata_reuse *t, uint64_t i)
{
	struct strata_chunk c;

	strata_index_chunk(t->idx, i, &c);
	return probe(t, c.digest);
}

void strata_reuse_add(struct strata_reuse *t, uint64_t i)
{
	lock(t);
	*probe_chunk(t, i) = i + 1;
	unlock(t);
}

/* Slot h's home: where the probe for its digest starts.  Under the lock. */
static uint64_t home(struct strata_reuse *t, uint64_t h)
{
	struct strata_chunk c;

	strata_index_chunk(t->idx, t->slot[h] - 1, &c);
	return le64_get(c.digest) & t->mask;
}

/* Empty slot h, and move back each later entry of its cluster whose probe passes h, so
 * every probe still reaches its entry (linear probing's deletion).  Under the lock. */
static void remove_at(struct strata_reuse *t, uint64_t h)
{
	uint64_t j = h;

	for (;;) {
		t->slot[h] = 0;
		do {
			j = (j + 1) & t->mask;
			if (!t->slot[j])
				return;
		} while (((j - home(t, j)) & t->mask) < ((j - h) & t->mask));
		t->slot[h] = t->slot[j];
		h = j;
	}
}

void strata_reuse_forget(struct strata_reuse *t, uint64_t i)
{
	uint64_t *s;

	lock(t);
	s = probe_chunk(t, i);
	if (*s == i + 1)
		remove_at(t, (uint64_t)(s - t->slot));
	unlock(t);
}

uint64_t strata_reuse_find(struct strata_reuse *t, const uint8_t digest[32])
{
	uint64_t v;

	lock(t);
	v = *probe(t, digest);
	unlock(t);
	return v;
}
