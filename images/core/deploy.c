/* Deploying a layer onto a target region (see deploy.h). */
#include "alloc.h"
#include "chunk.h"
#include "crypto.h"
#include "deploy_int.h"
#include "mem.h"

#define DEFAULT_RUN 256

static uint32_t max_run(const struct strata_deploy *d)
{
	return d->max_run ? d->max_run : DEFAULT_RUN;
}

uint64_t strata_deploy_blocks(const struct strata_deploy *d, uint32_t len)
{
	return ((uint64_t)len + d->block_size - 1) & ~((uint64_t)d->block_size - 1);
}

static void progress(struct strata_deploy *d, int phase)
{
	if (!d->progress)
		return;
	if (phase == 1)
		d->progress(d->hook_ctx, 1, d->st.bytes_scanned, d->idx->image_size);
	else
		d->progress(d->hook_ctx, 2, d->st.bytes_written, d->st.bytes_to_write);
}

/* Remember the first chunk failure for the caller's message; count and report every one. */
void strata_deploy_failed(struct strata_deploy *d, const struct strata_chunk *c, const char *why)
{
	if (d->st.chunks_failed++ == 0) {
		d->diag.msg = why;
		d->diag.where = c->index;
	}
	if (d->failed)
		d->failed(d->hook_ctx, c, why);
}

/*
 * wipe=yes for free chunk c: read it; when it is not all zeros, write zeros and read it
 * back.  A chunk that still does not read as zeros fails (named, counted) and the scan
 * goes on.  A short last chunk's tail block keeps the bytes past the layer.  0 or a
 * target rc.  Uses d->buf.
 */
static int wipe_chunk(struct strata_deploy *d, const struct strata_chunk *c)
{
	uint64_t len = strata_deploy_blocks(d, c->length);
	int rc = d->target->read(d->target_ctx, c->offset, d->buf, (size_t)len);

	if (rc || strata_is_zero(d->buf, c->length))
		return rc;
	strata_memset(d->buf, 0, c->length);
	rc = d->target->write(d->target_ctx, c->offset, d->buf, (size_t)len);
	if (rc == 0)
		rc = d->target->read(d->target_ctx, c->offset, d->buf, (size_t)len);
	if (rc)
		return rc;
	d->st.chunks_wiped++;
	if (!strata_is_zero(d->buf, c->length))
		strata_deploy_failed(d, c, "free chunk does not read back as zeros after the wipe");
	return 0;
}

/* Write zeros over zero chunk c (len: its length rounded up to whole blocks; a short last
 * chunk's tail block, read into d->buf by the caller, keeps the bytes past the layer). */
static int write_zeros(struct strata_deploy *d, const struct strata_chunk *c, uint64_t len)
{
	strata_memset(d->buf, 0, c->length);
	d->st.chunks_zero++;
	d->st.chunks_zeroed++;
	return d->target->write(d->target_ctx, c->offset, d->buf, (size_t)len);
}

/* Blind writes (deploy.h): 1 when the scan must read used chunk c, 0 when it passes c
 * blind.  A short last chunk is always read, for the bytes past the layer. */
static int must_read(struct strata_deploy *d, const struct strata_chunk *c)
{
	if (!d->gap || strata_deploy_blocks(d, c->length) != c->length)
		return 1;
	if (d->skip) {
		d->skip--;
		return 0;
	}
	return 1;                               /* the sample */
}

/* Blind writes: learn from used chunk c, read by the scan, what action it needs.  A chunk
 * the target holds (data, or zeros where the target is zero) ends the streak; a miss that
 * a verified copy on the target stands in for does not count, since that chunk costs no
 * fetch. */
static void learn(struct strata_deploy *d, const struct strata_chunk *c, enum strata_action act)
{
	uint32_t after = d->blind_after ? d->blind_after : STRATA_BLIND_AFTER;
	uint32_t widest = d->blind_gap ? d->blind_gap : STRATA_BLIND_GAP;

	if (act == STRATA_KEEP) {
		d->missed = d->gap = d->skip = 0;
		return;
	}
	if (!(c->flags & STRATA_ENTRY_ZERO) && d->reuse && strata_reuse_find(d->reuse, c->digest))
		return;
	if (d->gap)
		d->gap = d->gap < widest / 2 ? d->gap * 2 : widest;
	else if (++d->missed >= after)
		d->gap = widest < 2 ? widest : 2;
	else
		return;
	d->skip = d->gap - 1;
}

/* Phase 1 for used chunk c passed blind: zeros written, or onto need unread. */
static int scan_blind(struct strata_deploy *d, const struct strata_chunk *c, uint64_t *need,
		      uint64_t *n_need)
{
	d->st.chunks_blind++;
	if (c->flags & STRATA_ENTRY_ZERO)
		return write_zeros(d, c, c->length);
	need[(*n_need)++] = c->index;
	d->st.bytes_to_write += c->length;
	return 0;
}

int strata_deploy_decide(struct strata_deploy *d, const struct strata_chunk *c,
			 enum strata_action act, uint64_t len, uint64_t *need, uint64_t *n_need)
{
	learn(d, c, act);
	switch (act) {
	case STRATA_KEEP:
		if (c->flags & STRATA_ENTRY_ZERO) {
			d->st.chunks_zero++;
			break;
		}
		d->st.chunks_kept++;
		if (d->reuse)
			strata_reuse_add(d->reuse, c->index);
		break;
	case STRATA_ZERO:
		return write_zeros(d, c, len);
	case STRATA_FETCH:
		need[(*n_need)++] = c->index;
		d->st.bytes_to_write += c->length;
		break;
	}
	return 0;
}

/* Phase 1 for chunk i: keep it (and offer it for reuse), zero it, or put it on need,
 * reading it unless blind writes pass it.  A free chunk is not even read, unless d->wipe:
 * the layer's filesystem ignores whatever it holds. */
static int scan_chunk(struct strata_deploy *d, uint64_t i, uint64_t *need, uint64_t *n_need)
{
	struct strata_chunk c;
	uint64_t len;
	int rc;

	strata_index_chunk(d->idx, i, &c);
	d->st.bytes_scanned += c.length;
	if (c.flags & STRATA_ENTRY_FREE) {
		d->st.chunks_free++;
		return d->wipe ? wipe_chunk(d, &c) : 0;
	}
	if (!must_read(d, &c))
		return scan_blind(d, &c, need, n_need);
	len = strata_deploy_blocks(d, c.length);
	rc = d->target->read(d->target_ctx, c.offset, d->buf, (size_t)len);
	if (rc)
		return rc;
	return strata_deploy_decide(d, &c, strata_chunk_action(&c, d->buf), len, need, n_need);
}

/* Make cur the next chunk with a file of the run at or after index from; 0 when none. */
static int next_in_run(struct strata_deploy *d, uint64_t from)
{
	for (uint64_t i = from; i <= d->run_last; i++) {
		strata_index_chunk(d->idx, i, &d->cur);
		if (!(d->cur.flags & STRATA_ENTRY_NOFILE)) {
			d->run_next = i;
			d->cur_got = 0;
			return 1;
		}
	}
	d->run_next = d->run_last + 1;
	return 0;
}

/*
 * Chunk c's store file stored[0..len) (borrowed): decode and verify it into d->buf and
 * write it, the one way from store bytes to the target (a run's chunk, strata_deploy_put).
 * 0; STRATA_ECORRUPT with *diag saying why (nothing written); or a target rc.
 */
static int put_chunk(struct strata_deploy *d, const struct strata_chunk *c, const void *stored,
		     size_t len, struct strata_diag *diag)
{
	uint64_t blen = strata_deploy_blocks(d, c->length);
	int rc;

	/* A short last chunk shares its last block with bytes the layer does not cover. */
	if (blen != c->length) {
		rc = d->target->read(d->target_ctx, c->offset, d->buf, (size_t)blen);
		if (rc)
			return rc;
	}
	if (strata_chunk_decode(c, stored, len, d->buf, diag))
		return STRATA_ECORRUPT;
	return strata_deploy_commit(d, c, d->buf);
}

/* Chunk c's verified bytes are written (or started): count it and offer it for reuse. */
static void written(struct strata_deploy *d, const struct strata_chunk *c)
{
	d->st.chunks_fetched++;
	d->st.bytes_written += c->length;
	if (d->reuse)
		strata_reuse_add(d->reuse, c->index);
	progress(d, 2);
}

int strata_deploy_commit(struct strata_deploy *d, const struct strata_chunk *c, const void *out)
{
	int rc = d->target->write(d->target_ctx, c->offset, out,
				  (size_t)strata_deploy_blocks(d, c->length));

	if (rc == 0)
		written(d, c);
	return rc;
}

void strata_deploy_unwritten(struct strata_deploy *d, const struct strata_chunk *c)
{
	d->st.chunks_fetched--;
	d->st.bytes_written -= c->length;
	if (d->reuse)
		strata_reuse_forget(d->reuse, c->index);
}

int strata_deploy_commit_start(struct strata_deploy *d, const struct strata_chunk *c,
			       const void *out, uint64_t *failed_off)
{
	int rc;

	*failed_off = c->offset;
	if (!d->target->write_start || !d->target->settle)
		return strata_deploy_commit(d, c, out);
	rc = d->target->write_start(d->target_ctx, c->offset, out,
				    (size_t)strata_deploy_blocks(d, c->length), failed_off);
	if (rc == 0)
		written(d, c);
	return rc;
}

/* A chunk's store file is complete: verify it and write it, or with workers queue it for
 * its batch and take the next slot.  Non-zero stops the stream. */
static int finish_chunk(struct strata_deploy *d)
{
	struct strata_diag diag = { 0 };
	int rc;

	if (d->batch) {
		rc = strata_batch_queue(d);
		if (rc == 0)
			next_in_run(d, d->cur.index + 1);
		return rc;
	}
	rc = put_chunk(d, &d->cur, d->stored, d->cur.stored_size, &diag);
	if (rc == STRATA_ECORRUPT)
		strata_deploy_failed(d, &d->cur, diag.msg);
	if (rc)
		return rc;
	next_in_run(d, d->cur.index + 1);
	return 0;
}

/* Chunk i, for strata_deploy_put and strata_deploy_put_same, into *c: 0, or
 * STRATA_EINVAL past the layer or without a store file. */
static int put_target(const struct strata_deploy *d, uint64_t i, struct strata_chunk *c)
{
	if (i >= d->idx->chunk_count)
		return STRATA_EINVAL;
	strata_index_chunk(d->idx, i, c);
	return (c->flags & STRATA_ENTRY_NOFILE) ? STRATA_EINVAL : 0;
}

/* Count a put of chunk c (len store bytes) that ended with rc (deploy.h); rc returned. */
static int put_counted(struct strata_deploy *d, const struct strata_chunk *c, size_t len,
		       int rc)
{
	if (rc == STRATA_ECORRUPT)
		d->st.chunks_rejected++;
	else if (rc)
		strata_deploy_failed(d, c, "not written: the target failed");
	else
		d->st.bytes_put += len;
	return rc;
}

int strata_deploy_put(struct strata_deploy *d, uint64_t i, const void *stored, size_t len)
{
	struct strata_diag diag = { 0 };
	struct strata_chunk c;
	int rc = put_target(d, i, &c);

	if (rc)
		return rc;
	return put_counted(d, &c, len, put_chunk(d, &c, stored, len, &diag));
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
		strata_memcpy((d->batch ? strata_batch_slot(d) : d->stored) + d->cur_got, p, take);
		d->cur_got += take;
		p += take;
		len -= take;
		if (d->cur_got == d->cur.stored_size && (rc = finish_chunk(d)))
			return rc;
	}
	return 0;
}

/* A transfer or target failure stops the run: the chunk the stream was filling is not on
 * the target, so it counts as failed and is named (a summary must not say "0 failed" after
 * a disk error).  Its bytes all arrived when the target is what failed. */
static int stop_run(struct strata_deploy *d, uint64_t last, int rc)
{
	if (d->run_next <= last)
		strata_deploy_failed(d, &d->cur, d->cur_got == d->cur.stored_size ?
			     "not written: the target failed" : "the transfer failed");
	return rc;
}

/* With workers, after a run's stream ended with rc: write the queued chunks.  A chunk that
 * failed or a target error then is the run's outcome, as if the sink had met it. */
static int drain(struct strata_deploy *d, int rc)
{
	int drc = strata_batch_drain(d);

	return drc ? drc : rc;
}

/* Chunks first..last: fetch, and after a bad chunk ask again for the rest of the run. */
static int fetch_run(struct strata_deploy *d, uint64_t first, uint64_t last)
{
	int rc;

	d->run_last = last;
	while (next_in_run(d, first)) {
		rc = d->source->fetch_run(d->source_ctx, d->run_next, last, sink, d);
		if (d->batch)
			rc = drain(d, rc);
		/* Every chunk verified: bytes after them (ETRAIL) were never written. */
		if (d->run_next > last && (rc == 0 || rc == STRATA_ETRAIL))
			return 0;
		if (rc == STRATA_ECORRUPT) {
			first = d->cur.index + 1;       /* finish_chunk counted it */
			continue;
		}
		if (rc == 0) {
			strata_deploy_failed(d, &d->cur, "store sent fewer bytes than the run holds");
			first = d->cur.index + 1;
			continue;
		}
		return stop_run(d, last, rc);           /* transfer or target failure */
	}
	return 0;
}

/* A copy onto chunk c that the target failed: c counts as failed.  rc is returned. */
static int not_copied(struct strata_deploy *d, const struct strata_chunk *c, int rc)
{
	strata_deploy_failed(d, c, "not copied: the target failed");
	return rc;
}

/* Whether chunk c may be written from a copy of chunk from's bytes: the same length, in
 * whole blocks (a short last chunk shares its last block with bytes past the layer). */
static int copyable(const struct strata_deploy *d, const struct strata_chunk *from,
		    const struct strata_chunk *c)
{
	return from->length == c->length && strata_deploy_blocks(d, c->length) == c->length;
}

/* d->buf holds c->length bytes that should be chunk c's (copyable): hash them again and
 * write them only when they are c's.  0 written; 1 not c's bytes (nothing written); or the
 * target's rc.  The caller counts. */
static int write_same(struct strata_deploy *d, const struct strata_chunk *c)
{
	uint8_t digest[32];

	strata_sha256(d->buf, c->length, digest);
	if (strata_memcmp(digest, c->digest, 32))
		return 1;
	return d->target->write(d->target_ctx, c->offset, d->buf, c->length);
}

/*
 * Phase 2 for a chunk that a verified copy elsewhere on the target may stand in for: read
 * the copy, hash it again, write it.  0 copied; 1 when there is no usable copy (none
 * known, a length that is not whole blocks, or bytes that no longer hash to the digest);
 * or a target rc (the chunk that failed counted and named).
 */
static int reuse_chunk(struct strata_deploy *d, const struct strata_chunk *c)
{
	struct strata_chunk from;
	uint64_t at = d->reuse ? strata_reuse_find(d->reuse, c->digest) : 0;
	int rc;

	if (!at)
		return 1;
	strata_index_chunk(d->idx, at - 1, &from);
	if (!copyable(d, &from, c))
		return 1;
	/* The copy may be a started write: its failure is its own, named by the settle. */
	rc = strata_batch_settle(d);
	if (rc)
		return rc;
	rc = d->target->read(d->target_ctx, from.offset, d->buf, c->length);
	if (rc == 0 && (rc = write_same(d, c)) == 1)
		return 1;
	if (rc)
		return not_copied(d, c, rc);
	d->st.chunks_reused++;
	d->st.bytes_written += c->length;
	progress(d, 2);
	return 0;
}

int strata_deploy_put_same(struct strata_deploy *d, uint64_t i, uint64_t j)
{
	struct strata_chunk from, c;
	int rc = put_target(d, j, &c);

	if (rc || (rc = put_target(d, i, &from)))
		return rc;
	if (!copyable(d, &from, &c) || (rc = write_same(d, &c)) == 1)
		return 1;
	if (rc == 0)
		written(d, &c);
	return put_counted(d, &c, c.stored_size, rc);
}

/* True when chunks a+1..b-1 all lack a file (zero or free), so a and b can share a run. */
static int only_zeros_between(const struct strata_deploy *d, uint64_t a, uint64_t b)
{
	struct strata_chunk c;

	for (uint64_t j = a + 1; j < b; j++) {
		strata_index_chunk(d->idx, j, &c);
		if (!(c.flags & STRATA_ENTRY_NOFILE))
			return 0;
	}
	return 1;
}

/* True when chunk i repeats a chunk of the run being built or one the reuse table knows:
 * it must wait until that one is on the target, so the run ends before it.  Otherwise i
 * joins the run's set. */
static int is_repeat(struct strata_deploy *d, uint64_t i)
{
	struct strata_chunk c;

	if (!d->reuse)
		return 0;
	strata_index_chunk(d->idx, i, &c);
	if (strata_reuse_find(d->reuse, c.digest) || strata_reuse_find(&d->run_set, c.digest))
		return 1;
	strata_reuse_add(&d->run_set, i);
	return 0;
}

/* The end (exclusive) of the run that starts at need[k]: consecutive chunks (zero and free
 * chunks may sit between), at most max_run of them, no repeats. */
static uint64_t run_end(struct strata_deploy *d, const uint64_t *need, uint64_t n, uint64_t k)
{
	uint64_t e = k + 1;

	if (d->reuse) {
		strata_reuse_clear(&d->run_set);
		strata_reuse_add(&d->run_set, need[k]);
	}
	while (e < n && need[e] - need[k] < max_run(d) &&
	       only_zeros_between(d, need[e - 1], need[e]) && !is_repeat(d, need[e]))
		e++;
	return e;
}

/* Phase 2 (strata_deploy_fetch) before its started writes are settled. */
static int fetch_all(struct strata_deploy *d, const uint64_t *need, uint64_t n)
{
	struct strata_chunk c;
	uint64_t k = 0, e;
	int rc;

	while (k < n) {
		strata_index_chunk(d->idx, need[k], &c);
		rc = reuse_chunk(d, &c);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			k++;
			continue;
		}
		e = run_end(d, need, n, k);
		rc = fetch_run(d, need[k], need[e - 1]);
		if (rc)
			return rc;
		k = e;
	}
	return 0;
}

/* The batches' started writes are settled whatever happened: their buffers are the
 * engine's when this returns, and the caller may free them. */
int strata_deploy_fetch(struct strata_deploy *d, const uint64_t *need, uint64_t n)
{
	int rc = fetch_all(d, need, n);
	int src = strata_batch_settle(d);

	return rc ? rc : src;
}

int strata_deploy_scan(struct strata_deploy *d, uint64_t first, uint64_t end, uint64_t *need,
		       uint64_t *n_need)
{
	int rc = 0;

	uint32_t n;

	for (uint64_t i = first; i < end && !rc; i += n) {
		n = d->batch ? strata_batch_scan_len(d, i, end) : 0;
		if (n) {
			rc = strata_batch_scan(d, i, n, need, n_need);
			progress(d, 1);
			continue;
		}
		n = 1;
		rc = scan_chunk(d, i, need, n_need);
		progress(d, 1);
	}
	return rc;
}

int strata_deploy_init(struct strata_deploy *d)
{
	strata_memset(&d->st, 0, sizeof(d->st));
	d->st.chunks_total = d->idx->chunk_count;
	d->buf = d->stored = (void *)0;
	d->run_set.slot = (void *)0;
	d->run_set.lock = (void *)0;            /* one engine, one thread */
	d->missed = d->gap = d->skip = 0;
	d->batch = (void *)0;
	if (d->block_size == 0 || d->block_size > d->idx->chunk_size ||
	    (d->block_size & (d->block_size - 1)))
		return strata_fail(&d->diag, STRATA_EINVAL, "block size does not suit the chunks", 0);
	d->buf = strata_alloc((size_t)strata_deploy_blocks(d, d->idx->chunk_size));
	d->stored = strata_alloc(d->idx->chunk_size);
	if (!d->buf || !d->stored || strata_batch_init(d))
		return STRATA_ENOMEM;
	return d->reuse ? strata_reuse_init_for(&d->run_set, d->idx, max_run(d)) : 0;
}

void strata_deploy_done(struct strata_deploy *d)
{
	strata_batch_done(d);
	strata_free(d->buf);
	strata_free(d->stored);
	strata_reuse_done(&d->run_set);
	d->buf = d->stored = (void *)0;
}

int strata_deploy_run(struct strata_deploy *d)
{
	uint64_t *need, n_need = 0;
	int rc;

	rc = strata_deploy_init(d);
	if (rc)
		goto err_init;
	need = strata_alloc((size_t)d->idx->chunk_count * sizeof(uint64_t) + 1);
	rc = STRATA_ENOMEM;
	if (!need)
		goto err_init;
	rc = strata_deploy_scan(d, 0, d->idx->chunk_count, need, &n_need);
	if (rc == 0 && d->between)
		rc = d->between(d->hook_ctx, d, need, &n_need);
	if (rc == 0)
		rc = strata_deploy_fetch(d, need, n_need);
	if (rc == 0 && d->st.chunks_failed)
		rc = STRATA_ECORRUPT;
	strata_free(need);
err_init:
	strata_deploy_done(d);
	return rc;
}
