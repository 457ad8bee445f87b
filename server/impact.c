/* Per-machine deployment cost from two layer indexes (impact.h). */
#include <string.h>
#include "impact.h"

/* Whether old_idx holds, at chunk c's position, a chunk with c's digest. */
static int already_there(const struct strata_index *old_idx, const struct strata_chunk *c)
{
	struct strata_chunk o;

	if (c->index >= old_idx->chunk_count)
		return 0;
	strata_index_chunk(old_idx, c->index, &o);
	return o.stored_size && !memcmp(o.digest, c->digest, sizeof(o.digest));
}

void impact_part(const struct strata_index *old_idx, const struct strata_index *new_idx,
		 struct impact *out)
{
	struct strata_chunk c;

	if (old_idx && old_idx->chunk_size != new_idx->chunk_size)
		old_idx = NULL;
	for (uint64_t i = strata_index_next_data(new_idx, 0); i < new_idx->chunk_count;
	     i = strata_index_next_data(new_idx, i + 1)) {
		strata_index_chunk(new_idx, i, &c);
		if (!c.stored_size || (old_idx && already_there(old_idx, &c)))
			continue;
		out->bytes += c.stored_size;
		out->chunks++;
	}
}

void impact_whole(const struct strata_index *idx, struct impact *out)
{
	impact_part(NULL, idx, out);
}
