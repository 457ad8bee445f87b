/* Numbers for people (fmt.h). */
#include <stdio.h>
#include "fmt.h"

/* fmt_bytes into cap bytes. */
static void fmt_bytes_n(char *out, size_t cap, uint64_t n)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 6) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu B", (unsigned long long)n);
	else
		snprintf(out, cap, "%.1f %s", v, unit[u]);
}

void fmt_bytes(char out[FMT_MAX], uint64_t n)
{
	fmt_bytes_n(out, FMT_MAX, n);
}

void fmt_age(char out[FMT_MAX], int64_t at, time_t now)
{
	int64_t d = (int64_t)now - at;

	if (at <= 0)
		snprintf(out, FMT_MAX, "never");
	else if (d < 0)
		snprintf(out, FMT_MAX, "just now");
	else if (d < 120)
		snprintf(out, FMT_MAX, "%lld s ago", (long long)d);
	else if (d < 7200)
		snprintf(out, FMT_MAX, "%lld min ago", (long long)(d / 60));
	else if (d < 172800)
		snprintf(out, FMT_MAX, "%lld h ago", (long long)(d / 3600));
	else
		snprintf(out, FMT_MAX, "%lld d ago", (long long)(d / 86400));
}

void fmt_duration(char out[FMT_MAX], uint64_t s)
{
	if (s >= 3600)
		snprintf(out, FMT_MAX, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
	else
		snprintf(out, FMT_MAX, "%llu:%02llu", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
}

void fmt_progress(char out[FMT_MAX], uint64_t done, uint64_t total)
{
	char t[FMT_MAX - 12];

	if (!total) {
		snprintf(out, FMT_MAX, "-");
		return;
	}
	fmt_bytes_n(t, sizeof(t), total);
	snprintf(out, FMT_MAX, "%d%% of %s",
		 (int)(done >= total ? 100 : (double)done * 100 / (double)total), t);
}
