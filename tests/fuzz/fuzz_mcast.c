/*
 * libFuzzer target for the multicast datagram and its reassembly (images/core/mcast.c,
 * mcast_rx.c): what strata.efi reads off a group any lab PC can send to.
 *
 * Input: one byte choosing the session's parity m (mod 9), then datagrams, each a le16
 * length and that many bytes (cut at the end of the input).  Each goes to
 * strata_mc_parse and to a receiver of part 1 of a fixed 16-chunk layer
 * (tests/unit/test_mcast_layer.h: zero, zlib and raw chunks of 4 KiB, F = 512) whose
 * deliver runs the core's strata_chunk_decode, as the deploy engine does (and whose
 * repeat takes even chunks, leaving odd ones to deliver).  Invariants: an accepted
 * datagram re-encodes to exactly its bytes; deliver and repeat get only needed chunks,
 * each once, deliver with the index's store file size, repeat a chunk of the digest just
 * delivered; a chunk that verifies equals the image; the
 * need count plus the chunks delivered stays the data chunks' count.  A broken invariant
 * aborts.
 *
 * Run:  cp -r tests/fuzz/corpus/mcast /tmp/mc-corpus
 *       build/fuzz/fuzz_mcast -max_total_time=60 -artifact_prefix=/tmp/ /tmp/mc-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mcast_rx.h"
#include "../unit/test_mcast_layer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { if (!(cond)) abort(); } while (0)

#define CHUNKS 16
#define SHIFT 12

/** The session the seeds were made for (tests/fuzz/corpus/mcast). */
static const uint8_t fuzz_session[8] = { 'f', 'u', 'z', 'z', 's', 'e', 's', 's' };

static struct ml layer;
static unsigned int delivered[CHUNKS];
static uint8_t out[1u << SHIFT];

static int deliver(void *ctx, uint64_t chunk, const uint8_t *stored, size_t len)
{
	struct strata_mc_rx *rx = ctx;
	struct strata_chunk c;

	REQUIRE(chunk < CHUNKS && strata_mc_rx_needs(rx, chunk) && delivered[chunk] == 0);
	strata_index_chunk(&layer.idx, chunk, &c);
	REQUIRE(len == c.stored_size && !(c.flags & STRATA_ENTRY_NOFILE));
	if (strata_chunk_decode(&c, stored, len, out, NULL))
		return STRATA_ECORRUPT;
	REQUIRE(memcmp(out, layer.image + c.offset, c.length) == 0);
	delivered[chunk]++;
	return 0;
}

/* rx's repeat: chunk repeats first, just delivered, by digest; an odd chunk says it
 * cannot (so its store file goes to deliver), an even one is taken as written. */
static int repeat(void *ctx, uint64_t first, uint64_t chunk)
{
	struct strata_mc_rx *rx = ctx;
	struct strata_chunk a, b;

	REQUIRE(chunk < CHUNKS && first < CHUNKS && chunk != first && delivered[first] == 1);
	REQUIRE(strata_mc_rx_needs(rx, chunk) && delivered[chunk] == 0);
	strata_index_chunk(&layer.idx, first, &a);
	strata_index_chunk(&layer.idx, chunk, &b);
	REQUIRE(memcmp(a.digest, b.digest, 32) == 0 && a.length == b.length);
	if (chunk % 2)
		return 1;
	delivered[chunk]++;
	return 0;
}

/* An accepted datagram is canonical: the writer gives back its bytes. */
static void check_parse(const uint8_t *p, size_t len)
{
	uint8_t again[STRATA_MC_DGRAM_MAX];
	struct strata_mc_frag f;
	struct strata_diag d = { 0 };

	if (strata_mc_parse(p, len, &f, &d)) {
		REQUIRE(d.msg != NULL && d.where <= len);
		return;
	}
	REQUIRE(f.payload == p + STRATA_MC_HDR && f.payload_len <= f.frag_size);
	REQUIRE(strata_mc_encode(again, &f) == len && memcmp(again, p, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t need[CHUNKS], initial;
	struct strata_mc_rx rx = { .idx = &layer.idx, .part = 1, .frag_size = 512,
				   .deliver = deliver, .repeat = repeat };
	size_t off = 1;

	if (!layer.image)
		ml_build(&layer, CHUNKS * (1u << SHIFT) - 100, SHIFT, 7);
	if (size == 0)
		return 0;
	memcpy(rx.session, fuzz_session, sizeof(rx.session));
	rx.parity = data[0] % (STRATA_MC_PARITY_MAX + 1);
	rx.ctx = &rx;
	memset(delivered, 0, sizeof(delivered));
	for (uint64_t i = 0; i < CHUNKS; i++)
		need[i] = i;
	REQUIRE(strata_mc_rx_init(&rx, need, CHUNKS) == 0);
	initial = rx.need_count;
	while (off + 2 <= size) {
		size_t len = (size_t)(data[off] | data[off + 1] << 8);

		off += 2;
		len = len < size - off ? len : size - off;
		check_parse(data + off, len);
		REQUIRE(strata_mc_rx_datagram(&rx, data + off, len) == 0);
		REQUIRE(rx.need_count + rx.st.chunks_ok == initial);
		off += len;
	}
	strata_mc_rx_done(&rx);
	return 0;
}
