/*
 * Unit tests for server/layer_bytes.c, each layer's stored and unique bytes for GET
 * /api/library: no chunks; two layers sharing all but their last chunk (each one's unique
 * bytes that chunk's); a chunk named twice by one layer counted once; three layers in
 * shuffled order with chunks shared by two or by all; a record of a layer past nlayers in
 * the total only; digests that differ after their first 8 bytes grouped as one (the
 * documented bound).
 */
#include <string.h>
#include "harness.h"
#include "layer_bytes.h"

/* A digest made of i (big-endian in the first 4 bytes) and tail as its last byte. */
static void digest_of(uint8_t d[32], unsigned int i, uint8_t tail)
{
	memset(d, 0x5a, 32);
	d[0] = (uint8_t)(i >> 24);
	d[1] = (uint8_t)(i >> 16);
	d[2] = (uint8_t)(i >> 8);
	d[3] = (uint8_t)i;
	d[31] = tail;
}

/* Add chunk i of stored bytes to layer. */
static void add(struct layer_bytes *t, unsigned int i, uint32_t layer, uint32_t stored)
{
	uint8_t d[32];

	digest_of(d, i, 0);
	CHECK_EQ(layer_bytes_add(t, d, layer, stored), 0);
}

static void test_empty(void)
{
	struct layer_bytes t = { 0 };
	struct layer_bytes_sum sum[1] = { { 7, 7 } };

	CHECK_EQ(layer_bytes_sum(&t, sum, 1), 0);
	CHECK(sum[0].stored == 0 && sum[0].unique == 0);
	CHECK_EQ(layer_bytes_sum(&t, NULL, 0), 0);
	layer_bytes_free(&t);
}

/* register.sh's case: a and b share 30 chunks; each has its own last one. */
static void test_all_but_last(void)
{
	struct layer_bytes t = { 0 };
	struct layer_bytes_sum sum[2];

	for (unsigned int i = 0; i < 30; i++) {
		add(&t, i, 0, 1000 + i);
		add(&t, i, 1, 1000 + i);
	}
	add(&t, 100, 0, 500);
	add(&t, 101, 1, 700);
	CHECK_EQ(layer_bytes_sum(&t, sum, 2), 30 * 1000 + 435 + 500 + 700);
	CHECK_EQ(sum[0].stored, 30 * 1000 + 435 + 500);
	CHECK_EQ(sum[1].stored, 30 * 1000 + 435 + 700);
	CHECK_EQ(sum[0].unique, 500);
	CHECK_EQ(sum[1].unique, 700);
	layer_bytes_free(&t);
	CHECK(t.r == NULL && t.n == 0);
}

/* A layer naming one chunk at two places stores it once; alone, it is unique. */
static void test_repeat_in_layer(void)
{
	struct layer_bytes t = { 0 };
	struct layer_bytes_sum sum[2];

	add(&t, 1, 0, 300);
	add(&t, 1, 0, 300);
	add(&t, 2, 0, 50);
	add(&t, 2, 1, 50);
	add(&t, 2, 1, 50);
	CHECK_EQ(layer_bytes_sum(&t, sum, 2), 350);
	CHECK_EQ(sum[0].stored, 350);
	CHECK_EQ(sum[0].unique, 300);
	CHECK_EQ(sum[1].stored, 50);
	CHECK_EQ(sum[1].unique, 0);
	layer_bytes_free(&t);
}

/* Three layers, thousands of chunks added in shuffled order: chunk i belongs to layer
 * i % 3 alone when i % 4 == 0, to layers 0 and 1 when i % 4 == 1, to all three else. */
static void test_three_shuffled(void)
{
	struct layer_bytes t = { 0 };
	struct layer_bytes_sum sum[3];
	uint64_t want_stored[3] = { 0 }, want_unique[3] = { 0 }, total = 0;

	for (unsigned int k = 0; k < 4000; k++) {
		unsigned int i = (k * 7919u) % 4000u;   /* every number once, shuffled */
		uint32_t bytes = 10 + i % 17;

		total += bytes;
		for (uint32_t y = 0; y < 3; y++) {
			int in = i % 4 == 0 ? y == i % 3 : i % 4 == 1 ? y < 2 : 1;

			if (!in)
				continue;
			add(&t, i, 2 - y, bytes);         /* layers in reverse order too */
			want_stored[2 - y] += bytes;
			if (i % 4 == 0)
				want_unique[2 - y] += bytes;
		}
	}
	CHECK_EQ(layer_bytes_sum(&t, sum, 3), total);
	for (int y = 0; y < 3; y++) {
		CHECK_EQ(sum[y].stored, want_stored[y]);
		CHECK_EQ(sum[y].unique, want_unique[y]);
	}
	layer_bytes_free(&t);
}

/* A record of a layer the caller does not count: in the total, in no layer's sums, and it
 * still keeps the chunk from being another layer's unique one. */
static void test_layer_past_n(void)
{
	struct layer_bytes t = { 0 };
	struct layer_bytes_sum sum[1];

	add(&t, 1, 0, 40);
	add(&t, 1, 5, 40);
	add(&t, 2, 5, 60);
	CHECK_EQ(layer_bytes_sum(&t, sum, 1), 100);
	CHECK_EQ(sum[0].stored, 40);
	CHECK_EQ(sum[0].unique, 0);
	layer_bytes_free(&t);
}

/* Digests equal in their first 8 bytes count as one chunk: the documented bound. */
static void test_prefix_only(void)
{
	struct layer_bytes t = { 0 };
	struct layer_bytes_sum sum[2];
	uint8_t d[32];

	digest_of(d, 9, 1);
	CHECK_EQ(layer_bytes_add(&t, d, 0, 20), 0);
	digest_of(d, 9, 2);
	CHECK_EQ(layer_bytes_add(&t, d, 1, 20), 0);
	CHECK_EQ(layer_bytes_sum(&t, sum, 2), 20);
	CHECK(sum[0].unique == 0 && sum[1].unique == 0);
	layer_bytes_free(&t);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_all_but_last);
	RUN(test_repeat_in_layer);
	RUN(test_three_shuffled);
	RUN(test_layer_past_n);
	RUN(test_prefix_only);
	return harness_summary();
}
