/*
 * Unit test of server/holders.c, the "held by" part of a full table's log line.
 *
 * Why: that line is what an administrator reads to find who filled a table; it must name
 * the largest holders first, count the rest, and never overrun its buffer however many
 * clients there are.
 */
#include <string.h>

#include "harness.h"
#include "holders.h"

/* Describe the holders of the entries named by the NULL-terminated list. */
static void describe(const char *const *list, char *buf, size_t cap)
{
	char names[16][HOLDER_NAME];
	size_t n = 0;

	for (; list[n]; n++)
		strcpy(names[n], list[n]);
	holders_describe(names, n, buf, cap);
}

#define CHECK_STR(got, want) CHECK_MSG(!strcmp(got, want), "got \"%s\"", got)

static void test_largest_first(void)
{
	static const char *const one[] = { "192.0.2.7", "192.0.2.7", NULL };
	static const char *const many[] = { "f", "a", "c", "b", "a", "d", "c", "a", "e", NULL };
	char buf[HOLDERS_STR];

	describe(one, buf, sizeof(buf));
	CHECK_STR(buf, "192.0.2.7 x2");
	describe(many, buf, sizeof(buf));
	CHECK_STR(buf, "a x3, c x2, b x1, d x1 (+2 more addresses)");
	holders_describe(NULL, 0, buf, sizeof(buf));
	CHECK_STR(buf, "");
}

/* A short buffer gets a cut line, always terminated. */
static void test_short_buffer(void)
{
	static const char *const many[] = { "2001:db8:1::/64", "2001:db8:2::/64",
					     "2001:db8:3::/64", NULL };
	char buf[20];

	describe(many, buf, sizeof(buf));
	CHECK_EQ(strlen(buf), sizeof(buf) - 1);
	CHECK(!strncmp(buf, "2001:db8:1::/64 x1,", 19));
}

int main(void)
{
	RUN(test_largest_first);
	RUN(test_short_buffer);
	return harness_summary();
}
