/*
 * The capture driver for one partition (see capture.h): scan, walk the chunks, have/need in
 * batches, upload the missing ones, encode the index.
 *
 * A batch holds the files of up to STRATA_NEED_MAX distinct data chunks in memory until the
 * server has said which it lacks, so each chunk is read and deflated once: a chunk present
 * on the server still needs its deflated size, which its index entry records.
 */
#include "alloc.h"
#include "capture.h"
#include "codec.h"
#include "crypto.h"
#include "format.h"
#include "mem.h"

/** A data chunk waiting in the batch for the server's answer. */
struct pending {
	struct strata_chunk c;
	size_t at;                 /**< where its file starts in cap.files */
};

/** One capture in progress.  Owns every buffer it points at; cap_done frees them. */
struct cap {
	const struct strata_capture_job *job;
	const struct strata_capture_ops *ops;
	struct strata_capture_stats *st;
	struct strata_diag *diag;
	struct strata_capture_map map;
	struct strata_capture_src src;
	uint32_t index_flags;      /**< STRATA_INDEX_* for the header */
	uint64_t count;            /**< chunks in the partition */
	uint64_t since_report;     /**< chunks walked since the last progress call */
	uint8_t *entries;          /**< count per-chunk entries (index.h's version 1 form) */
	uint8_t *in, *out;         /**< one chunk's bytes and its zlib stream */
	uint8_t *files;            /**< the batch's chunk files, files_len of files_cap used */
	size_t files_cap, files_len;
	struct pending *pend;      /**< the batch: n of STRATA_NEED_MAX */
	uint8_t (*names)[32];      /**< the batch's names, as need() takes them */
	uint8_t *missing;          /**< need()'s answer */
	size_t n;
};

/* The job's parameters: STRATA_ERANGE when the format or zlib would refuse them. */
static int check_job(const struct strata_capture_job *job, const struct strata_capture_ops *ops,
		     struct strata_diag *diag)
{
	uint64_t size = job->r->size;

	if (job->shift < STRATA_CHUNK_SHIFT_MIN || job->shift > STRATA_CHUNK_SHIFT_MAX)
		return strata_fail(diag, STRATA_ERANGE, "chunk size out of range", job->shift);
	if (job->level < 1 || job->level > 9)
		return strata_fail(diag, STRATA_ERANGE, "zlib level out of range", 0);
	if (size == 0 || size > STRATA_IMAGE_SIZE_MAX)
		return strata_fail(diag, STRATA_ERANGE, "partition size out of range", size);
	if (!ops->need || !ops->upload)
		return strata_fail(diag, STRATA_EINVAL, "need and upload callbacks required", 0);
	return 0;
}

/* Scan the map and decide (strata_capture_map_open); what it found into st. */
static int open_map(struct cap *cap)
{
	struct strata_capture_stats *st = cap->st;
	int rc = strata_capture_map_open(&cap->map, cap->job->r, cap->job->flags, cap->diag);

	st->fs = cap->map.m.type;
	st->verdict = cap->map.m.verdict;
	st->state = cap->map.m.state;
	st->fallback = cap->map.m.fallback;
	st->forced = cap->map.forced;
	if (cap->map.forced)
		cap->index_flags |= STRATA_INDEX_FORCED;
	cap->src.map = cap->map.use;
	return rc;
}

/* Bytes of the used chunks: what the walk will read, for progress. */
static uint64_t used_bytes(const struct cap *cap)
{
	uint64_t total = 0, chunk = 1ull << cap->job->shift, size = cap->job->r->size;

	if (!cap->src.map)
		return size;
	for (uint64_t off = 0; off < size; off += chunk) {
		uint64_t len = size - off < chunk ? size - off : chunk;

		if (strata_fsmap_chunk_class(cap->src.map, off, len) == STRATA_FS_USED)
			total += len;
	}
	return total;
}

/* The walk's buffers.  0 or STRATA_ENOMEM (what was allocated is freed by cap_done). */
static int alloc_bufs(struct cap *cap)
{
	size_t chunk = (size_t)1 << cap->job->shift;

	cap->files_cap = cap->job->batch_bytes ? cap->job->batch_bytes
					       : STRATA_CAPTURE_BATCH_BYTES;
	if (cap->files_cap < chunk)
		cap->files_cap = chunk;
	cap->entries = strata_alloc((size_t)cap->count * sizeof(struct strata_index_entry));
	cap->in = strata_alloc(chunk);
	cap->out = strata_alloc(chunk);
	cap->files = strata_alloc(cap->files_cap);
	cap->pend = strata_alloc(STRATA_NEED_MAX * sizeof(*cap->pend));
	cap->names = strata_alloc(STRATA_NEED_MAX * sizeof(*cap->names));
	cap->missing = strata_alloc(STRATA_NEED_MAX);
	if (!cap->entries || !cap->in || !cap->out || !cap->files || !cap->pend ||
	    !cap->names || !cap->missing)
		return strata_fail(cap->diag, STRATA_ENOMEM, "out of memory for the capture",
				   cap->count);
	return 0;
}

static void cap_done(struct cap *cap)
{
	strata_free(cap->missing);
	strata_free(cap->names);
	strata_free(cap->pend);
	strata_free(cap->files);
	strata_free(cap->out);
	strata_free(cap->in);
	strata_free(cap->entries);
	strata_capture_map_done(&cap->map);
}

static void report(struct cap *cap)
{
	cap->since_report = 0;
	if (cap->ops->progress)
		cap->ops->progress(cap->ops->ctx, cap->st);
}

/* Ask which of the batch's chunks the server lacks and upload those; empty the batch. */
static int flush(struct cap *cap)
{
	const struct strata_capture_ops *ops = cap->ops;
	int rc;

	if (cap->n == 0)
		return 0;
	strata_memset(cap->missing, 0, cap->n);
	rc = ops->need(ops->ctx, (const uint8_t (*)[32])cap->names, cap->n, cap->missing);
	if (rc)
		return strata_fail(cap->diag, rc, "have/need failed", cap->pend[0].c.index);
	for (size_t k = 0; k < cap->n; k++) {
		const struct pending *p = &cap->pend[k];

		if (!cap->missing[k]) {
			cap->st->chunks_present++;
			continue;
		}
		rc = ops->upload(ops->ctx, &p->c, cap->files + p->at);
		if (rc)
			return strata_fail(cap->diag, rc, "chunk upload failed", p->c.index);
		cap->st->chunks_uploaded++;
		cap->st->uploaded += p->c.stored_size;
	}
	cap->n = 0;
	cap->files_len = 0;
	report(cap);
	return 0;
}

/* A chunk of the batch with c's name, or NULL: one name is asked and uploaded once. */
static const struct pending *in_batch(const struct cap *cap, const struct strata_chunk *c)
{
	for (size_t k = 0; k < cap->n; k++)
		if (!strata_memcmp(cap->pend[k].c.digest, c->digest, 32))
			return &cap->pend[k];
	return NULL;
}

/* Data chunk c, its bytes in cap->in: its file into the batch (flushed first when full),
 * its size and encoding into c. */
static int add_data(struct cap *cap, struct strata_chunk *c)
{
	const struct pending *same = in_batch(cap, c);
	const uint8_t *file;
	struct pending *p;
	int rc;

	if (same) {
		c->stored_size = same->c.stored_size;
		c->flags = same->c.flags;
		cap->st->chunks_present++;      /* its first copy is asked and uploaded */
		return 0;
	}
	rc = strata_capture_pack(c, cap->in, cap->out, cap->job->level, &file);
	if (rc)
		return strata_fail(cap->diag, rc, "cannot deflate the chunk", c->index);
	if (cap->n == STRATA_NEED_MAX || cap->files_cap - cap->files_len < c->stored_size)
		rc = flush(cap);
	if (rc)
		return rc;
	p = &cap->pend[cap->n];
	p->c = *c;
	p->at = cap->files_len;
	strata_memcpy(cap->files + p->at, file, c->stored_size);
	strata_memcpy(cap->names[cap->n++], c->digest, 32);
	cap->files_len += c->stored_size;
	return 0;
}

/* Chunk i: read and classify it, batch a data chunk, write its entry. */
static int walk_chunk(struct cap *cap, uint64_t i)
{
	struct strata_capture_stats *st = cap->st;
	struct strata_chunk c;
	int rc = strata_capture_read(&cap->src, i, cap->in, &c, cap->diag);

	if (rc)
		return rc;
	if (c.flags & STRATA_ENTRY_FREE)
		st->chunks_free++;
	else if (c.flags & STRATA_ENTRY_ZERO)
		st->chunks_zero++;
	else
		st->chunks_data++;
	if (!cap->src.map || strata_fsmap_chunk_class(cap->src.map, c.offset, c.length) ==
	    STRATA_FS_USED)
		st->read += c.length;
	if (!(c.flags & STRATA_ENTRY_NOFILE))
		rc = add_data(cap, &c);
	if (rc)
		return rc;
	strata_index_entry_encode(cap->entries + i * sizeof(struct strata_index_entry), &c);
	st->walked += c.length;
	if (++cap->since_report == STRATA_NEED_MAX)
		report(cap);
	return 0;
}

/* The index from the finished entries, into *index (strata_alloc'd, the caller's). */
static int encode(struct cap *cap, uint8_t **index, size_t *len)
{
	const struct strata_capture_job *job = cap->job;
	int rc = strata_index_encode(NULL, len, cap->entries, job->r->size, job->shift,
				     cap->index_flags);

	if (rc)
		return strata_fail(cap->diag, rc, "cannot encode the index", 0);
	*index = strata_alloc(*len);
	if (!*index)
		return strata_fail(cap->diag, STRATA_ENOMEM, "out of memory for the index", *len);
	strata_index_encode(*index, len, cap->entries, job->r->size, job->shift,
			    cap->index_flags);
	strata_sha256(*index, *len, cap->st->layer);
	return 0;
}

/* Every chunk, the last batch, the index. */
static int walk(struct cap *cap, uint8_t **index, size_t *index_len)
{
	int rc = 0;

	for (uint64_t i = 0; rc == 0 && i < cap->count; i++)
		rc = walk_chunk(cap, i);
	if (rc == 0)
		rc = flush(cap);
	if (rc == 0)
		rc = encode(cap, index, index_len);
	report(cap);
	return rc;
}

int strata_capture_partition(const struct strata_capture_job *job,
			     const struct strata_capture_ops *ops,
			     struct strata_capture_stats *st, uint8_t **index, size_t *index_len,
			     struct strata_diag *diag)
{
	struct cap cap = { .job = job, .ops = ops, .st = st, .diag = diag };
	int rc;

	strata_memset(st, 0, sizeof(*st));
	*index = NULL;
	*index_len = 0;
	rc = check_job(job, ops, diag);
	if (rc)
		return rc;
	st->size = job->r->size;
	cap.src = (struct strata_capture_src){ .r = job->r, .shift = job->shift };
	cap.count = st->chunks = strata_chunk_count(job->r->size, job->shift);
	rc = open_map(&cap);
	if (rc)
		goto err_cap;
	st->to_read = used_bytes(&cap);
	rc = alloc_bufs(&cap);
	if (rc)
		goto err_cap;
	rc = walk(&cap, index, index_len);
err_cap:
	cap_done(&cap);     /* frees what was allocated (NULL-safe) and the map */
	return rc;
}
