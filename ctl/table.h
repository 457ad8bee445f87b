/*
 * Aligned columns for strata-ctl's listings: rows are collected, then printed with each
 * column as wide as its widest cell, so a table reads the same for 3 machines or 5,000.
 * (--json listings bypass this and print the server's JSON.)
 */
#ifndef STRATA_CTL_TABLE_H
#define STRATA_CTL_TABLE_H

#include <stdio.h>

#define TABLE_COLS_MAX 12

/** A table being filled.  It owns copies of every cell. */
struct table {
	int ncols;
	size_t nrows, cap;
	char **cells;                 /**< nrows * ncols, row-major; row 0 the headers */
	int oom;                      /**< a copy failed: table_print says so */
};

/** Start a table with ncols (<= TABLE_COLS_MAX) headers, taken from the NULL-ended list. */
void table_init(struct table *t, const char *const *headers);

/** Add a row of t->ncols cells (copied; NULL prints as "-"). */
void table_row(struct table *t, const char *const *cells);

/** Print it to f, then free it.  0, or -1 when memory ran out while filling. */
int table_print(struct table *t, FILE *f);

#endif /* STRATA_CTL_TABLE_H */
