/* The multicast status body and its answer: parsers, writers, ranges (see mcast_status.h). */
#include "mcast_status.h"
#include "chunk.h"
#include "le.h"
#include "mem.h"

#define RANGE_FULL 0xffffffffu

/* The header's fields, decoded and checked on their own (not yet the ranges). */
static int status_header(const uint8_t *p, struct strata_mc_status_info *st,
			 struct strata_diag *diag)
{
	unsigned int leave;

	if (strata_memcmp(p, STRATA_MC_STATUS_MAGIC, 4))
		return strata_fail(diag, STRATA_EINVAL, "not a multicast status (magic)", 0);
	if (p[4] != STRATA_MC_STATUS_VERSION)
		return strata_fail(diag, STRATA_ENOTSUP, "multicast status of another version", 4);
	st->flags = p[5];
	st->part = p[6];
	leave = st->flags & (STRATA_MCS_JOIN | STRATA_MCS_DONE | STRATA_MCS_UNICAST);
	if ((st->flags & ~STRATA_MCS_KNOWN) || (leave & (leave - 1)))
		return strata_fail(diag, STRATA_EINVAL, "multicast status flags unknown, or more "
				   "than one of join, done and unicast", 5);
	if (st->part == 0 || st->part > STRATA_PART_NUM_MAX)
		return strata_fail(diag, STRATA_ERANGE, "multicast status names a part outside "
				   "1..128", 6);
	if (p[7] || !strata_is_zero(p + 84, 12))
		return strata_fail(diag, STRATA_EINVAL, "multicast status has non-zero reserved "
				   "bytes", p[7] ? 7 : 84);
	strata_memcpy(st->session, p + 8, STRATA_MC_SESSION_LEN);
	strata_memcpy(st->layer, p + 16, 32);
	st->need_chunks = le64_get(p + 48);
	st->bytes_mc = le64_get(p + 56);
	st->bytes_http = le64_get(p + 64);
	st->seen = le32_get(p + 72);
	st->lost = le32_get(p + 76);
	st->range_count = le32_get(p + 80);
	return 0;
}

/* The header's counts against each other: how many ranges, the length, PARTIAL, DONE. */
static int status_counts(const struct strata_mc_status_info *st, size_t len, uint32_t cap,
			 struct strata_diag *diag)
{
	size_t want;

	if (st->range_count > STRATA_MC_RANGES_MAX || st->range_count > cap)
		return strata_fail(diag, STRATA_ERANGE, "multicast status lists more than 5000 "
				   "ranges", 80);
	want = STRATA_MC_STATUS_HDR + (size_t)st->range_count * STRATA_MC_RANGE_LEN;
	if (len != want)
		return strata_fail(diag, len < want ? STRATA_ETRUNC : STRATA_ETRAIL,
				   len < want ? "multicast status shorter than its ranges"
				   : "bytes after the multicast status's ranges", len < want ? len : want);
	if (!!(st->flags & STRATA_MCS_PARTIAL) != (st->range_count == STRATA_MC_RANGES_MAX))
		return strata_fail(diag, STRATA_EINVAL, "multicast status says partial without "
				   "5000 ranges, or lists 5000 without partial", 5);
	if ((st->flags & STRATA_MCS_DONE) && st->need_chunks)
		return strata_fail(diag, STRATA_EINVAL, "multicast status says done but needs "
				   "chunks", 48);
	return 0;
}

/* The range at off into *r: non-empty, after prev (the one before it, NULL for the first)
 * without touching it unless prev is full, inside the layer.  *sum adds its count. */
static int status_range(const uint8_t *p, size_t off, uint64_t chunk_count,
			const struct strata_mc_range_mem *prev, struct strata_mc_range_mem *r,
			uint64_t *sum, struct strata_diag *diag)
{
	uint64_t end = prev ? prev->first + prev->count : 0;

	r->first = le64_get(p + off);
	r->count = le32_get(p + off + 8);
	if (r->count == 0)
		return strata_fail(diag, STRATA_EINVAL, "multicast status range of no chunks",
				   off + 8);
	if (prev && (r->first < end || (r->first == end && prev->count != RANGE_FULL)))
		return strata_fail(diag, STRATA_EINVAL, "multicast status ranges out of order, "
				   "overlapping or touching", off);
	if (r->first >= chunk_count || r->count > chunk_count - r->first)
		return strata_fail(diag, STRATA_ERANGE, "multicast status range past the layer's "
				   "last chunk", off);
	*sum += r->count;
	return 0;
}

int strata_mc_status_parse(const void *body, size_t len, uint64_t chunk_count,
			   struct strata_mc_status_info *st, struct strata_mc_range_mem *ranges,
			   uint32_t cap, struct strata_diag *diag)
{
	const uint8_t *p = body;
	uint64_t sum = 0;
	int rc;

	if (len < STRATA_MC_STATUS_HDR)
		return strata_fail(diag, STRATA_ETRUNC, "multicast status shorter than its "
				   "96-byte header", len);
	rc = status_header(p, st, diag);
	if (rc == 0)
		rc = status_counts(st, len, cap, diag);
	for (uint32_t k = 0; rc == 0 && k < st->range_count; k++)
		rc = status_range(p, STRATA_MC_STATUS_HDR + (size_t)k * STRATA_MC_RANGE_LEN,
				  chunk_count, k ? &ranges[k - 1] : (void *)0, &ranges[k], &sum,
				  diag);
	if (rc)
		return rc;
	if (st->need_chunks > chunk_count || sum > st->need_chunks ||
	    (!(st->flags & STRATA_MCS_PARTIAL) && sum != st->need_chunks))
		return strata_fail(diag, STRATA_EINVAL, "multicast status's need count disagrees "
				   "with its ranges", 48);
	return 0;
}

int strata_mc_status_write(uint8_t *out, size_t cap, size_t *len,
			   const struct strata_mc_status_info *st,
			   const struct strata_mc_range_mem *ranges, uint32_t n)
{
	size_t want = STRATA_MC_STATUS_HDR + (size_t)n * STRATA_MC_RANGE_LEN;

	if (n > STRATA_MC_RANGES_MAX || cap < want)
		return STRATA_ERANGE;
	strata_memset(out, 0, STRATA_MC_STATUS_HDR);
	strata_memcpy(out, STRATA_MC_STATUS_MAGIC, 4);
	out[4] = STRATA_MC_STATUS_VERSION;
	out[5] = st->flags;
	out[6] = st->part;
	strata_memcpy(out + 8, st->session, STRATA_MC_SESSION_LEN);
	strata_memcpy(out + 16, st->layer, 32);
	le64_put(out + 48, st->need_chunks);
	le64_put(out + 56, st->bytes_mc);
	le64_put(out + 64, st->bytes_http);
	le32_put(out + 72, st->seen);
	le32_put(out + 76, st->lost);
	le32_put(out + 80, n);
	for (uint32_t k = 0; k < n; k++) {
		uint8_t *r = out + STRATA_MC_STATUS_HDR + (size_t)k * STRATA_MC_RANGE_LEN;

		le64_put(r, ranges[k].first);
		le32_put(r + 8, ranges[k].count);
	}
	*len = want;
	return 0;
}

/* Add chunk i to the ranges being built; 1 when it needs a range past cap. */
static int range_add(struct strata_mc_range_mem *out, uint32_t cap, uint32_t *n, uint64_t i)
{
	struct strata_mc_range_mem *last = *n ? &out[*n - 1] : (void *)0;

	if (last && last->first + last->count == i && last->count != RANGE_FULL) {
		last->count++;
		return 0;
	}
	if (*n == cap)
		return 1;
	out[(*n)++] = (struct strata_mc_range_mem){ i, 1 };
	return 0;
}

int strata_mc_ranges_from_need(const uint64_t *need, uint64_t n_need,
			       struct strata_mc_range_mem *out, uint32_t cap, uint32_t *n_out)
{
	*n_out = 0;
	for (uint64_t k = 0; k < n_need; k++)
		if (range_add(out, cap, n_out, need[k]))
			return 1;
	return 0;
}

/* Whether the last range ends at chunk i and can take 8 more without filling up: then a
 * byte of 8 needed chunks extends it at once. */
static int extends_by_8(const struct strata_mc_range_mem *out, uint32_t n, uint64_t i)
{
	return n && out[n - 1].first + out[n - 1].count == i &&
	       out[n - 1].count <= RANGE_FULL - 8;
}

int strata_mc_ranges_from_bits(const uint8_t *bits, uint64_t nbits,
			       struct strata_mc_range_mem *out, uint32_t cap, uint32_t *n_out)
{
	*n_out = 0;
	for (uint64_t i = 0; i < nbits; i++) {
		uint8_t b = bits[i / 8];

		if (!b) {
			i |= 7;                 /* a byte of nothing needed: skip it whole */
			continue;
		}
		if (b == 0xff && i % 8 == 0 && i + 8 <= nbits && extends_by_8(out, *n_out, i)) {
			out[*n_out - 1].count += 8;     /* a byte of all needed, inside a range */
			i += 7;
			continue;
		}
		if ((b >> (i % 8) & 1) && range_add(out, cap, n_out, i))
			return 1;
	}
	return 0;
}

void strata_mc_answer_write(uint8_t out[STRATA_MC_ANSWER_LEN],
			    const struct strata_mc_answer_info *a)
{
	uint32_t ms = a->report_ms;

	ms = ms < STRATA_MC_REPORT_MS_MIN ? STRATA_MC_REPORT_MS_MIN
		: ms > STRATA_MC_REPORT_MS_MAX ? STRATA_MC_REPORT_MS_MAX : ms;
	strata_memset(out, 0, STRATA_MC_ANSWER_LEN);
	strata_memcpy(out, STRATA_MC_ANSWER_MAGIC, 4);
	out[4] = a->verdict;
	le32_put(out + 8, a->clients);
	le32_put(out + 12, a->cycle);
	le64_put(out + 16, a->cursor);
	le32_put(out + 24, a->eta_ms);
	le32_put(out + 28, ms);
}

int strata_mc_answer_parse(const void *body, size_t len, struct strata_mc_answer_info *a,
			   struct strata_diag *diag)
{
	const uint8_t *p = body;

	if (len != STRATA_MC_ANSWER_LEN)
		return strata_fail(diag, len < STRATA_MC_ANSWER_LEN ? STRATA_ETRUNC : STRATA_ETRAIL,
				   "multicast answer is not 32 bytes", len);
	if (strata_memcmp(p, STRATA_MC_ANSWER_MAGIC, 4))
		return strata_fail(diag, STRATA_EINVAL, "not a multicast answer (magic)", 0);
	if (p[4] > STRATA_MC_GONE)
		return strata_fail(diag, STRATA_ERANGE, "multicast answer of an unknown verdict", 4);
	if (p[5] || p[6] || p[7])
		return strata_fail(diag, STRATA_EINVAL, "multicast answer has non-zero reserved "
				   "bytes", 5);
	a->verdict = p[4];
	a->clients = le32_get(p + 8);
	a->cycle = le32_get(p + 12);
	a->cursor = le64_get(p + 16);
	a->eta_ms = le32_get(p + 24);
	a->report_ms = le32_get(p + 28);
	if (a->report_ms < STRATA_MC_REPORT_MS_MIN || a->report_ms > STRATA_MC_REPORT_MS_MAX)
		return strata_fail(diag, STRATA_ERANGE, "multicast answer's report interval is "
				   "outside 500..60000 ms", 28);
	return 0;
}
