/*
 * Unit tests for the portable deployment engine (images/core/deploy.c) with an in-memory
 * target and an in-memory store whose source can be made to misbehave: every path that
 * could put an unverified byte on a disk is exercised, and the target is checked to hold
 * only old or verified new chunks afterwards.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "harness.h"
#include "chunk.h"
#include "crypto.h"
#include "deploy.h"
#include "index.h"
#include "reuse.h"
#include "test_fake_chunk.h"

#define SHIFT 12
#define CS (1u << SHIFT)

/** A layer built in memory: the image, its index and one store file per chunk. */
struct layer {
	uint8_t *image;
	size_t size;
	uint8_t *index_buf;
	struct strata_index idx;
	uint8_t **file;      /**< store file of chunk i (NULL for zero chunks) */
};

/** The target: a memory disk with a block size, and a block that can refuse writes. */
struct mem_target {
	uint8_t *bytes;
	size_t size;
	uint32_t bs;
	unsigned int writes;
	uint64_t full_at;    /**< writes reaching this offset fail, as on a full disk (0: none) */
	uint64_t read_chunks;    /**< bit i: chunk i (< 64) was read */
	unsigned int reads;      /**< read calls */
	int fail;                     /**< writes covering byte fail_off fail with EIO */
	uint64_t fail_off;
	unsigned int failed;          /**< writes refused */
	unsigned int after_failed;    /**< writes asked for after the first refusal */
	int lose;                     /**< writes covering byte lose_off say 0 but store
				       *   nothing, as a disk that drops writes */
	uint64_t lose_off;
};

/** A source with faults to inject. */
struct mem_source {
	struct layer *l;
	size_t piece;            /**< deliver in pieces of this many bytes */
	int corrupt_chunk;       /**< flip a byte of this chunk's file (-1: none) */
	int fail_after_chunk;    /**< stop with a transfer error before this chunk (-1: none) */
	int short_chunk;         /**< deliver this chunk one byte short and end (-1: none) */
	unsigned int runs;
	unsigned int sent[64];   /**< store files sent, per chunk index */
};

static uint8_t *xmalloc(size_t n)
{
	uint8_t *p = calloc(1, n ? n : 1);

	if (!p)
		abort();
	return p;
}

static void make_image(struct layer *l, size_t size, unsigned int seed)
{
	l->size = size;
	l->image = xmalloc(size);
	srand(seed);
	for (size_t i = 0; i < size; i++)
		l->image[i] = (uint8_t)rand();
	memset(l->image + 3 * CS, 0, 2 * CS);                  /* zero chunks 3, 4 */
	memcpy(l->image + 6 * CS, l->image, CS);               /* chunk 6 = chunk 0 */
	memset(l->image + 7 * CS, 'a', CS);                    /* compressible chunk */
}

static void build_layer(struct layer *l)
{
	uint64_t n = strata_chunk_count(l->size, SHIFT);
	size_t ilen = (size_t)strata_index_size(n);
	struct strata_diag diag;

	l->index_buf = xmalloc(ilen);
	l->file = calloc(n, sizeof(*l->file));
	strata_index_header_encode(l->index_buf, l->size, SHIFT);
	for (uint64_t i = 0; i < n; i++)
		l->file[i] = fake_chunk(l->image, l->size, SHIFT, i, l->index_buf);
	if (strata_index_parse(&l->idx, l->index_buf, ilen, &diag))
		abort();
}

static void free_layer(struct layer *l)
{
	for (uint64_t i = 0; i < l->idx.chunk_count; i++)
		free(l->file[i]);
	free(l->file);
	free(l->index_buf);
	free(l->image);
}

static int t_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem_target *t = ctx;

	if (off % t->bs || len % t->bs || off + len > t->size)
		return STRATA_ERANGE;
	memcpy(buf, t->bytes + off, len);
	t->reads++;
	for (uint64_t c = off / CS; c <= (off + len - 1) / CS && c < 64; c++)
		t->read_chunks |= 1ULL << c;
	return 0;
}

static int t_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct mem_target *t = ctx;

	if (off % t->bs || len % t->bs || off + len > t->size)
		return STRATA_ERANGE;
	if (t->full_at && off + len > t->full_at)
		return STRATA_EIO;
	if (t->failed)
		t->after_failed++;
	if (t->fail && off <= t->fail_off && t->fail_off < off + len) {
		t->failed++;
		return STRATA_EIO;
	}
	t->writes++;
	if (t->lose && off <= t->lose_off && t->lose_off < off + len)
		return 0;
	memcpy(t->bytes + off, buf, len);
	return 0;
}

static const struct strata_target_ops mem_target_ops = { .read = t_read, .write = t_write };

/*
 * The third pass: a target whose writes are started (write_start) and done only at settle,
 * or when a later read or write overlaps them, as efi/disk_io2.c does with Block I/O 2.
 * Each started write keeps a copy of the engine's bytes: when it is done, the engine's
 * buffer must still hold them, or the engine reused a buffer the target owned.
 */
struct started {
	void *ctx;
	uint64_t off;
	const uint8_t *buf;    /**< the engine's, borrowed until settle */
	uint8_t *copy;         /**< ours: what buf held when the write started */
	size_t len;
};

#define MAX_STARTED 64
static struct started g_started[MAX_STARTED];
static unsigned int g_n_started, g_most_started;

/* Do started write k (it must still find its bytes in the engine's buffer) and drop it. */
static int finish_started(unsigned int k)
{
	struct started w = g_started[k];
	int rc;

	CHECK(memcmp(w.buf, w.copy, w.len) == 0);
	rc = t_write(w.ctx, w.off, w.copy, w.len);
	free(w.copy);
	memmove(&g_started[k], &g_started[k + 1], (g_n_started - k - 1) * sizeof(w));
	g_n_started--;
	return rc;
}

/* Do the started writes that overlap off..off+len (all of them for len 0), in order; the
 * first that fails gives the rc and its offset in *failed_off. */
static int finish_overlapping(uint64_t off, size_t len, uint64_t *failed_off)
{
	int rc = 0, wrc;

	for (unsigned int k = 0; k < g_n_started;) {
		struct started *w = &g_started[k];
		uint64_t w_off = w->off;

		if (len && (w->off + w->len <= off || off + len <= w->off)) {
			k++;
			continue;
		}
		wrc = finish_started(k);
		if (wrc && !rc)
			*failed_off = w_off;
		rc = rc ? rc : wrc;
	}
	return rc;
}

static int ta_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	uint64_t at;
	int rc = finish_overlapping(off, len, &at);

	return rc ? rc : t_read(ctx, off, buf, len);
}

static int ta_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	uint64_t at;
	int rc = finish_overlapping(off, len, &at);

	return rc ? rc : t_write(ctx, off, buf, len);
}

/** 0, or how many writes may be in flight: the next one first does them all, as
 *  disk_io2.c does when the device's queue is full, and may so return an earlier one's
 *  failure. */
static unsigned int g_start_limit;

static int ta_write_start(void *ctx, uint64_t off, const void *buf, size_t len,
			  uint64_t *failed_off)
{
	int rc = finish_overlapping(off, len, failed_off);

	if (rc == 0 && g_start_limit && g_n_started == g_start_limit)
		rc = finish_overlapping(0, 0, failed_off);
	if (rc || g_n_started == MAX_STARTED)
		return rc ? rc : STRATA_ENOMEM;
	g_started[g_n_started] = (struct started){ ctx, off, buf, malloc(len), len };
	memcpy(g_started[g_n_started].copy, buf, len);
	if (++g_n_started > g_most_started)
		g_most_started = g_n_started;
	return 0;
}

static int ta_settle(void *ctx, uint64_t *failed_off)
{
	(void)ctx;
	return finish_overlapping(0, 0, failed_off);
}

static const struct strata_target_ops async_target_ops = { ta_read, ta_write, ta_write_start,
							     ta_settle };

/* Send one chunk's store file in pieces, with the configured faults. */
static int send_file(struct mem_source *s, uint64_t i, strata_sink_fn *sink, void *sctx)
{
	struct strata_chunk c;
	uint8_t tmp[CS];
	size_t n;
	int rc;

	strata_index_chunk(&s->l->idx, i, &c);
	n = c.stored_size;
	memcpy(tmp, s->l->file[i], n);
	if (i < 64)
		s->sent[i]++;
	if ((int)i == s->corrupt_chunk)
		tmp[n / 2] ^= 0x40;
	if ((int)i == s->short_chunk)
		n--;
	for (size_t off = 0; off < n; off += s->piece)
		if ((rc = sink(sctx, tmp + off, n - off < s->piece ? n - off : s->piece)))
			return rc;
	return 0;
}

static int s_fetch_run(void *ctx, uint64_t first, uint64_t last, strata_sink_fn *sink, void *sctx)
{
	struct mem_source *s = ctx;
	struct strata_chunk c;
	int rc;

	s->runs++;
	for (uint64_t i = first; i <= last; i++) {
		strata_index_chunk(&s->l->idx, i, &c);
		if (c.flags & STRATA_ENTRY_NOFILE)
			continue;
		if ((int)i == s->fail_after_chunk)
			return STRATA_ENET;
		if ((rc = send_file(s, i, sink, sctx)))
			return rc;
		if ((int)i == s->short_chunk)
			return 0;
	}
	return 0;
}

static const struct strata_source_ops mem_source_ops = { s_fetch_run };

/** A stand-in for the machine's cores (deploy.h's strata_workers): start only records
 *  the batch, finish runs its items out of order, spread over 3 workers, so each job must
 *  keep to its own slot and scratch. */
struct fake_cores {
	strata_job_fn *fn;
	void *arg;
	uint32_t n;
	unsigned int batches;
};

static void fake_start(void *ctx, strata_job_fn *fn, void *arg, uint32_t n)
{
	struct fake_cores *f = ctx;

	CHECK(f->fn == NULL);                  /* one batch at a time */
	*f = (struct fake_cores){ fn, arg, n, f->batches + 1 };
}

static void fake_finish(void *ctx)
{
	struct fake_cores *f = ctx;

	for (uint32_t k = f->n; k-- > 0;)
		f->fn(f->arg, k, k % 3);
	f->fn = NULL;
}

static struct fake_cores fake;
static const struct strata_workers fake_workers = { 3, &fake, fake_start, fake_finish };
/** NULL for the first pass over every test, the fake cores for the second and third. */
static const struct strata_workers *g_workers;
/** The third pass: the target's writes are started and settled (async_target_ops). */
static int g_async;

/* An engine over the memory target and source, runs of at most 8; reuse may be NULL. */
static struct strata_deploy engine(struct layer *l, struct mem_target *t, struct mem_source *s,
				   struct strata_reuse *reuse)
{
	return (struct strata_deploy){ .idx = &l->idx, .target_ctx = t,
				       .target = g_async ? &async_target_ops : &mem_target_ops,
				       .block_size = t->bs, .source = &mem_source_ops,
				       .source_ctx = s, .max_run = 8, .reuse = reuse,
				       .workers = g_workers };
}

static int deploy(struct layer *l, struct mem_target *t, struct mem_source *s,
		  struct strata_deploy *d)
{
	int rc;

	*d = engine(l, t, s, NULL);
	rc = strata_deploy_run(d);
	CHECK_EQ(g_n_started, 0);              /* nothing in flight once it returns */
	return rc;
}

static struct mem_source source(struct layer *l)
{
	return (struct mem_source){ .l = l, .piece = 1000, .corrupt_chunk = -1,
				    .fail_after_chunk = -1, .short_chunk = -1 };
}

/* Every chunk of the target equals the same chunk of a or of b. */
static int only_known(const struct mem_target *t, const uint8_t *a, const uint8_t *b, size_t size)
{
	for (size_t off = 0; off < size; off += CS) {
		size_t n = size - off < CS ? size - off : CS;

		if (memcmp(t->bytes + off, a + off, n) && (!b || memcmp(t->bytes + off, b + off, n)))
			return 0;
	}
	return 1;
}

static void test_full_and_delta(void)
{
	struct layer v1 = { 0 }, v2 = { 0 };
	struct mem_target t = { .size = 20 * CS, .bs = 512 };
	struct mem_source s;
	struct strata_deploy d;

	make_image(&v1, 10 * CS + 1000, 1);     /* short last chunk, not block aligned */
	build_layer(&v1);
	t.bytes = xmalloc(t.size);
	memset(t.bytes + 3 * CS, 0x55, CS);     /* junk where a zero chunk goes */
	s = source(&v1);
	CHECK_EQ(deploy(&v1, &t, &s, &d), 0);
	CHECK(memcmp(t.bytes, v1.image, v1.size) == 0);
	CHECK_EQ(d.st.chunks_zeroed, 1);        /* chunk 3 had junk; chunk 4 was zero */
	CHECK_EQ(d.st.chunks_fetched, 9);
	CHECK(s.runs <= 2);
	CHECK_EQ(d.st.bytes_written, d.st.bytes_to_write);

	make_image(&v2, v1.size, 1);
	v2.image[5] ^= 1;                        /* chunk 0 */
	v2.image[10 * CS + 999] ^= 1;            /* the short last chunk */
	build_layer(&v2);
	s = source(&v2);
	CHECK_EQ(deploy(&v2, &t, &s, &d), 0);
	CHECK(memcmp(t.bytes, v2.image, v2.size) == 0);
	CHECK_EQ(d.st.chunks_fetched, 2);
	CHECK_EQ(d.st.chunks_kept, 7);
	CHECK_EQ(d.st.chunks_zero, 2);
	CHECK(t.bytes[v1.size] == 0);            /* beyond the layer: untouched */
	CHECK_EQ(deploy(&v2, &t, &s, &d), 0);    /* again: nothing to do */
	CHECK_EQ(d.st.chunks_fetched, 0);
	free_layer(&v1);
	free_layer(&v2);
	free(t.bytes);
}

/* Re-encode l's index (as the current version) with the chunks in mask (bits < 64) made
 * free. */
static void make_free(struct layer *l, uint64_t mask)
{
	uint64_t n = l->idx.chunk_count;
	uint8_t *e = xmalloc(n * 40), *buf;
	struct strata_chunk c = { .flags = STRATA_ENTRY_FREE };
	struct strata_diag diag;
	size_t len;

	memcpy(e, l->index_buf + 64, n * 40);
	for (uint64_t i = 0; i < n && i < 64; i++)
		if (mask >> i & 1)
			strata_index_entry_encode(e + i * 40, &c);
	strata_index_encode(NULL, &len, e, l->size, SHIFT, 0);
	buf = xmalloc(len);
	strata_index_encode(buf, &len, e, l->size, SHIFT, 0);
	free(l->index_buf);
	free(e);
	l->index_buf = buf;
	if (strata_index_parse(&l->idx, buf, len, &diag))
		abort();
}

/* Free chunks are neither read, fetched nor written: the target keeps whatever it held
 * there, and runs of fetched chunks span them. */
static void test_free_chunks(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 10 * CS, .bs = 512 };
	struct mem_source s;
	struct strata_deploy d;
	uint8_t *junk = xmalloc(10 * CS);

	make_image(&v, 10 * CS, 5);
	build_layer(&v);
	make_free(&v, 1u << 1 | 1u << 2 | 1u << 8);
	for (size_t i = 0; i < 10 * CS; i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	t.bytes = xmalloc(t.size);
	memcpy(t.bytes, junk, t.size);
	s = source(&v);
	CHECK_EQ(deploy(&v, &t, &s, &d), 0);
	CHECK_EQ(d.st.chunks_free, 3);
	CHECK_EQ(d.st.chunks_fetched, 5);       /* 0, 5, 6, 7, 9; zero chunks 3, 4 zeroed */
	CHECK_EQ(d.st.chunks_zeroed, 2);
	CHECK_EQ(t.read_chunks & (1u << 1 | 1u << 2 | 1u << 8), 0);
	CHECK(s.sent[1] == 0 && s.sent[2] == 0 && s.sent[8] == 0);
	CHECK(memcmp(t.bytes + CS, junk + CS, 2 * CS) == 0);
	CHECK(memcmp(t.bytes + 8 * CS, junk + 8 * CS, CS) == 0);
	CHECK(memcmp(t.bytes, v.image, CS) == 0);
	CHECK(memcmp(t.bytes + 3 * CS, v.image + 3 * CS, 5 * CS) == 0);
	CHECK(memcmp(t.bytes + 9 * CS, v.image + 9 * CS, CS) == 0);
	CHECK_EQ(d.st.bytes_scanned, 10 * CS);
	free_layer(&v);
	free(junk);
	free(t.bytes);
}

/* wipe: free chunks are read, made zero where they are not and read back; a free chunk
 * already zero is not written.  A disk that drops the wipe's write fails that chunk (named
 * by its index) while the rest of the layer is still deployed. */
static void test_wipe_free_chunks(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 10 * CS, .bs = 512 };
	struct mem_source s;
	struct strata_deploy d;

	make_image(&v, 10 * CS, 5);
	build_layer(&v);
	make_free(&v, 1u << 1 | 1u << 2 | 1u << 8);
	t.bytes = xmalloc(t.size);
	memset(t.bytes, 0x5a, t.size);
	memset(t.bytes + 2 * CS, 0, CS);        /* free chunk 2 is already zero */
	s = source(&v);
	d = engine(&v, &t, &s, NULL);
	d.wipe = 1;
	CHECK_EQ(strata_deploy_run(&d), 0);
	CHECK_EQ(d.st.chunks_free, 3);
	CHECK_EQ(d.st.chunks_wiped, 2);         /* 1 and 8; 2 read as zero, not written */
	CHECK_EQ(t.read_chunks & (1u << 1 | 1u << 2 | 1u << 8), 1u << 1 | 1u << 2 | 1u << 8);
	CHECK(s.sent[1] == 0 && s.sent[2] == 0 && s.sent[8] == 0);
	CHECK(strata_is_zero(t.bytes + CS, 2 * CS) && strata_is_zero(t.bytes + 8 * CS, CS));
	CHECK(memcmp(t.bytes, v.image, CS) == 0);
	CHECK(memcmp(t.bytes + 3 * CS, v.image + 3 * CS, 5 * CS) == 0);
	CHECK(memcmp(t.bytes + 9 * CS, v.image + 9 * CS, CS) == 0);

	memset(t.bytes, 0x5a, t.size);          /* a disk that drops writes to chunk 8 */
	t.lose = 1;
	t.lose_off = 8 * CS + 512;
	s = source(&v);
	d = engine(&v, &t, &s, NULL);
	d.wipe = 1;
	CHECK_EQ(strata_deploy_run(&d), STRATA_ECORRUPT);
	CHECK_EQ(d.st.chunks_failed, 1);
	CHECK_EQ(d.diag.where, 8);
	CHECK(d.diag.msg && strstr(d.diag.msg, "zeros"));
	CHECK(strata_is_zero(t.bytes + CS, 2 * CS));
	CHECK(memcmp(t.bytes + 9 * CS, v.image + 9 * CS, CS) == 0);   /* the rest deployed */
	free_layer(&v);
	free(t.bytes);
}

/* A 12-chunk layer v made from seed, and t's bytes all 0x11 (an old disk); returns a copy
 * of t's bytes as they were, the caller's to free. */
static uint8_t *old_target(struct layer *v, struct mem_target *t, unsigned int seed)
{
	uint8_t *before;

	make_image(v, 12 * CS, seed);
	build_layer(v);
	t->bytes = xmalloc(t->size);
	memset(t->bytes, 0x11, t->size);
	before = xmalloc(t->size);
	memcpy(before, t->bytes, t->size);
	return before;
}

/* With the fault gone, the next run fetches only the `left` chunks still missing and
 * completes; then the test's layer and buffers are freed. */
static void resumes(struct layer *v, struct mem_target *t, struct mem_source *s, uint64_t left,
		    uint8_t *before)
{
	struct strata_deploy d;

	CHECK_EQ(deploy(v, t, s, &d), 0);
	CHECK_EQ(d.st.chunks_fetched, left);
	CHECK(memcmp(t->bytes, v->image, v->size) == 0);
	free(before);
	free_layer(v);
	free(t->bytes);
}

static void test_corrupt_chunk(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 4096 };
	struct mem_source s;
	struct strata_deploy d;
	uint8_t *before;

	before = old_target(&v, &t, 2);
	s = source(&v);
	s.corrupt_chunk = 5;
	s.piece = 1;                            /* byte by byte through the sink */
	CHECK_EQ(deploy(&v, &t, &s, &d), STRATA_ECORRUPT);
	CHECK_EQ(d.st.chunks_failed, 1);
	CHECK_EQ(d.diag.where, 5);
	CHECK(d.diag.msg != NULL);
	CHECK(memcmp(t.bytes + 5 * CS, before + 5 * CS, CS) == 0);   /* old bytes kept */
	CHECK(only_known(&t, v.image, before, v.size));
	CHECK(memcmp(t.bytes + 6 * CS, v.image + 6 * CS, CS) == 0);  /* the rest went on */
	s.corrupt_chunk = -1;                   /* the store is mended: resume */
	resumes(&v, &t, &s, 1, before);
}

static void test_transfer_failure_and_short(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 512 };
	struct mem_source s;
	struct strata_deploy d;

	make_image(&v, 12 * CS, 3);
	build_layer(&v);
	t.bytes = xmalloc(t.size);
	s = source(&v);
	s.fail_after_chunk = 8;                 /* the server dies mid-run */
	CHECK_EQ(deploy(&v, &t, &s, &d), STRATA_ENET);
	CHECK_EQ(d.st.chunks_failed, 1);        /* the chunk the failure stopped is counted */
	CHECK_EQ(d.diag.where, 8);
	CHECK(only_known(&t, v.image, NULL, 8 * CS));
	CHECK(strata_is_zero(t.bytes + 8 * CS, 4 * CS));
	s = source(&v);
	s.short_chunk = 9;                      /* one file short, then the stream ends */
	CHECK_EQ(deploy(&v, &t, &s, &d), STRATA_ECORRUPT);
	CHECK_EQ(d.diag.where, 9);
	CHECK(strata_is_zero(t.bytes + 9 * CS, CS));
	CHECK(memcmp(t.bytes + 10 * CS, v.image + 10 * CS, 2 * CS) == 0);
	s = source(&v);
	CHECK_EQ(deploy(&v, &t, &s, &d), 0);
	CHECK(memcmp(t.bytes, v.image, v.size) == 0);
	free_layer(&v);
	free(t.bytes);
}

/* A target that fills up: the chunk whose write failed counts as failed, is named, and
 * the target holds only old bytes or verified chunks. */
static void test_target_full(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 512, .full_at = 5 * CS };
	struct mem_source s;
	struct strata_deploy d;
	uint8_t *before = xmalloc(12 * CS);     /* the empty target: zeros */

	make_image(&v, 12 * CS, 4);
	build_layer(&v);
	t.bytes = xmalloc(t.size);
	s = source(&v);
	CHECK_EQ(deploy(&v, &t, &s, &d), STRATA_EIO);
	/* With started writes the full disk is seen at settle: settle names the chunk. */
	CHECK_EQ(d.st.chunks_failed, 1);
	CHECK_EQ(d.diag.where, 5);
	CHECK(d.diag.msg != NULL && strstr(d.diag.msg, "target") != NULL);
	CHECK_EQ(d.st.chunks_fetched + d.st.chunks_zero + d.st.chunks_failed, 6);
	CHECK_EQ(d.st.bytes_written, d.st.chunks_fetched * CS);
	CHECK(only_known(&t, v.image, before, v.size));
	t.full_at = 0;                          /* room again: the next run finishes */
	s = source(&v);
	CHECK_EQ(deploy(&v, &t, &s, &d), 0);
	CHECK(memcmp(t.bytes, v.image, v.size) == 0);
	free(before);
	free_layer(&v);
	free(t.bytes);
}

/* A layer whose chunks 0, 6, 9 and 11 hold the same bytes, deployed with a reuse table. */
static void make_repeats(struct layer *l, unsigned int seed)
{
	make_image(l, 12 * CS, seed);
	memcpy(l->image + 9 * CS, l->image, CS);
	memcpy(l->image + 11 * CS, l->image, CS);
	build_layer(l);
}

static int deploy_reusing(struct layer *l, struct mem_target *t, struct mem_source *s,
			  struct strata_deploy *d)
{
	struct strata_reuse table = { 0 };
	int rc;

	CHECK_EQ(strata_reuse_init(&table, &l->idx), 0);
	*d = engine(l, t, s, &table);
	rc = strata_deploy_run(d);
	strata_reuse_done(&table);
	return rc;
}

/* A target that fills up while a repeated chunk is copied: the copy counts as failed. */
static void test_target_full_on_copy(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 512, .full_at = 6 * CS + 1 };
	struct mem_source s;
	struct strata_deploy d;

	make_repeats(&v, 9);
	t.bytes = xmalloc(t.size);
	s = source(&v);
	CHECK_EQ(deploy_reusing(&v, &t, &s, &d), STRATA_EIO);
	CHECK_EQ(d.st.chunks_failed, 1);
	CHECK_EQ(d.diag.where, 6);              /* chunk 6 repeats chunk 0 */
	CHECK(d.diag.msg != NULL && strstr(d.diag.msg, "copied") != NULL);
	CHECK_EQ(d.st.chunks_reused, 0);
	free_layer(&v);
	free(t.bytes);
}

static void test_repeated_chunk_fetched_once(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 512 };
	struct mem_source s;
	struct strata_deploy d;

	make_repeats(&v, 4);
	t.bytes = xmalloc(t.size);
	s = source(&v);
	CHECK_EQ(deploy_reusing(&v, &t, &s, &d), 0);
	CHECK(memcmp(t.bytes, v.image, v.size) == 0);
	CHECK_EQ(s.sent[0], 1);                 /* chunk 0's bytes crossed once ... */
	CHECK_EQ(s.sent[6] + s.sent[9] + s.sent[11], 0);
	CHECK_EQ(d.st.chunks_reused, 3);        /* ... and were copied three times */
	CHECK_EQ(d.st.chunks_fetched, 7);
	CHECK_EQ(d.st.bytes_written, d.st.bytes_to_write);
	memset(t.bytes + 9 * CS, 0x33, CS);     /* one copy damaged; chunk 0 kept by the scan */
	s = source(&v);
	CHECK_EQ(deploy_reusing(&v, &t, &s, &d), 0);
	CHECK(memcmp(t.bytes, v.image, v.size) == 0);
	CHECK_EQ(d.st.chunks_fetched, 0);
	CHECK_EQ(d.st.chunks_reused, 1);
	free_layer(&v);
	free(t.bytes);
}

/* Range API: a copy that stops hashing to its digest after the scan is not trusted. */
static void test_reuse_verifies_the_copy(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 4096 };
	struct mem_source s;
	struct strata_reuse table = { 0 };
	struct strata_deploy d = { 0 };
	uint64_t need[12], n = 0;

	make_repeats(&v, 5);
	t.bytes = xmalloc(t.size);
	memcpy(t.bytes, v.image, CS);           /* chunk 0 already there: kept */
	s = source(&v);
	CHECK_EQ(strata_reuse_init(&table, &v.idx), 0);
	d = engine(&v, &t, &s, &table);
	CHECK_EQ(strata_deploy_init(&d), 0);
	CHECK_EQ(strata_deploy_scan(&d, 0, 12, need, &n), 0);
	CHECK_EQ(d.st.chunks_kept, 1);
	t.bytes[100] ^= 1;                      /* the kept copy changes under us */
	CHECK_EQ(strata_deploy_fetch(&d, need, n), 0);
	strata_deploy_done(&d);
	CHECK(memcmp(t.bytes + CS, v.image + CS, v.size - CS) == 0);
	CHECK_EQ(d.st.chunks_reused, 2);        /* 9 and 11 copy the fetched chunk 6 */
	CHECK_EQ(s.sent[6], 1);
	CHECK_EQ(d.st.chunks_failed, 0);
	strata_reuse_done(&table);
	free_layer(&v);
	free(t.bytes);
}

/** What the failed hook saw. */
struct failures {
	unsigned int n;
	uint64_t last;
};

static void on_failed(void *ctx, const struct strata_chunk *c, const char *why)
{
	struct failures *f = ctx;

	f->n++;
	f->last = c->index;
	CHECK(why != NULL);
}

/* Range API: two engines over two halves sharing one table, as the host's threads do. */
static void test_slices_share_a_table(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 512 };
	struct mem_source s;
	struct strata_reuse table = { 0 };
	struct strata_deploy d[2];
	struct failures f = { 0 };
	uint64_t need[12], n = 0, half;

	make_repeats(&v, 6);
	t.bytes = xmalloc(t.size);
	s = source(&v);
	s.corrupt_chunk = 2;
	CHECK_EQ(strata_reuse_init(&table, &v.idx), 0);
	for (int k = 0; k < 2; k++) {
		d[k] = engine(&v, &t, &s, &table);
		d[k].failed = on_failed;
		d[k].hook_ctx = &f;
		CHECK_EQ(strata_deploy_init(&d[k]), 0);
		CHECK_EQ(strata_deploy_scan(&d[k], k * 6, k * 6 + 6, need, &n), 0);
	}
	half = n / 2;
	CHECK_EQ(strata_deploy_fetch(&d[0], need, half), 0);
	CHECK_EQ(strata_deploy_fetch(&d[1], need + half, n - half), 0);
	CHECK_EQ(d[0].st.chunks_fetched + d[1].st.chunks_fetched, 6);
	CHECK_EQ(d[0].st.chunks_reused + d[1].st.chunks_reused, 3);
	CHECK_EQ(f.n, 1);
	CHECK_EQ(f.last, 2);
	CHECK(strata_is_zero(t.bytes + 2 * CS, CS));  /* the bad chunk left the old bytes */
	CHECK(memcmp(t.bytes + 5 * CS, v.image + 5 * CS, 7 * CS) == 0);
	for (int k = 0; k < 2; k++)
		strata_deploy_done(&d[k]);
	strata_reuse_done(&table);
	free_layer(&v);
	free(t.bytes);
}

/* A disk that refuses a write (a bad block): the engine stops at it and asks for no other
 * write, so the target holds the chunks before it new and verified, it and the rest old.
 * With started writes (the third pass) the refusal is found at settle, after the rest of
 * its batch was started: those land too, verified, and only the refused chunk is left. */
static void test_target_write_error(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 512, .fail = 1, .fail_off = 9 * CS + 512 };
	struct mem_source s;
	struct strata_deploy d;
	struct strata_reuse table = { 0 };
	struct strata_chunk c9;
	uint8_t *before;

	before = old_target(&v, &t, 4);
	s = source(&v);
	CHECK_EQ(strata_reuse_init(&table, &v.idx), 0);
	d = engine(&v, &t, &s, &table);
	CHECK_EQ(strata_deploy_run(&d), STRATA_EIO);
	CHECK_EQ(g_n_started, 0);
	strata_index_chunk(&v.idx, 9, &c9);     /* not offered as verified bytes */
	CHECK(strata_reuse_find(&table, c9.digest) != 10);
	strata_reuse_done(&table);
	CHECK_EQ(t.failed, 1);
	CHECK_EQ(t.after_failed, g_async ? 2 : 0);
	CHECK_EQ(d.st.chunks_failed, 1);        /* the refused chunk, found at settle or not */
	CHECK_EQ(d.diag.where, 9);
	CHECK(memcmp(t.bytes, v.image, 9 * CS) == 0);
	CHECK(g_async || memcmp(t.bytes + 9 * CS, before + 9 * CS, 3 * CS) == 0);
	CHECK(only_known(&t, v.image, before, v.size));
	t.fail = 0;                             /* the disk is replaced: the next run finishes */
	s = source(&v);
	resumes(&v, &t, &s, g_async ? 1 : 3, before);
}

/* Blind writes (deploy.h) over a 64-chunk layer with blind_after 4 and blind_gap 8, on a
 * target whose chunks from first to last-1 hold other data and the rest the layer.  The
 * target must end equal to the layer whatever the policy guessed. */
static void blind_deploy(struct layer *v, struct mem_target *t, struct strata_deploy *d,
			 struct mem_source *s, unsigned int first, unsigned int last)
{
	make_image(v, 64 * CS, 7);
	build_layer(v);
	t->size = 64 * CS;
	t->bs = 512;
	t->bytes = xmalloc(t->size);
	memcpy(t->bytes, v->image, t->size);
	for (size_t i = first * CS; i < last * CS; i++)
		t->bytes[i] = (uint8_t)(i * 13 + 5);
	*s = source(v);
	*d = engine(v, t, s, NULL);
	d->blind_after = 4;
	d->blind_gap = 8;
	CHECK_EQ(strata_deploy_run(d), 0);
	CHECK(memcmp(t->bytes, v->image, t->size) == 0);
}

/* A target of unrelated data is read only until 4 used chunks in a row miss (0, 1, 2 and
 * zero chunk 3, which is zeroed), then only for the samples after 1, 3, 7, 7, ... chunks
 * passed blind (zero chunk 4 is zeroed blind): every data chunk is fetched. */
static void test_blind_unrelated_target(void)
{
	struct layer v = { 0 };
	struct mem_target t = { 0 };
	struct mem_source s;
	struct strata_deploy d;
	uint64_t want = 0xf | 1ull << 5 | 1ull << 9;

	for (unsigned int i = 17; i < 64; i += 8)
		want |= 1ull << i;
	blind_deploy(&v, &t, &d, &s, 0, 64);
	CHECK_EQ(t.read_chunks, want);
	CHECK(g_workers || t.reads == 12);      /* with cores, a batch is one read */
	CHECK_EQ(d.st.chunks_blind, 52);
	CHECK_EQ(d.st.chunks_fetched, 62);
	CHECK_EQ(d.st.chunks_zeroed, 2);
	CHECK_EQ(d.st.chunks_kept, 0);
	free_layer(&v);
	free(t.bytes);
}

/* A target that holds the layer again after 40 unrelated chunks: the sample at chunk 41
 * matches and the scan reads again from there, so at most blind_gap - 1 chunks (here 40)
 * are fetched without need and every chunk from 40 + 8 on is read and kept. */
static void test_blind_returns_to_reading(void)
{
	struct layer v = { 0 };
	struct mem_target t = { 0 };
	struct mem_source s;
	struct strata_deploy d;

	blind_deploy(&v, &t, &d, &s, 0, 40);
	CHECK_EQ(t.read_chunks >> 48, 0xffff);
	CHECK(d.st.chunks_fetched <= 38 + 7);
	CHECK_EQ(d.st.chunks_fetched + d.st.chunks_kept, 62);
	CHECK(d.st.chunks_kept >= 64 - 48);
	CHECK_EQ(d.st.chunks_kept, 23);          /* 41..63 */
	CHECK(s.sent[50] == 0 && s.sent[63] == 0);
	free_layer(&v);
	free(t.bytes);
}

/* An unchanged target is read in full and nothing is written or fetched: blind writes
 * never start while chunks match. */
static void test_blind_unchanged_target(void)
{
	struct layer v = { 0 };
	struct mem_target t = { 0 };
	struct mem_source s;
	struct strata_deploy d;

	blind_deploy(&v, &t, &d, &s, 0, 0);
	CHECK_EQ(t.read_chunks, ~0ull);
	CHECK_EQ(t.reads, g_workers ? 16 : 64);  /* batches of blind_after chunks */
	CHECK_EQ(t.writes, 0);
	CHECK_EQ(s.runs, 0);
	CHECK_EQ(d.st.chunks_blind, 0);
	CHECK_EQ(d.st.chunks_kept, 62);
	free_layer(&v);
	free(t.bytes);
}

/* Forgetting a chunk in a crowded table (8 digests in 16 slots, so probes collide)
 * removes its entry only, and every other entry is still found. */
static void test_reuse_forget(void)
{
	struct layer v = { 0 };
	struct strata_reuse t = { 0 };
	struct strata_chunk c;
	const uint64_t keep[] = { 0, 1, 2, 5, 7, 8, 9, 10 };

	make_image(&v, 12 * CS, 5);
	build_layer(&v);
	CHECK_EQ(strata_reuse_init_for(&t, &v.idx, 8), 0);
	for (unsigned int gone = 0; gone < 8; gone++) {
		strata_reuse_clear(&t);
		for (unsigned int k = 0; k < 8; k++)
			strata_reuse_add(&t, keep[k]);
		strata_reuse_forget(&t, 11);            /* not in the table: nothing goes */
		strata_reuse_forget(&t, keep[gone]);
		for (unsigned int k = 0; k < 8; k++) {
			strata_index_chunk(&v.idx, keep[k], &c);
			CHECK_EQ(strata_reuse_find(&t, c.digest), k == gone ? 0 : keep[k] + 1);
		}
	}
	strata_reuse_done(&t);
	free_layer(&v);
}

/* Every test, on one core and then on the fake cores: the same results either way. */
static void all_tests(void)
{
	RUN(test_full_and_delta);
	RUN(test_free_chunks);
	RUN(test_wipe_free_chunks);
	RUN(test_corrupt_chunk);
	RUN(test_transfer_failure_and_short);
	RUN(test_target_full);
	RUN(test_repeated_chunk_fetched_once);
	RUN(test_target_full_on_copy);
	RUN(test_reuse_verifies_the_copy);
	RUN(test_slices_share_a_table);
	RUN(test_target_write_error);
	RUN(test_blind_unrelated_target);
	RUN(test_blind_returns_to_reading);
	RUN(test_blind_unchanged_target);
	RUN(test_reuse_forget);
	if (g_async) {          /* a write_start that meets an earlier write's failure */
		g_start_limit = 4;
		RUN(test_target_full);
		g_start_limit = 0;
	}
}

int main(void)
{
	all_tests();
	g_workers = &fake_workers;
	all_tests();
	CHECK(fake.batches > 0);
	g_async = 1;
	all_tests();
	CHECK(g_most_started > 1);
	return harness_summary();
}
