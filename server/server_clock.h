/*
 * The server's "now" for retention, interval captures and admins' sessions: one function, so
 * a test can move it.  Why a file: the interval capture waits days (capture-every=1d),
 * keep-daily counts days and a session ends after 1 h idle or 12 h; a test started with --clock-file PATH writes an offset in seconds to PATH and the
 * next use of the clock sees it, so no test waits a day.  Test only: a production server
 * is started without it and reads time(NULL).
 */
#ifndef STRATA_SERVER_CLOCK_H
#define STRATA_SERVER_CLOCK_H

#include <stdint.h>

/** Read the offset from path (borrowed for the process's life) at each server_now();
 *  NULL: none. */
void server_clock_file(const char *path);

/** Unix seconds now: time(NULL) plus the clock file's offset (a decimal number, may be
 *  negative; a missing or malformed file counts 0). */
int64_t server_now(void);

#endif /* STRATA_SERVER_CLOCK_H */
