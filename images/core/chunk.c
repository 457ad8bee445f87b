/* Chunk comparison and verified decoding (see chunk.h). */
#include <stdint.h>
#include "chunk.h"
#include "codec.h"
#include "crypto.h"
#include "mem.h"

int strata_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t acc = 0, w;

	while (n && ((uintptr_t)b & 7)) {
		if (*b++)
			return 0;
		n--;
	}
	for (; n >= 64; n -= 64, b += 64) {
		for (int k = 0; k < 64; k += 8) {
			strata_memcpy(&w, b + k, 8);
			acc |= w;
		}
		if (acc)
			return 0;
	}
	while (n--)
		acc |= *b++;
	return acc == 0;
}

enum strata_action strata_chunk_action(const struct strata_chunk *c, const void *have)
{
	uint8_t digest[STRATA_SHA256_LEN];

	if (c->flags & STRATA_ENTRY_FREE)
		return STRATA_KEEP;
	if (c->flags & STRATA_ENTRY_ZERO)
		return strata_is_zero(have, c->length) ? STRATA_KEEP : STRATA_ZERO;
	/* A data chunk is never all zeros (build makes those zero chunks): a blank target
	 * region needs the chunk, and hashing it would only prove that. */
	if (strata_is_zero(have, c->length))
		return STRATA_FETCH;
	strata_sha256(have, c->length, digest);
	return strata_memcmp(digest, c->digest, sizeof(digest)) ? STRATA_FETCH : STRATA_KEEP;
}

int strata_chunk_decode(const struct strata_chunk *c, const void *stored, size_t stored_len,
			void *out, struct strata_diag *diag)
{
	return strata_chunk_decode_in(c, stored, stored_len, out, (void *)0, diag);
}

int strata_chunk_decode_in(const struct strata_chunk *c, const void *stored, size_t stored_len,
			   void *out, void *work, struct strata_diag *diag)
{
	uint8_t digest[STRATA_SHA256_LEN];
	int rc;

	if (c->flags & STRATA_ENTRY_FREE)
		return 0;                       /* what the target holds may stay */
	if (c->flags & STRATA_ENTRY_ZERO) {
		strata_memset(out, 0, c->length);
		return 0;
	}
	if (stored_len != c->stored_size)
		return strata_fail(diag, STRATA_ECORRUPT, "chunk file has the wrong size", c->index);
	if (c->flags & STRATA_ENTRY_ZLIB) {
		rc = work ? strata_inflate_in(work, out, c->length, stored, stored_len)
			  : strata_inflate(out, c->length, stored, stored_len);
		if (rc)
			return strata_fail(diag, rc, "chunk file is not a valid zlib stream", c->index);
	} else {
		if (stored_len != c->length)
			return strata_fail(diag, STRATA_ECORRUPT, "raw chunk file has the wrong size",
					   c->index);
		strata_memcpy(out, stored, c->length);
	}
	strata_sha256(out, c->length, digest);
	if (strata_memcmp(digest, c->digest, sizeof(digest)) != 0)
		return strata_fail(diag, STRATA_ECORRUPT, "chunk does not match its SHA-256", c->index);
	return 0;
}
