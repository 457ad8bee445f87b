/* Deploying a layer onto a target region (see deploy.h). */
#include "alloc.h"
#include "chunk.h"
#include "deploy.h"
#include "mem.h"

#define DEFAULT_RUN 256

static uint64_t round_up(const struct strata_deploy *d, uint32_t len)
{
	return ((uint64_t)len + d->block_size - 1) & ~((uint64_t)d->block_size - 1);
}

static void progress(struct strata_deploy *d)
{
	if (d->progress)
		d->progress(d->progress_ctx, d);
}

/* Remember the first chunk failure for the caller's message; count every one. */
static void chunk_failed(struct strata_deploy *d, uint64_t index, const char *why)
{
	if (d->st.chunks_failed++ == 0) {
		d->diag.msg = why;
		d->diag.where = index;
	}
}

/* Phase 1 for chunk i: keep it, zero it, or put it on the need list. */
static int scan_chunk(struct strata_deploy *d, uint64_t i)
{
	struct strata_chunk c;
	uint64_t len;
	int rc;

	strata_index_chunk(d->idx, i, &c);
	len = round_up(d, c.length);
	rc = d->target->read(d->target_ctx, c.offset, d->buf, (size_t)len);
	if (rc)
		return rc;
	switch (strata_chunk_action(&c, d->buf)) {
	case STRATA_KEEP:
		if (c.flags & STRATA_ENTRY_ZERO)
			d->st.chunks_zero++;
		else
			d->st.chunks_kept++;
		break;
	case STRATA_ZERO:
		strata_memset(d->buf, 0, c.length);
		rc = d->target->write(d->target_ctx, c.offset, d->buf, (size_t)len);
		d->st.chunks_zero++;
		d->st.chunks_zeroed++;
		break;
	case STRATA_FETCH:
		d->need[d->n_need++] = i;
		d->st.bytes_to_write += c.length;
		break;
	}
	return rc;
}

/* Make cur the next non-zero chunk of the run at or after index from; 0 when none. */
static int next_in_run(struct strata_deploy *d, uint64_t from)
{
	for (uint64_t i = from; i <= d->run_last; i++) {
		strata_index_chunk(d->idx, i, &d->cur);
		if (!(d->cur.flags & STRATA_ENTRY_ZERO)) {
			d->run_next = i;
			d->cur_got = 0;
			return 1;
		}
	}
	d->run_next = d->run_last + 1;
	return 0;
}

/* A chunk's store file is complete: verify it and write it.  Non-zero stops the stream. */
static int finish_chunk(struct strata_deploy *d)
{
	const struct strata_chunk *c = &d->cur;
	struct strata_diag diag = { 0 };
	uint64_t len = round_up(d, c->length);
	int rc;

	/* A short last chunk shares its last block with bytes the layer does not cover. */
	if (len != c->length) {
		rc = d->target->read(d->target_ctx, c->offset, d->buf, (size_t)len);
		if (rc)
			return rc;
	}
	if (strata_chunk_decode(c, d->stored, c->stored_size, d->buf, &diag)) {
		chunk_failed(d, c->index, diag.msg);
		return STRATA_ECORRUPT;
	}
	rc = d->target->write(d->target_ctx, c->offset, d->buf, (size_t)len);
	if (rc)
		return rc;
	d->st.chunks_fetched++;
	d->st.bytes_written += c->length;
	progress(d);
	next_in_run(d, c->index + 1);
	return 0;
}

/* The source's stream: split it into store files by the sizes the index gives. */
static int sink(void *ctx, const void *data, size_t len)
{
	struct strata_deploy *d = ctx;
	const uint8_t *p = data;
	int rc;

	d->st.bytes_fetched += len;
	while (len) {
		uint32_t want, take;

		if (d->run_next > d->run_last)
			return STRATA_ETRAIL;           /* more bytes than the run holds */
		want = d->cur.stored_size - d->cur_got;
		take = len < want ? (uint32_t)len : want;
		strata_memcpy(d->stored + d->cur_got, p, take);
		d->cur_got += take;
		p += take;
		len -= take;
		if (d->cur_got == d->cur.stored_size && (rc = finish_chunk(d)))
			return rc;
	}
	return 0;
}

/* Chunks first..last: fetch, and after a bad chunk ask again for the rest of the run. */
static int fetch_run(struct strata_deploy *d, uint64_t first, uint64_t last)
{
	int rc;

	d->run_last = last;
	while (next_in_run(d, first)) {
		rc = d->source->fetch_run(d->source_ctx, d->run_next, last, sink, d);
		/* Every chunk verified: bytes after them (ETRAIL) were never written. */
		if (d->run_next > last && (rc == 0 || rc == STRATA_ETRAIL))
			return 0;
		if (rc == STRATA_ECORRUPT) {
			first = d->cur.index + 1;       /* finish_chunk counted it */
			continue;
		}
		if (rc == 0) {
			chunk_failed(d, d->cur.index, "store sent fewer bytes than the run holds");
			first = d->cur.index + 1;
			continue;
		}
		return rc;                              /* transfer or target failure */
	}
	return 0;
}

/* Group the need list into runs of consecutive indices (zero chunks may sit between). */
static int fetch_all(struct strata_deploy *d)
{
	uint32_t max = d->max_run ? d->max_run : DEFAULT_RUN;
	uint64_t k = 0;
	int rc;

	while (k < d->n_need) {
		uint64_t first = d->need[k], last = first;
		struct strata_chunk c;

		for (k++; k < d->n_need && d->need[k] - first < max; k++) {
			uint64_t j = last + 1;

			for (; j < d->need[k]; j++) {
				strata_index_chunk(d->idx, j, &c);
				if (!(c.flags & STRATA_ENTRY_ZERO))
					break;
			}
			if (j != d->need[k])
				break;
			last = d->need[k];
		}
		rc = fetch_run(d, first, last);
		if (rc)
			return rc;
	}
	return 0;
}

static int alloc_buffers(struct strata_deploy *d)
{
	d->buf = strata_alloc((size_t)round_up(d, d->idx->chunk_size));
	d->stored = strata_alloc(d->idx->chunk_size);
	d->need = strata_alloc((size_t)d->idx->chunk_count * sizeof(uint64_t));
	return d->buf && d->stored && d->need ? 0 : STRATA_ENOMEM;
}

static void free_buffers(struct strata_deploy *d)
{
	strata_free(d->buf);
	strata_free(d->stored);
	strata_free(d->need);
	d->buf = d->stored = NULL;
	d->need = NULL;
}

int strata_deploy_run(struct strata_deploy *d)
{
	int rc;

	strata_memset(&d->st, 0, sizeof(d->st));
	d->n_need = 0;
	d->st.chunks_total = d->idx->chunk_count;
	if (d->block_size < 512 || d->block_size > d->idx->chunk_size ||
	    (d->block_size & (d->block_size - 1)))
		return strata_fail(&d->diag, STRATA_EINVAL, "block size does not suit the chunks", 0);
	rc = alloc_buffers(d);
	if (rc)
		goto out;
	d->phase = 1;
	for (uint64_t i = 0; i < d->idx->chunk_count && !rc; i++) {
		rc = scan_chunk(d, i);
		progress(d);
	}
	d->phase = 2;
	if (rc == 0)
		rc = fetch_all(d);
	if (rc == 0 && d->st.chunks_failed)
		rc = STRATA_ECORRUPT;
out:
	free_buffers(d);
	return rc;
}
