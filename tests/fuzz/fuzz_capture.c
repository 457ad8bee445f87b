/*
 * libFuzzer target for a capture order's parameters as they arrive: a query string
 * "as=..&prepared=.." read with the server's query decoder, then capture_order_parse
 * (server/capture_parse.c).  Invariants: an accepted gold order names a profile equal to
 * as= that the inventory's name rule takes and says prepared, and came with prepared=yes;
 * an accepted machine order came with neither parameter; a refusal always gives a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture_parse.h"
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check what capture_order_parse did with as and prepared (NULL when absent). */
static void check(const char *as, const char *prepared)
{
	struct capture_order o;
	const char *why = NULL;
	int rc = capture_order_parse(as, prepared, &o, &why);

	if (rc) {
		if (!why || !*why)
			abort();
		return;
	}
	if (o.kind == CAPTURE_GOLD &&
	    (!as || strcmp(o.profile, as) || !inv_name_ok(o.profile) || !o.prepared ||
	     !prepared || strcmp(prepared, "yes")))
		abort();
	if (o.kind == CAPTURE_MACHINE && (as || prepared || o.profile[0] || o.prepared))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = malloc(size + 1), as[INV_NAME_MAX + 2], prep[8];
	int has_as, has_prep;

	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	has_as = http_query_get(q, "as", as, sizeof(as));
	has_prep = http_query_get(q, "prepared", prep, sizeof(prep));
	if (has_as >= 0 && has_prep >= 0)
		check(has_as ? as : NULL, has_prep ? prep : NULL);
	free(q);
	return 0;
}
