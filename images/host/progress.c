/* A one-line progress display for long commands (see cli.h). */
#include <stdlib.h>
#include <unistd.h>
#include "host.h"

void progress_init(struct progress *p, const char *what, uint64_t total)
{
	const char *force = getenv("STRATA_PROGRESS");

	p->what = what;
	p->total = total;
	p->done = 0;
	p->start = now_seconds();
	p->last_draw = 0;
	p->enabled = force ? atoi(force) : isatty(STDERR_FILENO);
}

void progress_add(struct progress *p, uint64_t n)
{
	__atomic_fetch_add(&p->done, n, __ATOMIC_RELAXED);
}

static void draw(struct progress *p, double t, const char *end)
{
	uint64_t done = __atomic_load_n(&p->done, __ATOMIC_RELAXED);
	double el = t - p->start, rate = el > 0 ? (double)done / el : 0;
	double pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
	double left = rate > 0 ? (double)(p->total - done) / rate : 0;
	char bar[31];
	int fill = (int)(pct * 30 / 100);

	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%s [%s] %5.1f%% %8.1f MiB %7.1f MiB/s %4.0fs left%s", p->what, bar,
		pct, (double)done / 1048576.0, rate / 1048576.0, left, end);
	fflush(stderr);
}

void progress_tick(struct progress *p)
{
	double t = now_seconds();

	if (!p->enabled || t - p->last_draw < 0.2)
		return;
	p->last_draw = t;
	draw(p, t, "");
}

void progress_done(struct progress *p)
{
	if (p->enabled)
		draw(p, now_seconds(), "\n");
}
