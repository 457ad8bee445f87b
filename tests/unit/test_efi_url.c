/*
 * Unit tests for strata.efi's query encoding (efi/url.c), on the host, against the
 * server's own decoder (server/http_parse.c, http_query_get).
 *
 * Why: the agent's reports carry free text (msg=) that ends in a server log and an
 * operator's screen.  What the agent encodes must come back unchanged on the server,
 * whatever bytes the text holds, and a message too long for the agent's buffer must be
 * cut between characters, never inside an escape the server would then refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "http_parse.h"
#include "url.h"

/* Encode msg into exactly cap bytes of heap (a write past them is an ASan error) and
 * compare with want. */
static int encodes_to(const char *msg, size_t cap, const char *want)
{
	char *out = malloc(cap);
	int same;

	if (!out)
		abort();
	url_encode(out, cap, msg);
	same = strcmp(out, want) == 0;
	free(out);
	return same;
}

/* Encode msg, send it as msg= in a query the way agent_report does, decode it back. */
static int round_trips(const char *msg)
{
	char enc[1024], query[1100], back[512];

	url_encode(enc, sizeof(enc), msg);
	snprintf(query, sizeof(query), "phase=progress&done=0&msg=%s&token=t", enc);
	return http_query_get(query, "msg", back, sizeof(back)) == 1 && strcmp(back, msg) == 0;
}

static void test_plain_and_space(void)
{
	CHECK(encodes_to("abcXYZ019-._", 64, "abcXYZ019-._"));
	CHECK(encodes_to("disk too small", 64, "disk+too+small"));
	CHECK(encodes_to("", 64, ""));
	CHECK(encodes_to(NULL, 64, ""));
}

static void test_escapes(void)
{
	/* Everything a query gives meaning to, and bytes that are not text. */
	CHECK(encodes_to("a&b=c?d#e%f+g/h", 64, "a%26b%3Dc%3Fd%23e%25f%2Bg%2Fh"));
	CHECK(encodes_to("uuid=1234", 64, "uuid%3D1234"));
	CHECK(encodes_to("\x01\n\x7f\x80\xff", 64, "%01%0A%7F%80%FF"));
	CHECK(encodes_to("~*'()", 64, "%7E%2A%27%28%29"));
}

static void test_room(void)
{
	/* A character is written only while five bytes are free: the worst case, an escape
	 * and the NUL, always fits. */
	CHECK(encodes_to("abc", 1, ""));
	CHECK(encodes_to("abc", 5, "a"));
	CHECK(encodes_to("abc", 7, "abc"));
	CHECK(encodes_to("abcd", 7, "abc"));
	CHECK(encodes_to("%%%", 8, "%25%25"));
	CHECK(encodes_to("%%%", 9, "%25%25"));
	CHECK(encodes_to("%%%", 10, "%25%25"));
	CHECK(encodes_to("%%%", 11, "%25%25%25"));
	CHECK(encodes_to("a%", 5, "a"));
	CHECK(encodes_to("a%", 6, "a%25"));
}

static void test_round_trip(void)
{
	char all[256];
	size_t n = 0;

	CHECK(round_trips("started uuid=8c6e0f2a-1b2c-4d5e-9f00-112233445566"));
	CHECK(round_trips("a layer could not be deployed (see the log)"));
	CHECK(round_trips("100% done & 0 errors; next=reboot?"));
	/* Every byte the server takes in a message: printable ASCII and bytes above it. */
	for (int c = 0x20; c <= 0xff; c++)
		if (c != 0x7f)
			all[n++] = (char)c;
	all[n] = '\0';
	CHECK(round_trips(all));
}

int main(void)
{
	RUN(test_plain_and_space);
	RUN(test_escapes);
	RUN(test_room);
	RUN(test_round_trip);
	return harness_summary();
}
