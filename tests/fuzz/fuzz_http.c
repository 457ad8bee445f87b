/*
 * libFuzzer target for the HTTP request pieces that see hostile bytes: routing a path,
 * parsing a Range header against a file size, and reading a query string.  Invariants:
 * a routed store path names 64 hex digits; a partial range lies inside the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_range(const char *s, uint64_t size)
{
	uint64_t start = 0, len = 0;

	if (http_range_parse(s, size, &start, &len) == RANGE_PARTIAL) {
		if (len == 0 || start >= size || len > size - start)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_route r;
	char *s = malloc(size + 1), out[64];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_route(s, &r) == ROUTE_STORE_RUN && r.first > r.last)
		abort();
	fuzz_range(s, size ? data[0] * 4099u : 0);
	fuzz_range(s, UINT64_MAX);
	if (http_query_get(s, "msg", out, sizeof(out)) == 1 && strlen(out) >= sizeof(out))
		abort();
	free(s);
	return 0;
}
