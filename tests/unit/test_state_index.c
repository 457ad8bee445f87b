/*
 * Unit tests of the state's index by MAC (server/state.c, state_index), which the
 * dashboard's snapshot looks every machine up through under the state lock: every entry
 * of 3,000 in a scattered order found as itself, MACs that differ in any byte and an empty
 * state found as none.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "state.h"

/* A state of n entries (not opened: no database), MACs scattered over their bytes. */
static void fill(struct state *st, size_t n)
{
	memset(st, 0, sizeof(*st));
	st->m = calloc(n + 1, sizeof(*st->m));
	st->n = n;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = (uint32_t)(i * 2654435761u);

		st->m[i].mac[0] = 0x52;
		st->m[i].mac[2] = (uint8_t)(k >> 24);
		st->m[i].mac[3] = (uint8_t)(k >> 16);
		st->m[i].mac[4] = (uint8_t)(k >> 8);
		st->m[i].mac[5] = (uint8_t)k;
		st->m[i].version = i;
	}
}

static void test_every_entry(void)
{
	struct state st;
	const struct mstate **ix;
	uint8_t mac[6];

	fill(&st, 3000);
	ix = state_index(&st);
	CHECK(ix != NULL);
	for (size_t i = 0; ix && i < st.n; i++)
		CHECK_MSG(state_index_find(&st, ix, st.m[i].mac) == &st.m[i], "entry %zu", i);
	for (size_t i = 0; ix && i < st.n; i += 97) {
		for (int b = 0; b < 6; b++) {
			memcpy(mac, st.m[i].mac, 6);
			mac[b] ^= 0x80;
			CHECK_MSG(!state_index_find(&st, ix, mac) ||
				  !memcmp(state_index_find(&st, ix, mac)->mac, mac, 6),
				  "entry %zu byte %d", i, b);
		}
	}
	memset(mac, 0xff, 6);
	CHECK(ix && state_index_find(&st, ix, mac) == NULL);
	free(ix);
	free(st.m);
}

static void test_empty(void)
{
	struct state st;
	const struct mstate **ix;
	uint8_t mac[6] = { 0x52, 0, 0, 0, 0, 1 };

	fill(&st, 0);
	ix = state_index(&st);
	CHECK(ix != NULL);
	CHECK(ix && state_index_find(&st, ix, mac) == NULL);
	free(ix);
	free(st.m);
}

int main(void)
{
	RUN(test_every_entry);
	RUN(test_empty);
	return harness_summary();
}
