/*
 * Unit tests for the multicast status exchange (images/core/mcast_status.c): the status
 * body round trip, each rule of its ranges (ascending, non-empty, not overlapping or
 * touching, inside the layer; a full range touched), the need count against the ranges,
 * flags, PARTIAL, reserved bytes, truncation at every length; ranges made from a need list
 * and a bitmap (more than 5000 ranges give PARTIAL); the answer's round trip and refusals.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "le.h"
#include "mcast_status.h"

#define CHUNKS 100000

static struct strata_mc_range_mem ranges[STRATA_MC_RANGES_MAX];

/* Whether a[0..n) and b[0..n) hold the same ranges (field by field: structs have padding). */
static int same(const struct strata_mc_range_mem *a, const struct strata_mc_range_mem *b,
		uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		if (a[k].first != b[k].first || a[k].count != b[k].count)
			return 0;
	return 1;
}
static uint8_t body[STRATA_MC_STATUS_MAX + 16];

static struct strata_mc_status_info info(uint8_t flags, uint64_t need)
{
	struct strata_mc_status_info st = { .flags = flags, .part = 3, .need_chunks = need,
					    .bytes_mc = 1ULL << 40, .bytes_http = 7, .seen = 9000,
					    .lost = 12 };

	memset(st.session, 0xab, sizeof(st.session));
	memset(st.layer, 0xcd, sizeof(st.layer));
	return st;
}

/* Write st with r[0..n) and parse it back into *out; the parse's rc. */
static int round_trip(const struct strata_mc_status_info *st, const struct strata_mc_range_mem *r,
		      uint32_t n, struct strata_mc_status_info *out, struct strata_diag *d)
{
	size_t len;

	if (strata_mc_status_write(body, sizeof(body), &len, st, r, n))
		return 99;
	return strata_mc_status_parse(body, len, CHUNKS, out, ranges, STRATA_MC_RANGES_MAX, d);
}

static void test_round_trip(void)
{
	struct strata_mc_range_mem r[3] = { { 0, 5 }, { 10, 1 }, { CHUNKS - 4, 4 } };
	struct strata_mc_status_info st = info(STRATA_MCS_JOIN, 10), out;
	struct strata_diag d = { 0 };
	size_t len;

	CHECK_EQ(round_trip(&st, r, 3, &out, &d), 0);
	CHECK(out.flags == STRATA_MCS_JOIN && out.part == 3 && out.need_chunks == 10);
	CHECK(out.bytes_mc == 1ULL << 40 && out.bytes_http == 7 && out.seen == 9000 &&
	      out.lost == 12 && out.range_count == 3);
	CHECK(memcmp(out.session, st.session, 8) == 0 && memcmp(out.layer, st.layer, 32) == 0);
	CHECK(ranges[2].first == CHUNKS - 4 && ranges[2].count == 4);
	CHECK_EQ(strata_mc_status_write(body, 96 + 35, &len, &st, r, 3), STRATA_ERANGE);
	CHECK_EQ(strata_mc_status_write(body, 96 + 36, &len, &st, r, 3), 0);
	CHECK_EQ(len, 96 + 36);
	CHECK(memcmp(body, "STMS\x01\x01\x03\x00", 8) == 0);
	CHECK(le32_get(body + 80) == 3 && le64_get(body + 96) == 0 && le32_get(body + 104) == 5);
	st = info(STRATA_MCS_DONE, 0);
	CHECK_EQ(round_trip(&st, r, 0, &out, &d), 0);
	/* every cut length refused, and one byte more */
	st = info(0, 10);
	CHECK_EQ(strata_mc_status_write(body, sizeof(body), &len, &st, r, 3), 0);
	for (size_t l = 0; l < len; l++)
		CHECK_MSG(strata_mc_status_parse(body, l, CHUNKS, &out, ranges, 5000, &d) ==
			  STRATA_ETRUNC, "length %zu", l);
	CHECK_EQ(strata_mc_status_parse(body, len + 1, CHUNKS, &out, ranges, 5000, &d),
		 STRATA_ETRAIL);
}

/* r[0..n) with need: the parse's rc and where. */
static void ranges_case(const struct strata_mc_range_mem *r, uint32_t n, uint64_t need,
			uint64_t chunks, int rc, uint64_t where, const char *what)
{
	struct strata_mc_status_info st = info(0, need), out;
	struct strata_diag d = { 0 };
	size_t len;

	strata_mc_status_write(body, sizeof(body), &len, &st, r, n);
	CHECK_MSG(strata_mc_status_parse(body, len, chunks, &out, ranges, 5000, &d) == rc,
		  "%s", what);
	if (rc)
		CHECK_MSG(d.msg && d.where == where, "%s: where %llu", what,
			  (unsigned long long)d.where);
}

static void test_ranges(void)
{
	struct strata_mc_range_mem empty[] = { { 5, 0 } };
	struct strata_mc_range_mem back[] = { { 10, 2 }, { 5, 1 } };
	struct strata_mc_range_mem overlap[] = { { 10, 2 }, { 11, 1 } };
	struct strata_mc_range_mem touch[] = { { 10, 2 }, { 12, 1 } };
	struct strata_mc_range_mem gap[] = { { 10, 2 }, { 13, 1 } };
	struct strata_mc_range_mem past[] = { { CHUNKS - 1, 2 } };
	struct strata_mc_range_mem last[] = { { CHUNKS - 1, 1 } };
	struct strata_mc_range_mem beyond[] = { { CHUNKS, 1 } };
	struct strata_mc_range_mem full[] = { { 0, 0xffffffffu }, { 0xffffffffu, 1 } };

	ranges_case(empty, 1, 0, CHUNKS, STRATA_EINVAL, 104, "empty range");
	ranges_case(back, 2, 3, CHUNKS, STRATA_EINVAL, 108, "descending");
	ranges_case(overlap, 2, 3, CHUNKS, STRATA_EINVAL, 108, "overlapping");
	ranges_case(touch, 2, 3, CHUNKS, STRATA_EINVAL, 108, "touching");
	ranges_case(gap, 2, 3, CHUNKS, 0, 0, "a gap of one");
	ranges_case(past, 1, 2, CHUNKS, STRATA_ERANGE, 96, "past the last chunk");
	ranges_case(last, 1, 1, CHUNKS, 0, 0, "the last chunk");
	ranges_case(beyond, 1, 1, CHUNKS, STRATA_ERANGE, 96, "starting past the layer");
	ranges_case(full, 2, 1ULL << 32, 1ULL << 33, 0, 0, "a full range touched");
	ranges_case(gap, 2, 4, CHUNKS, STRATA_EINVAL, 48, "need above the ranges");
	ranges_case(gap, 2, 2, CHUNKS, STRATA_EINVAL, 48, "need below the ranges");
	ranges_case(gap, 0, CHUNKS + 1, CHUNKS, STRATA_EINVAL, 48, "need above the layer");
}

/* A header written by hand from st, byte off set to v: the parse's rc and where. */
static void header_case(uint8_t flags, uint64_t need, size_t off, int v, int rc, uint64_t where,
			const char *what)
{
	struct strata_mc_status_info st = info(flags, need), out;
	struct strata_diag d = { 0 };
	size_t len;

	strata_mc_status_write(body, sizeof(body), &len, &st, NULL, 0);
	if (v >= 0)
		body[off] = (uint8_t)v;
	CHECK_MSG(strata_mc_status_parse(body, len, CHUNKS, &out, ranges, 5000, &d) == rc,
		  "%s", what);
	CHECK_MSG(rc == 0 || (d.msg && d.where == where), "%s: where %llu", what,
		  (unsigned long long)d.where);
}

static void test_header(void)
{
	header_case(0, 0, 0, 'X', STRATA_EINVAL, 0, "magic");
	header_case(0, 0, 4, 2, STRATA_ENOTSUP, 4, "version");
	header_case(0x10, 0, 0, -1, STRATA_EINVAL, 5, "unknown flag");
	header_case(STRATA_MCS_JOIN | STRATA_MCS_DONE, 0, 0, -1, STRATA_EINVAL, 5, "join+done");
	header_case(STRATA_MCS_DONE | STRATA_MCS_UNICAST, 0, 0, -1, STRATA_EINVAL, 5,
		    "done+unicast");
	header_case(STRATA_MCS_UNICAST, 0, 0, -1, 0, 0, "unicast");
	header_case(STRATA_MCS_DONE, 1, 0, -1, STRATA_EINVAL, 48, "done needing");
	header_case(STRATA_MCS_PARTIAL, 0, 0, -1, STRATA_EINVAL, 5, "partial without 5000");
	header_case(0, 0, 6, 0, STRATA_ERANGE, 6, "part 0");
	header_case(0, 0, 6, 129, STRATA_ERANGE, 6, "part 129");
	header_case(0, 0, 6, 128, 0, 0, "part 128");
	header_case(0, 0, 7, 1, STRATA_EINVAL, 7, "reserved0");
	header_case(0, 0, 95, 1, STRATA_EINVAL, 84, "reserved");
	header_case(0, 0, 83, 1, STRATA_ERANGE, 80, "2^24 ranges");
}

static void test_from_need(void)
{
	uint64_t *need = malloc(12000 * sizeof(*need));
	uint8_t *bits = calloc(CHUNKS / 8 + 1, 1);
	struct strata_mc_range_mem r[STRATA_MC_RANGES_MAX], rb[STRATA_MC_RANGES_MAX];
	struct strata_mc_status_info st, out;
	struct strata_diag d = { 0 };
	uint32_t n, nb;
	size_t len;

	/* 0..2, 4, 6..7, and the last chunk */
	uint64_t small[] = { 0, 1, 2, 4, 6, 7, CHUNKS - 1 };
	CHECK_EQ(strata_mc_ranges_from_need(small, 7, r, 5000, &n), 0);
	CHECK(n == 4 && r[0].first == 0 && r[0].count == 3 && r[1].first == 4 &&
	      r[1].count == 1 && r[2].count == 2 && r[3].first == CHUNKS - 1);
	for (int i = 0; i < 7; i++)
		bits[small[i] / 8] |= (uint8_t)(1u << small[i] % 8);
	CHECK_EQ(strata_mc_ranges_from_bits(bits, CHUNKS, rb, 5000, &nb), 0);
	CHECK(nb == n && same(r, rb, n));
	CHECK_EQ(strata_mc_ranges_from_need(small, 0, r, 5000, &n), 0);
	CHECK_EQ(n, 0);
	/* long runs, whole bytes at a time, cut at odd places: the same ranges */
	memset(bits, 0, CHUNKS / 8 + 1);
	n = 0;
	for (uint64_t i = 3, k = 0; i < CHUNKS - 5; i++)
		if (i != 50000 && i != 50001 && i != 77777 && i % 9973 != 5 && k < 12000) {
			bits[i / 8] |= (uint8_t)(1u << i % 8);
			need[k++] = i;
			n = (uint32_t)k;
		}
	{
		uint32_t k = n;

		CHECK_EQ(strata_mc_ranges_from_need(need, k, r, 5000, &n), 0);
		CHECK_EQ(strata_mc_ranges_from_bits(bits, CHUNKS, rb, 5000, &nb), 0);
		CHECK_EQ(n, 3);                 /* 3..4, 6..9977, 9979 on (5, 9978 skipped) */
		CHECK_EQ(nb, n);
		CHECK(same(r, rb, n));
		CHECK(r[0].first == 3 && r[0].count == 2 && r[1].first == 6 &&
		      r[1].count == 9972 && r[2].first == 9979);
	}
	/* every other chunk of 12000: 6000 ranges, PARTIAL with the first 5000 */
	memset(bits, 0, CHUNKS / 8 + 1);
	for (uint64_t i = 0; i < 6000; i++) {
		need[i] = 2 * i;
		bits[need[i] / 8] |= (uint8_t)(1u << need[i] % 8);
	}
	CHECK_EQ(strata_mc_ranges_from_need(need, 6000, r, 5000, &n), 1);
	CHECK_EQ(n, 5000);
	CHECK(r[4999].first == 9998 && r[4999].count == 1);
	CHECK_EQ(strata_mc_ranges_from_bits(bits, CHUNKS, rb, 5000, &nb), 1);
	CHECK(nb == 5000 && same(r, rb, 5000));
	st = info(STRATA_MCS_PARTIAL, 6000);
	CHECK_EQ(strata_mc_status_write(body, sizeof(body), &len, &st, r, n), 0);
	CHECK_EQ(len, STRATA_MC_STATUS_MAX);
	CHECK_EQ(strata_mc_status_parse(body, len, CHUNKS, &out, ranges, 5000, &d), 0);
	CHECK_EQ(strata_mc_status_parse(body, len, CHUNKS, &out, ranges, 4999, &d), STRATA_ERANGE);
	st = info(0, 5000);
	strata_mc_status_write(body, sizeof(body), &len, &st, r, n);
	CHECK_EQ(strata_mc_status_parse(body, len, CHUNKS, &out, ranges, 5000, &d), STRATA_EINVAL);
	CHECK_EQ(strata_mc_status_write(body, sizeof(body), &len, &st, r, 5001), STRATA_ERANGE);
	free(bits);
	free(need);
}

static void test_answer(void)
{
	struct strata_mc_answer_info a = { STRATA_MC_REPAIR, 30, 4, 123456789012ULL, 2500, 2000 };
	struct strata_mc_answer_info b;
	struct strata_diag d = { 0 };
	uint8_t out[STRATA_MC_ANSWER_LEN + 1] = { 0 };

	strata_mc_answer_write(out, &a);
	CHECK(memcmp(out, "STMA\x01\0\0\0", 8) == 0);
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), 0);
	CHECK(b.verdict == STRATA_MC_REPAIR && b.clients == 30 && b.cycle == 4 &&
	      b.cursor == 123456789012ULL && b.eta_ms == 2500 && b.report_ms == 2000);
	CHECK_EQ(strata_mc_answer_parse(out, 31, &b, &d), STRATA_ETRUNC);
	CHECK_EQ(strata_mc_answer_parse(out, 33, &b, &d), STRATA_ETRAIL);
	a.report_ms = 1;                                 /* the writer clamps */
	strata_mc_answer_write(out, &a);
	CHECK_EQ(le32_get(out + 28), 500);
	a.report_ms = 1000000;
	strata_mc_answer_write(out, &a);
	CHECK_EQ(le32_get(out + 28), 60000);
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), 0);
	le32_put(out + 28, 60001);
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), STRATA_ERANGE);
	CHECK_EQ(d.where, 28);
	le32_put(out + 28, 499);
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), STRATA_ERANGE);
	le32_put(out + 28, 2000);
	out[4] = 3;
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), STRATA_ERANGE);
	out[4] = STRATA_MC_GONE;
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), 0);
	out[7] = 1;
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), STRATA_EINVAL);
	out[7] = 0;
	out[0] = 's';
	CHECK_EQ(strata_mc_answer_parse(out, 32, &b, &d), STRATA_EINVAL);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_ranges);
	RUN(test_header);
	RUN(test_from_need);
	RUN(test_answer);
	return harness_summary();
}
