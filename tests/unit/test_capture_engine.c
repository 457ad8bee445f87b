/*
 * Unit tests for the capture engine (images/core/capture.c, capture_partition.c) and the
 * have/need bodies (images/core/need.c).
 *
 * Why: the engine decides what leaves a PC (free blocks must be zeros, never the deleted
 * data) and what the layer id is.  An agent's capture and a Linux build of the same image
 * must give the same index byte for byte, or one gold image gets two ids and a machine's
 * captured generation never matches its deployed layer.  The tests:
 *   - the per-chunk step on a hand-made map: free units inside a used chunk read as zeros
 *     and are hashed as zeros, free and stale-log chunks are not read, a used chunk of
 *     zeros is a zero chunk, deflate is kept only when smaller;
 *   - the driver on in-memory ext4 and FAT images (the fuzz seeds) and on random bytes,
 *     with a fake server: batches of at most 1024 distinct names (fewer when the batch
 *     memory fills), only missing chunks uploaded, each once, every upload inflating and
 *     hashing to its name, progress never going back, a second capture uploading nothing;
 *   - an unsafe volume refused before any chunk is read or any callback called, and with
 *     force captured whole and flagged;
 *   - the driver's index equal byte for byte to the one layer_build (strata-image build)
 *     writes for the same image, chunk size and map, and every uploaded file equal to the
 *     build's chunk file;
 *   - the have/need writer and the answer parser (the request parser's cases are in
 *     test_capture.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "chunk.h"
#include "codec.h"
#include "crypto.h"
#include "harness.h"
#include "layer_build.h"
#include "le.h"
#include "need.h"
#include "store.h"
#include "text.h"
#include "fs_seed_load.h"

/** A partition in memory, and how it was read. */
struct part {
	uint8_t *b;
	uint64_t size;
	uint64_t reads;        /**< read calls */
	uint64_t bytes_read;
};

static int part_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct part *p = ctx;

	if (off > p->size || len > p->size - off)
		abort();
	memcpy(buf, p->b + off, len);
	p->reads++;
	p->bytes_read += len;
	return 0;
}

/* Expand seed tests/fuzz/corpus/<dir>/<name> into a heap buffer of its partition size. */
static struct part load(const char *dir, const char *name)
{
	struct part p = { 0 };

	p.b = fs_seed_load(NULL, dir, name, &p.size);
	return p;
}

/* Fill b[0..n) with bytes from a fixed generator: random enough not to deflate. */
static void fill_random(uint8_t *b, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		b[i] = (uint8_t)(seed >> 24);
	}
}

/* Write file-like text into every unit the image's map marks free: what a deleted file
 * leaves, which must not leave the PC (no_text checks). */
static const char TEXT[] = "deleted file text ";

static void scribble(struct part *p)
{
	struct strata_fs_reader r = { part_read, p, p->size };
	struct strata_fsmap m;
	uint32_t unit;

	if (strata_capture_scan(&r, &m, NULL))
		abort();
	unit = 1u << m.unit_shift;
	for (uint64_t u = 0; u < m.units; u++) {
		if (strata_fsmap_unit_used(&m, u) || (u + 1) * unit > p->size)
			continue;
		for (uint32_t k = 0; k < unit; k++)
			p->b[u * unit + k] = (uint8_t)TEXT[k % 18];
	}
	strata_fsmap_done(&m);
}

/* Whether n bytes at b hold no run of the scribbled text. */
static int no_text(const uint8_t *b, size_t n)
{
	return !memmem(b, n, TEXT, 18);
}

/* ---------------------------------------------------------------------------------- */
/* The per-chunk step on a hand-made map.                                              */

/** A 16-unit map of 4 KiB units for a 64 KiB partition, with one log range. */
struct handmap {
	struct strata_fsmap m;
	uint8_t bits[2];
};

static void handmap_init(struct handmap *h, uint16_t used)
{
	memset(h, 0, sizeof(*h));
	h->bits[0] = (uint8_t)used;
	h->bits[1] = (uint8_t)(used >> 8);
	h->m.type = STRATA_FS_EXT;
	h->m.size = 65536;
	h->m.unit_shift = 12;
	h->m.units = 16;
	h->m.used = h->bits;
	h->m.nzero = 1;
	h->m.zero[0] = (struct strata_fs_range){ 12 * 4096, 4 * 4096 };   /* chunk 3 */
}

static void test_chunk_classes(void)
{
	struct part p = { .size = 65536 };
	struct strata_fs_reader r = { part_read, &p, p.size };
	struct handmap h;
	struct strata_capture_src src = { &r, &h.m, 14 };     /* 16 KiB chunks: 4 units */
	struct strata_chunk c;
	uint8_t buf[16384], want[16384], d[32];

	p.b = malloc(p.size);
	fill_random(p.b, p.size, 7);
	memset(p.b + 2 * 16384, 0, 16384);                    /* chunk 2: zeros, used */
	/* Units: chunk 0 all used; chunk 1 units 4 and 6 used, 5 and 7 free; chunk 2 used
	 * (zeros); chunk 3 is the log (free in the map). */
	handmap_init(&h, 0x000f | 0x0050 | 0x0f00);
	CHECK_EQ(strata_capture_read(&src, 0, buf, &c, NULL), 0);
	CHECK(c.flags == 0 && c.length == 16384 && c.offset == 0 && c.stored_size == 0);
	strata_sha256(p.b, 16384, d);
	CHECK(!memcmp(c.digest, d, 32));

	CHECK_EQ(strata_capture_read(&src, 1, buf, &c, NULL), 0);
	memcpy(want, p.b + 16384, 16384);
	memset(want + 4096, 0, 4096);
	memset(want + 3 * 4096, 0, 4096);
	CHECK(c.flags == 0 && !memcmp(buf, want, sizeof(want)));
	strata_sha256(want, sizeof(want), d);
	CHECK(!memcmp(c.digest, d, 32));

	CHECK_EQ(strata_capture_read(&src, 2, buf, &c, NULL), 0);
	CHECK_EQ(c.flags, STRATA_ENTRY_ZERO);
	CHECK(strata_is_zero(c.digest, 32));

	p.reads = 0;
	CHECK_EQ(strata_capture_read(&src, 3, buf, &c, NULL), 0);      /* the log */
	CHECK(c.flags == STRATA_ENTRY_ZERO && p.reads == 0);
	handmap_init(&h, 0x00ff);
	CHECK_EQ(strata_capture_read(&src, 2, buf, &c, NULL), 0);      /* free: not read */
	CHECK(c.flags == STRATA_ENTRY_FREE && p.reads == 0 && c.index == 2 &&
	      c.offset == 32768);
	free(p.b);
}

static void test_chunk_no_map_and_short(void)
{
	struct part p = { .size = 20000 };
	struct strata_fs_reader r = { part_read, &p, p.size };
	struct strata_capture_src src = { &r, NULL, 14 };
	struct strata_chunk c;
	uint8_t buf[16384];
	struct strata_diag diag = { 0 };

	p.b = calloc(1, p.size);
	p.b[19999] = 1;
	CHECK_EQ(strata_capture_read(&src, 1, buf, &c, &diag), 0);     /* the short last one */
	CHECK(c.length == 20000 - 16384 && c.flags == 0 && p.bytes_read == c.length);
	CHECK_EQ(strata_capture_read(&src, 0, buf, &c, &diag), 0);
	CHECK_EQ(c.flags, STRATA_ENTRY_ZERO);
	free(p.b);
}

static void test_pack(void)
{
	uint8_t in[65536], out[65536], back[65536];
	struct strata_chunk c = { .length = sizeof(in) };
	const uint8_t *file;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)("compressible text "[i % 18]);
	CHECK_EQ(strata_capture_pack(&c, in, out, STRATA_DEFLATE_LEVEL, &file), 0);
	CHECK(c.flags == STRATA_ENTRY_ZLIB && file == out && c.stored_size < c.length);
	CHECK_EQ(strata_inflate(back, sizeof(back), out, c.stored_size), 0);
	CHECK(!memcmp(back, in, sizeof(in)));
	fill_random(in, sizeof(in), 3);
	CHECK_EQ(strata_capture_pack(&c, in, out, STRATA_DEFLATE_LEVEL, &file), 0);
	CHECK(c.flags == 0 && file == in && c.stored_size == c.length);
	c.length = 1;                               /* one byte never shrinks */
	CHECK_EQ(strata_capture_pack(&c, in, out, 1, &file), 0);
	CHECK(c.flags == 0 && c.stored_size == 1);
}

static void test_deflate_bounds(void)
{
	uint8_t in[4096] = { 0 }, out[64];
	size_t len = sizeof(out);

	CHECK_EQ(strata_deflate(out, &len, in, sizeof(in), 6), 0);
	CHECK(len > 0 && len < 64);
	len = 4;
	CHECK_EQ(strata_deflate(out, &len, in, sizeof(in), 6), STRATA_ENOSPC);
	len = sizeof(out);
	CHECK_EQ(strata_deflate(out, &len, in, sizeof(in), 0), STRATA_ERANGE);
	CHECK_EQ(strata_deflate(out, &len, in, sizeof(in), 10), STRATA_ERANGE);
}

/* ---------------------------------------------------------------------------------- */
/* The driver, with a fake server.                                                      */

#define SERVER_MAX 8192

/** A server that holds chunks by name, and what the driver asked of it. */
struct server {
	uint8_t held[SERVER_MAX][32];
	size_t nheld;
	uint64_t batches, max_batch, uploads, upload_bytes, bad;
	uint64_t last_read, last_uploaded, progress_calls;
	int dup_in_batch, dup_upload, regress;
	uint64_t text;         /**< uploads that carried scribbled (deleted) text */
	/* Files uploaded, by name, to compare with a build's store (NULL: not kept). */
	uint8_t *files[SERVER_MAX];
	uint32_t file_len[SERVER_MAX];
};

static long server_find(const struct server *s, const uint8_t d[32])
{
	for (size_t i = 0; i < s->nheld; i++)
		if (!memcmp(s->held[i], d, 32))
			return (long)i;
	return -1;
}

static int fake_need(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing)
{
	struct server *s = ctx;

	s->batches++;
	if (n > s->max_batch)
		s->max_batch = n;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++)
			if (!memcmp(d[i], d[k], 32))
				s->dup_in_batch = 1;
		missing[i] = server_find(s, d[i]) < 0;
	}
	return 0;
}

static int fake_upload(void *ctx, const struct strata_chunk *c, const uint8_t *file)
{
	struct server *s = ctx;
	uint8_t *bytes = malloc(c->length), d[32];

	if (server_find(s, c->digest) >= 0)
		s->dup_upload = 1;
	if (c->flags & STRATA_ENTRY_ZLIB) {
		if (c->stored_size >= c->length ||
		    strata_inflate(bytes, c->length, file, c->stored_size))
			s->bad++;
	} else if (c->stored_size == c->length) {
		memcpy(bytes, file, c->length);
	} else {
		s->bad++;
	}
	strata_sha256(bytes, c->length, d);
	if (memcmp(d, c->digest, 32))
		s->bad++;
	if (!no_text(bytes, c->length))
		s->text++;
	free(bytes);
	if (s->nheld == SERVER_MAX)
		abort();
	s->files[s->nheld] = malloc(c->stored_size);
	memcpy(s->files[s->nheld], file, c->stored_size);
	s->file_len[s->nheld] = c->stored_size;
	memcpy(s->held[s->nheld++], c->digest, 32);
	s->uploads++;
	s->upload_bytes += c->stored_size;
	return 0;
}

static void fake_progress(void *ctx, const struct strata_capture_stats *st)
{
	struct server *s = ctx;

	if (st->read < s->last_read || st->uploaded < s->last_uploaded ||
	    st->read > st->to_read || st->walked > st->size)
		s->regress = 1;
	s->last_read = st->read;
	s->last_uploaded = st->uploaded;
	s->progress_calls++;
}

static int fail_need(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing)
{
	return STRATA_ENET;
}

static struct server *server_new(void)
{
	struct server *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	return s;
}

static void server_free(struct server *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		free(s->files[i]);
	free(s);
}

/* Capture p with the fake server s; the rc, the index in *idx (the caller frees). */
static int capture(struct part *p, struct server *s, unsigned int shift, unsigned int flags,
		   size_t batch_bytes, struct strata_capture_stats *st, uint8_t **idx,
		   size_t *len)
{
	struct strata_fs_reader r = { part_read, p, p->size };
	struct strata_capture_job job = { &r, shift, STRATA_DEFLATE_LEVEL, flags, batch_bytes };
	struct strata_capture_ops ops = { fake_need, fake_upload, fake_progress, s };
	struct strata_diag diag = { 0 };

	s->last_read = s->last_uploaded = 0;
	return strata_capture_partition(&job, &ops, st, idx, len, &diag);
}

/* Every data chunk of the index is held by s; the index parses. */
static void check_index_held(const uint8_t *buf, size_t len, const struct server *s)
{
	struct strata_index idx;
	struct strata_chunk c;

	CHECK_EQ(strata_index_parse(&idx, buf, len, NULL), 0);
	for (uint64_t i = 0; i < idx.chunk_count; i++) {
		strata_index_chunk(&idx, i, &c);
		if (c.stored_size)
			CHECK_MSG(server_find(s, c.digest) >= 0, "chunk %llu", (unsigned long long)i);
	}
}

static void test_driver_batches(void)
{
	struct part p = { .size = (5u << 20) + 1000 };     /* 1281 chunks of 4 KiB */
	struct server *s = server_new();
	struct strata_capture_stats st;
	uint8_t *idx, *idx2;
	size_t len, len2;

	p.b = malloc(p.size);
	fill_random(p.b, p.size, 11);
	memset(p.b + 4096, 0, 4096);                                  /* one zero chunk */
	memcpy(p.b + 8 * 4096, p.b + 9 * 4096, 4096);                 /* one duplicate */
	CHECK_EQ(capture(&p, s, 12, 0, 0, &st, &idx, &len), 0);
	CHECK(st.chunks == 1281 && st.chunks_zero == 1 && st.chunks_data == 1280);
	CHECK(st.chunks_uploaded == 1279 && st.chunks_present == 1);  /* the duplicate */
	CHECK(s->batches == 2 && s->max_batch == STRATA_NEED_MAX);
	CHECK(!s->dup_in_batch && !s->dup_upload && !s->bad && !s->regress);
	CHECK(st.read == p.size && st.to_read == p.size && st.walked == p.size);
	CHECK_EQ(st.uploaded, s->upload_bytes);
	check_index_held(idx, len, s);
	uint8_t d[32];
	strata_sha256(idx, len, d);
	CHECK(!memcmp(d, st.layer, 32));

	/* Again, with batches cut by memory (64 KiB: 16 raw files): nothing is missing. */
	s->batches = s->max_batch = s->uploads = 0;
	CHECK_EQ(capture(&p, s, 12, 0, 65536, &st, &idx2, &len2), 0);
	CHECK(st.chunks_uploaded == 0 && st.uploaded == 0 && s->uploads == 0);
	CHECK(s->max_batch == 16 && s->batches == (1279 + 15) / 16);
	CHECK(len == len2 && !memcmp(idx, idx2, len));
	CHECK(s->progress_calls > 0 && !s->regress);
	free(idx2);
	free(idx);
	free(p.b);
	server_free(s);
}

static void test_driver_ext4_fat(void)
{
	const char *seeds[][2] = { { "fs_ext4", "1k-journal" }, { "fs_ext4", "4k-64bit-uninit" },
				   { "fs_fat", "fat16" }, { "fs_fat", "fat32" } };

	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		struct part p = load(seeds[k][0], seeds[k][1]);
		struct server *s = server_new();
		struct strata_capture_stats st;
		uint8_t *idx;
		size_t len;

		scribble(&p);
		CHECK_EQ(capture(&p, s, 16, STRATA_CAPTURE_FSMAP, 0, &st, &idx, &len), 0);
		CHECK_MSG(st.verdict == STRATA_FS_OK && st.fs != STRATA_FS_UNKNOWN && !st.forced,
			  "%s", seeds[k][1]);
		CHECK_MSG(st.chunks_free > 0 && st.chunks_data > 0 && st.read < p.size,
			  "%s: %llu free, %llu data", seeds[k][1],
			  (unsigned long long)st.chunks_free, (unsigned long long)st.chunks_data);
		CHECK_EQ(st.read, st.to_read);
		CHECK(p.bytes_read >= st.read && s->text == 0);
		CHECK_EQ(st.chunks_uploaded + st.chunks_present, st.chunks_data);
		CHECK(!s->dup_upload && !s->bad && !s->regress && s->max_batch <= STRATA_NEED_MAX);
		check_index_held(idx, len, s);
		free(idx);
		free(p.b);
		server_free(s);
	}
}

static int counting_need(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing)
{
	(*(int *)ctx)++;
	return 0;
}

static int counting_upload(void *ctx, const struct strata_chunk *c, const uint8_t *file)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_driver_unsafe(void)
{
	struct part p = load("fs_ext4", "1k-journal");
	struct strata_fs_reader r = { part_read, &p, p.size };
	struct strata_capture_job job = { &r, 16, STRATA_DEFLATE_LEVEL, STRATA_CAPTURE_FSMAP, 0 };
	int calls = 0;
	struct strata_capture_ops ops = { counting_need, counting_upload, NULL, &calls };
	struct strata_capture_stats st;
	struct strata_diag diag = { 0 };
	struct strata_index ix;
	uint8_t *idx = (uint8_t *)&calls;
	size_t len = 1;

	le32_put(p.b + 1024 + 0x60, le32_get(p.b + 1024 + 0x60) | 0x4);   /* needs_recovery */
	CHECK_EQ(strata_capture_partition(&job, &ops, &st, &idx, &len, &diag), STRATA_EUNSAFE);
	CHECK(calls == 0 && idx == NULL && len == 0 && st.read == 0);
	CHECK(diag.msg && strstr(diag.msg, "journal needs recovery") && st.state == diag.msg);
	CHECK(st.fs == STRATA_FS_EXT && st.verdict == STRATA_FS_REFUSE && !st.forced);

	job.flags |= STRATA_CAPTURE_FORCE;
	CHECK_EQ(strata_capture_partition(&job, &ops, &st, &idx, &len, &diag), 0);
	CHECK(st.forced && st.chunks_free == 0 && st.read == p.size && st.to_read == p.size);
	CHECK_EQ(strata_index_parse(&ix, idx, len, NULL), 0);
	CHECK_EQ(ix.flags, STRATA_INDEX_FORCED);
	free(idx);

	/* A failing callback stops the capture with its code. */
	ops.need = fail_need;
	CHECK_EQ(strata_capture_partition(&job, &ops, &st, &idx, &len, &diag), STRATA_ENET);
	CHECK(idx == NULL);
	job.shift = 11;
	CHECK_EQ(strata_capture_partition(&job, &ops, &st, &idx, &len, &diag), STRATA_ERANGE);
	free(p.b);
}

/* ---------------------------------------------------------------------------------- */
/* The key property: the driver's index is the one strata-image build writes.           */

/* Build p with layer_build (flags LAYER_BUILD_*) into a new folder store; its index into
 * *idx (the caller frees), the store's root into dir. */
static int build(struct part *p, unsigned int shift, unsigned int flags, char *dir,
		 uint8_t **idx, size_t *len)
{
	char img[] = "/tmp/strata-capture-img-XXXXXX", path[512], rel[128];
	struct layer_build_stats bst;
	struct store *store;
	uint8_t id[32];
	FILE *f;
	int fd = mkstemp(img), rc;

	if (fd < 0 || write(fd, p->b, p->size) != (ssize_t)p->size || !mkdtemp(dir))
		abort();
	close(fd);
	if (store_open(dir, 1, &store))
		abort();
	rc = layer_build(store, img, shift, STRATA_DEFLATE_LEVEL, flags, id, &bst);
	store_close(store);
	unlink(img);
	if (rc)
		return rc;
	store_index_rel(rel, id);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	*idx = malloc(64 << 20);
	*len = fread(*idx, 1, 64 << 20, f);
	fclose(f);
	return 0;
}

/* Every file s received equals the build's chunk file of that name in dir. */
static void check_files(const struct server *s, const char *dir)
{
	static uint8_t buf[1 << 22];
	char path[512], rel[128];

	for (size_t i = 0; i < s->nheld; i++) {
		FILE *f;
		size_t n;

		store_chunk_rel(rel, s->held[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		f = fopen(path, "rb");
		CHECK_MSG(f != NULL, "%s", path);
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		CHECK(n == s->file_len[i] && !memcmp(buf, s->files[i], n));
	}
}

static void remove_tree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "%s: cannot remove\n", dir);
}

/* The driver's index for p (flags STRATA_CAPTURE_*) and the build's (LAYER_BUILD_*). */
static void same_as_build(struct part *p, unsigned int shift, unsigned int cflags,
			  unsigned int bflags, const char *what)
{
	char dir[] = "/tmp/strata-capture-store-XXXXXX";
	struct server *s = server_new();
	struct strata_capture_stats st;
	uint8_t *a, *b;
	size_t alen, blen;

	CHECK_EQ(capture(p, s, shift, cflags, 0, &st, &a, &alen), 0);
	CHECK_EQ(build(p, shift, bflags, dir, &b, &blen), 0);
	CHECK_MSG(alen == blen && !memcmp(a, b, alen), "%s at 2^%u: index %zu vs build %zu bytes",
		  what, shift, alen, blen);
	check_files(s, dir);
	remove_tree(dir);
	free(a);
	free(b);
	server_free(s);
}

static void test_same_index_as_build(void)
{
	const char *seeds[][2] = { { "fs_ext4", "1k-journal" }, { "fs_ext4", "ext2-like" },
				   { "fs_fat", "fat12" }, { "fs_fat", "fat32" } };
	struct part rnd = { .size = (3u << 20) + 512 };

	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		struct part p = load(seeds[k][0], seeds[k][1]);

		scribble(&p);
		same_as_build(&p, 12, STRATA_CAPTURE_FSMAP, LAYER_BUILD_FSMAP, seeds[k][1]);
		same_as_build(&p, 16, STRATA_CAPTURE_FSMAP, LAYER_BUILD_FSMAP, seeds[k][1]);
		same_as_build(&p, 16, 0, 0, seeds[k][1]);
		if (k < 2) {   /* ext4 with needs_recovery, forced on both sides */
			le32_put(p.b + 1024 + 0x60, le32_get(p.b + 1024 + 0x60) | 0x4);
			same_as_build(&p, 16, STRATA_CAPTURE_FSMAP | STRATA_CAPTURE_FORCE,
				      LAYER_BUILD_FSMAP | LAYER_BUILD_FORCE, seeds[k][1]);
		}
		free(p.b);
	}
	rnd.b = malloc(rnd.size);
	fill_random(rnd.b, rnd.size, 5);
	for (size_t at = 0; at < rnd.size; at += 3 * 65536)     /* some chunks deflate */
		memset(rnd.b + at, 'x', 65536 < rnd.size - at ? 65536 : rnd.size - at);
	same_as_build(&rnd, 16, STRATA_CAPTURE_FSMAP, LAYER_BUILD_FSMAP, "random");
	same_as_build(&rnd, 22, 0, 0, "random");
	free(rnd.b);
}

/* ---------------------------------------------------------------------------------- */
/* The have/need writer and the answer parser.                                          */

static void test_need_answer(void)
{
	uint8_t d[3][32], missing[3];
	char body[3 * STRATA_NEED_LINE + 1], ans[3 * STRATA_NEED_LINE + 8];
	uint8_t pick[3] = { 1, 0, 1 }, back[3][32];
	size_t len, line, n;

	for (int i = 0; i < 3; i++)
		memset(d[i], 0x11 * (i + 1), 32);
	len = strata_need_write(body, (const uint8_t (*)[32])d, 3, NULL);
	CHECK_EQ(len, 3 * STRATA_NEED_LINE);
	CHECK_EQ(strata_need_parse(body, len, back, 3, &n, &line), 0);
	CHECK(n == 3 && !memcmp(back, d, sizeof(d)));

	len = strata_need_write(ans, (const uint8_t (*)[32])d, 3, pick);
	CHECK_EQ(len, 2 * STRATA_NEED_LINE);
	CHECK_EQ(strata_need_answer_parse(ans, len, (const uint8_t (*)[32])d, 3, missing, &line), 0);
	CHECK(missing[0] == 1 && missing[1] == 0 && missing[2] == 1);
	CHECK_EQ(strata_need_answer_parse(ans, 0, (const uint8_t (*)[32])d, 3, missing, &line), 0);
	CHECK(!missing[0] && !missing[1] && !missing[2]);

	/* Out of order (the third, then the first). */
	memcpy(ans + 2 * STRATA_NEED_LINE, ans, STRATA_NEED_LINE);
	CHECK_EQ(strata_need_answer_parse(ans + STRATA_NEED_LINE, 2 * STRATA_NEED_LINE,
					  (const uint8_t (*)[32])d, 3, missing, &line),
		 STRATA_EINVAL);
	CHECK_EQ(line, 2);
	/* A name not asked, a cut line, upper case, trailing bytes. */
	memset(d[1], 0x99, 32);
	len = strata_need_write(ans, (const uint8_t (*)[32])d, 3, NULL);
	memset(d[1], 0x22, 32);
	CHECK_EQ(strata_need_answer_parse(ans, len, (const uint8_t (*)[32])d, 3, missing, &line),
		 STRATA_EINVAL);
	CHECK_EQ(line, 2);
	len = strata_need_write(ans, (const uint8_t (*)[32])d, 3, NULL);
	CHECK_EQ(strata_need_answer_parse(ans, len - 1, (const uint8_t (*)[32])d, 3, missing,
					  &line), STRATA_EINVAL);
	CHECK_EQ(line, 3);
	ans[STRATA_NEED_LINE + 3] = 'A';
	CHECK_EQ(strata_need_answer_parse(ans, len, (const uint8_t (*)[32])d, 3, missing, &line),
		 STRATA_EINVAL);
	len = strata_need_write(ans, (const uint8_t (*)[32])d, 3, NULL);
	ans[len] = '\n';
	CHECK_EQ(strata_need_answer_parse(ans, len + 1, (const uint8_t (*)[32])d, 3, missing,
					  &line), STRATA_EINVAL);
	CHECK_EQ(line, 4);
}

int main(void)
{
	RUN(test_chunk_classes);
	RUN(test_chunk_no_map_and_short);
	RUN(test_pack);
	RUN(test_deflate_bounds);
	RUN(test_driver_batches);
	RUN(test_driver_ext4_fat);
	RUN(test_driver_unsafe);
	RUN(test_same_index_as_build);
	RUN(test_need_answer);
	return harness_summary();
}
