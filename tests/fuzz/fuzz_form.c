/*
 * libFuzzer target for the form and query decoder every dashboard route reads its fields
 * with (http_parse.h's http_query_get: the POST bodies of /api/login, /api/orders,
 * /api/register, /api/wake, and the GET queries), and for what GET /api/machines and
 * /api/audit make of the decoded values (lab_view.h's lab_query_set and lab_number).
 * The input is a query string "a=1&b=2", as a browser or a script sends it.
 * Invariants, for each key a route reads:
 *   - the answer is 1, 0 or -1; a found value fits its buffer, NUL-terminated, and holds
 *     no control byte (a CR, LF or NUL would forge a log line or cut a name short);
 *   - the buffer's size only decides whether a value fits: the same key decoded into a
 *     larger buffer gives the same value, and one just large enough gives it too;
 *   - a found value, percent-encoded again byte by byte, decodes to itself (the decoder
 *     reads every escape exactly once);
 *   - a pair whose key only begins with the wanted key ("names" for "name") is never taken;
 *   - lab_query_set accepts only values inside the documented ranges (per 1..500, page
 *     from 1, stale_days 1..3650, a room of [A-Za-z0-9._-] up to 32, a search of
 *     [A-Za-z0-9-]), and lab_number's result lies in [lo, hi];
 * and nothing is read past the input (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_parse.h"
#include "lab_view.h"
#include "rc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Every field name a dashboard route reads from a form or a query. */
static const char *const keys[] = {
	"name", "password", "action", "machines", "names", "room", "all", "as", "prepared",
	"force", "mac", "macs", "generation", "at", "wake", "confirm", "preview", "pattern",
	"start", "profile", "site", "q", "filter", "stale_days", "page", "per", "before",
	"limit",
};

/** The largest value a route keeps (a macs= list of a whole room). */
#define VALUE_MAX 4097

/* A decoded value holds no control byte and fits below cap. */
static void check_value(const char *v, size_t cap)
{
	size_t n = strlen(v);

	if (n >= cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			abort();
}

/* key=v, every byte of v percent-encoded, decodes back to v. */
static void check_round_trip(const char *key, const char *v)
{
	size_t n = strlen(v), klen = strlen(key);
	char *enc = malloc(klen + 1 + n * 3 + 1), again[VALUE_MAX];

	if (!enc)
		return;
	memcpy(enc, key, klen);
	enc[klen] = '=';
	for (size_t i = 0; i < n; i++)
		snprintf(enc + klen + 1 + i * 3, 4, "%%%02X", (unsigned char)v[i]);
	enc[klen + 1 + n * 3] = '\0';
	if (http_query_get(enc, key, again, sizeof(again)) != 1 || strcmp(again, v))
		abort();
	free(enc);
}

/* One key: the invariants of the decoder, then the dashboard's reading of it. */
static void one_key(const char *s, const char *key, struct lab_query *q)
{
	char big[VALUE_MAX], fit[VALUE_MAX], small[8];
	const char *why = NULL;
	int rc = http_query_get(s, key, big, sizeof(big)), rs;

	if (rc < -1 || rc > 1)
		abort();
	rs = http_query_get(s, key, small, sizeof(small));
	if (rc == 0 ? rs != 0 : rc == 1 ? (rs == 1) != (strlen(big) < sizeof(small)) : rs == 1)
		abort();
	if (rc != 1)
		return;
	check_value(big, sizeof(big));
	if (rs == 1 && strcmp(small, big))
		abort();
	if (http_query_get(s, key, fit, strlen(big) + 1) != 1 || strcmp(fit, big))
		abort();
	check_round_trip(key, big);
	if (lab_query_set(q, key, big, &why) && !why)
		abort();
}

/* What lab_query_set let into q stays inside its documented ranges. */
static void check_query(const struct lab_query *q)
{
	if (q->per < 1 || q->per > LAB_PER_MAX || q->page < 1 || q->stale_days < 1 ||
	    q->stale_days > 3650 || strlen(q->room) > 32 || strlen(q->q) > 63)
		abort();
	if (strspn(q->room, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
	    strlen(q->room))
		abort();
	if (strspn(q->q, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(q->q))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), prefix[16];
	struct lab_query q;
	unsigned int n;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	lab_query_init(&q);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		one_key(s, keys[i], &q);
	check_query(&q);
	/* "names=x" alone never answers name=. */
	if (!strncmp(s, "names=", 6) && !strchr(s, '&') && http_query_get(s, "name", prefix,
									     sizeof(prefix)) != 0)
		abort();
	if (lab_number(s, 3, 500, &n) == 0 && (n < 3 || n > 500))
		abort();
	free(s);
	return 0;
}
