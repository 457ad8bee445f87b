/* Multicast reassembly into whole store files (see mcast_rx.h). */
#include "mcast_rx.h"
#include "alloc.h"
#include "mem.h"

/** A seq jump this large (forward or back) is not loss but a new count (mcast_rx.h). */
#define SEQ_WINDOW (1 << 20)

static int bit_get(const uint8_t *bits, uint64_t i)
{
	return bits[i / 8] >> (i % 8) & 1;
}

static void bit_set(uint8_t *bits, uint64_t i)
{
	bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

static void bit_clear(uint8_t *bits, uint64_t i)
{
	bits[i / 8] &= (uint8_t)~(1u << (i % 8));
}

/* Whether chunk i of the layer has a store file, so that a datagram may carry it. */
static int has_file(const struct strata_index *idx, uint64_t i)
{
	struct strata_chunk c;

	strata_index_chunk(idx, i, &c);
	return !(c.flags & STRATA_ENTRY_NOFILE);
}

/* Mark chunk i needed (a chunk of the layer with a store file, above every chunk marked
 * so far): its bit, its place in the list and in its digest's chain, and its store bytes
 * when its digest is new. */
static void need_add(struct strata_mc_rx *rx, uint64_t i)
{
	struct strata_chunk c;
	uint64_t prev;

	strata_index_chunk(rx->idx, i, &c);
	if (c.flags & STRATA_ENTRY_NOFILE)
		return;
	prev = strata_reuse_find(&rx->same, c.digest);
	rx->list[rx->n_list] = i;
	rx->same_prev[rx->n_list++] = prev;
	strata_reuse_add(&rx->same, i);
	bit_set(rx->need, i);
	rx->need_count++;
	if (!prev)
		rx->need_bytes += c.stored_size;
}

/* The needed chunk before chunk i (one of the list) with its digest, plus one; 0 none.
 * The list is ascending: a binary search finds i's place. */
static uint64_t same_before(const struct strata_mc_rx *rx, uint64_t i)
{
	uint64_t lo = 0, hi = rx->n_list;

	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (rx->list[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return rx->same_prev[lo];
}

/* Mark need[0..n) needed.  STRATA_EINVAL when a chunk of the layer comes below one
 * before it (the list must ascend, for same_before). */
static int need_all(struct strata_mc_rx *rx, const uint64_t *need, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++) {
		if (need[k] >= rx->idx->chunk_count || bit_get(rx->need, need[k]))
			continue;
		if (rx->n_list && need[k] < rx->list[rx->n_list - 1])
			return STRATA_EINVAL;
		need_add(rx, need[k]);
	}
	return 0;
}

int strata_mc_rx_init(struct strata_mc_rx *rx, const uint64_t *need, uint64_t n_need)
{
	const struct strata_index *idx = rx->idx;
	int rc;

	strata_memset(&rx->st, 0, sizeof(rx->st));
	strata_memset(rx->slot, 0, sizeof(rx->slot));
	strata_memset(&rx->same, 0, sizeof(rx->same));
	rx->need = rx->slot_mem = (void *)0;
	rx->same_prev = rx->list = (void *)0;
	rx->need_count = rx->need_bytes = rx->clock = rx->n_list = 0;
	rx->seq_started = 0;
	rx->seen_told = rx->lost_told = 0;
	rx->bad_why = (void *)0;
	if (!idx || !rx->deliver || rx->part == 0 || rx->part > STRATA_PART_NUM_MAX ||
	    rx->frag_size < STRATA_MC_PAYLOAD_MIN || rx->frag_size > STRATA_MC_PAYLOAD_MAX ||
	    rx->parity > STRATA_MC_PARITY_MAX)
		return STRATA_EINVAL;
	rx->need = strata_alloc((size_t)(idx->chunk_count / 8 + 1));
	rx->slot_mem = strata_alloc((size_t)STRATA_MC_SLOTS * idx->chunk_size);
	rx->list = strata_alloc((size_t)n_need * sizeof(uint64_t) + 1);
	rx->same_prev = strata_alloc((size_t)n_need * sizeof(uint64_t) + 1);
	if (!rx->need || !rx->slot_mem || !rx->list || !rx->same_prev)
		return STRATA_ENOMEM;
	if ((rc = strata_reuse_init_for(&rx->same, idx, n_need)))
		return rc;
	for (unsigned int k = 0; k < STRATA_MC_SLOTS; k++)
		rx->slot[k].buf = rx->slot_mem + (size_t)k * idx->chunk_size;
	return need_all(rx, need, n_need);
}

void strata_mc_rx_done(struct strata_mc_rx *rx)
{
	strata_free(rx->need);
	strata_free(rx->slot_mem);
	strata_free(rx->same_prev);
	strata_free(rx->list);
	strata_reuse_done(&rx->same);
	rx->need = rx->slot_mem = (void *)0;
	rx->same_prev = rx->list = (void *)0;
	for (unsigned int k = 0; k < STRATA_MC_SLOTS; k++)
		rx->slot[k].buf = (void *)0;
}

int strata_mc_rx_needs(const struct strata_mc_rx *rx, uint64_t i)
{
	return i < rx->idx->chunk_count && bit_get(rx->need, i);
}

void strata_mc_rx_compact(const struct strata_mc_rx *rx, uint64_t *need, uint64_t *n)
{
	uint64_t kept = 0;

	for (uint64_t k = 0; k < *n; k++)
		if (need[k] >= rx->idx->chunk_count || bit_get(rx->need, need[k]) ||
		    !has_file(rx->idx, need[k]))
			need[kept++] = need[k];
	*n = kept;
}

void strata_mc_rx_status(struct strata_mc_rx *rx, uint8_t flags, const uint8_t layer[32],
			 uint64_t bytes_http, struct strata_mc_status_info *st,
			 struct strata_mc_range_mem *ranges)
{
	uint32_t n;

	strata_memset(st, 0, sizeof(*st));
	if (strata_mc_ranges_from_bits(rx->need, rx->idx->chunk_count, ranges,
				       STRATA_MC_RANGES_MAX, &n))
		flags |= STRATA_MCS_PARTIAL;
	st->flags = flags;
	st->part = rx->part;
	strata_memcpy(st->session, rx->session, STRATA_MC_SESSION_LEN);
	strata_memcpy(st->layer, layer, 32);
	st->need_chunks = rx->need_count;
	st->bytes_mc = rx->st.bytes_ok;
	st->bytes_http = bytes_http;
	st->seen = (uint32_t)(rx->st.seen - rx->seen_told);
	/* a late datagram may have taken back loss already reported */
	st->lost = rx->st.lost > rx->lost_told ? (uint32_t)(rx->st.lost - rx->lost_told) : 0;
	st->range_count = n;
	rx->seen_told = rx->st.seen;
	rx->lost_told = rx->st.lost;
}

static int bad(struct strata_mc_rx *rx, const char *why)
{
	rx->st.bad++;
	rx->bad_why = why;
	return 0;
}

/* The loss estimate (mcast_rx.h): one more datagram of the session, numbered seq. */
static void count_seq(struct strata_mc_rx *rx, uint32_t seq)
{
	int32_t d = (int32_t)(seq - rx->seq_next);

	if (!rx->seq_started || d >= SEQ_WINDOW || d <= -SEQ_WINDOW) {
		rx->seq_started = 1;
		rx->seq_next = seq + 1;
	} else if (d >= 0) {
		rx->st.lost += (uint32_t)d;
		rx->seq_next = seq + 1;
	} else if (rx->st.lost) {
		rx->st.lost--;                  /* a late one fills a gap counted lost */
	}
}

/* The slot assembling f's chunk (digest its digest), else one assembling another chunk of
 * that digest with its store size (rekeyed to f's chunk, so that the fragments after this
 * one find it by index); else a free one, else the one touched longest ago, emptied for
 * it.  So one digest has at most one slot, whichever of its chunks its datagrams name. */
static struct strata_mc_slot *slot_for(struct strata_mc_rx *rx, const struct strata_mc_frag *f,
				       const uint8_t digest[32])
{
	struct strata_mc_slot *s = (void *)0;
	unsigned int k;

	for (k = 0; k < STRATA_MC_SLOTS; k++)
		if (rx->slot[k].used && rx->slot[k].chunk == f->chunk)
			return &rx->slot[k];
	for (k = 0; k < STRATA_MC_SLOTS; k++) {
		struct strata_mc_slot *t = &rx->slot[k];

		if (t->used && t->stored == f->stored_size &&
		    !strata_memcmp(t->digest, digest, 32)) {
			t->chunk = f->chunk;
			return t;
		}
		if (!s || (s->used && t->used < s->used))
			s = t;
	}
	if (s->used)
		rx->st.evicted++;
	s->chunk = f->chunk;
	s->stored = f->stored_size;
	strata_memcpy(s->digest, digest, 32);
	s->n = strata_mc_data_frags(f->stored_size, f->frag_size);
	s->got = 0;
	strata_memset(s->have, 0, (s->n + 7) / 8);
	return s;
}

/* Chunk i's hand-off ended with rc (deliver's or repeat's): 1 taken (i's need bit
 * cleared), 0 refused (STRATA_ECORRUPT: counted, i stays needed), or the rc that stops. */
static int taken(struct strata_mc_rx *rx, uint64_t i, int rc)
{
	if (rc == STRATA_ECORRUPT) {
		rx->st.chunks_rejected++;
		return 0;
	}
	if (rc)
		return rc;
	bit_clear(rx->need, i);
	rx->need_count--;
	rx->st.chunks_ok++;
	return 1;
}

/* Hand s's store file to deliver for chunk i: taken's answer. */
static int give(struct strata_mc_rx *rx, struct strata_mc_slot *s, uint64_t i)
{
	return taken(rx, i, rx->deliver(rx->ctx, i, s->buf, s->stored));
}

/* Chunk i repeats s's chunk, which deliver took: through repeat when there is one and it
 * can (no second decode), else deliver with s's store file.  taken's answer. */
static int give_again(struct strata_mc_rx *rx, struct strata_mc_slot *s, uint64_t i)
{
	int rc = rx->repeat ? rx->repeat(rx->ctx, s->chunk, i) : 1;

	return rc == 1 ? give(rx, s, i) : taken(rx, i, rc);
}

/* The needed chunk with digest's bytes, from the last one in its chain, plus one; 0 when
 * no needed chunk has it. */
static uint64_t needed_same(struct strata_mc_rx *rx, const uint8_t digest[32])
{
	uint64_t j = strata_reuse_find(&rx->same, digest);

	while (j && !bit_get(rx->need, j - 1))
		j = same_before(rx, j - 1);
	return j;
}

/* Every data fragment of s is in: hand the store file to deliver (mcast_rx.h), then, once
 * it verified, each other needed chunk with the same digest to give_again. */
static int complete(struct strata_mc_rx *rx, struct strata_mc_slot *s)
{
	struct strata_chunk c;
	uint64_t j;
	int rc = give(rx, s, s->chunk);

	s->used = 0;
	if (rc <= 0)
		return rc;
	rx->st.bytes_ok += s->stored;
	strata_index_chunk(rx->idx, s->chunk, &c);
	for (j = needed_same(rx, c.digest); j; j = same_before(rx, j - 1)) {
		if (!bit_get(rx->need, j - 1))
			continue;
		if ((rc = give_again(rx, s, j - 1)) < 0)
			return rc;
		rx->st.repeats += (uint64_t)rc;
	}
	return 0;
}

/* A data fragment of a needed chunk (digest its digest), checked against the index: keep
 * its bytes. */
static int take(struct strata_mc_rx *rx, const struct strata_mc_frag *f, const uint8_t digest[32])
{
	struct strata_mc_slot *s = slot_for(rx, f, digest);

	s->used = ++rx->clock;
	if (bit_get(s->have, f->frag)) {
		rx->st.dup++;
		return 0;
	}
	bit_set(s->have, f->frag);
	strata_memcpy(s->buf + (size_t)f->frag * f->frag_size, f->payload, f->payload_len);
	return ++s->got < s->n ? 0 : complete(rx, s);
}

int strata_mc_rx_datagram(struct strata_mc_rx *rx, const void *pkt, size_t len)
{
	struct strata_diag diag = { 0 };
	struct strata_mc_frag f;
	struct strata_chunk c;
	uint64_t j;

	if (strata_mc_parse(pkt, len, &f, &diag))
		return bad(rx, diag.msg);
	if (strata_memcmp(f.session, rx->session, STRATA_MC_SESSION_LEN))
		return bad(rx, "multicast datagram of another session");
	if (f.frag_size != rx->frag_size || f.parity != rx->parity)
		return bad(rx, "multicast datagram's fragment size or parity is not the manifest's");
	rx->st.seen++;
	count_seq(rx, f.seq);
	if (f.part != rx->part) {
		rx->st.other_part++;
		return 0;
	}
	if (f.chunk >= rx->idx->chunk_count)
		return bad(rx, "multicast datagram names a chunk past the layer");
	strata_index_chunk(rx->idx, f.chunk, &c);
	/*
	 * The carousel sends a digest once a pass, under any of its chunks (needed here or
	 * not).  A needed chunk is taken as named, with one bit test: a chunk with a need bit
	 * has a store file (need_add).  Only a chunk not needed (a twin's, or none of ours)
	 * costs a digest-table probe, for the last needed chunk of its digest.  Either way the
	 * fragments of one digest meet in one slot: within a pass the server names one chunk
	 * for all of them, so they take one path to one index; a later pass may name another
	 * chunk of the digest, and slot_for then finds the half-filled slot by its digest and
	 * store size (checked against the index below before any fragment is kept).
	 */
	if (!bit_get(rx->need, f.chunk)) {
		j = (c.flags & STRATA_ENTRY_NOFILE) ? 0 : needed_same(rx, c.digest);
		if (!j) {
			rx->st.ignored_have++;
			return 0;
		}
		rx->st.by_digest++;
		f.chunk = j - 1;
		strata_index_chunk(rx->idx, f.chunk, &c);
	}
	if (f.stored_size != c.stored_size)
		return bad(rx, "multicast datagram's store file size is not the index's");
	if (f.type == STRATA_MC_PARITY) {
		rx->st.parity++;
		return 0;
	}
	return take(rx, &f, c.digest);
}
