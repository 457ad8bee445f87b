/*
 * libFuzzer target for the layer index parser (images/core/index.c).
 *
 * Why: an index is the first untrusted file strata.efi and the server read, and the rest
 * of the code trusts whatever strata_index_parse accepts.  Each input is parsed; when it is
 * accepted, every chunk is decoded with strata_index_chunk and checked against the rules
 * in format.h, and the index is re-encoded and compared byte for byte (an accepted index
 * must be canonical).  When it is rejected, the rc and diag must be well formed.  A broken
 * invariant aborts, which libFuzzer reports as a crash.
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

static void check_header(const struct strata_index *idx, const uint8_t *data, size_t size)
{
	uint8_t h[64];

	REQUIRE(idx->chunk_shift >= STRATA_CHUNK_SHIFT_MIN);
	REQUIRE(idx->chunk_shift <= STRATA_CHUNK_SHIFT_MAX);
	REQUIRE(idx->chunk_size == 1u << idx->chunk_shift);
	REQUIRE(idx->image_size >= 1 && idx->image_size <= STRATA_IMAGE_SIZE_MAX);
	REQUIRE(idx->chunk_count == strata_chunk_count(idx->image_size, idx->chunk_shift));
	REQUIRE(strata_index_size(idx->chunk_count) == size);
	REQUIRE(idx->entries == data + 64);
	REQUIRE(strata_index_header_encode(h, idx->image_size, idx->chunk_shift) == 0);
	REQUIRE(memcmp(h, data, 64) == 0);
}

static void check_chunk(const struct strata_index *idx, uint64_t i, const uint8_t *data)
{
	struct strata_chunk c;
	uint8_t e[40];
	int last = i + 1 == idx->chunk_count;

	strata_index_chunk(idx, i, &c);
	REQUIRE(c.index == i && c.offset == i << idx->chunk_shift);
	REQUIRE(c.length >= 1 && c.length <= idx->chunk_size);
	REQUIRE(last ? c.offset + c.length == idx->image_size : c.length == idx->chunk_size);
	REQUIRE((c.flags & ~STRATA_ENTRY_KNOWN) == 0);
	if (c.flags & STRATA_ENTRY_ZERO) {
		REQUIRE(c.flags == STRATA_ENTRY_ZERO && c.stored_size == 0);
		REQUIRE(memcmp(c.digest, zero_digest, 32) == 0);
	} else {
		REQUIRE(c.stored_size >= 1 && c.stored_size <= c.length);
		REQUIRE(!!(c.flags & STRATA_ENTRY_ZLIB) == (c.stored_size < c.length));
		REQUIRE(memcmp(c.digest, zero_digest, 32) != 0);
	}
	strata_index_entry_encode(e, &c);
	REQUIRE(memcmp(e, data + 64 + i * 40, 40) == 0);
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
	for (uint64_t i = 0; i < idx.chunk_count; i++)
		check_chunk(&idx, i, data);
	return 0;
}
