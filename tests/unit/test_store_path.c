/*
 * Unit tests for store file names and server URLs (images/core/store_path.c).
 *
 * Why: every writer, reader and router of a store now takes its paths from here, so a
 * path built by one front end must parse back to the same digest in another; and the
 * parser reads URL paths a client chose, so it must accept exactly its grammar.  Inputs
 * are heap copies without a NUL, so a read past a slice is an ASan error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "rc.h"
#include "store_path.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int parse(struct strata_store_ref *ref, const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n ? n : 1);
	int rc;

	if (!p)
		abort();
	memcpy(p, s, n);
	rc = strata_store_rel_parse(ref, p, n);
	free(p);
	return rc;
}

static void digest(uint8_t d[32])
{
	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)(i % 2 ? 0x10 * (i % 16) + 0x0f - (i % 16) : 0x01 + 0x22 * (i % 8));
}

static void test_builders(void)
{
	struct strata_store_ref ref = { .kind = STRATA_STORE_RUN, .first = 0,
					.last = STRATA_RUN_INDEX_MAX };
	char out[STRATA_STORE_REL_MAX];
	uint8_t d[32];

	CHECK_EQ(parse(&ref, "layers/" HEX64 ".idx"), 0);
	memcpy(d, ref.digest, 32);
	CHECK_EQ(strata_store_index_rel(out, d), 7 + 64 + 4);
	CHECK(strcmp(out, "layers/" HEX64 ".idx") == 0);
	CHECK_EQ(strata_store_chunk_rel(out, d), 7 + 2 + 1 + 64);
	CHECK(strcmp(out, "chunks/01/" HEX64) == 0);
	ref = (struct strata_store_ref){ .kind = STRATA_STORE_RUN, .first = 0, .last = 4294967295u };
	memcpy(ref.digest, d, 32);
	strata_store_rel(out, &ref);
	CHECK(strcmp(out, "runs/" HEX64 "/0-4294967295") == 0);
	ref.kind = STRATA_STORE_NONE;
	CHECK_EQ(strata_store_rel(out, &ref), 0);
	CHECK(out[0] == '\0');
}

/* Every kind built, parsed back, gives the same ref. */
static void test_round_trip(void)
{
	static const enum strata_store_kind kinds[] = { STRATA_STORE_INDEX, STRATA_STORE_CHUNK,
							 STRATA_STORE_RUN };
	struct strata_store_ref in = { .first = 7, .last = 123456 }, out;
	char rel[STRATA_STORE_REL_MAX];

	digest(in.digest);
	for (size_t i = 0; i < 3; i++) {
		in.kind = kinds[i];
		strata_store_rel(rel, &in);
		CHECK_MSG(parse(&out, rel) == 0, "%s", rel);
		CHECK_EQ(out.kind, in.kind);
		CHECK(memcmp(out.digest, in.digest, 32) == 0);
		if (in.kind == STRATA_STORE_RUN)
			CHECK(out.first == 7 && out.last == 123456);
	}
}

static void test_parse_bad(void)
{
	static const char *const bad[] = {
		"", "/", "layers", "layers/", "layers/" HEX64, "layers/" HEX64 ".idx/",
		"layers/" HEX64 ".idx/x", "/layers/" HEX64 ".idx", "layers//" HEX64 ".idx",
		"chunks/02/" HEX64, "chunks/01/" HEX64 "/", "chunks/01/" HEX64 "/x", "chunks/01",
		"chunks/01/", "chunks/1/" HEX64, "chunks/01/" HEX64 "0", "chunks/0g/0g23",
		"runs/" HEX64, "runs/" HEX64 "/", "runs/" HEX64 "/9-3", "runs/" HEX64 "/-1-3",
		"runs/" HEX64 "/1-4294967296", "runs/" HEX64 "/01-3", "runs/" HEX64 "/1--3",
		"runs/" HEX64 "/3", "runs/" HEX64 "/3-", "runs/" HEX64 "/1-3/x",
		"runs/x" HEX64 "/1-3", "other/" HEX64 "/1-3",
	};
	struct strata_store_ref ref;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_MSG(parse(&ref, bad[i]) == STRATA_EINVAL, "'%s'", bad[i]);
		CHECK_MSG(ref.kind == STRATA_STORE_NONE, "'%s'", bad[i]);
	}
}

/* Uppercase digests parse (a URL may carry them); a chunk's <hh> must match exactly. */
static void test_parse_case(void)
{
	struct strata_store_ref ref;

	CHECK_EQ(parse(&ref, "layers/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.idx"),
		 0);
	CHECK_EQ(ref.digest[7], 0xef);
	CHECK_EQ(parse(&ref, "chunks/AB/AB23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
		 0);
	CHECK_EQ(parse(&ref, "chunks/ab/AB23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
		 STRATA_EINVAL);
}

static void test_url(void)
{
	struct strata_store_ref ref = { .kind = STRATA_STORE_CHUNK };
	const char *want = "http://10.0.2.2:8080/store/chunks/01/" HEX64;
	char url[200];

	CHECK_EQ(parse(&ref, "chunks/01/" HEX64), 0);
	CHECK_EQ(strata_store_url(url, sizeof(url), "http://10.0.2.2:8080", &ref), 0);
	CHECK(strcmp(url, want) == 0);
	CHECK_EQ(strata_store_url(url, strlen(want) + 1, "http://10.0.2.2:8080", &ref), 0);
	CHECK_EQ(strata_store_url(url, strlen(want), "http://10.0.2.2:8080", &ref), STRATA_ERANGE);
}

/* A site's store is named by its folder: the same URL as the server's under root
 * "<base>/store", and any other root as it is. */
static void test_root_url(void)
{
	struct strata_store_ref ref;
	char url[200], want[200];

	CHECK_EQ(parse(&ref, "chunks/01/" HEX64), 0);
	CHECK_EQ(strata_store_url(want, sizeof(want), "http://h:8080", &ref), 0);
	CHECK_EQ(strata_store_root_url(url, sizeof(url), "http://h:8080/store", &ref), 0);
	CHECK(strcmp(url, want) == 0);
	CHECK_EQ(strata_store_root_url(url, sizeof(url), "http://s3:5000/bucket/p", &ref), 0);
	CHECK(strcmp(url, "http://s3:5000/bucket/p/chunks/01/" HEX64) == 0);
	CHECK_EQ(strata_store_root_url(url, strlen(url) + 1, "http://s3:5000/bucket/p", &ref), 0);
	CHECK_EQ(strata_store_root_url(url, strlen(url), "http://s3:5000/bucket/p", &ref),
		 STRATA_ERANGE);
}

int main(void)
{
	RUN(test_builders);
	RUN(test_round_trip);
	RUN(test_parse_bad);
	RUN(test_parse_case);
	RUN(test_url);
	RUN(test_root_url);
	return harness_summary();
}
