/* Scheduled orders' times (schedule_parse.h). */
#include <string.h>
#include <time.h>
#include "rc.h"
#include "schedule_parse.h"

/* The broken-down time a text names, before any zone. */
struct civil {
	int y, mo, d, h, mi, sec;
};

/* n decimal digits at *p into *out, advancing *p.  0 or -1. */
static int digits(const char **p, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*out = *out * 10 + (**p - '0');
	}
	return 0;
}

/* Whether *p is c; advances past it when so. */
static int take(const char **p, char c)
{
	if (**p != c)
		return 0;
	(*p)++;
	return 1;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int mo)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return mo == 2 && leap(y) ? 29 : days[mo - 1];
}

/* "YYYY-MM-DDTHH:MM[:SS]" into *c, advancing *p.  0 or -1. */
static int civil_parse(const char **p, struct civil *c)
{
	c->sec = 0;
	if (digits(p, 4, &c->y) || !take(p, '-') || digits(p, 2, &c->mo) || !take(p, '-') ||
	    digits(p, 2, &c->d) || !take(p, 'T') || digits(p, 2, &c->h) || !take(p, ':') ||
	    digits(p, 2, &c->mi))
		return -1;
	if (take(p, ':') && digits(p, 2, &c->sec))
		return -1;
	if (c->y < 1970 || c->mo < 1 || c->mo > 12 || c->d < 1 ||
	    c->d > month_days(c->y, c->mo) || c->h > 23 || c->mi > 59 || c->sec > 59)
		return -1;
	return 0;
}

/* Days from 1970-01-01 to y-mo-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int mo, int d)
{
	int64_t era, yoe, doy, doe;

	y -= mo <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The zone suffix at *p: "Z", "+HH:MM", "-HH:MM" into *off (seconds east), *has 1; nothing
 * leaves *has 0.  0 or -1. */
static int zone_parse(const char **p, int *has, int64_t *off)
{
	int hh, mm, sign;

	*has = 0;
	*off = 0;
	if (!**p)
		return 0;
	*has = 1;
	if (take(p, 'Z'))
		return 0;
	if (**p != '+' && **p != '-')
		return -1;
	sign = *(*p)++ == '-' ? -1 : 1;
	if (digits(p, 2, &hh) || !take(p, ':') || digits(p, 2, &mm) || hh > 14 || mm > 59)
		return -1;
	*off = sign * (int64_t)(hh * 3600 + mm * 60);
	return 0;
}

/* c in the local zone with DST flag isdst (0 or 1): 0 with *t when that reading exists
 * (a round trip gives c back), else -1. */
static int local_try(const struct civil *c, int isdst, int64_t *t)
{
	struct tm tm = { .tm_year = c->y - 1900, .tm_mon = c->mo - 1, .tm_mday = c->d,
			 .tm_hour = c->h, .tm_min = c->mi, .tm_sec = c->sec, .tm_isdst = isdst };
	struct tm back;
	time_t r = mktime(&tm);

	if (r == (time_t)-1 || !localtime_r(&r, &back))
		return -1;
	if (back.tm_year != c->y - 1900 || back.tm_mon != c->mo - 1 || back.tm_mday != c->d ||
	    back.tm_hour != c->h || back.tm_min != c->mi || back.tm_sec != c->sec)
		return -1;
	*t = (int64_t)r;
	return 0;
}

/* c in the server's zone: the earlier of its readings (standard, summer time), *ambiguous
 * when both exist and differ.  0 or -1 (the clocks skip c). */
static int local_time(const struct civil *c, int64_t *at, int *ambiguous)
{
	int64_t t0 = 0, t1 = 0;
	int ok0 = local_try(c, 0, &t0) == 0, ok1 = local_try(c, 1, &t1) == 0;

	*ambiguous = ok0 && ok1 && t0 != t1;
	if (!ok0 && !ok1)
		return -1;
	*at = ok0 && ok1 ? (t0 < t1 ? t0 : t1) : ok0 ? t0 : t1;
	return 0;
}

int schedule_parse_time(const char *s, int64_t now, int64_t *at, int *ambiguous,
			const char **why)
{
	struct civil c;
	int64_t off;
	int has;

	*ambiguous = 0;
	*why = "at= must be YYYY-MM-DDTHH:MM[:SS], then Z, +HH:MM, -HH:MM or nothing for the "
	       "server's time zone";
	if (civil_parse(&s, &c) || zone_parse(&s, &has, &off) || *s)
		return STRATA_EINVAL;
	if (has)
		*at = ((days_from_civil(c.y, c.mo, c.d) * 24 + c.h) * 60 + c.mi) * 60 + c.sec - off;
	else if (local_time(&c, at, ambiguous)) {
		*why = "at= names a local time the clocks skip (daylight saving time starts): "
		       "choose another, or give an offset";
		return STRATA_EINVAL;
	}
	*why = "at= is in the past";
	if (*at < now)
		return STRATA_ERANGE;
	*why = "at= is more than 60 days ahead";
	if (*at - now > SCHEDULE_AHEAD_MAX)
		return STRATA_ERANGE;
	*why = NULL;
	return 0;
}
