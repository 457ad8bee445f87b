/*
 * libFuzzer target for server/capture_parse.c, both parsers on every input:
 * - a capture order's parameters as they arrive: a query string "as=..&prepared=.." read
 *   with the server's query decoder, then capture_order_parse.  An accepted gold order
 *   names a profile equal to as= that the inventory's name rule takes and says prepared,
 *   and came with prepared=yes; an accepted machine order came with neither parameter; a
 *   refusal always gives a reason.
 * - a have/need body (core's strata_need_parse, need.h): an accepted body is exactly n
 *   lines of 65 bytes, each digest re-encodes to its line; a refusal names a line inside
 *   the body or none, and gives no digests.  The same bytes as a server's answer
 *   (strata_need_answer_parse, what a client reads): to the names an accepted body asked,
 *   every one is missing; to a fixed list of names, an accepted answer marks exactly as
 *   many names as it has lines, and a refusal names a line inside it.
 * - a chunk upload's "z=..&len=.." (capture_chunk_query), against the input's size as the
 *   body's: an accepted one has 1..CAPTURE_CHUNK_MAX bytes, equal to the body's when raw;
 *   a refusal gives a reason.
 * - the bytes as a commit's answer (strata_commit_answer_layer, what both clients read):
 *   an accepted one holds, in its first line, the word layer=sha256: and the id's
 *   lowercase hex; the order's force= (capture_order_force) is yes or refused with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "capture_parse.h"
#include "http_parse.h"
#include "need.h"
#include "text.h"

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

/* Check what strata_need_answer_parse does with body[0..len) as the answer to the names
 * 00.., 11.., .. ff.. (16 names of one repeated byte, the ones the seeds use). */
static void check_answer(const char *body, size_t len)
{
	static uint8_t d[16][32];
	uint8_t missing[16];
	size_t line, marked = 0;

	for (int i = 0; i < 16; i++)
		memset(d[i], 0x11 * i, 32);
	if (strata_need_answer_parse(body, len, (const uint8_t (*)[32])d, 16, missing, &line)) {
		if (line == 0 || line > len / STRATA_NEED_LINE + 1)
			abort();
		return;
	}
	for (int i = 0; i < 16; i++)
		marked += missing[i];
	if (len % STRATA_NEED_LINE || marked != len / STRATA_NEED_LINE)
		abort();
}

/* Check what strata_need_parse did with body[0..len). */
static void check_need(const char *body, size_t len)
{
	static uint8_t d[STRATA_NEED_MAX][32], missing[STRATA_NEED_MAX];
	char hex[65];
	size_t n, line;

	check_answer(body, len);
	if (strata_need_parse(body, len, d, STRATA_NEED_MAX, &n, &line)) {
		if (n || line > len / STRATA_NEED_LINE + 1)
			abort();
		return;
	}
	if (n == 0 || n * STRATA_NEED_LINE != len)
		abort();
	for (size_t i = 0; i < n; i++) {
		strata_hex_encode(hex, d[i], 32);
		if (memcmp(hex, body + i * STRATA_NEED_LINE, 64))
			abort();
	}
	/* The body as the answer to itself: every name missing. */
	if (strata_need_answer_parse(body, len, (const uint8_t (*)[32])d, n, missing, &line))
		abort();
	for (size_t i = 0; i < n; i++)
		if (!missing[i])
			abort();
}

/* Check what capture_chunk_query did with the query q of a body of body_len bytes. */
static void check_chunk(const char *q, size_t body_len)
{
	char z[8], len[32];
	const char *why = NULL;
	int hz = http_query_get(q, "z", z, sizeof(z)), hl = http_query_get(q, "len", len,
									     sizeof(len)), zlib;
	size_t n;

	if (hz < 0 || hl < 0)
		return;
	if (capture_chunk_query(hz ? z : NULL, hl ? len : NULL, body_len, &zlib, &n, &why)) {
		if (!why || !*why)
			abort();
		return;
	}
	if (n == 0 || n > CAPTURE_CHUNK_MAX || (!zlib && n != body_len))
		abort();
}

/* Check what strata_commit_answer_layer reads from body[0..len): a whole word of the first
 * line, layer=sha256: and the id's hex (either case). */
static void check_commit_answer(const char *body, size_t len)
{
	char word[6 + 7 + 65] = "layer=sha256:";
	const char *nl = memchr(body, '\n', len), *end = nl ? nl : body + len;
	uint8_t id[32];

	if (strata_commit_answer_layer(body, len, id))
		return;
	strata_hex_encode(word + 13, id, 32);
	for (const char *p = body; p + 77 <= end; p++)
		if ((p == body || p[-1] == ' ') && !strncasecmp(p, word, 77) &&
		    (p + 77 == end || p[77] == ' '))
			return;
	abort();
}

/* Check capture_order_force on the query's force= value v (NULL when absent). */
static void check_force(const char *v)
{
	struct capture_order o = { 0 };
	const char *why = NULL;
	int rc = capture_order_force(v, &o, &why);

	if (rc ? !why || o.force : o.force != (v != NULL) || (v && strcmp(v, "yes")))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = malloc(size + 1), as[INV_NAME_MAX + 2], prep[8], frc[8];
	int has_as, has_prep, has_force;

	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	has_as = http_query_get(q, "as", as, sizeof(as));
	has_prep = http_query_get(q, "prepared", prep, sizeof(prep));
	if (has_as >= 0 && has_prep >= 0)
		check(has_as ? as : NULL, has_prep ? prep : NULL);
	has_force = http_query_get(q, "force", frc, sizeof(frc));
	if (has_force >= 0)
		check_force(has_force ? frc : NULL);
	check_need(q, size);
	check_chunk(q, size);
	check_commit_answer(q, size);
	free(q);
	return 0;
}
