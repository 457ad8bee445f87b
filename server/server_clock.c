/* The server's clock (see clock.h). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "server_clock.h"

static const char *clock_path;

void server_clock_file(const char *path)
{
	clock_path = path;
}

/* The clock file's offset in seconds, or 0. */
static int64_t offset(void)
{
	long long v = 0;
	FILE *f;

	if (!clock_path || !(f = fopen(clock_path, "re")))
		return 0;
	if (fscanf(f, "%lld", &v) != 1)
		v = 0;
	fclose(f);
	return (int64_t)v;
}

int64_t server_now(void)
{
	return (int64_t)time(NULL) + offset();
}
