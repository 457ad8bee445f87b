/*
 * libFuzzer target for a signed request's path and query as strata-server receives it
 * (images/core/session.c: strata_session_parse, then strata_session_verify).  Invariants:
 * an accepted query's session parameters end it, re-encode to what it holds, and its
 * counter is at least 1; a verification answers only 0 or STRATA_EBADSIG, and 0 only for a
 * tag that strata_session_tag makes for the same prefix.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rc.h"
#include "session.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct strata_session_keys k = { .sid = { 0xa0 }, .req = { 1 } };
	struct strata_session_query q;
	char sid[2 * STRATA_SESSION_SID_LEN + 1], tag[STRATA_SESSION_TAG_HEX], want[128];
	const char *pq = (const char *)data;
	int rc;

	if (strata_session_parse(pq, size, &q))
		return 0;
	strata_hex_encode(sid, q.sid, sizeof(q.sid));
	strata_hex_encode(tag, q.tag, sizeof(q.tag));
	snprintf(want, sizeof(want), "s=%s&n=%llu&h=%s", sid, (unsigned long long)q.n, tag);
	if (q.n == 0 || q.prefix_len + 1 + strlen(want) != size ||
	    memcmp(pq + q.prefix_len + 1, want, strlen(want)))
		abort();
	rc = strata_session_verify(&k, "GET", pq, &q);
	if (rc != 0 && rc != STRATA_EBADSIG)
		abort();
	if (strata_session_tag(&k, "GET", pq, q.prefix_len, q.n, want))
		abort();
	if ((rc == 0) != (strcmp(want, tag) == 0))
		abort();
	return 0;
}
