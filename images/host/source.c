/* The deploy engine's source over a store (see source.h). */
#include <stdlib.h>
#include <string.h>
#include "source.h"
#include "store_path.h"

int source_init(struct store_source *s, struct store_reader *r,
		const struct strata_index *idx, const uint8_t layer[32])
{
	*s = (struct store_source){ .r = r, .idx = idx };
	memcpy(s->layer, layer, sizeof(s->layer));
	s->file = malloc(idx->chunk_size);
	return s->file ? 0 : STRATA_ENOMEM;
}

void source_done(struct store_source *s)
{
	free(s->file);
	s->file = NULL;
}

const char *source_take_why(struct store_source *s)
{
	const char *why = s->why;

	s->why = NULL;
	return why;
}

/* Chunk files one by one; a chunk the store cannot give ends the stream (see source.h). */
static int fetch_files(struct store_source *s, uint64_t first, uint64_t last,
		       strata_sink_fn *sink, void *sink_ctx)
{
	struct strata_chunk c;
	int rc;

	for (uint64_t i = first; i <= last; i++) {
		strata_index_chunk(s->idx, i, &c);
		if (c.flags & STRATA_ENTRY_NOFILE)
			continue;
		rc = store_get_chunk(s->r, c.digest, s->file, c.stored_size, &s->why);
		if (rc == STRATA_ETIMEDOUT)
			return rc;      /* the whole store is too slow: stop (source.h) */
		if (rc)
			return 0;
		rc = sink(sink_ctx, s->file, c.stored_size);
		if (rc)
			return rc;
	}
	return 0;
}

/* One response for the run.  STRATA_ENOENT or STRATA_ENOTSUP: the store has no runs. */
static int fetch_stream(struct store_source *s, uint64_t first, uint64_t last,
			strata_sink_fn *sink, void *sink_ctx)
{
	struct strata_store_ref ref = { .kind = STRATA_STORE_RUN, .first = first, .last = last };
	char rel[STRATA_STORE_REL_MAX];
	int rc;

	memcpy(ref.digest, s->layer, sizeof(ref.digest));
	strata_store_rel(rel, &ref);
	rc = store_get_stream(s->r, rel, sink, sink_ctx, &s->why);
	if (rc == STRATA_ENET)
		return 0;       /* after the store's retries: the engine fails the chunk */
	if (rc != STRATA_ETIMEDOUT)
		s->why = NULL;  /* the engine already named a chunk that stopped the stream */
	return rc;
}

static int source_fetch_run(void *ctx, uint64_t first, uint64_t last, strata_sink_fn *sink,
			    void *sink_ctx)
{
	struct store_source *s = ctx;
	int rc;

	if (!s->per_chunk) {
		rc = fetch_stream(s, first, last, sink, sink_ctx);
		if (rc != STRATA_ENOENT && rc != STRATA_ENOTSUP)
			return rc;
		s->per_chunk = 1;
		s->why = NULL;
	}
	return fetch_files(s, first, last, sink, sink_ctx);
}

const struct strata_source_ops store_source_ops = { source_fetch_run };
