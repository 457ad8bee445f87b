/*
 * Unit tests for multicast reassembly (images/core/mcast_rx.c) on a layer in memory
 * (test_mcast_layer.h), with a deliver that decodes and verifies through the core's
 * strata_chunk_decode and compares with the image: fragments in order, reversed,
 * duplicated; a missing fragment leaves the chunk needed (and the repair list keeps it);
 * a forged fragment (right header, wrong bytes) is rejected by verification and the next
 * clean pass completes the chunk; a store file size not the index's, another session, F,
 * m or part, a chunk past the layer, one not needed; 9 interleaved chunks force an
 * eviction; parity fragments counted, not used; a deliver failure stops; the seq loss
 * estimate across the wrap.  And the whole chain in the deploy engine: its between hook
 * runs a receiver whose deliver is strata_deploy_put, a forged chunk is rejected and
 * fetched, and the fetch phase gets exactly what multicast did not bring.  On a layer with
 * repeats: a store file that verifies clears every needed chunk with its digest, one sent
 * under a chunk the receiver does not need fills the ones it does, a forged one clears
 * none; a needed chunk is taken without the digest table, and one digest's fragments sent
 * under three of its chunks over three passes meet in one slot; into the engine, a
 * repeated store file is decoded once and written at each of its chunks.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "deploy.h"
#include "le.h"
#include "mcast_rx.h"
#include "test_mcast_layer.h"

#define SHIFT 12
#define CHUNKS 40
#define FS 512

static struct ml layer;

/** What deliver saw. */
struct sink {
	unsigned int got[CHUNKS];     /**< deliveries that verified, per chunk */
	unsigned int corrupt;         /**< deliveries that did not */
	int fail_with;                /**< non-zero: return this instead */
	uint8_t *out;
};

static int deliver(void *ctx, uint64_t chunk, const uint8_t *stored, size_t len)
{
	struct sink *s = ctx;
	struct strata_chunk c;
	int rc;

	if (s->fail_with)
		return s->fail_with;
	strata_index_chunk(&layer.idx, chunk, &c);
	rc = strata_chunk_decode(&c, stored, len, s->out, NULL);
	if (rc) {
		s->corrupt++;
		return STRATA_ECORRUPT;
	}
	CHECK(memcmp(s->out, layer.image + c.offset, c.length) == 0);
	s->got[chunk]++;
	return 0;
}

static struct ml_session session(void)
{
	struct ml_session s = { .part = 2, .frag_size = FS, .seq = 1000 };

	memset(s.session, 0x5a, sizeof(s.session));
	return s;
}

/* A receiver of part 2 needing every data chunk of the layer. */
static void rx_open(struct strata_mc_rx *rx, struct sink *sk, uint8_t parity)
{
	uint64_t need[CHUNKS];

	memset(sk, 0, sizeof(*sk));
	sk->out = ml_alloc(1u << SHIFT);
	memset(rx, 0, sizeof(*rx));
	rx->idx = &layer.idx;
	rx->part = 2;
	memset(rx->session, 0x5a, sizeof(rx->session));
	rx->frag_size = FS;
	rx->parity = parity;
	rx->deliver = deliver;
	rx->ctx = sk;
	for (uint64_t i = 0; i < CHUNKS; i++)
		need[i] = i;
	CHECK_EQ(strata_mc_rx_init(rx, need, CHUNKS), 0);
}

static void rx_close(struct strata_mc_rx *rx, struct sink *sk)
{
	strata_mc_rx_done(rx);
	free(sk->out);
}

static uint32_t frags(uint64_t i)
{
	struct strata_chunk c;

	strata_index_chunk(&layer.idx, i, &c);
	return c.stored_size ? strata_mc_data_frags(c.stored_size, FS) : 0;
}

/* Send fragment f of chunk i through rx; deliver's rc. */
static int send(struct strata_mc_rx *rx, struct ml_session *s, uint64_t i, uint32_t f)
{
	uint8_t pkt[STRATA_MC_DGRAM_MAX];
	size_t len = ml_datagram(&layer, s, i, f, pkt);

	CHECK(len > 0);
	return strata_mc_rx_datagram(rx, pkt, len);
}

static uint64_t data_chunks(void)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < CHUNKS; i++)
		n += frags(i) > 0;
	return n;
}

static void test_in_order(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();
	uint64_t bytes = 0;

	rx_open(&rx, &sk, 0);
	CHECK_EQ(rx.need_count, data_chunks());
	for (uint64_t i = 0; i < CHUNKS; i++)
		for (uint32_t f = 0; f < frags(i); f++)
			CHECK_EQ(send(&rx, &s, i, f), 0);
	for (uint64_t i = 0; i < CHUNKS; i++) {
		CHECK_MSG(sk.got[i] == (frags(i) > 0), "chunk %llu", (unsigned long long)i);
		CHECK(!strata_mc_rx_needs(&rx, i));
		if (frags(i)) {
			struct strata_chunk c;

			strata_index_chunk(&layer.idx, i, &c);
			bytes += c.stored_size;
		}
	}
	CHECK_EQ(rx.need_count, 0);
	CHECK_EQ(rx.st.chunks_ok, data_chunks());
	CHECK_EQ(rx.st.bytes_ok, bytes);
	CHECK(rx.st.bad == 0 && rx.st.dup == 0 && rx.st.lost == 0 && rx.st.evicted == 0);
	rx_close(&rx, &sk);
}

static void test_reversed_and_duplicated(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();
	uint64_t dups = 0;

	rx_open(&rx, &sk, 0);
	for (uint64_t i = CHUNKS; i-- > 0;)
		for (uint32_t f = frags(i); f-- > 0;) {
			CHECK_EQ(send(&rx, &s, i, f), 0);
			CHECK_EQ(send(&rx, &s, i, f), 0);
			dups += f > 0;          /* the last one's copy finds it done */
		}
	for (uint64_t i = 0; i < CHUNKS; i++)
		CHECK(sk.got[i] == (frags(i) > 0));
	CHECK_EQ(rx.st.dup, dups);
	CHECK_EQ(rx.st.ignored_have, data_chunks());
	CHECK_EQ(rx.st.chunks_ok, data_chunks());
	rx_close(&rx, &sk);
}

static void test_missing_and_forged(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();
	uint8_t pkt[STRATA_MC_DGRAM_MAX];
	uint64_t need[CHUNKS], n = 0;
	size_t len;

	rx_open(&rx, &sk, 0);
	CHECK(frags(2) == 8 && frags(3) == 8 && frags(1) == 1);
	for (uint32_t f = 1; f < frags(2); f++)          /* chunk 2 without fragment 0 */
		send(&rx, &s, 2, f);
	for (uint32_t f = 0; f < frags(3); f++) {        /* chunk 3 with a forged fragment 5 */
		len = ml_datagram(&layer, &s, 3, f, pkt);
		if (f == 5)
			pkt[40 + 17] ^= 0x40;
		CHECK_EQ(strata_mc_rx_datagram(&rx, pkt, len), 0);
	}
	send(&rx, &s, 1, 0);
	CHECK(sk.got[2] == 0 && sk.got[3] == 0 && sk.got[1] == 1);
	CHECK(sk.corrupt == 1 && rx.st.chunks_rejected == 1);
	CHECK(strata_mc_rx_needs(&rx, 2) && strata_mc_rx_needs(&rx, 3) &&
	      !strata_mc_rx_needs(&rx, 1));
	/* the repair list: 0 (zero chunk) stays, 1 goes, 2 and 3 stay */
	for (uint64_t i = 0; i < 4; i++)
		need[n++] = i;
	strata_mc_rx_compact(&rx, need, &n);
	CHECK(n == 3 && need[0] == 0 && need[1] == 2 && need[2] == 3);
	/* the next clean pass completes both */
	for (uint32_t f = 0; f < 8; f++) {
		send(&rx, &s, 2, f);
		send(&rx, &s, 3, f);
	}
	CHECK(sk.got[2] == 1 && sk.got[3] == 1 && !strata_mc_rx_needs(&rx, 3));
	rx_close(&rx, &sk);
}

/* Fragment 0 of chunk 2 changed at byte off to v (le32 when wide): counted as what. */
static void changed(struct strata_mc_rx *rx, struct ml_session *s, size_t off, uint32_t v,
		    int wide, uint64_t *counter, const char *what)
{
	uint8_t pkt[STRATA_MC_DGRAM_MAX];
	size_t len = ml_datagram(&layer, s, 2, 0, pkt);
	uint64_t before = *counter;

	if (wide)
		le32_put(pkt + off, v);
	else
		pkt[off] = (uint8_t)v;
	CHECK_EQ(strata_mc_rx_datagram(rx, pkt, len), 0);
	CHECK_MSG(*counter == before + 1, "%s", what);
}

static void test_refused(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();
	uint8_t pkt[STRATA_MC_DGRAM_MAX];
	size_t len;

	rx_open(&rx, &sk, 0);
	changed(&rx, &s, 8, 0x5b, 0, &rx.st.bad, "another session");
	changed(&rx, &s, 6, 3, 0, &rx.st.other_part, "another part");
	send(&rx, &s, 1, 0);
	changed(&rx, &s, 24, 1, 0, &rx.st.ignored_have, "chunk 1, delivered");
	changed(&rx, &s, 24, 0, 0, &rx.st.ignored_have, "chunk 0, a zero chunk");
	changed(&rx, &s, 24, CHUNKS, 0, &rx.st.bad, "a chunk past the layer");
	CHECK(rx.bad_why && strstr(rx.bad_why, "past the layer"));
	changed(&rx, &s, 7, 1, 0, &rx.st.bad, "another m");
	changed(&rx, &s, 0, 'X', 0, &rx.st.bad, "a wrong magic");
	/* S of 4096 (the raw chunk's) said 4095: a forged size, counted bad */
	len = ml_datagram(&layer, &s, 2, 0, pkt);
	le32_put(pkt + 32, 4095);
	CHECK_EQ(strata_mc_rx_datagram(&rx, pkt, len), 0);
	CHECK_EQ(rx.st.bad, 5);
	CHECK(strstr(rx.bad_why, "index"));
	/* another F: the same chunk in fragments of 1024 */
	s.frag_size = 1024;
	len = ml_datagram(&layer, &s, 2, 0, pkt);
	CHECK_EQ(strata_mc_rx_datagram(&rx, pkt, len), 0);
	CHECK_EQ(rx.st.bad, 6);
	CHECK_EQ(strata_mc_rx_datagram(&rx, pkt, 39), 0);
	CHECK_EQ(rx.st.bad, 7);
	CHECK(sk.got[2] == 0 && strata_mc_rx_needs(&rx, 2));
	rx_close(&rx, &sk);
}

static void test_evict(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();
	uint64_t raw[9], k = 0;

	rx_open(&rx, &sk, 0);
	for (uint64_t i = 0; i < CHUNKS && k < 9; i++)
		if (frags(i) == 8)
			raw[k++] = i;
	CHECK_EQ(k, 9);
	for (k = 0; k < 9; k++)                          /* 9 chunks begun: one evicted */
		send(&rx, &s, raw[k], 0);
	CHECK_EQ(rx.st.evicted, 1);
	for (uint32_t f = 1; f < 8; f++)                 /* the 8 kept ones complete */
		for (k = 1; k < 9; k++)
			send(&rx, &s, raw[k], f);
	for (k = 1; k < 9; k++)
		CHECK(sk.got[raw[k]] == 1);
	CHECK(sk.got[raw[0]] == 0 && strata_mc_rx_needs(&rx, raw[0]));
	for (uint32_t f = 0; f < 8; f++)
		send(&rx, &s, raw[0], f);
	CHECK(sk.got[raw[0]] == 1);
	CHECK_EQ(rx.st.evicted, 1);
	rx_close(&rx, &sk);
}

static void test_parity_and_failure(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();

	s.parity = 2;
	rx_open(&rx, &sk, 2);
	CHECK_EQ(strata_mc_frag_count(4096, FS, 2), 10);
	for (uint32_t f = 8; f < 10; f++)
		CHECK_EQ(send(&rx, &s, 2, f), 0);
	CHECK_EQ(rx.st.parity, 2);
	for (uint32_t f = 0; f < 8; f++)
		CHECK_EQ(send(&rx, &s, 2, f), 0);
	CHECK(sk.got[2] == 1);
	sk.fail_with = STRATA_EIO;                       /* the target failed: stop */
	for (uint32_t f = 0; f < 7; f++)
		CHECK_EQ(send(&rx, &s, 3, f), 0);
	CHECK_EQ(send(&rx, &s, 3, 7), STRATA_EIO);
	CHECK(strata_mc_rx_needs(&rx, 3));
	rx_close(&rx, &sk);
}

static void test_seq(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();

	rx_open(&rx, &sk, 0);
	s.seq = 0xfffffffc;
	send(&rx, &s, 1, 0);                             /* 0xfffffffc */
	s.seq += 2;
	send(&rx, &s, 1, 0);                             /* 0xffffffff: 2 lost */
	s.seq += 1;
	send(&rx, &s, 1, 0);                             /* 1 across the wrap: 1 more */
	CHECK_EQ(rx.st.lost, 3);
	s.seq = 0;
	send(&rx, &s, 1, 0);                             /* late: it was not lost */
	CHECK_EQ(rx.st.lost, 2);
	s.seq = 3 + (1u << 21);
	send(&rx, &s, 1, 0);                             /* a restart: no loss */
	send(&rx, &s, 1, 0);
	CHECK_EQ(rx.st.lost, 2);
	CHECK_EQ(rx.st.seen, 6);
	rx_close(&rx, &sk);
}

/* The status of a receiver: what strata_mc_status_parse takes, with the need set, the
 * bytes delivered and the counts since the last status. */
static void test_status(void)
{
	static struct strata_mc_range_mem ranges[STRATA_MC_RANGES_MAX], back[STRATA_MC_RANGES_MAX];
	static uint8_t body[STRATA_MC_STATUS_MAX];
	struct strata_mc_status_info st, got;
	struct strata_mc_rx rx;
	struct sink sk;
	struct ml_session s = session();
	uint8_t layer_id[32];
	size_t len;

	memset(layer_id, 0x77, sizeof(layer_id));
	rx_open(&rx, &sk, 0);
	send(&rx, &s, 1, 0);                             /* chunk 1 delivered */
	s.seq += 3;                                      /* 3 lost */
	send(&rx, &s, 2, 0);
	strata_mc_rx_status(&rx, STRATA_MCS_JOIN, layer_id, 5, &st, ranges);
	CHECK(st.flags == STRATA_MCS_JOIN && st.part == 2 && st.need_chunks == data_chunks() - 1);
	CHECK(st.seen == 2 && st.lost == 3 && st.bytes_http == 5 && st.bytes_mc == rx.st.bytes_ok);
	CHECK(st.range_count > 0 && ranges[0].first == 2 && memcmp(st.layer, layer_id, 32) == 0);
	CHECK_EQ(strata_mc_status_write(body, sizeof(body), &len, &st, ranges, st.range_count), 0);
	CHECK_EQ(strata_mc_status_parse(body, len, CHUNKS, &got, back, STRATA_MC_RANGES_MAX,
					NULL), 0);
	CHECK(got.need_chunks == st.need_chunks && got.range_count == st.range_count);
	send(&rx, &s, 2, 1);
	strata_mc_rx_status(&rx, 0, layer_id, 0, &st, ranges);
	CHECK(st.seen == 1 && st.lost == 0);             /* since the last status */
	rx_close(&rx, &sk);
}

static void test_init(void)
{
	struct strata_mc_rx rx;
	struct sink sk;
	uint64_t need[] = { 0, 1, 1, 2, CHUNKS, 3, 4 };  /* 0, 4 zero; 1 twice; one past */

	rx_open(&rx, &sk, 0);
	strata_mc_rx_done(&rx);
	CHECK_EQ(strata_mc_rx_init(&rx, need, 7), 0);
	CHECK_EQ(rx.need_count, 3);
	{       /* need_bytes: the store bytes of chunks 1, 2 and 3, 1 counted once */
		struct strata_chunk c;
		uint64_t sum = 0;

		for (uint64_t i = 1; i <= 3; i++) {
			strata_index_chunk(&layer.idx, i, &c);
			sum += c.stored_size;
		}
		CHECK_EQ(rx.need_bytes, sum);
	}
	CHECK(!strata_mc_rx_needs(&rx, 0) && strata_mc_rx_needs(&rx, 1) &&
	      !strata_mc_rx_needs(&rx, CHUNKS));
	strata_mc_rx_done(&rx);
	rx.frag_size = 511;
	CHECK_EQ(strata_mc_rx_init(&rx, need, 7), STRATA_EINVAL);
	rx.frag_size = FS;
	rx.parity = 9;
	CHECK_EQ(strata_mc_rx_init(&rx, need, 7), STRATA_EINVAL);
	rx.parity = 0;
	rx.part = 129;
	CHECK_EQ(strata_mc_rx_init(&rx, need, 7), STRATA_EINVAL);
	rx.part = 2;
	strata_mc_rx_done(&rx);
	{       /* a need list that descends (3 after 5) cannot be searched: refused */
		uint64_t down[] = { 1, 5, 3 };

		CHECK(frags(1) > 0 && frags(5) > 0);
		CHECK_EQ(strata_mc_rx_init(&rx, down, 3), STRATA_EINVAL);
	}
	rx_close(&rx, &sk);
}

/** The engine's target: memory of the image's size, zeros at first. */
struct mem {
	uint8_t *bytes;
	size_t size;
	uint64_t fetched[CHUNKS];     /**< store files the source sent, per chunk */
};

static int m_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *t = ctx;

	if (off + len > t->size)
		return STRATA_ERANGE;
	memcpy(buf, t->bytes + off, len);
	return 0;
}

static int m_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct mem *t = ctx;

	if (off + len > t->size)
		return STRATA_ERANGE;
	memcpy(t->bytes + off, buf, len);
	return 0;
}

static int m_fetch_run(void *ctx, uint64_t first, uint64_t last, strata_sink_fn *sink,
		       void *sctx)
{
	struct mem *t = ctx;
	struct strata_chunk c;
	int rc;

	for (uint64_t i = first; i <= last; i++) {
		strata_index_chunk(&layer.idx, i, &c);
		if (c.flags & STRATA_ENTRY_NOFILE)
			continue;
		t->fetched[i]++;
		if ((rc = sink(sctx, layer.file[i], c.stored_size)))
			return rc;
	}
	return 0;
}

static const struct strata_target_ops mem_ops = { .read = m_read, .write = m_write };
static const struct strata_source_ops src_ops = { m_fetch_run };

static int put(void *ctx, uint64_t chunk, const uint8_t *stored, size_t len)
{
	return strata_deploy_put(ctx, chunk, stored, len);
}

/* The hook: a receiver over the need list; every other data chunk arrives, chunk 3 once
 * forged and never clean; then the list shrinks to what is left. */
static int between(void *ctx, struct strata_deploy *d, uint64_t *need, uint64_t *n_need)
{
	struct ml_session s = session();
	struct strata_mc_rx rx = { .idx = d->idx, .part = 2, .frag_size = FS, .deliver = put,
				   .ctx = d };
	uint8_t pkt[STRATA_MC_DGRAM_MAX];
	uint64_t k = 0;

	memcpy(rx.session, s.session, sizeof(rx.session));
	CHECK_EQ(strata_mc_rx_init(&rx, need, *n_need), 0);
	CHECK_EQ(rx.need_count, *n_need);
	for (uint64_t i = 0; i < CHUNKS; i++) {
		if (!frags(i) || k++ % 2)
			continue;
		for (uint32_t f = 0; f < frags(i); f++) {
			size_t len = ml_datagram(&layer, &s, i, f, pkt);

			if (i == 3)
				pkt[len - 1] ^= 1;
			CHECK_EQ(strata_mc_rx_datagram(&rx, pkt, len), 0);
		}
	}
	strata_mc_rx_compact(&rx, need, n_need);
	CHECK_EQ(*n_need, rx.need_count);
	*(uint64_t *)ctx = rx.st.bytes_ok;
	strata_mc_rx_done(&rx);
	return 0;
}

static void test_engine(void)
{
	struct mem t = { .size = CHUNKS << SHIFT };
	uint64_t bytes_mc = 0, by_fetch = 0, fetched = 0;
	struct strata_deploy d = { .idx = &layer.idx, .target = &mem_ops, .target_ctx = &t,
				   .block_size = 512, .source = &src_ops, .source_ctx = &t,
				   .hook_ctx = &bytes_mc, .between = between };
	struct strata_chunk c;

	t.bytes = ml_alloc(t.size);
	CHECK_EQ(strata_deploy_run(&d), 0);
	CHECK(memcmp(t.bytes, layer.image, layer.size) == 0);
	for (uint64_t i = 0; i < CHUNKS; i++) {
		strata_index_chunk(&layer.idx, i, &c);
		if (t.fetched[i])
			by_fetch += c.stored_size;
		fetched += t.fetched[i];
		CHECK_MSG(t.fetched[i] <= 1, "chunk %llu fetched twice", (unsigned long long)i);
	}
	CHECK(t.fetched[3] == 1);                        /* forged: rejected, then fetched */
	CHECK_EQ(fetched, data_chunks() / 2 + 1);
	CHECK_EQ(d.st.chunks_rejected, 1);
	CHECK_EQ(d.st.chunks_failed, 0);
	CHECK_EQ(d.st.chunks_fetched, data_chunks());
	CHECK(bytes_mc > 0 && d.st.bytes_put == bytes_mc && d.st.bytes_fetched == by_fetch);
	/* a chunk without a store file, or past the layer, is not put */
	CHECK_EQ(strata_deploy_init(&d), 0);
	CHECK_EQ(strata_deploy_put(&d, 0, layer.file[1], 1), STRATA_EINVAL);
	CHECK_EQ(strata_deploy_put(&d, CHUNKS, layer.file[1], 1), STRATA_EINVAL);
	strata_index_chunk(&layer.idx, 1, &c);
	CHECK_EQ(strata_deploy_put(&d, 1, layer.file[1], c.stored_size - 1), STRATA_ECORRUPT);
	CHECK(d.st.chunks_rejected == 1 && d.st.chunks_failed == 0);
	CHECK_EQ(strata_deploy_put(&d, 1, layer.file[1], c.stored_size), 0);
	CHECK(d.st.chunks_fetched == 1 && d.st.bytes_put == c.stored_size);
	strata_deploy_done(&d);
	free(t.bytes);
}

/* The layer's index and store files again, after its image was edited. */
static void reindex(void)
{
	for (uint64_t i = 0; i < CHUNKS; i++)
		free(layer.file[i]);
	free(layer.file);
	free(layer.index_buf);
	ml_index(&layer);
}

/* The tests' layer: ml_build's, with each compressible chunk's first byte its index, so
 * no chunk repeats another (ml_fill's repeat every third compressible chunk). */
static void build_unique(void)
{
	ml_build(&layer, CHUNKS * (1u << SHIFT) - 100, SHIFT, 7);
	for (uint64_t i = 1; i < CHUNKS; i += 4)
		layer.image[i << SHIFT] = (uint8_t)i;
	reindex();
}

/* The layer rebuilt with chunk 2's bytes (random, stored raw) at 6, 10 and 14 too. */
static void build_repeats(void)
{
	uint32_t cs = 1u << SHIFT;

	ml_free(&layer);
	build_unique();
	for (unsigned int k = 6; k <= 14; k += 4)
		memcpy(layer.image + (size_t)k * cs, layer.image + 2 * cs, cs);
	reindex();
}

/* Every fragment of chunk i into rx; forged: the last one's last byte flipped. */
static void send_chunk(struct strata_mc_rx *rx, struct ml_session *s, uint64_t i, int forged)
{
	uint8_t pkt[STRATA_MC_DGRAM_MAX];

	for (uint32_t f = 0; f < frags(i); f++) {
		size_t len = ml_datagram(&layer, s, i, f, pkt);

		if (forged && f + 1 == frags(i))
			pkt[len - 1] ^= 1;
		CHECK_EQ(strata_mc_rx_datagram(rx, pkt, len), 0);
	}
}

/* A layer with repeats: the digest's store bytes counted once in need_bytes; a forged
 * store file for chunk 2 clears none of 2, 6, 10, 14; the clean one clears all four, each
 * verified by deliver; a datagram for chunk 10 (not needed) fills 6 and 14 (needed). */
static void test_repeats(void)
{
	struct ml_session s = session();
	struct strata_mc_rx rx;
	struct strata_chunk c2, c3;
	struct sink sk;
	uint64_t some[3] = { 3, 6, 14 }, bytes;

	build_repeats();
	strata_index_chunk(&layer.idx, 2, &c2);
	strata_index_chunk(&layer.idx, 3, &c3);
	CHECK(!(c2.flags & STRATA_ENTRY_NOFILE) && c2.stored_size == 1u << SHIFT);
	rx_open(&rx, &sk, 0);
	bytes = rx.need_bytes;
	CHECK_EQ(rx.need_count, data_chunks());
	send_chunk(&rx, &s, 2, 1);
	CHECK(rx.st.chunks_rejected == 1 && rx.st.chunks_ok == 0 && sk.corrupt == 1);
	CHECK(strata_mc_rx_needs(&rx, 2) && strata_mc_rx_needs(&rx, 6) &&
	      strata_mc_rx_needs(&rx, 10) && strata_mc_rx_needs(&rx, 14));
	send_chunk(&rx, &s, 2, 0);
	CHECK(sk.got[2] == 1 && sk.got[6] == 1 && sk.got[10] == 1 && sk.got[14] == 1);
	CHECK(!strata_mc_rx_needs(&rx, 6) && !strata_mc_rx_needs(&rx, 10) &&
	      !strata_mc_rx_needs(&rx, 14));
	CHECK(rx.st.chunks_ok == 4 && rx.st.repeats == 3 && rx.st.bytes_ok == c2.stored_size);
	CHECK_EQ(rx.need_count, data_chunks() - 4);
	rx_close(&rx, &sk);
	/* the whole layer's need_bytes has the repeated store file once */
	rx_open(&rx, &sk, 0);
	for (uint64_t i = 0; i < CHUNKS; i++)
		send_chunk(&rx, &s, i, 0);
	CHECK(rx.need_count == 0 && rx.st.bytes_ok == bytes && rx.st.repeats == 3);
	rx_close(&rx, &sk);
	/* chunk 10's datagrams for a receiver needing 3, 6 and 14 */
	memset(&sk, 0, sizeof(sk));
	sk.out = ml_alloc(1u << SHIFT);
	rx.ctx = &sk;
	CHECK_EQ(strata_mc_rx_init(&rx, some, 3), 0);
	CHECK_EQ(rx.need_bytes, c2.stored_size + c3.stored_size);
	send_chunk(&rx, &s, 10, 0);
	CHECK(sk.got[6] == 1 && sk.got[14] == 1 && sk.got[10] == 0 && rx.need_count == 1);
	CHECK(rx.st.ignored_have == 0 && rx.st.bad == 0);
	send_chunk(&rx, &s, 11, 0);
	CHECK(rx.st.ignored_have == frags(11) && rx.need_count == 1);
	rx_close(&rx, &sk);
}

/* One digest's fragments sent under two chunks the receiver both needs (2 and 6: half
 * under each, as two carousel passes may) meet in one slot: the store file completes
 * once, and every needed chunk of the digest is filled. */
static void test_repeats_one_slot(void)
{
	struct ml_session s = session();
	struct strata_mc_rx rx;
	struct sink sk;

	build_repeats();
	CHECK(frags(2) >= 2);
	rx_open(&rx, &sk, 0);
	for (uint32_t f = 0; f < frags(2); f++)
		CHECK_EQ(send(&rx, &s, f % 2 ? 6 : 2, f), 0);
	CHECK(sk.got[2] == 1 && sk.got[6] == 1 && sk.got[10] == 1 && sk.got[14] == 1);
	CHECK(rx.st.chunks_ok == 4 && rx.st.dup == 0 && rx.st.evicted == 0);
	rx_close(&rx, &sk);
}

/* A needed chunk's datagrams are taken as named, without the digest table (by_digest
 * stays 0); a chunk not needed whose twin is needed is taken for the twin through the
 * table; and one digest's fragments sent across three passes under three of its chunks
 * (6 and 14 needed, 10 not) meet in one slot and complete both. */
static void test_direct_and_twins(void)
{
	struct ml_session s = session();
	uint64_t pair[2] = { 6, 14 };
	struct strata_mc_rx rx;
	struct sink sk;
	uint32_t via10 = 0;

	build_repeats();
	CHECK(frags(2) >= 3);
	rx_open(&rx, &sk, 0);
	send_chunk(&rx, &s, 3, 0);
	send_chunk(&rx, &s, 6, 0);
	CHECK(sk.got[3] == 1 && sk.got[2] == 1 && sk.got[6] == 1 && sk.got[14] == 1);
	CHECK(rx.st.by_digest == 0 && rx.st.chunks_ok == 5);
	rx_close(&rx, &sk);
	rx_open(&rx, &sk, 0);
	strata_mc_rx_done(&rx);
	CHECK_EQ(strata_mc_rx_init(&rx, pair, 2), 0);
	for (uint32_t pass = 0; pass < 3; pass++)
		for (uint32_t f = pass; f < frags(2); f += 3) {
			CHECK_EQ(send(&rx, &s, pass == 0 ? 6 : pass == 1 ? 10 : 14, f), 0);
			via10 += pass == 1;
		}
	CHECK(sk.got[6] == 1 && sk.got[14] == 1 && sk.got[10] == 0 && rx.need_count == 0);
	CHECK(rx.st.by_digest == via10 && rx.st.chunks_ok == 2 && rx.st.repeats == 1);
	CHECK(rx.st.dup == 0 && rx.st.evicted == 0 && rx.st.ignored_have == 0);
	rx_close(&rx, &sk);
}

/** Counts of an engine-backed receiver's calls. */
struct counted {
	struct strata_deploy *d;
	unsigned int puts[CHUNKS];    /**< store files decoded, per chunk */
	unsigned int sames[CHUNKS];   /**< written from a decoded repeat, per chunk */
};

static int counted_put(void *ctx, uint64_t chunk, const uint8_t *stored, size_t len)
{
	struct counted *k = ctx;

	k->puts[chunk]++;
	return strata_deploy_put(k->d, chunk, stored, len);
}

static int counted_same(void *ctx, uint64_t first, uint64_t chunk)
{
	struct counted *k = ctx;
	int rc = strata_deploy_put_same(k->d, first, chunk);

	k->sames[chunk] += rc == 0;
	return rc;
}

/* A repeated chunk by multicast into the engine: its store file (sent under 10) is
 * decoded once and 2, 6, 10 and 14 are all right on the target, counted as put; strata_deploy_put_same
 * refuses (1, nothing written) bytes that are not its chunk's, and a receiver without
 * repeat decodes every copy. */
static void test_engine_repeats(void)
{
	struct mem t = { .size = CHUNKS << SHIFT };
	struct strata_deploy d = { .idx = &layer.idx, .target = &mem_ops, .target_ctx = &t,
				   .block_size = 512, .source = &src_ops, .source_ctx = &t };
	struct ml_session s = session();
	struct counted k = { .d = &d };
	struct strata_mc_rx rx = { .idx = &layer.idx, .part = 2, .frag_size = FS,
				   .deliver = counted_put, .repeat = counted_same, .ctx = &k };
	uint64_t need[4] = { 2, 6, 10, 14 };
	const size_t cs = 1u << SHIFT;
	struct strata_chunk c2, c3;

	build_repeats();
	strata_index_chunk(&layer.idx, 2, &c2);
	strata_index_chunk(&layer.idx, 3, &c3);
	t.bytes = ml_alloc(t.size);
	memcpy(rx.session, s.session, sizeof(rx.session));
	CHECK_EQ(strata_deploy_init(&d), 0);
	CHECK_EQ(strata_mc_rx_init(&rx, need, 4), 0);
	send_chunk(&rx, &s, 10, 0);
	CHECK(k.puts[10] == 1 && k.puts[2] + k.puts[6] + k.puts[14] == 0);
	CHECK(k.sames[2] == 1 && k.sames[6] == 1 && k.sames[14] == 1 && rx.need_count == 0);
	for (unsigned int i = 0; i < 4; i++)
		CHECK(memcmp(t.bytes + need[i] * cs, layer.image + 2 * cs, cs) == 0);
	CHECK(d.st.chunks_fetched == 4 && d.st.bytes_put == 4 * (uint64_t)c2.stored_size);
	CHECK(rx.st.chunks_ok == 4 && rx.st.repeats == 3);
	/* the engine's buffer holds chunk 3's bytes: not chunk 6's */
	memset(t.bytes + 6 * cs, 0, cs);
	CHECK_EQ(strata_deploy_put(&d, 3, layer.file[3], c3.stored_size), 0);
	CHECK_EQ(strata_deploy_put_same(&d, 3, 6), 1);
	CHECK_EQ(strata_deploy_put_same(&d, 3, CHUNKS), STRATA_EINVAL);
	CHECK(t.bytes[6 * cs] == 0 && d.st.chunks_fetched == 5);
	strata_mc_rx_done(&rx);
	/* without repeat, every copy is decoded */
	memset(&k.puts, 0, sizeof(k.puts));
	rx.repeat = NULL;
	CHECK_EQ(strata_mc_rx_init(&rx, need, 4), 0);
	send_chunk(&rx, &s, 2, 0);
	CHECK(k.puts[2] == 1 && k.puts[6] == 1 && k.puts[10] == 1 && k.puts[14] == 1);
	CHECK(memcmp(t.bytes + 6 * cs, layer.image + 2 * cs, cs) == 0);
	strata_mc_rx_done(&rx);
	strata_deploy_done(&d);
	free(t.bytes);
}

/* The bytes the sanitizer's allocator holds now (every unit test runs under ASan). */
size_t __sanitizer_get_current_allocated_bytes(void);

/* A layer of 2^18 chunks, 3 of them needed: what init allocates is the need bitmap (one
 * bit a chunk), the slots and a few words per needed chunk, not a word per chunk of the
 * layer (2 MiB here; 256 MiB of firmware pool for 2 TiB in 64 KiB chunks). */
static void test_memory_by_need(void)
{
	const uint64_t count = 1u << 18;
	struct strata_mc_rx rx = { .part = 2, .frag_size = FS, .deliver = deliver };
	uint8_t *entries = calloc(count, 40), *buf;
	uint64_t need[3] = { 5, 700, count - 1 };
	struct strata_index idx;
	struct strata_diag diag = { 0 };
	struct strata_chunk c;
	size_t len, before, used;

	for (uint64_t i = 0; i < count; i++) {
		int data = i == need[0] || i == need[1] || i == need[2];

		c = (struct strata_chunk){ .flags = data ? 0 : STRATA_ENTRY_FREE,
					   .stored_size = data ? 1u << SHIFT : 0 };
		c.digest[0] = (uint8_t)(i + 1);
		c.digest[1] = (uint8_t)((i + 1) >> 8);
		c.digest[2] = 0xaa;
		strata_index_entry_encode(entries + i * 40, &c);
	}
	CHECK_EQ(strata_index_encode(NULL, &len, entries, count << SHIFT, SHIFT, 0), 0);
	buf = malloc(len);
	CHECK_EQ(strata_index_encode(buf, &len, entries, count << SHIFT, SHIFT, 0), 0);
	CHECK_EQ(strata_index_parse(&idx, buf, len, &diag), 0);
	CHECK_MSG(diag.msg == NULL, "%s at %llu", diag.msg, (unsigned long long)diag.where);
	rx.idx = &idx;
	before = __sanitizer_get_current_allocated_bytes();
	CHECK_EQ(strata_mc_rx_init(&rx, need, 3), 0);
	used = __sanitizer_get_current_allocated_bytes() - before;
	CHECK_MSG(used < count / 8 + STRATA_MC_SLOTS * (1u << SHIFT) + 4096, "%zu bytes", used);
	CHECK_EQ(rx.need_count, 3);
	strata_mc_rx_done(&rx);
	free(buf);
	free(entries);
}

/* 64 KiB chunks in fragments of 1432 (a raw chunk is 46, the last 1096 bytes), sent in
 * reverse, one fragment of each chunk at a time: all 8 slots in use, nothing evicted. */
static void test_large_chunks(void)
{
	struct strata_mc_rx rx = { .idx = &layer.idx, .part = 2, .frag_size = 1432,
				   .deliver = deliver };
	struct ml_session s = session();
	struct strata_chunk c;
	struct sink sk = { 0 };
	uint64_t need[8];
	uint32_t n[8] = { 0 };

	ml_free(&layer);
	ml_build(&layer, 8 << 16, 16, 3);
	sk.out = ml_alloc(1u << 16);
	rx.ctx = &sk;
	s.frag_size = 1432;
	memcpy(rx.session, s.session, sizeof(rx.session));
	for (uint64_t i = 0; i < 8; i++) {
		need[i] = i;
		strata_index_chunk(&layer.idx, i, &c);
		n[i] = c.stored_size ? strata_mc_data_frags(c.stored_size, 1432) : 0;
	}
	CHECK(n[2] == 46 && n[0] == 0 && n[1] >= 1);
	CHECK_EQ(strata_mc_payload_len(65536, 1432, 0, 45), 1096);
	CHECK_EQ(strata_mc_rx_init(&rx, need, 8), 0);
	for (uint32_t f = 46; f-- > 0;)
		for (uint64_t i = 8; i-- > 0;)
			if (f < n[i])
				CHECK_EQ(send(&rx, &s, i, f), 0);
	for (uint64_t i = 0; i < 8; i++)
		CHECK_MSG(sk.got[i] == (n[i] > 0), "chunk %llu", (unsigned long long)i);
	CHECK(rx.need_count == 0 && rx.st.evicted == 0 && rx.st.bad == 0);
	strata_mc_rx_done(&rx);
	free(sk.out);
}

int main(void)
{
	build_unique();
	RUN(test_in_order);
	RUN(test_reversed_and_duplicated);
	RUN(test_missing_and_forged);
	RUN(test_refused);
	RUN(test_evict);
	RUN(test_parity_and_failure);
	RUN(test_seq);
	RUN(test_status);
	RUN(test_init);
	RUN(test_engine);
	RUN(test_repeats);
	RUN(test_repeats_one_slot);
	RUN(test_direct_and_twins);
	RUN(test_engine_repeats);
	RUN(test_memory_by_need);
	RUN(test_large_chunks);
	ml_free(&layer);
	return harness_summary();
}
