/*
 * libFuzzer target for the HTTP request pieces that see hostile bytes: routing a path,
 * parsing a Range header against a file size, reading a query string, the
 * Authorization and Origin headers, and the --trusted-proxies network list.  Invariants: a
 * routed store path names 64 hex digits, and the core's builder (store_path.h) writes a
 * path for it that routes back to the same thing; a routed private path (an index or a
 * run of one machine's store) is rebuilt by strata_private_path and routes back to the
 * same machine and thing; a partial range lies inside the file; a
 * bearer token is a non-empty tail of the header; an origin is accepted as its own
 * server's, and one differing in its port is not; an accepted network has no host bits and
 * matches its own address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_parse.h"
#include "store_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_range(const char *s, uint64_t size)
{
	uint64_t start = 0, len = 0;

	if (http_range_parse(s, size, &start, &len) == RANGE_PARTIAL) {
		if (len == 0 || start >= size || len > size - start)
			abort();
	}
}

/* A routed store path, rebuilt by the core and routed again, names the same thing. */
static void fuzz_store_round_trip(const struct http_route *r)
{
	static const enum strata_store_kind kinds[] = {
		[ROUTE_STORE_INDEX] = STRATA_STORE_INDEX, [ROUTE_STORE_CHUNK] = STRATA_STORE_CHUNK,
		[ROUTE_STORE_RUN] = STRATA_STORE_RUN,
	};
	struct strata_store_ref ref = { .kind = kinds[r->kind], .first = r->first,
					.last = r->last };
	char path[7 + STRATA_STORE_REL_MAX] = "/store/";
	struct http_route again;

	memcpy(ref.digest, r->digest, 32);
	strata_store_rel(path + 7, &ref);
	if (http_route(path, &again) != r->kind || memcmp(again.digest, r->digest, 32) ||
	    again.first != r->first || again.last != r->last)
		abort();
}

/* A routed private path, rebuilt by the core (the path a sealed body's tag covers), routes
 * back to the same machine, layer and chunks. */
static void fuzz_private_round_trip(const struct http_route *r)
{
	struct strata_store_ref ref = { .kind = r->kind == ROUTE_PRIVATE_INDEX ? STRATA_STORE_INDEX
					: STRATA_STORE_RUN, .first = r->first, .last = r->last };
	char path[STRATA_PRIVATE_PATH_MAX];
	struct http_route again;

	memcpy(ref.digest, r->digest, 32);
	strata_private_path(path, r->mac, &ref);
	if (http_route(path, &again) != r->kind || memcmp(again.mac, r->mac, 6) ||
	    memcmp(again.digest, r->digest, 32) || again.first != r->first ||
	    again.last != r->last)
		abort();
}

/* The Authorization and Origin checks on the same bytes. */
static void fuzz_auth(const char *s)
{
	const char *t = http_bearer(s), *host = strstr(s, "://");
	char other[300];

	if (t && (!*t || t < s + 7 || t > s + strlen(s)))
		abort();
	/* Only "scheme://host", with no port, path or second scheme, gets a port added. */
	if (!host || strlen(s) > 200 || strpbrk(s, "/?#:") != host || strpbrk(host + 3, "/?#:"))
		return;
	if (!http_origin_ok(s, s))
		abort();
	snprintf(other, sizeof(other), "%s:1", s);
	if (http_origin_ok(other, s))
		abort();
}

static void fuzz_cidr(const char *s)
{
	struct http_cidr c[4];
	size_t n;

	if (http_cidr_list_parse(s, c, 4, &n))
		return;
	if (n == 0 || n > 4)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((c[i].net & ~c[i].mask) || !http_cidr_match(&c[i], 1, c[i].net))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_route r;
	char *s = malloc(size + 1), out[64];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((http_route(s, &r) == ROUTE_STORE_RUN || r.kind == ROUTE_PRIVATE_RUN) &&
	    r.first > r.last)
		abort();
	if (r.kind == ROUTE_PRIVATE_INDEX || r.kind == ROUTE_PRIVATE_RUN)
		fuzz_private_round_trip(&r);
	if (r.kind == ROUTE_STORE_INDEX || r.kind == ROUTE_STORE_CHUNK ||
	    r.kind == ROUTE_STORE_RUN)
		fuzz_store_round_trip(&r);
	fuzz_range(s, size ? data[0] * 4099u : 0);
	fuzz_range(s, UINT64_MAX);
	if (http_query_get(s, "msg", out, sizeof(out)) == 1 && strlen(out) >= sizeof(out))
		abort();
	fuzz_auth(s);
	fuzz_cidr(s);
	free(s);
	return 0;
}
