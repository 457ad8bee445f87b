/* Aligned columns (table.h). */
#include <stdlib.h>
#include <string.h>
#include "table.h"

void table_init(struct table *t, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	while (t->ncols < TABLE_COLS_MAX && headers[t->ncols])
		t->ncols++;
	table_row(t, headers);
}

void table_row(struct table *t, const char *const *cells)
{
	size_t need = (t->nrows + 1) * (size_t)t->ncols;
	char **c;

	if (t->oom)
		return;
	if (need > t->cap) {
		c = realloc(t->cells, 2 * need * sizeof(*c));
		if (!c) {
			t->oom = 1;
			return;
		}
		t->cells = c;
		t->cap = 2 * need;
	}
	for (int i = 0; i < t->ncols; i++) {
		c = &t->cells[t->nrows * (size_t)t->ncols + (size_t)i];
		*c = strdup(cells[i] ? cells[i] : "-");
		t->oom |= !*c;
	}
	t->nrows++;
}

/* Free every cell and the array. */
static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
}

int table_print(struct table *t, FILE *f)
{
	size_t w[TABLE_COLS_MAX] = { 0 };
	int rc = t->oom ? -1 : 0;

	for (size_t r = 0; !rc && r < t->nrows; r++)
		for (int i = 0; i < t->ncols; i++) {
			size_t n = strlen(t->cells[r * (size_t)t->ncols + (size_t)i]);
			w[i] = n > w[i] ? n : w[i];
		}
	for (size_t r = 0; !rc && r < t->nrows; r++)
		for (int i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[r * (size_t)t->ncols + (size_t)i];

			if (i + 1 < t->ncols)
				fprintf(f, "%-*s  ", (int)w[i], cell);
			else
				fprintf(f, "%s\n", cell);
		}
	table_free(t);
	return rc;
}
