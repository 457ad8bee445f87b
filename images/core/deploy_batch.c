/*
 * The deploy engine's batches on every core (deploy.h, "Every core"): the buffers, the
 * jobs the workers run, and the order in which the caller's core reads, decides and
 * writes around them.
 *
 * Who owns a set's out bytes: the workers while they decode into it (start to finish),
 * the target while writes started from it are in flight (write_start to settle), the
 * caller's core otherwise.  Writes are started one set at a time, in index order, and
 * settled just before the workers decode into that set again, so one set's writes go on
 * while the stream fills the next.  A started write counts as fetched when it starts; the
 * batch keeps its chunk until settle, so that a write that fails there (or that a later
 * write_start reports failed) is named and taken back (strata_deploy_unwritten), with
 * every write started after it.
 */
#include "alloc.h"
#include "codec.h"
#include "crypto.h"
#include "deploy_int.h"
#include "mem.h"

/** One chunk of a batch: which chunk, and what its job found. */
struct slot {
	struct strata_chunk c;
	struct strata_diag diag;   /**< why decoding failed */
	int rc;                    /**< scan: its strata_action; fetch: decode's rc */
};

/** One batch's buffers: store files in, decoded or read bytes out, slot k at k * step. */
struct set {
	struct slot slot[STRATA_BATCH];
	uint8_t *stored;
	uint8_t *out;
	uint32_t n;                /**< slots filled */
	struct strata_batch *b;
};

/** Two sets: the fetch fills one while the workers decode the other. */
struct strata_batch {
	struct strata_deploy *d;
	struct set set[2];
	uint32_t fill;             /**< the set the stream fills */
	int pending;               /**< set[fill ^ 1] is started and not yet written */
	/** Chunks whose writes were started with write_start and not settled, in the order
	 *  started, less those taken back.  Two sets at most, since a drain writes the set it
	 *  started after the settle (start_fill). */
	struct strata_chunk started[2 * STRATA_BATCH];
	uint32_t n_started;
	int in_flight;             /**< writes were started and not settled: the out bytes
				    they name are the target's */
	uint8_t *work;             /**< cores * STRATA_INFLATE_WORK of inflate scratch */
	size_t step;               /**< chunk size in whole blocks */
};

int strata_batch_init(struct strata_deploy *d)
{
	struct strata_batch *b;
	size_t n = STRATA_BATCH;

	if (!d->workers)
		return 0;
	b = d->batch = strata_alloc(sizeof(*b));
	if (!b)
		return STRATA_ENOMEM;
	b->d = d;
	b->step = (size_t)strata_deploy_blocks(d, d->idx->chunk_size);
	b->work = strata_alloc((size_t)d->workers->cores * STRATA_INFLATE_WORK + 15);
	for (int k = 0; k < 2; k++) {
		b->set[k].b = b;
		b->set[k].stored = strata_alloc(n * d->idx->chunk_size);
		b->set[k].out = strata_alloc(n * b->step);
		if (!b->set[k].stored || !b->set[k].out)
			return STRATA_ENOMEM;
	}
	return b->work ? 0 : STRATA_ENOMEM;
}

void strata_batch_done(struct strata_deploy *d)
{
	struct strata_batch *b = d->batch;

	if (!b)
		return;
	for (int k = 0; k < 2; k++) {
		strata_free(b->set[k].stored);
		strata_free(b->set[k].out);
	}
	strata_free(b->work);
	strata_free(b);
	d->batch = (void *)0;
}

/* The started write at off failed: it and the writes started after it are taken back
 * (whether those landed is not known) and dropped from the list, and it is *bad.  *bad is
 * left as it was when no listed write is at off (it was taken back already). */
static void take_back(struct strata_batch *b, uint64_t off, struct strata_chunk *bad)
{
	uint32_t k = 0;

	while (k < b->n_started && b->started[k].offset != off)
		k++;
	if (k == b->n_started)
		return;
	*bad = b->started[k];
	for (uint32_t j = k; j < b->n_started; j++)
		strata_deploy_unwritten(b->d, &b->started[j]);
	b->n_started = k;
}

/* Wait for the started writes.  0, or the target's rc with *bad the chunk whose write
 * failed, taken back and not yet counted as failed. */
static int settle(struct strata_batch *b, struct strata_chunk *bad)
{
	struct strata_deploy *d = b->d;
	uint64_t off = UINT64_MAX;
	int rc;

	if (!b->in_flight)
		return 0;
	b->in_flight = 0;
	rc = d->target->settle(d->target_ctx, &off);
	if (rc)
		take_back(b, off, bad);
	b->n_started = 0;
	return rc;
}

int strata_batch_settle(struct strata_deploy *d)
{
	struct strata_chunk bad = { .index = UINT64_MAX };
	int rc = d->batch ? settle(d->batch, &bad) : 0;

	if (rc && bad.index != UINT64_MAX)
		strata_deploy_failed(d, &bad, "not written: the target failed");
	return rc;
}

/* Run fn over set s's slots on every core and wait for them. */
static void run_all(struct set *s, strata_job_fn *fn)
{
	const struct strata_workers *w = s->b->d->workers;

	w->start(w->ctx, fn, s, s->n);
	w->finish(w->ctx);
}

/* A worker's job in the scan: judge the chunk the caller's core read into slot k. */
static void scan_job(void *arg, uint32_t k, uint32_t worker)
{
	struct set *s = arg;

	(void)worker;
	s->slot[k].rc = strata_chunk_action(&s->slot[k].c, s->out + k * s->b->step);
}

uint32_t strata_batch_scan_len(struct strata_deploy *d, uint64_t i, uint64_t end)
{
	uint32_t after = d->blind_after ? d->blind_after : STRATA_BLIND_AFTER;
	uint32_t most = after - d->missed < STRATA_BATCH ? after - d->missed : STRATA_BATCH;
	struct strata_chunk c;
	uint32_t n = 0;

	if (d->gap)
		return 0;                       /* blind: samples, one at a time */
	for (; i < end && n < most; i++, n++) {
		strata_index_chunk(d->idx, i, &c);
		if ((c.flags & STRATA_ENTRY_FREE) || strata_deploy_blocks(d, c.length) != c.length)
			break;
	}
	return n;
}

int strata_batch_scan(struct strata_deploy *d, uint64_t i, uint32_t n, uint64_t *need,
		      uint64_t *n_need)
{
	struct set *s = &d->batch->set[0];
	int rc = strata_batch_settle(d);        /* the read lands in set 0's out bytes */

	if (rc)
		return rc;
	for (uint32_t k = 0; k < n; k++)
		strata_index_chunk(d->idx, i + k, &s->slot[k].c);
	s->n = n;
	/* Whole-block chunks follow each other on the target: one read for the batch. */
	rc = d->target->read(d->target_ctx, s->slot[0].c.offset, s->out,
			     (size_t)n * d->batch->step);
	if (rc)
		return rc;
	run_all(s, scan_job);
	s->n = 0;                               /* the set is the fetch's again */
	for (uint32_t k = 0; k < n && !rc; k++) {
		d->st.bytes_scanned += s->slot[k].c.length;
		rc = strata_deploy_decide(d, &s->slot[k].c, (enum strata_action)s->slot[k].rc,
					  s->slot[k].c.length, need, n_need);
	}
	return rc;
}

uint8_t *strata_batch_slot(struct strata_deploy *d)
{
	struct set *s = &d->batch->set[d->batch->fill];

	return s->stored + (size_t)s->n * d->idx->chunk_size;
}

/* A worker's job in the fetch: decode and verify slot k's store file into its out bytes,
 * with the worker's own inflate scratch. */
static void fetch_job(void *arg, uint32_t k, uint32_t worker)
{
	struct set *s = arg;
	struct strata_batch *b = s->b;
	struct slot *sl = &s->slot[k];
	uint8_t *work = (uint8_t *)(((uintptr_t)b->work + 15) & ~(uintptr_t)15);

	sl->rc = strata_chunk_decode_in(&sl->c, s->stored + (size_t)k * b->d->idx->chunk_size,
					sl->c.stored_size, s->out + (size_t)k * b->step,
					work + (size_t)worker * STRATA_INFLATE_WORK, &sl->diag);
}

/* The chunk at fault becomes the stream's current one, as the one-chunk path leaves it,
 * and the batches are emptied (a started one finished first: its buffers are the
 * workers' until then): nothing after it is written. */
static int stop_at(struct strata_batch *b, const struct strata_chunk *c, int rc)
{
	struct strata_deploy *d = b->d;

	if (b->pending)
		d->workers->finish(d->workers->ctx);
	d->cur = *c;
	d->cur_got = c->stored_size;
	d->run_next = c->index;
	b->set[0].n = b->set[1].n = 0;
	b->pending = 0;
	return rc;
}

/* Write (or start) slot sl's verified chunk from out.  0, or the target's rc with the
 * stream stopped at the chunk whose write failed: sl's, or an earlier started one's. */
static int write_slot(struct strata_batch *b, const struct slot *sl, const uint8_t *out)
{
	const struct strata_target_ops *t = b->d->target;
	int async = t->write_start && t->settle;
	struct strata_chunk bad = sl->c;
	uint64_t off;
	int rc;

	b->in_flight |= async;
	rc = strata_deploy_commit_start(b->d, &sl->c, out, &off);
	if (rc) {
		take_back(b, off, &bad);
		return stop_at(b, &bad, rc);
	}
	if (async)
		b->started[b->n_started++] = sl->c;
	return 0;
}

/* Write set s's verified chunks in order; stop at the first that failed. */
static int write_set(struct strata_batch *b, struct set *s)
{
	int rc;

	for (uint32_t k = 0; k < s->n; k++) {
		struct slot *sl = &s->slot[k];

		if (sl->rc) {
			strata_deploy_failed(b->d, &sl->c, sl->diag.msg);
			return stop_at(b, &sl->c, STRATA_ECORRUPT);
		}
		if ((rc = write_slot(b, sl, s->out + (size_t)k * b->step)))
			return rc;
	}
	s->n = 0;
	return 0;
}

/* Finish and write the started set, if any. */
static int write_pending(struct strata_batch *b)
{
	const struct strata_workers *w = b->d->workers;

	if (!b->pending)
		return 0;
	w->finish(w->ctx);
	b->pending = 0;
	return write_set(b, &b->set[b->fill ^ 1]);
}

/* Start the set being filled on the workers and fill the other one.  The writes in flight
 * are the filled set's from its last round: settled first, as its out bytes are about to be
 * decoded into; the other set's writes then start. */
static int start_fill(struct strata_batch *b)
{
	const struct strata_workers *w = b->d->workers;
	struct strata_chunk bad;
	int rc = settle(b, &bad);

	if (rc)
		return stop_at(b, &bad, rc);
	rc = write_pending(b);

	if (rc || !b->set[b->fill].n)
		return rc;
	w->start(w->ctx, fetch_job, &b->set[b->fill], b->set[b->fill].n);
	b->pending = 1;
	b->fill ^= 1;
	return 0;
}

int strata_batch_queue(struct strata_deploy *d)
{
	struct strata_batch *b = d->batch;
	struct set *s = &b->set[b->fill];
	uint64_t blen = strata_deploy_blocks(d, d->cur.length);
	int rc;

	/* A short last chunk shares its last block with bytes the layer does not cover; the
	 * read lands in out bytes a started write may still own. */
	if (blen != d->cur.length) {
		struct strata_chunk bad = d->cur;

		rc = settle(b, &bad);
		if (rc == 0)
			rc = d->target->read(d->target_ctx, d->cur.offset,
					     s->out + (size_t)s->n * b->step, (size_t)blen);
		if (rc)
			return stop_at(b, &bad, rc);
	}
	s->slot[s->n].c = d->cur;
	s->slot[s->n].diag = (struct strata_diag){ 0 };
	s->n++;
	return s->n == STRATA_BATCH ? start_fill(b) : 0;
}

int strata_batch_drain(struct strata_deploy *d)
{
	struct strata_batch *b = d->batch;
	int rc = start_fill(b);

	return rc ? rc : write_pending(b);
}
