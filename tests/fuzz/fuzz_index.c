/*
 * libFuzzer target for the layer index parser (images/core/index.c), versions 1, 2 and 3.
 *
 * Why: an index is the first untrusted file strata.efi and the server read, and the rest
 * of the code trusts whatever strata_index_parse accepts.  Each input is parsed; when it is
 * accepted, every chunk is decoded with strata_index_chunk and checked against the rules
 * in format.h, and the index is re-encoded and compared byte for byte (an accepted index
 * must be canonical: entry by entry for version 1, through strata_index_encode_as in its
 * own version for versions 2 and 3).  A version 2 or 3 index may describe 2^38 chunks in
 * one run: then only its first and last CHECK_MAX chunks are checked.  When it is rejected, the rc and diag must be well formed.
 * A broken invariant aborts, which libFuzzer reports as a crash.
 *
 * Run:  cp -r tests/fuzz/corpus/index /tmp/idx-corpus
 *       build/fuzz/fuzz_index -max_total_time=60 -artifact_prefix=/tmp/ /tmp/idx-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { if (!(cond)) abort(); } while (0)

static const uint8_t zero_digest[32];

#define CHECK_MAX 65536u

static void check_header(const struct strata_index *idx, const uint8_t *data, size_t size)
{
	uint8_t h[64];

	REQUIRE(idx->chunk_shift >= STRATA_CHUNK_SHIFT_MIN);
	REQUIRE(idx->chunk_shift <= STRATA_CHUNK_SHIFT_MAX);
	REQUIRE(idx->chunk_size == 1u << idx->chunk_shift);
	REQUIRE(idx->image_size >= 1 && idx->image_size <= STRATA_IMAGE_SIZE_MAX);
	REQUIRE(idx->chunk_count == strata_chunk_count(idx->image_size, idx->chunk_shift));
	REQUIRE(idx->run_count <= idx->chunk_count);
	REQUIRE(idx->entries == data + 64 + idx->run_count * 24);
	REQUIRE(idx->entry_size == strata_index_entry_size(idx->version, idx->chunk_shift));
	if (idx->version == STRATA_INDEX_VERSION_V1) {
		REQUIRE(idx->run_count == 0 && idx->flags == 0);
		REQUIRE(strata_index_size(idx->chunk_count) == size);
		REQUIRE(strata_index_header_encode(h, idx->image_size, idx->chunk_shift) == 0);
		REQUIRE(memcmp(h, data, 64) == 0);
	} else {
		REQUIRE(idx->version == STRATA_INDEX_VERSION ||
			idx->version == STRATA_INDEX_VERSION_V2);
		REQUIRE((idx->flags & ~STRATA_INDEX_KNOWN) == 0);
	}
}

/* Chunk i obeys the rules of its class; its per-chunk entry goes to e (40 bytes). */
static void check_chunk(const struct strata_index *idx, uint64_t i, uint8_t *e)
{
	struct strata_chunk c;
	int last = i + 1 == idx->chunk_count;

	strata_index_chunk(idx, i, &c);
	REQUIRE(c.index == i && c.offset == i << idx->chunk_shift);
	REQUIRE(c.length >= 1 && c.length <= idx->chunk_size);
	REQUIRE(last ? c.offset + c.length == idx->image_size : c.length == idx->chunk_size);
	REQUIRE((c.flags & ~(STRATA_ENTRY_KNOWN | STRATA_ENTRY_FREE)) == 0);
	if (c.flags & STRATA_ENTRY_NOFILE) {
		REQUIRE(c.flags == STRATA_ENTRY_ZERO || c.flags == STRATA_ENTRY_FREE);
		REQUIRE(idx->version != STRATA_INDEX_VERSION_V1 || c.flags == STRATA_ENTRY_ZERO);
		REQUIRE(c.stored_size == 0 && memcmp(c.digest, zero_digest, 32) == 0);
	} else {
		REQUIRE(c.stored_size >= 1 && c.stored_size <= c.length);
		REQUIRE(!!(c.flags & STRATA_ENTRY_ZLIB) == (c.stored_size < c.length));
		REQUIRE(memcmp(c.digest, zero_digest, 32) != 0);
	}
	strata_index_entry_encode(e, &c);
}

/* Versions 2 and 3: decode every chunk and encode them again in the input's version; the
 * bytes must be the input's. */
static void check_runs(const struct strata_index *idx, const uint8_t *data, size_t size)
{
	uint8_t *e = malloc(idx->chunk_count * 40), *again;
	size_t n;

	REQUIRE(e != NULL);
	for (uint64_t i = 0; i < idx->chunk_count; i++)
		check_chunk(idx, i, e + i * 40);
	REQUIRE(strata_index_encode_as(idx->version, NULL, &n, e, idx->image_size,
				       idx->chunk_shift, idx->flags) == 0);
	REQUIRE(n == size);
	again = malloc(n);
	REQUIRE(again != NULL);
	REQUIRE(strata_index_encode_as(idx->version, again, &n, e, idx->image_size,
				       idx->chunk_shift, idx->flags) == 0);
	REQUIRE(memcmp(again, data, size) == 0);
	free(again);
	free(e);
}

/* A version 2 or 3 index too large to re-encode: check the chunks at both ends. */
static void check_ends(const struct strata_index *idx)
{
	uint8_t e[40];

	for (uint64_t i = 0; i < CHECK_MAX; i++) {
		check_chunk(idx, i, e);
		check_chunk(idx, idx->chunk_count - 1 - i, e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strata_index idx;
	struct strata_diag diag = { NULL, 0 };
	int rc = strata_index_parse(&idx, data, size, &diag);

	if (rc != 0) {
		REQUIRE(rc >= STRATA_ENOTSUP && rc <= STRATA_EINVAL);
		REQUIRE(diag.msg != NULL && diag.msg[0] != '\0');
		REQUIRE(diag.where <= size);
		return 0;
	}
	check_header(&idx, data, size);
	if (idx.version == STRATA_INDEX_VERSION_V1) {
		uint8_t e[40];

		for (uint64_t i = 0; i < idx.chunk_count; i++) {
			check_chunk(&idx, i, e);
			REQUIRE(memcmp(e, data + 64 + i * 40, 40) == 0);
		}
	} else if (idx.chunk_count <= 2 * CHECK_MAX) {
		check_runs(&idx, data, size);
	} else {
		check_ends(&idx);
	}
	return 0;
}
