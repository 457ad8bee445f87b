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
	int fail;                     /**< writes covering byte fail_off fail with EIO */
	uint64_t fail_off;
	unsigned int failed;          /**< writes refused */
	unsigned int after_failed;    /**< writes asked for after the first refusal */
};

/** A source with faults to inject. */
struct mem_source {
	struct layer *l;
	size_t piece;            /**< deliver in pieces of this many bytes */
	int corrupt_chunk;       /**< flip a byte of this chunk's file (-1: none) */
	int fail_after_chunk;    /**< stop with a transfer error before this chunk (-1: none) */
	int short_chunk;         /**< deliver this chunk one byte short and end (-1: none) */
	unsigned int runs;
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
	for (uint64_t i = 0; i < n; i++) {
		struct strata_chunk c = { .index = i, .offset = i * CS };
		uLongf zl = compressBound(CS);
		uint8_t *z = xmalloc(zl);

		c.length = (uint32_t)(l->size - c.offset < CS ? l->size - c.offset : CS);
		if (strata_is_zero(l->image + c.offset, c.length)) {
			c.flags = STRATA_ENTRY_ZERO;
			free(z);
		} else {
			strata_sha256(l->image + c.offset, c.length, c.digest);
			compress2(z, &zl, l->image + c.offset, c.length, 6);
			if (zl < c.length) {
				c.flags = STRATA_ENTRY_ZLIB;
				c.stored_size = (uint32_t)zl;
			} else {
				memcpy(z, l->image + c.offset, c.length);
				c.stored_size = c.length;
			}
			l->file[i] = z;
		}
		strata_index_entry_encode(l->index_buf + 64 + i * 40, &c);
	}
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
	return 0;
}

static int t_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct mem_target *t = ctx;

	if (off % t->bs || len % t->bs || off + len > t->size)
		return STRATA_ERANGE;
	if (t->failed)
		t->after_failed++;
	if (t->fail && off <= t->fail_off && t->fail_off < off + len) {
		t->failed++;
		return STRATA_EIO;
	}
	memcpy(t->bytes + off, buf, len);
	t->writes++;
	return 0;
}

static const struct strata_target_ops mem_target_ops = { t_read, t_write };

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
		if (c.flags & STRATA_ENTRY_ZERO)
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

static int deploy(struct layer *l, struct mem_target *t, struct mem_source *s,
		  struct strata_deploy *d)
{
	memset(d, 0, sizeof(*d));
	d->idx = &l->idx;
	d->target = &mem_target_ops;
	d->target_ctx = t;
	d->block_size = t->bs;
	d->source = &mem_source_ops;
	d->source_ctx = s;
	d->max_run = 8;
	return strata_deploy_run(d);
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

/* A disk that refuses a write (a bad block): the engine stops at it and asks for no other
 * write, so the target holds the chunks before it new and verified, it and the rest old. */
static void test_target_write_error(void)
{
	struct layer v = { 0 };
	struct mem_target t = { .size = 12 * CS, .bs = 512, .fail = 1, .fail_off = 9 * CS + 512 };
	struct mem_source s;
	struct strata_deploy d;
	uint8_t *before;

	before = old_target(&v, &t, 4);
	s = source(&v);
	CHECK_EQ(deploy(&v, &t, &s, &d), STRATA_EIO);
	CHECK_EQ(t.failed, 1);
	CHECK_EQ(t.after_failed, 0);
	CHECK_EQ(d.st.chunks_failed, 0);        /* a disk error, not a bad chunk */
	CHECK(memcmp(t.bytes, v.image, 9 * CS) == 0);
	CHECK(memcmp(t.bytes + 9 * CS, before + 9 * CS, 3 * CS) == 0);
	CHECK(only_known(&t, v.image, before, v.size));
	t.fail = 0;                             /* the disk is replaced: the next run finishes */
	s = source(&v);
	resumes(&v, &t, &s, 3, before);
}

int main(void)
{
	RUN(test_full_and_delta);
	RUN(test_corrupt_chunk);
	RUN(test_transfer_failure_and_short);
	RUN(test_target_write_error);
	return harness_summary();
}
