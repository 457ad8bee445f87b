/* The multicast carousel's decisions (see mcast_plan.h). */
#include <string.h>
#include "mcast.h"
#include "mcast_plan.h"

int mcast_plan_session(const struct inv_profile *pr, struct strata_multicast *out,
		       uint8_t layers[STRATA_MAX_PARTS][32])
{
	memset(out, 0, sizeof(*out));
	for (unsigned int k = 0; k < pr->nparts && k < STRATA_MAX_PARTS; k++) {
		if (pr->parts[k].layer_kind != INV_LAYER_ID || pr->parts[k].capture)
			continue;
		out->parts[out->nparts] = (uint8_t)(k + 1);
		memcpy(layers[out->nparts++], pr->parts[k].layer, 32);
	}
	if (!out->nparts)
		return STRATA_EINVAL;
	out->on = 1;
	memcpy(out->group, pr->mc.group, 4);
	out->port = pr->mc.port;
	out->rate = pr->mc.rate;
	out->payload = pr->mc.payload;
	out->parity = pr->mc.parity;
	return strata_mc_session_id(out->session, pr->name, strlen(pr->name), out->group,
				    out->port, out->parts, (const uint8_t (*)[32])layers,
				    out->nparts);
}

int mcast_need_next(const struct mcast_need *c, uint64_t chunk, uint64_t chunk_count,
		    uint64_t *out)
{
	uint32_t lo = 0, hi = c->n;
	uint64_t tail;

	while (lo < hi) {           /* the first range ending after chunk */
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->r[mid].first + c->r[mid].count > chunk)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo < c->n) {
		*out = c->r[lo].first > chunk ? c->r[lo].first : chunk;
		return 1;
	}
	if (!c->partial)
		return 0;
	tail = c->n ? c->r[c->n - 1].first + c->r[c->n - 1].count : 0;
	*out = tail > chunk ? tail : chunk;
	return *out < chunk_count;
}

/* The first chunk at or after from of part index p that any client needs: 1 with *out. */
static int first_from(const struct mcast_need *c, size_t nc, unsigned int p, uint64_t from,
		      uint64_t chunk_count, uint64_t *out)
{
	uint64_t x;
	int found = 0;

	for (size_t i = 0; i < nc; i++) {
		if (c[i].part_ix != p || !mcast_need_next(&c[i], from, chunk_count, &x))
			continue;
		if (!found || x < *out)
			*out = x;
		found = 1;
	}
	return found;
}

int mcast_next(const struct mcast_need *c, size_t nc, const uint64_t *parts,
	       unsigned int nparts, unsigned int *part_ix, uint64_t *chunk)
{
	uint64_t x;

	for (unsigned int p = *part_ix; p < nparts; p++) {
		if (first_from(c, nc, p, p == *part_ix ? *chunk : 0, parts[p], &x)) {
			*part_ix = p;
			*chunk = x;
			return 1;
		}
	}
	/* Wrapped: anything found now lies before the cursor. */
	for (unsigned int p = 0; p <= *part_ix && p < nparts; p++) {
		if (first_from(c, nc, p, 0, parts[p], &x)) {
			*part_ix = p;
			*chunk = x;
			return 2;
		}
	}
	return 0;
}

int mcast_too_lossy(uint64_t seen, uint64_t lost, uint32_t frags)
{
	double q, whole = 1;

	if (seen + lost < MCAST_LOSS_EVIDENCE || !lost)
		return 0;
	q = (double)seen / (double)(seen + lost);
	for (; frags; frags >>= 1, q *= q)      /* whole = q^frags, by squaring */
		if (frags & 1)
			whole *= q;
	return whole * 100 < MCAST_WHOLE_PERCENT;
}

uint32_t mcast_loss_limit(uint32_t frags)
{
	uint32_t lo = 0, hi = 10000;

	while (lo < hi) {       /* the least loss, of 10,000 datagrams, that is too lossy */
		uint32_t mid = lo + (hi - lo) / 2;

		if (mcast_too_lossy(10000 - mid, mid, frags))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

uint32_t mcast_frags(uint64_t byte_stored, uint32_t payload)
{
	uint64_t f = payload ? (byte_stored + payload - 1) / payload : 1;

	return f ? (f > UINT32_MAX ? UINT32_MAX : (uint32_t)f) : 1;
}

int mcast_verdict(const struct mcast_verdict_in *in)
{
	uint64_t passed = in->now_pos - in->join_pos;
	uint64_t small = in->data_chunks * MCAST_SMALL_PERCENT / 100;

	if (small < MCAST_SMALL_CHUNKS)
		small = MCAST_SMALL_CHUNKS;
	if (mcast_too_lossy(in->seen, in->lost, in->frags))
		return STRATA_MC_REPAIR;
	if (in->now_pos < in->join_pos || !in->lap || passed < in->lap)
		return STRATA_MC_STAY;
	if (in->need_chunks <= small || in->alone || passed >= MCAST_MAX_PASSES * in->lap)
		return STRATA_MC_REPAIR;
	return STRATA_MC_STAY;
}

uint32_t mcast_eta_ms(uint64_t dist, uint64_t avg_stored, uint64_t rate_bps)
{
	/* 128 bits: dist x avg_stored x 8000 may pass 2^64 on a large layer. */
	unsigned __int128 bits = (unsigned __int128)dist * avg_stored * 8 * 1000;
	unsigned __int128 ms = rate_bps ? bits / rate_bps : 0;

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}
