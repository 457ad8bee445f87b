/* A set of 32-byte digests (see digest_set.h). */
#include <stdlib.h>
#include <string.h>
#include "digest_set.h"
#include "rc.h"

int digest_set_add(struct digest_set *set, const uint8_t digest[32])
{
	size_t cap = set->cap ? set->cap * 2 : 1024;
	uint8_t (*d)[32];

	if (set->n == set->cap) {
		if (!(d = realloc(set->d, cap * sizeof(*d))))
			return STRATA_ENOMEM;
		set->d = d;
		set->cap = cap;
	}
	memcpy(set->d[set->n++], digest, 32);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

void digest_set_seal(struct digest_set *set)
{
	size_t out = 0;

	if (!set->n)
		return;
	qsort(set->d, set->n, 32, cmp);
	for (size_t i = 1; i < set->n; i++)
		if (memcmp(set->d[i], set->d[out], 32))
			memcpy(set->d[++out], set->d[i], 32);
	set->n = out + 1;
}

int digest_set_has(const struct digest_set *set, const uint8_t digest[32])
{
	return set->n && bsearch(digest, set->d, set->n, 32, cmp) != NULL;
}

void digest_set_free(struct digest_set *set)
{
	free(set->d);
	memset(set, 0, sizeof(*set));
}
