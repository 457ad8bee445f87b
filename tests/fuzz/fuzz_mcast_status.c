/*
 * libFuzzer target for the multicast status exchange (images/core/mcast_status.c): the
 * status body strata-server reads from any machine with a session, and the answer
 * strata.efi reads from the network.
 *
 * Input: one byte choosing what the rest is: 0 a status body (for a layer of 2^20
 * chunks), 1 an answer, 2 a need bitmap.  Invariants: an accepted status or answer is
 * canonical (written back from what was parsed, it is the same bytes), its ranges obey
 * the rules (ascending, non-empty, apart, inside the layer, adding up to the need count
 * unless partial); ranges made from a bitmap cover exactly its set bits up to where they
 * stop (PARTIAL exactly when more were needed), and parse back as a status.
 *
 * Run:  cp -r tests/fuzz/corpus/mcast_status /tmp/mcs-corpus
 *       build/fuzz/fuzz_mcast_status -max_total_time=60 -artifact_prefix=/tmp/ /tmp/mcs-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mcast_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { if (!(cond)) abort(); } while (0)

#define CHUNKS (1u << 20)

static struct strata_mc_range_mem ranges[STRATA_MC_RANGES_MAX];
static uint8_t again[STRATA_MC_STATUS_MAX];

static void check_status(const uint8_t *p, size_t len)
{
	struct strata_mc_status_info st;
	struct strata_diag d = { 0 };
	uint64_t sum = 0;
	size_t n;

	if (strata_mc_status_parse(p, len, CHUNKS, &st, ranges, STRATA_MC_RANGES_MAX, &d)) {
		REQUIRE(d.msg != NULL && d.where <= len);
		return;
	}
	for (uint32_t k = 0; k < st.range_count; k++) {
		REQUIRE(ranges[k].count > 0 && ranges[k].first + ranges[k].count <= CHUNKS);
		REQUIRE(k == 0 || ranges[k].first > ranges[k - 1].first + ranges[k - 1].count);
		sum += ranges[k].count;
	}
	REQUIRE(sum <= st.need_chunks && st.need_chunks <= CHUNKS);
	REQUIRE((st.flags & STRATA_MCS_PARTIAL) || sum == st.need_chunks);
	REQUIRE(strata_mc_status_write(again, sizeof(again), &n, &st, ranges,
				       st.range_count) == 0);
	REQUIRE(n == len && memcmp(again, p, len) == 0);
}

static void check_answer(const uint8_t *p, size_t len)
{
	struct strata_mc_answer_info a;
	struct strata_diag d = { 0 };

	if (strata_mc_answer_parse(p, len, &a, &d)) {
		REQUIRE(d.msg != NULL);
		return;
	}
	REQUIRE(a.verdict <= STRATA_MC_GONE);
	strata_mc_answer_write(again, &a);
	REQUIRE(memcmp(again, p, STRATA_MC_ANSWER_LEN) == 0);
}

static int bit(const uint8_t *b, uint64_t i)
{
	return b[i / 8] >> (i % 8) & 1;
}

/* Ranges of a bitmap: each covers set bits only, gaps between them are clear, and the
 * status they make parses. */
static void check_bits(const uint8_t *b, size_t len)
{
	struct strata_mc_status_info st = { .part = 1 }, back;
	uint64_t nbits = (uint64_t)len * 8, at = 0, set = 0;
	uint32_t n;
	int partial = strata_mc_ranges_from_bits(b, nbits, ranges, STRATA_MC_RANGES_MAX, &n);
	size_t blen;

	for (uint32_t k = 0; k < n; k++) {
		for (; at < ranges[k].first; at++)
			REQUIRE(!bit(b, at));
		for (; at < ranges[k].first + ranges[k].count; at++)
			REQUIRE(bit(b, at));
		set += ranges[k].count;
	}
	for (; !partial && at < nbits; at++)
		REQUIRE(!bit(b, at));
	st.need_chunks = set;
	if (partial) {
		REQUIRE(n == STRATA_MC_RANGES_MAX);
		st.flags = STRATA_MCS_PARTIAL;
		st.need_chunks = set + 1;
	}
	REQUIRE(strata_mc_status_write(again, sizeof(again), &blen, &st, ranges, n) == 0);
	REQUIRE(strata_mc_status_parse(again, blen, nbits + 1, &back, ranges,
				       STRATA_MC_RANGES_MAX, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 0)
		check_status(data + 1, size - 1);
	else if (data[0] == 1)
		check_answer(data + 1, size - 1);
	else if (data[0] == 2)
		check_bits(data + 1, size - 1);
	return 0;
}
