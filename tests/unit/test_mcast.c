/*
 * Unit tests for the multicast fragment datagram (images/core/mcast.c): the fragment
 * arithmetic at the edges of the format, round trips through the writer and the parser,
 * every refusal with its rc and the offset it names, truncation at every length, and the
 * session id against a value computed with python3's hashlib:
 *
 *     hashlib.sha256(b'strata-mc-v1' + bytes([3]) + b'lab' + bytes([239,255,83,1]) +
 *                    struct.pack('<H', 5083) + bytes([2]) + bytes([0x11]*32) +
 *                    bytes([3]) + bytes([0x22]*32)).hexdigest()[:16]
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "le.h"
#include "mcast.h"

static const uint8_t sess[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* A valid data fragment f of a store file of stored bytes; payload from bytes. */
static struct strata_mc_frag frag_of(uint32_t stored, uint16_t fs, uint8_t m, uint16_t frag,
				     const uint8_t *bytes)
{
	struct strata_mc_frag f = { .part = 2, .parity = m, .seq = 77, .cycle = 3,
				    .chunk = 12345, .stored_size = stored, .frag = frag,
				    .frag_size = fs };

	memcpy(f.session, sess, 8);
	f.type = frag < strata_mc_data_frags(stored, fs) ? STRATA_MC_DATA : STRATA_MC_PARITY;
	f.payload_len = strata_mc_payload_len(stored, fs, m, frag);
	f.payload = bytes;
	return f;
}

static void test_arithmetic(void)
{
	static const uint32_t sizes[] = { 1, 511, 512, 513, 1432, 1433, 65536, 4u << 20 };
	static const uint16_t fss[] = { 512, 1000, 1432 };

	for (size_t a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++)
		for (size_t b = 0; b < sizeof(fss) / sizeof(fss[0]); b++)
			for (uint8_t m = 0; m <= STRATA_MC_PARITY_MAX; m++) {
				uint32_t s = sizes[a], n = strata_mc_data_frags(s, fss[b]);
				uint32_t total = strata_mc_frag_count(s, fss[b], m);
				uint64_t sum = 0;

				CHECK_MSG(n == (s + fss[b] - 1) / fss[b], "S %u F %u", s, fss[b]);
				CHECK(total == n + (n + 31) / 32 * m);
				CHECK(total < 65535);
				for (uint32_t f = 0; f < n; f++)
					sum += strata_mc_payload_len(s, fss[b], m, f);
				CHECK_MSG(sum == s, "S %u F %u m %u", s, fss[b], m);
				CHECK(strata_mc_payload_len(s, fss[b], m, n - 1) ==
				      s - (n - 1) * fss[b]);
				if (m)
					CHECK(strata_mc_payload_len(s, fss[b], m, total - 1) == fss[b]);
				CHECK(strata_mc_payload_len(s, fss[b], m, total) == 0);
			}
	CHECK_EQ(strata_mc_frag_count(4u << 20, 512, 8), 8192 + 256 * 8);
	CHECK_EQ(strata_mc_blocks(32), 1);
	CHECK_EQ(strata_mc_blocks(33), 2);
}

static void test_round_trip(void)
{
	uint8_t bytes[STRATA_MC_PAYLOAD_MAX], pkt[STRATA_MC_DGRAM_MAX];
	struct strata_mc_frag f, g;
	struct strata_diag d = { 0 };
	size_t len;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7);
	for (uint16_t frag = 0; frag < 6; frag++) {
		/* 3000 bytes at F 1432: data 0, 1 (full), 2 (136 bytes); parity 3, 4 (m 2) */
		f = frag_of(3000, 1432, 2, frag, bytes);
		len = strata_mc_encode(pkt, &f);
		if (frag == 5) {
			CHECK(len == 0);                /* past the fragments */
			continue;
		}
		CHECK_EQ(len, 40 + f.payload_len);
		CHECK_EQ(strata_mc_parse(pkt, len, &g, &d), 0);
		CHECK(g.type == f.type && g.part == 2 && g.parity == 2 && g.seq == 77 &&
		      g.cycle == 3 && g.chunk == 12345 && g.stored_size == 3000 &&
		      g.frag == frag && g.frag_size == 1432);
		CHECK(memcmp(g.session, sess, 8) == 0);
		CHECK(g.payload == pkt + 40 && g.payload_len == f.payload_len);
		CHECK(memcmp(g.payload, bytes, g.payload_len) == 0);
	}
	f = frag_of(3000, 1432, 2, 2, bytes);
	f.part = 128;                                   /* the highest partition number */
	len = strata_mc_encode(pkt, &f);
	CHECK(len == 40 + 136 && strata_mc_parse(pkt, len, &g, &d) == 0 && g.part == 128);
	CHECK_EQ(frag_of(3000, 1432, 2, 2, bytes).payload_len, 136);
	CHECK_EQ(frag_of(3000, 1432, 2, 3, bytes).type, STRATA_MC_PARITY);
	/* the layout, byte by byte, for the other implementations */
	f = frag_of(3000, 1432, 2, 1, bytes);
	len = strata_mc_encode(pkt, &f);
	CHECK(memcmp(pkt, "STMC\x01\x01\x02\x02", 8) == 0);
	CHECK(le32_get(pkt + 16) == 77 && le32_get(pkt + 20) == 3);
	CHECK(le64_get(pkt + 24) == 12345 && le32_get(pkt + 32) == 3000);
	CHECK(le16_get(pkt + 36) == 1 && le16_get(pkt + 38) == 1432);
}

/* Parse pkt[0..len) and check the rc and the offset named. */
static void refused(const uint8_t *pkt, size_t len, int rc, uint64_t where, const char *what)
{
	struct strata_mc_frag g;
	struct strata_diag d = { 0 };
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, pkt, len);
	CHECK_MSG(strata_mc_parse(copy, len, &g, &d) == rc, "%s", what);
	CHECK_MSG(d.msg && d.where == where, "%s: where %llu", what, (unsigned long long)d.where);
	free(copy);
}

/* A valid 40 + 1432-byte datagram (data fragment 0 of 3000 bytes, m 1) into pkt. */
static size_t good(uint8_t *pkt)
{
	static const uint8_t bytes[STRATA_MC_PAYLOAD_MAX];
	struct strata_mc_frag f = frag_of(3000, 1432, 1, 0, bytes);

	return strata_mc_encode(pkt, &f);
}

static void test_refusals(void)
{
	uint8_t p[STRATA_MC_DGRAM_MAX + 1];
	size_t len = good(p);
	struct { size_t off; unsigned int width; uint64_t v; int rc; uint64_t where;
		 const char *what; } cases[] = {
		{ 0, 1, 'X', STRATA_EINVAL, 0, "magic" },
		{ 4, 1, 2, STRATA_ENOTSUP, 4, "version 2" },
		{ 4, 1, 0, STRATA_ENOTSUP, 4, "version 0" },
		{ 5, 1, 0, STRATA_ERANGE, 5, "type 0" },
		{ 5, 1, 3, STRATA_ERANGE, 5, "type 3 (beacon, reserved)" },
		{ 5, 1, 255, STRATA_ERANGE, 5, "type 255" },
		{ 5, 1, STRATA_MC_PARITY, STRATA_ERANGE, 36, "parity type, data number" },
		{ 6, 1, 0, STRATA_ERANGE, 6, "part 0" },
		{ 6, 1, 129, STRATA_ERANGE, 6, "part 129" },
		{ 7, 1, 9, STRATA_ERANGE, 7, "m 9" },
		{ 24, 8, STRATA_MC_CHUNK_LIMIT, STRATA_ERANGE, 24, "chunk at the limit" },
		{ 24, 8, UINT64_MAX, STRATA_ERANGE, 24, "chunk 2^64 - 1" },
		{ 32, 4, 0, STRATA_ERANGE, 32, "S 0" },
		{ 32, 4, (4u << 20) + 1, STRATA_ERANGE, 32, "S 4 MiB + 1" },
		{ 38, 2, 511, STRATA_ERANGE, 38, "F 511" },
		{ 38, 2, 1433, STRATA_ERANGE, 38, "F 1433" },
		{ 36, 2, 4, STRATA_ERANGE, 36, "frag past n + B*m" },
		{ 36, 2, 3, STRATA_ERANGE, 36, "data type, parity number" },
		{ 36, 2, 65535, STRATA_ERANGE, 36, "frag 65535" },
		{ 32, 4, 1000, STRATA_ETRAIL, 1040, "S 1000: a shorter fragment" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint8_t q[sizeof(p)];

		memcpy(q, p, len);
		if (cases[k].width == 1)
			q[cases[k].off] = (uint8_t)cases[k].v;
		else if (cases[k].width == 2)
			le16_put(q + cases[k].off, (uint16_t)cases[k].v);
		else if (cases[k].width == 4)
			le32_put(q + cases[k].off, (uint32_t)cases[k].v);
		else
			le64_put(q + cases[k].off, cases[k].v);
		refused(q, len, cases[k].rc, cases[k].where, cases[k].what);
	}
	p[len] = 0;
	refused(p, len + 1, STRATA_ETRAIL, len, "a byte after the fragment");
	for (size_t l = 0; l < len; l++)
		refused(p, l, STRATA_ETRUNC, l, "cut");
}

static void test_encode_refuses(void)
{
	static const uint8_t bytes[STRATA_MC_PAYLOAD_MAX];
	uint8_t pkt[STRATA_MC_DGRAM_MAX];
	struct strata_mc_frag f = frag_of(3000, 1432, 0, 0, bytes);

	CHECK(strata_mc_encode(pkt, &f) == 40 + 1432);
	f.payload_len--;
	CHECK(strata_mc_encode(pkt, &f) == 0);          /* a length the parser refuses */
	f = frag_of(3000, 1432, 0, 0, bytes);
	f.part = 0;
	CHECK(strata_mc_encode(pkt, &f) == 0);
	f = frag_of(3000, 1432, 0, 0, bytes);
	f.frag_size = 1433;
	CHECK(strata_mc_encode(pkt, &f) == 0);
	f = frag_of(3000, 1432, 0, 3, bytes);           /* m 0: no parity fragment */
	CHECK(strata_mc_encode(pkt, &f) == 0);
	f = frag_of(3000, 1432, 0, 0, bytes);
	f.type = STRATA_MC_PARITY;
	CHECK(strata_mc_encode(pkt, &f) == 0);
}

static void test_session_id(void)
{
	static const uint8_t want[8] = { 0xea, 0xfd, 0xfe, 0x4b, 0xbd, 0xec, 0xf2, 0x83 };
	const uint8_t group[4] = { 239, 255, 83, 1 }, parts[2] = { 2, 3 }, back[2] = { 3, 2 };
	uint8_t layers[2][32], id[8], other[8];

	memset(layers[0], 0x11, 32);
	memset(layers[1], 0x22, 32);
	CHECK_EQ(strata_mc_session_id(id, "lab", 3, group, 5083, parts, layers, 2), 0);
	CHECK(memcmp(id, want, 8) == 0);
	layers[1][31] ^= 1;                             /* a new layer: a new session */
	CHECK_EQ(strata_mc_session_id(other, "lab", 3, group, 5083, parts, layers, 2), 0);
	CHECK(memcmp(id, other, 8) != 0);
	layers[1][31] ^= 1;
	CHECK_EQ(strata_mc_session_id(other, "lab", 3, group, 5084, parts, layers, 2), 0);
	CHECK(memcmp(id, other, 8) != 0);
	CHECK_EQ(strata_mc_session_id(other, "lab", 3, group, 5083, parts, layers, 1), 0);
	CHECK(memcmp(id, other, 8) != 0);
	CHECK_EQ(strata_mc_session_id(other, "lab", 3, group, 5083, back, layers, 2),
		 STRATA_EINVAL);
	CHECK_EQ(strata_mc_session_id(other, "lab", 0, group, 5083, parts, layers, 2),
		 STRATA_EINVAL);
	CHECK_EQ(strata_mc_session_id(other, "lab", 256, group, 5083, parts, layers, 2),
		 STRATA_EINVAL);
	CHECK_EQ(strata_mc_session_id(other, "lab", 3, group, 5083, parts, layers, 17),
		 STRATA_EINVAL);
}

int main(void)
{
	RUN(test_arithmetic);
	RUN(test_round_trip);
	RUN(test_refusals);
	RUN(test_encode_refuses);
	RUN(test_session_id);
	return harness_summary();
}
