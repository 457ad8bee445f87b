/*
 * libFuzzer target for the Cookie header parser (http_parse.h's http_cookie_get), which
 * reads what any browser or client sends with every admin request.  Invariants: a found
 * value has a session's shape (64 lowercase hex digits) and occurs in the header right
 * after "NAME="; a header without "strata=" finds nothing; the parse never reads past the
 * header's NUL (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One lookup of name in hdr, with the invariants above. */
static void lookup(const char *hdr, const char *name)
{
	char out[HTTP_COOKIE_VALUE_LEN + 1], key[32];
	int got = http_cookie_get(hdr, name, out);

	if (got < -1 || got > 1)
		abort();
	if (got == 1) {
		if (strlen(out) != HTTP_COOKIE_VALUE_LEN ||
		    strspn(out, "0123456789abcdef") != HTTP_COOKIE_VALUE_LEN)
			abort();
		snprintf(key, sizeof(key), "%s=", name);
		if (!strstr(hdr, key) || !strstr(hdr, out))
			abort();
	}
	if (!strstr(hdr, "strata=") && got == 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *hdr = malloc(size + 1);

	if (!hdr)
		return 0;
	memcpy(hdr, data, size);
	hdr[size] = '\0';
	lookup(hdr, "strata");
	lookup(hdr, "__Host-strata");
	free(hdr);
	return 0;
}
