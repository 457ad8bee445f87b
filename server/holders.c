/* Who holds a full table (see holders.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "holders.h"

/** A client and how many entries it holds. */
struct holder {
	const char *name;
	size_t count;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Keep top[] (HOLDERS_NAMED, most entries first) the largest holders seen so far. */
static void top_insert(struct holder *top, const char *name, size_t count)
{
	int i = HOLDERS_NAMED - 1;

	if (count <= top[i].count)
		return;
	for (; i > 0 && top[i - 1].count < count; i--)
		top[i] = top[i - 1];
	top[i] = (struct holder){ name, count };
}

void holders_describe(char (*names)[HOLDER_NAME], size_t n, char *buf, size_t cap)
{
	struct holder top[HOLDERS_NAMED] = { { 0 } };
	size_t i, run, distinct = 0, off = 0;

	if (n)
		qsort(names, n, HOLDER_NAME, name_cmp);
	for (i = 0; i < n; i += run, distinct++) {
		for (run = 1; i + run < n && !strcmp(names[i], names[i + run]); run++)
			;
		top_insert(top, names[i], run);
	}
	buf[0] = '\0';
	for (i = 0; i < HOLDERS_NAMED && top[i].count && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%s x%zu", i ? ", " : "",
					top[i].name, top[i].count);
	if (distinct > i && off < cap)
		snprintf(buf + off, cap - off, " (+%zu more addresses)", distinct - i);
}
