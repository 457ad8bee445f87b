/*
 * Linux-side helpers shared by strata-image and strata-server: error reporting, whole-file
 * I/O, clocks and the progress line.  Errors are printed where they happen, naming the
 * file, URL, line or chunk at fault, prefixed by the program's name.
 */
#ifndef STRATA_HOST_H
#define STRATA_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "rc.h"

/** The program's name for messages; each main() sets it. */
extern const char *host_prog;

/**
 * Print "<prog>: <fmt>" to stderr.  Returns STRATA_EREPORTED, so a failure site can return
 * it and a caller can tell "already reported" from a core code it must still explain.
 */
int errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Read a whole file (at most max bytes) into a new buffer the caller owns and frees.
 * Prints its own error naming path.  0 or negative rc.
 */
int read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

struct strata_diag;

/** One line of a text file: [p, end) without its newline, numbered from 1. */
typedef int text_line_fn(void *ctx, const char *p, const char *end, uint64_t no,
			 struct strata_diag *diag);

/**
 * Walk text line by line for a line-based file of credentials (API tokens, admins), calling
 * line for each, and stop at the first non-zero rc, which is returned.  A NUL byte in a line
 * is refused naming its line: such a file is text, and a NUL would cut a field short unseen.
 * Borrows text.
 */
int text_lines(const char *text, size_t len, text_line_fn *line, void *ctx,
	       struct strata_diag *diag);

/**
 * Write buf to path atomically: a temporary name in the same folder, then rename, so no
 * reader ever sees a half file under the real name.  With durable, fsync before the rename
 * (otherwise the caller syncs the filesystem before publishing anything that refers to the
 * file).  Borrows buf; prints its own error.
 */
int write_file_atomic(const char *path, const void *buf, size_t len, int mode, int durable);

/**
 * write_file_atomic for the file name inside the open folder dir, so that a caller who
 * walked to dir without following links (a store's fan-out folder, which another user may
 * own) writes exactly there; the temporary file is made with O_NOFOLLOW.  shown names the
 * file in errors.  Borrows buf and dir.
 */
int write_file_atomic_at(int dir, const char *name, const char *shown, const void *buf,
			 size_t len, int mode, int durable);

/**
 * fsync folder dir, so that a rename or a new file in it survives a crash (write_file_atomic
 * syncs the file, not its folder).  0 or STRATA_EREPORTED (printed, naming dir).
 */
int dir_sync(const char *dir);

/** Number of worker threads: the online CPUs, at least 1. */
unsigned int cpu_count(void);

/** Monotonic seconds. */
double now_seconds(void);

/*
 * Progress: one line on stderr, redrawn in place, only when stderr is a terminal
 * (STRATA_PROGRESS=1 forces it, for tests).  Thread-safe counters; one thread draws.
 */
struct progress {
	const char *what;
	uint64_t total;
	uint64_t done;           /**< updated with atomic adds by workers */
	double start;
	double last_draw;
	int enabled;
};

void progress_init(struct progress *p, const char *what, uint64_t total);
void progress_add(struct progress *p, uint64_t n);
/** Redraw if due (at most 5 times a second); called by one thread only. */
void progress_tick(struct progress *p);
/** Draw the final state and end the line. */
void progress_done(struct progress *p);

#endif /* STRATA_HOST_H */
