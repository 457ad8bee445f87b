/* What a machine keeps of its captures (see keep.h). */
#include <string.h>
#include "keep.h"
#include "rc.h"
#include "text.h"

/* A count key's value: 1..max, or 0..max when zero_ok. */
static int count_parse(const char *v, unsigned int max, int zero_ok, unsigned int *out)
{
	uint64_t n;

	if (strata_u64_parse(&n, v, strlen(v), max) || (!zero_ok && n == 0))
		return STRATA_EINVAL;
	*out = (unsigned int)n;
	return 0;
}

int keep_duration_parse(const char *s, uint64_t *out)
{
	static const char units[] = "smhdw";
	static const uint64_t secs[] = { 1, 60, 3600, 86400, 7 * 86400 };
	size_t len = strlen(s);
	const char *u;
	uint64_t n;

	if (!strcmp(s, "off"))
		return *out = 0, 0;
	if (len < 2 || !(u = strchr(units, s[len - 1])) || !*u)
		return STRATA_EINVAL;
	if (strata_u64_parse(&n, s, len - 1, KEEP_EVERY_MAX) || n == 0 ||
	    n > KEEP_EVERY_MAX / secs[u - units])
		return STRATA_EINVAL;
	*out = n * secs[u - units];
	return 0;
}

/* quota=SIZE (K, M, G, T), or none. */
static int quota_parse(const char *v, uint64_t *out)
{
	if (!strcmp(v, "none"))
		return *out = 0, 0;
	return strata_size_parse(out, v, strlen(v)) || *out == 0 ? STRATA_EINVAL : 0;
}

int keep_key_parse(struct keep_policy *p, const char *key, const char *v, const char **why)
{
	int rc;

	if (!strcmp(key, "keep")) {
		rc = count_parse(v, KEEP_MAX, 0, &p->keep);
		*why = "keep must be a number of generations from 1 to 10000";
		p->set |= KEEP_SET_KEEP;
	} else if (!strcmp(key, "keep-daily")) {
		rc = count_parse(v, KEEP_MAX, 1, &p->keep_daily);
		*why = "keep-daily must be a number of days from 0 to 10000";
		p->set |= KEEP_SET_DAILY;
	} else if (!strcmp(key, "quota")) {
		rc = quota_parse(v, &p->quota);
		*why = "quota must be a size like 500M or 20G, or none";
		p->set |= KEEP_SET_QUOTA;
	} else if (!strcmp(key, "capture-every")) {
		rc = keep_duration_parse(v, &p->every);
		*why = "capture-every must be a duration like 12h, 1d or 7d (units s, m, h, d, "
		       "w; at most 3650d), or off";
		p->set |= KEEP_SET_EVERY;
	} else {
		return 1;
	}
	return rc ? STRATA_EINVAL : 0;
}

struct keep_policy keep_merge(const struct keep_policy *profile,
			      const struct keep_policy *machine)
{
	struct keep_policy out = { .keep = KEEP_DEFAULT, .keep_daily = KEEP_DAILY_DEFAULT };
	const struct keep_policy *from[2] = { profile, machine };

	for (int i = 0; i < 2; i++) {
		const struct keep_policy *f = from[i];

		if (!f)
			continue;
		if (f->set & KEEP_SET_KEEP)
			out.keep = f->keep;
		if (f->set & KEEP_SET_DAILY)
			out.keep_daily = f->keep_daily;
		if (f->set & KEEP_SET_QUOTA)
			out.quota = f->quota;
		if (f->set & KEEP_SET_EVERY)
			out.every = f->every;
		out.set |= f->set;
	}
	return out;
}

/* The UTC day of t (floor division, so times before 1970 fall on their own day). */
static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* Whether g[i] is kept: among the p->keep newest, or the newest of a recent day. */
static int kept(const struct keep_gen *g, size_t n, size_t i, const struct keep_policy *p,
		int64_t today)
{
	int64_t day = day_of(g[i].at);
	size_t newer = 0, newer_same_day = 0;

	for (size_t j = 0; j < n; j++) {
		if (g[j].number <= g[i].number)
			continue;
		newer++;
		newer_same_day += day_of(g[j].at) == day;
	}
	if (newer == 0 || newer < p->keep)
		return 1;
	return newer_same_day == 0 && today - day < (int64_t)p->keep_daily;
}

size_t keep_choose(const struct keep_gen *g, size_t n, const struct keep_policy *p,
		   int64_t now, uint8_t *drop)
{
	int64_t today = day_of(now);
	size_t dropped = 0;

	for (size_t i = 0; i < n; i++) {
		drop[i] = !kept(g, n, i, p, today);
		dropped += drop[i];
	}
	return dropped;
}
