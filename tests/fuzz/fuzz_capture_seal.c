/*
 * libFuzzer target for what a capture task's sealed uploads bring the server from the
 * network, both on every input:
 * - a hello's body (capture_hello_parse, server/capture_parse.c): accepted only at exactly
 *   CAPTURE_HELLO_BODY bytes, "eph=" then lowercase hex then '\n', and the point it gives
 *   re-encodes to the input's hex.
 * - a sealed upload's body (strata_upload_open, images/core/seal.c) under a fixed key,
 *   counter and path: an opened body is 16 bytes longer than its plaintext and sealing the
 *   plaintext again gives back exactly the input; a refused one gives no plaintext.  The
 *   seeds (corpus/capture_seal/) hold a body sealed under this target's key, so the
 *   fuzzer starts from one that opens.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture_parse.h"
#include "rc.h"
#include "seal.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** The key, counter and path the seeds were sealed under (corpus/capture_seal/sealed). */
#define FUZZ_KEY_BYTE 0x5a
#define FUZZ_N 7
#define FUZZ_AAD "/capture/commit"

static void check_hello(const char *body, size_t len)
{
	uint8_t eph[65];
	char hex[131];

	if (capture_hello_parse(body, len, eph))
		return;
	strata_hex_encode(hex, eph, sizeof(eph));
	if (len != CAPTURE_HELLO_BODY || memcmp(body, "eph=", 4) || memcmp(body + 4, hex, 130) ||
	    body[134] != '\n')
		abort();
}

static void check_open(const uint8_t *body, size_t len)
{
	uint8_t key[STRATA_SEAL_KEY_LEN], *plain = malloc(len + 1), *again;
	size_t n = 1, m;

	memset(key, FUZZ_KEY_BYTE, sizeof(key));
	if (!plain)
		return;
	if (strata_upload_open(key, FUZZ_N, FUZZ_AAD, sizeof(FUZZ_AAD) - 1, body, len, plain, &n)) {
		if (n != 0)
			abort();
		free(plain);
		return;
	}
	if (n + STRATA_SEAL_OVERHEAD != len || !(again = malloc(len)))
		abort();
	if (strata_upload_seal(key, FUZZ_N, FUZZ_AAD, sizeof(FUZZ_AAD) - 1, plain, n, again, &m) ||
	    m != len || memcmp(again, body, len))
		abort();
	free(again);
	free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_hello((const char *)data, size);
	check_open(data, size);
	return 0;
}
