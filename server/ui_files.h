/*
 * The dashboard's files (ui/), compiled into strata-server by mk/ui.mk: one .incbin each,
 * and this table, generated at build time.  Embedded so that the page needs nothing from
 * elsewhere at run time and a server binary always serves the page its API matches.
 */
#ifndef STRATA_UI_FILES_H
#define STRATA_UI_FILES_H

#include <stddef.h>

/** One embedded file: what GET /ui/NAME answers (http_ui.c). */
struct ui_file {
	const char *name;                /**< its name in ui/, e.g. "lab.js" */
	const char *type;                /**< its Content-Type, by extension */
	const unsigned char *data;       /**< its bytes (static, read-only) */
	size_t len;
	const char *etag;                /**< "16 hex digits" of its SHA-256, quoted */
};

/** Every file of ui/, sorted by name (static, generated). */
extern const struct ui_file ui_files[];
extern const size_t ui_files_count;

#endif /* STRATA_UI_FILES_H */
