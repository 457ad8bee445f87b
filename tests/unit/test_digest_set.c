/*
 * Unit tests for server/digest_set.c, the set garbage collection keeps its referenced
 * chunks in: empty, duplicates dropped when sealed, membership by binary search over
 * thousands of digests in any order, and digests that differ in their last byte only.
 */
#include <string.h>
#include "digest_set.h"
#include "harness.h"

/* A digest made of i (big-endian in the first 4 bytes) and tail as its last byte. */
static void digest_of(uint8_t d[32], unsigned int i, uint8_t tail)
{
	memset(d, 0xa5, 32);
	d[0] = (uint8_t)(i >> 24);
	d[1] = (uint8_t)(i >> 16);
	d[2] = (uint8_t)(i >> 8);
	d[3] = (uint8_t)i;
	d[31] = tail;
}

static void test_empty(void)
{
	struct digest_set set = { 0 };
	uint8_t d[32];

	digest_of(d, 1, 0);
	digest_set_seal(&set);
	CHECK(!digest_set_has(&set, d));
	digest_set_free(&set);
}

static void test_many(void)
{
	struct digest_set set = { 0 };
	uint8_t d[32];

	for (unsigned int i = 0; i < 5000; i++) {
		digest_of(d, (i * 7919u) % 5000u, 1);    /* every number once, shuffled */
		CHECK_EQ(digest_set_add(&set, d), 0);
		CHECK_EQ(digest_set_add(&set, d), 0);    /* and again */
	}
	digest_set_seal(&set);
	CHECK_EQ(set.n, 5000);
	for (unsigned int i = 0; i < 5000; i += 97) {
		digest_of(d, i, 1);
		CHECK(digest_set_has(&set, d));
		digest_of(d, i, 2);                      /* the last byte differs */
		CHECK(!digest_set_has(&set, d));
	}
	digest_of(d, 5000, 1);
	CHECK(!digest_set_has(&set, d));
	digest_set_free(&set);
	CHECK(set.n == 0 && set.d == NULL);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_many);
	return harness_summary();
}
