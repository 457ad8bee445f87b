/*
 * Unit tests for scheduled orders' times (server/schedule_parse.c), run under
 * TZ=Europe/Paris (set by main, whatever the caller's zone).
 *
 * Why: a time read an hour off reimages a room during a class.  Cases: UTC and offsets,
 * the server's zone in winter and summer, the spring gap refused, the autumn overlap
 * taking the earlier instant and saying so, leap days, the past and the 60-day limit, and
 * malformed text (short fields, trailing bytes, bad offsets).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"
#include "rc.h"
#include "schedule_parse.h"

/* Unix seconds of a UTC time (the test's own reference, through the C library). */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi };

	return (int64_t)timegm(&tm);
}

/* Parse s with now a day before want: the time, or INT64_MIN on failure. */
static int64_t at_of(const char *s, int64_t want, int *amb)
{
	const char *why;
	int64_t at;

	if (schedule_parse_time(s, want - 86400, &at, amb, &why))
		return INT64_MIN;
	return at;
}

static void test_utc_and_offsets(void)
{
	int64_t t = utc(2026, 12, 5, 12, 30);
	int amb;

	CHECK_EQ(at_of("2026-12-05T12:30Z", t, &amb), t);
	CHECK_EQ(at_of("2026-12-05T12:30:00Z", t, &amb), t);
	CHECK_EQ(at_of("2026-12-05T13:30+01:00", t, &amb), t);
	CHECK_EQ(at_of("2026-12-05T07:00-05:30", t, &amb), t);
	CHECK_EQ(at_of("2026-12-05T12:30:59Z", t, &amb), t + 59);
	CHECK_EQ(amb, 0);
}

static void test_local_winter_and_summer(void)
{
	int amb = 1;

	CHECK_EQ(at_of("2026-12-05T13:30", utc(2026, 12, 5, 12, 30), &amb),
		 utc(2026, 12, 5, 12, 30));
	CHECK_EQ(amb, 0);
	CHECK_EQ(at_of("2026-07-01T09:00", utc(2026, 7, 1, 7, 0), &amb), utc(2026, 7, 1, 7, 0));
	CHECK_EQ(amb, 0);
}

/* 2026-03-29 02:00 CET: the clocks go to 03:00, so 02:30 never happens in Paris. */
static void test_dst_gap_refused(void)
{
	const char *why;
	int64_t at;
	int amb;

	CHECK_EQ(schedule_parse_time("2026-03-29T02:30", utc(2026, 3, 28, 0, 0), &at, &amb,
				     &why), STRATA_EINVAL);
	CHECK(why && strstr(why, "skip"));
	CHECK_EQ(at_of("2026-03-29T03:30", utc(2026, 3, 29, 1, 30), &amb),
		 utc(2026, 3, 29, 1, 30));
}

/* 2026-10-25 03:00 CEST: the clocks go back to 02:00, so 02:30 happens twice. */
static void test_dst_overlap_takes_earlier(void)
{
	int amb = 0;

	CHECK_EQ(at_of("2026-10-25T02:30", utc(2026, 10, 25, 0, 30), &amb),
		 utc(2026, 10, 25, 0, 30));
	CHECK_EQ(amb, 1);
	CHECK_EQ(at_of("2026-10-25T02:30+01:00", utc(2026, 10, 25, 1, 30), &amb),
		 utc(2026, 10, 25, 1, 30));
	CHECK_EQ(amb, 0);
}

static void test_leap_days(void)
{
	int amb;

	CHECK_EQ(at_of("2028-02-29T10:00Z", utc(2028, 2, 29, 10, 0), &amb), utc(2028, 2, 29, 10, 0));
	CHECK_EQ(at_of("2027-02-29T10:00Z", utc(2027, 3, 1, 10, 0), &amb), INT64_MIN);
	CHECK_EQ(at_of("2100-02-29T10:00Z", utc(2100, 3, 1, 10, 0), &amb), INT64_MIN);
	CHECK_EQ(at_of("2000-02-29T10:00Z", utc(2000, 2, 29, 10, 0), &amb), utc(2000, 2, 29, 10, 0));
}

static void test_past_and_too_far(void)
{
	int64_t now = utc(2026, 12, 5, 12, 0), at;
	const char *why;
	int amb;

	CHECK_EQ(schedule_parse_time("2026-12-05T11:59Z", now, &at, &amb, &why), STRATA_ERANGE);
	CHECK_EQ(schedule_parse_time("2026-12-05T12:00Z", now, &at, &amb, &why), 0);
	CHECK_EQ(schedule_parse_time("2027-02-03T12:00Z", now, &at, &amb, &why), 0);
	CHECK_EQ(schedule_parse_time("2027-02-03T12:01Z", now, &at, &amb, &why), STRATA_ERANGE);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"", "2026", "2026-12-05", "2026-12-05 12:30Z", "2026-12-05T12Z", "2026-12-05T12:3Z",
		"2026-12-05T12:30Zx", "2026-12-05T12:30+1:00", "2026-12-05T12:30+01", "2026-13-05T12:30Z",
		"2026-12-32T12:30Z", "2026-12-05T24:00Z", "2026-12-05T12:60Z", "2026-12-05T12:30:60Z",
		"2026-12-05T12:30+15:00", "+2026-12-05T12:30Z", "2026-12-05T12:30 ", "1969-12-31T23:59Z",
		"2026-12-05T12:30:5Z", "2026-00-05T12:30Z", "2026-12-00T12:30Z", "2026-12-05t12:30Z",
	};
	int64_t now = utc(2026, 12, 4, 0, 0), at;
	const char *why;
	int amb;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(schedule_parse_time(bad[i], now, &at, &amb, &why) == STRATA_EINVAL &&
			  why, "%s", bad[i]);
}

int main(void)
{
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	RUN(test_utc_and_offsets);
	RUN(test_local_winter_and_summer);
	RUN(test_dst_gap_refused);
	RUN(test_dst_overlap_takes_earlier);
	RUN(test_leap_days);
	RUN(test_past_and_too_far);
	RUN(test_malformed);
	return harness_summary();
}
