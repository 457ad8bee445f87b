/*
 * Unit tests of the registration answer's parser (images/core/key_answer.c), on the host: what
 * strata-server writes parses, and every malformed answer is refused.
 */
#include <string.h>
#include "harness.h"
#include "key_answer.h"
#include "rc.h"

#define SID "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define EPH "04d65a93977caa3d1b081852ff57a79e465f1660577304baead505dd3a48589cf350185e895372df" \
	"6221ea3a137557e473fddb6755f05bd507c3c533fce9c91285"
#define SIG "3046022100b07775c181fdb04e745b808419a67f4ed81a3d83bdd781195d413b60001b0a54022100" \
	"e54fb43db181eaa2412a68e2d1f918c6957fd2410027830ff58e6eabd0e26ffd"
#define FP " fingerprint=98fe849d7e37125a9c3dd7c8b8b060106af146ee524e344c0f4e477faa800beb"

static int parse(const char *line, struct key_answer *a)
{
	return key_answer_parse(line, strlen(line), a);
}

static void test_good(void)
{
	struct key_answer a;

	CHECK_EQ(parse("key=pinned name=pc01" FP " session=" SID " eph=" EPH " ssig=" SIG "\n",
		       &a), 0);
	CHECK_EQ(a.v, KEY_PINNED);
	CHECK(strcmp(a.name, "pc01") == 0);
	CHECK(a.has_session && a.sid[0] == 0xa0 && a.sid[15] == 0xaf);
	CHECK(a.eph[0] == 4 && a.eph[64] == 0x85);
	CHECK_EQ(a.ssig_len, 72);
	CHECK_EQ(parse("key=known name=pc01" FP " session=" SID " eph=" EPH " ssig=" SIG, &a), 0);
	CHECK_EQ(a.v, KEY_KNOWN);
	CHECK_EQ(parse("key=unpinned name=pc01" FP "\n", &a), 0);
	CHECK(a.v == KEY_UNPINNED && !a.has_session);
	CHECK_EQ(parse("key=differs name=pc-01.lab" FP, &a), 0);
	CHECK(a.v == KEY_DIFFERS && strcmp(a.name, "pc-01.lab") == 0);
	/* A word of a newer server is skipped. */
	CHECK_EQ(parse("key=unpinned name=pc01 future=1" FP, &a), 0);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"", "\n", "key=pinned name=pc01" FP,                       /* pinned: no session */
		"key=unpinned name=pc01 session=" SID " eph=" EPH " ssig=" SIG, /* session unasked */
		"key=known name=pc01 session=" SID " eph=" EPH,            /* half a session */
		"key=known name=pc01 session=" SID "0 eph=" EPH " ssig=" SIG,
		"key=known name=pc01 session=" SID " eph=" EPH "00 ssig=" SIG,
		"key=known name=pc01 session=" SID " eph=" EPH " ssig=30",
		"key=known name=pc01 session=" SID " eph=" EPH " ssig=" SIG "0",
		"key=known name=pc01 session=" SID " session=" SID " eph=" EPH " ssig=" SIG,
		"key=maybe name=pc01", "name=pc01", "key=unpinned", "key=unpinned  name=pc01",
		"key=unpinned name=pc01 ", " key=unpinned name=pc01", "key=unpinned name=",
		"key=unpinned name=pc\x1b[2J", "key=unpinned name=pc01 key=differs",
		"key=unpinned name=0123456789012345678901234567890123456789012345678901234567890123",
	};
	struct key_answer a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(parse(bad[i], &a) == STRATA_EINVAL, "%s", bad[i]);
}

int main(void)
{
	RUN(test_good);
	RUN(test_refused);
	return harness_summary();
}
