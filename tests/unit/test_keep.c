/*
 * Unit tests for server/keep.c: the inventory's keep keys (keep=, keep-daily=, quota=,
 * capture-every=) with their durations and sizes, good and refused; the merge of a
 * profile's and a machine's keys (the machine wins, key by key); retention's choice of
 * which generations to drop (keep=N, keep-daily=D over UTC days, the newest always kept);
 * and the inventory lines that carry the keys, through inventory_parse.
 */
#include <string.h>
#include "harness.h"
#include "inventory.h"
#include "keep.h"
#include "rc.h"

#define DAY 86400

static void test_duration(void)
{
	uint64_t v = 99;

	CHECK_EQ(keep_duration_parse("12h", &v), 0);
	CHECK_EQ(v, 12 * 3600);
	CHECK_EQ(keep_duration_parse("1d", &v), 0);
	CHECK_EQ(v, DAY);
	CHECK_EQ(keep_duration_parse("7d", &v), 0);
	CHECK_EQ(v, 7 * DAY);
	CHECK_EQ(keep_duration_parse("2w", &v), 0);
	CHECK_EQ(v, 14 * DAY);
	CHECK_EQ(keep_duration_parse("90s", &v), 0);
	CHECK_EQ(v, 90);
	CHECK_EQ(keep_duration_parse("30m", &v), 0);
	CHECK_EQ(v, 1800);
	CHECK_EQ(keep_duration_parse("3650d", &v), 0);
	CHECK_EQ(keep_duration_parse("off", &v), 0);
	CHECK_EQ(v, 0);
	const char *bad[] = { "", "d", "1", "0d", "-1d", "1x", "1D", "01d", "1.5d", "3651d",
			      "99999999999999999999d", "1d ", " 1d", "1dd", "on" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(keep_duration_parse(bad[i], &v) == STRATA_EINVAL, "'%s' taken", bad[i]);
}

static void test_keys(void)
{
	struct keep_policy p = { 0 };
	const char *why = "";

	CHECK_EQ(keep_key_parse(&p, "keep", "2", &why), 0);
	CHECK_EQ(keep_key_parse(&p, "keep-daily", "0", &why), 0);
	CHECK_EQ(keep_key_parse(&p, "quota", "500M", &why), 0);
	CHECK_EQ(keep_key_parse(&p, "capture-every", "1d", &why), 0);
	CHECK(p.keep == 2 && p.keep_daily == 0 && p.quota == 500ull << 20 && p.every == DAY);
	CHECK_EQ(p.set, KEEP_SET_KEEP | KEEP_SET_DAILY | KEEP_SET_QUOTA | KEEP_SET_EVERY);
	CHECK_EQ(keep_key_parse(&p, "quota", "none", &why), 0);
	CHECK_EQ(p.quota, 0);
	CHECK_EQ(keep_key_parse(&p, "name", "x", &why), 1);
	CHECK_EQ(keep_key_parse(&p, "keep", "0", &why), STRATA_EINVAL);
	CHECK(strstr(why, "keep must be") != NULL);
	CHECK_EQ(keep_key_parse(&p, "keep", "10001", &why), STRATA_EINVAL);
	CHECK_EQ(keep_key_parse(&p, "keep-daily", "x", &why), STRATA_EINVAL);
	CHECK_EQ(keep_key_parse(&p, "quota", "0", &why), STRATA_EINVAL);
	CHECK_EQ(keep_key_parse(&p, "quota", "5Q", &why), STRATA_EINVAL);
	CHECK(strstr(why, "quota must be") != NULL);
	CHECK_EQ(keep_key_parse(&p, "capture-every", "1y", &why), STRATA_EINVAL);
	CHECK(strstr(why, "capture-every must be") != NULL);
}

static void test_merge(void)
{
	struct keep_policy prof = { 0 }, mach = { 0 }, out;
	const char *why;

	out = keep_merge(NULL, NULL);
	CHECK(out.keep == KEEP_DEFAULT && out.keep_daily == KEEP_DAILY_DEFAULT);
	CHECK(out.quota == 0 && out.every == 0);
	keep_key_parse(&prof, "keep", "3", &why);
	keep_key_parse(&prof, "capture-every", "1d", &why);
	keep_key_parse(&mach, "keep", "5", &why);
	keep_key_parse(&mach, "quota", "1G", &why);
	out = keep_merge(&prof, &mach);
	CHECK_EQ(out.keep, 5);                 /* the machine's */
	CHECK_EQ(out.every, DAY);              /* the profile's */
	CHECK_EQ(out.quota, 1ull << 30);
	CHECK_EQ(out.keep_daily, KEEP_DAILY_DEFAULT);
	keep_key_parse(&mach, "capture-every", "off", &why);
	CHECK_EQ(keep_merge(&prof, &mach).every, 0);   /* a machine turns it off */
}

/* The drops of n generations numbered 1..n at times at[], for keep and daily at now. */
static size_t choose(const int64_t *at, size_t n, unsigned int keep, unsigned int daily,
		     int64_t now, uint8_t *drop)
{
	struct keep_policy p = { .keep = keep, .keep_daily = daily };
	struct keep_gen g[16];

	for (size_t i = 0; i < n; i++)
		g[i] = (struct keep_gen){ .number = (int64_t)i + 1, .at = at[i] };
	return keep_choose(g, n, &p, now, drop);
}

static void test_choose_keep(void)
{
	int64_t at[] = { 100 * DAY, 100 * DAY + 10, 100 * DAY + 20, 100 * DAY + 30 };
	uint8_t drop[4];

	/* keep=2, no daily: 4 commits leave 3 and 4. */
	CHECK_EQ(choose(at, 4, 2, 0, 100 * DAY + 40, drop), 2);
	CHECK(drop[0] && drop[1] && !drop[2] && !drop[3]);
	/* keep-daily keeps the latest of today too: still 2 dropped, the same day. */
	CHECK_EQ(choose(at, 4, 2, 30, 100 * DAY + 40, drop), 2);
	/* keep=1 keeps the newest only. */
	CHECK_EQ(choose(at, 4, 1, 0, 100 * DAY + 40, drop), 3);
	CHECK(!drop[3]);
	/* Fewer generations than keep: none dropped. */
	CHECK_EQ(choose(at, 2, 7, 0, 100 * DAY + 40, drop), 0);
	CHECK_EQ(choose(at, 0, 7, 0, 100 * DAY, drop), 0);
}

static void test_choose_daily(void)
{
	/* Two a day on days 10, 11, 12 and 13; now is day 13. */
	int64_t at[] = { 10 * DAY + 1, 10 * DAY + 2, 11 * DAY + 1, 11 * DAY + 2,
			 12 * DAY + 1, 12 * DAY + 2, 13 * DAY + 1, 13 * DAY + 2 };
	uint8_t drop[8];

	/* keep=1 keep-daily=3: days 11, 12, 13 keep their latest (4, 6, 8). */
	CHECK_EQ(choose(at, 8, 1, 3, 13 * DAY + 5, drop), 5);
	CHECK(drop[0] && drop[1] && drop[2] && !drop[3] && drop[4] && !drop[5] && drop[6] &&
	      !drop[7]);
	/* keep=3 adds 6 and 7. */
	CHECK_EQ(choose(at, 8, 3, 3, 13 * DAY + 5, drop), 4);
	CHECK(!drop[6] && !drop[5] && !drop[3]);
	/* Days later, only the newest survives keep=1 keep-daily=3. */
	CHECK_EQ(choose(at, 8, 1, 3, 40 * DAY, drop), 7);
	CHECK(!drop[7]);
	/* keep-daily=0: keep alone decides. */
	CHECK_EQ(choose(at, 8, 2, 0, 13 * DAY + 5, drop), 6);
}

static void test_choose_order(void)
{
	/* Rows in any order; a generation dated after now (a clock moved back) is kept as
	 * its day's latest. */
	struct keep_policy p = { .keep = 1, .keep_daily = 2 };
	struct keep_gen g[] = { { 3, 5 * DAY + 9 }, { 1, 4 * DAY }, { 2, 4 * DAY + 5 } };
	uint8_t drop[3];

	CHECK_EQ(keep_choose(g, 3, &p, 5 * DAY + 10, drop), 1);
	CHECK(!drop[0] && drop[1] && !drop[2]);
}

static int parse(const char *text)
{
	struct inventory *inv = NULL;
	int rc = inventory_parse("t.conf", text, strlen(text), &inv);

	inventory_free(inv);
	return rc;
}

static void test_inventory(void)
{
	const char *good =
		"profile lab keep=2 keep-daily=7 capture-every=1d\n"
		"part label=data type=linux size=rest policy=preserve capture=yes\n"
		"machine 52:54:00:12:34:01 name=pc01 profile=lab keep=5 quota=20G\n";
	struct inventory *inv = NULL;
	struct keep_policy p;

	CHECK_EQ(inventory_parse("t.conf", good, strlen(good), &inv), 0);
	if (!inv)
		return;
	p = keep_merge(&inv->profiles[0].keep, &inv->machines[0].keep);
	CHECK(p.keep == 5 && p.keep_daily == 7 && p.every == DAY && p.quota == 20ull << 30);
	inventory_free(inv);
	CHECK(parse("profile lab keep=0\npart label=a type=linux size=rest policy=preserve\n"));
	CHECK(parse("profile lab colour=red\npart label=a type=linux size=rest policy=preserve\n"));
	CHECK(parse("profile lab keep\npart label=a type=linux size=rest policy=preserve\n"));
	CHECK(parse("profile lab\npart label=a type=linux size=rest policy=preserve\n"
		    "machine 52:54:00:12:34:01 name=pc01 profile=lab capture-every=soon\n"));
}

int main(void)
{
	RUN(test_duration);
	RUN(test_keys);
	RUN(test_merge);
	RUN(test_choose_keep);
	RUN(test_choose_daily);
	RUN(test_choose_order);
	RUN(test_inventory);
	return harness_summary();
}
