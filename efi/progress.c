/* The console progress bar (see progress.h). */
#include <efi.h>
#include <efilib.h>
#include "clock.h"
#include "progress.h"

static void draw(struct progress *p, uint64_t done, const CHAR16 *end)
{
	uint64_t el = clock_ms() - p->start_ms, rate = el ? done * 1000 / el : 0;
	uint64_t pct = p->total ? done * 100 / p->total : 100;
	uint64_t left = rate ? (p->total - done) / rate : 0;
	CHAR16 bar[31];

	for (int i = 0; i < 30; i++)
		bar[i] = i < (int)(pct * 30 / 100) ? L'#' : L'.';
	bar[30] = 0;
	Print(L"\r%a [%s] %3lu%% %6lu MiB %4lu MiB/s %4lus left%s", p->what, bar, pct,
	      done >> 20, rate >> 20, left, end);
}

void progress_start(struct progress *p, const char *what, uint64_t total)
{
	p->what = what;
	p->total = total;
	p->start_ms = p->last_ms = clock_ms();
}

void progress_update(struct progress *p, uint64_t done)
{
	uint64_t t = clock_ms();

	if (t - p->last_ms < 250)
		return;
	p->last_ms = t;
	draw(p, done, L"");
}

void progress_end(struct progress *p, uint64_t done)
{
	draw(p, done, L"\r\n");
}
