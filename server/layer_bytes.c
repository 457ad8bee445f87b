/* Each store layer's stored and unique bytes (see layer_bytes.h). */
#include <stdlib.h>
#include <string.h>
#include "layer_bytes.h"
#include "rc.h"

int layer_bytes_add(struct layer_bytes *t, const uint8_t digest[32], uint32_t layer,
		    uint32_t stored)
{
	size_t cap = t->cap ? t->cap * 2 : 4096;
	struct layer_bytes_ref *r;
	uint64_t p = 0;

	if (t->n == t->cap) {
		if (!(r = realloc(t->r, cap * sizeof(*r))))
			return STRATA_ENOMEM;
		t->r = r;
		t->cap = cap;
	}
	for (int i = 0; i < 8; i++)
		p = p << 8 | digest[i];
	t->r[t->n++] = (struct layer_bytes_ref){ .prefix = p, .layer = layer, .stored = stored };
	return 0;
}

/* By chunk, then by layer: a chunk's records form one run, a layer's within it adjacent. */
static int cmp(const void *a, const void *b)
{
	const struct layer_bytes_ref *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return x->layer < y->layer ? -1 : x->layer > y->layer;
}

/* One chunk's run r[0..n) (n >= 1) into sum: each layer it names once, and to unique when
 * it is the only one.  Returns the chunk's stored bytes. */
static uint64_t sum_run(const struct layer_bytes_ref *r, size_t n,
			struct layer_bytes_sum *sum, size_t nlayers)
{
	int alone = r[0].layer == r[n - 1].layer;

	for (size_t i = 0; i < n; i++) {
		if ((i && r[i].layer == r[i - 1].layer) || r[i].layer >= nlayers)
			continue;
		sum[r[i].layer].stored += r[i].stored;
		if (alone)
			sum[r[i].layer].unique += r[i].stored;
	}
	return r[0].stored;
}

uint64_t layer_bytes_sum(struct layer_bytes *t, struct layer_bytes_sum *sum, size_t nlayers)
{
	uint64_t total = 0;
	size_t end;

	if (nlayers)
		memset(sum, 0, nlayers * sizeof(*sum));
	if (t->n)
		qsort(t->r, t->n, sizeof(*t->r), cmp);
	for (size_t i = 0; i < t->n; i = end) {
		for (end = i + 1; end < t->n && t->r[end].prefix == t->r[i].prefix; end++)
			;
		total += sum_run(t->r + i, end - i, sum, nlayers);
	}
	return total;
}

void layer_bytes_free(struct layer_bytes *t)
{
	free(t->r);
	memset(t, 0, sizeof(*t));
}
