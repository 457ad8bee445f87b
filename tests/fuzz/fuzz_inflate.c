/*
 * Fuzzer for the inflate that the deploy engine's workers run (strata_inflate_in, codec.h):
 * zlib's state carved out of a fixed scratch instead of the allocator, on chunk files from
 * the network.  The input's first byte picks the output length (1..64 KiB, in 256-byte
 * steps), the rest is the stream.  Invariant: the scratch inflate and the allocating one
 * (strata_inflate) agree on the result and, when it succeeds, on every output byte; the
 * scratch is never too small (that would show as STRATA_ENOMEM).  A broken invariant
 * aborts.
 *
 * Run:  cp -r tests/fuzz/corpus/inflate /tmp/inflate-corpus
 *       build/fuzz/fuzz_inflate -max_total_time=60 -artifact_prefix=/tmp/ /tmp/inflate-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "rc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { if (!(cond)) abort(); } while (0)

static _Alignas(16) uint8_t work[STRATA_INFLATE_WORK];
static uint8_t a[1u << 16], b[1u << 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	int ra, rb;

	if (size < 1)
		return 0;
	len = ((size_t)data[0] + 1) * 256;
	ra = strata_inflate_in(work, a, len, data + 1, size - 1);
	rb = strata_inflate(b, len, data + 1, size - 1);
	REQUIRE(ra == rb);
	REQUIRE(ra != STRATA_ENOMEM);
	if (ra == 0)
		REQUIRE(memcmp(a, b, len) == 0);
	return 0;
}
