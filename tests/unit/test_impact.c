/*
 * Unit tests for a deployment's cost per machine (server/impact.c).
 *
 * Why: the dashboard's preview tells an admin how much a room will fetch before the order
 * is confirmed, so the count must follow the rule strata.efi deploys by: a chunk costs its
 * stored bytes unless the old layer had the same digest at the same position.  Cases:
 * equal layers cost nothing, one changed chunk costs that chunk, another chunk size or no
 * old layer costs everything, a zero chunk turned to data costs the data, data turned to
 * zeros costs nothing, and a huge declared run of zeros is walked at no cost.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "impact.h"
#include "index.h"

#define ENT 40u

/* A layer: its encoded index and the parse of it (borrows buf). */
struct layer {
	uint8_t *buf;
	struct strata_index idx;
};

/* Chunk i's digest seed: 0 makes a zero chunk. */
typedef unsigned int seed_fn(uint64_t i);

/* Encode and parse a layer of count chunks of 2^shift bytes, chunk i's content seed(i),
 * each data chunk stored in (i % 7 + 1) * 100 bytes, zlib-compressed. */
static void make_layer(struct layer *l, uint64_t count, unsigned int shift, seed_fn *seed)
{
	uint64_t size = count << shift;
	uint8_t *e = calloc(count, ENT);
	struct strata_diag d;
	struct strata_chunk c;
	size_t len;

	if (!e)
		abort();
	for (uint64_t i = 0; i < count; i++) {
		memset(&c, 0, sizeof(c));
		if (!seed(i))
			c.flags = STRATA_ENTRY_ZERO;
		else {
			c.stored_size = (uint32_t)(i % 7 + 1) * 100;
			c.flags = STRATA_ENTRY_ZLIB;
			for (int k = 0; k < 32; k++)
				c.digest[k] = (uint8_t)(seed(i) * 31 + (unsigned int)k + 1);
		}
		strata_index_entry_encode(e + i * ENT, &c);
	}
	if (strata_index_encode(NULL, &len, e, size, shift, 0) || !(l->buf = malloc(len)) ||
	    strata_index_encode(l->buf, &len, e, size, shift, 0) ||
	    strata_index_parse(&l->idx, l->buf, len, &d))
		abort();
	free(e);
}

static unsigned int seed_plain(uint64_t i) { return (unsigned int)i + 1; }
static unsigned int seed_one_changed(uint64_t i) { return i == 3 ? 1000 : (unsigned int)i + 1; }
static unsigned int seed_holes(uint64_t i) { return i % 4 == 1 ? 0 : (unsigned int)i + 1; }
static unsigned int seed_first_only(uint64_t i) { return i == 0 ? 1 : 0; }

/* The stored bytes of chunk i, as make_layer gives them. */
static uint64_t stored(uint64_t i)
{
	return (i % 7 + 1) * 100;
}

static void test_equal_layers_cost_nothing(void)
{
	struct layer a, b;
	struct impact im = { 0 };

	make_layer(&a, 16, 16, seed_plain);
	make_layer(&b, 16, 16, seed_plain);
	impact_part(&a.idx, &b.idx, &im);
	CHECK_EQ(im.bytes, 0);
	CHECK_EQ(im.chunks, 0);
	free(a.buf);
	free(b.buf);
}

static void test_one_changed_chunk(void)
{
	struct layer a, b;
	struct impact im = { 0 };

	make_layer(&a, 16, 16, seed_plain);
	make_layer(&b, 16, 16, seed_one_changed);
	impact_part(&a.idx, &b.idx, &im);
	CHECK_EQ(im.bytes, stored(3));
	CHECK_EQ(im.chunks, 1);
	free(a.buf);
	free(b.buf);
}

static void test_no_old_or_other_chunk_size_counts_all(void)
{
	struct layer a, b;
	struct impact none = { 0 }, other = { 0 }, whole = { 0 };
	uint64_t all = 0;

	make_layer(&a, 16, 17, seed_plain);
	make_layer(&b, 16, 16, seed_plain);
	for (uint64_t i = 0; i < 16; i++)
		all += stored(i);
	impact_part(NULL, &b.idx, &none);
	impact_part(&a.idx, &b.idx, &other);
	impact_whole(&b.idx, &whole);
	CHECK_EQ(none.bytes, all);
	CHECK_EQ(none.chunks, 16);
	CHECK_EQ(other.bytes, all);
	CHECK_EQ(whole.bytes, all);
	free(a.buf);
	free(b.buf);
}

static void test_zeros_to_data_and_back(void)
{
	struct layer holes, full;
	struct impact up = { 0 }, down = { 0 };
	uint64_t filled = 0;

	make_layer(&holes, 16, 16, seed_holes);
	make_layer(&full, 16, 16, seed_plain);
	for (uint64_t i = 1; i < 16; i += 4)
		filled += stored(i);
	impact_part(&holes.idx, &full.idx, &up);
	impact_part(&full.idx, &holes.idx, &down);
	CHECK_EQ(up.bytes, filled);
	CHECK_EQ(up.chunks, 4);
	CHECK_EQ(down.bytes, 0);
	CHECK_EQ(down.chunks, 0);
	free(holes.buf);
	free(full.buf);
}

/* A longer new layer: chunks past the old one's end count; a huge run of zeros is free. */
static void test_longer_and_huge_runs(void)
{
	struct layer a, b, huge;
	struct impact im = { 0 }, h = { 0 };

	make_layer(&a, 8, 16, seed_plain);
	make_layer(&b, 12, 16, seed_plain);
	make_layer(&huge, 1u << 20, 12, seed_first_only);
	impact_part(&a.idx, &b.idx, &im);
	CHECK_EQ(im.chunks, 4);
	CHECK_EQ(im.bytes, stored(8) + stored(9) + stored(10) + stored(11));
	impact_part(NULL, &huge.idx, &h);
	CHECK_EQ(h.chunks, 1);
	CHECK_EQ(h.bytes, stored(0));
	free(a.buf);
	free(b.buf);
	free(huge.buf);
}

int main(void)
{
	RUN(test_equal_layers_cost_nothing);
	RUN(test_one_changed_chunk);
	RUN(test_no_old_or_other_chunk_size_counts_all);
	RUN(test_zeros_to_data_and_back);
	RUN(test_longer_and_huge_runs);
	return harness_summary();
}
