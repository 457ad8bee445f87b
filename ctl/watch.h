/*
 * watch's memory of each machine between two polls of /machines.json, and how a change is
 * shown: progress bars redrawn in place on a terminal, one line per change elsewhere, one
 * JSON object per line with --json.
 */
#ifndef STRATA_CTL_WATCH_H
#define STRATA_CTL_WATCH_H

#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

/** What watch last saw of one machine. */
struct watch_seen {
	char key[96];          /**< name, or MAC for a machine without one */
	char mac[18];
	const char *state;     /**< lab_state's word (static) */
	int decile;            /**< progress in tenths, -1 without a total */
	uint64_t done, total;
	double at;             /**< when done was read (seconds, monotonic) */
	double rate;           /**< bytes a second: the server's for a capture, else measured */
	char message[200];
};

/** How changes are shown. */
enum watch_mode { WATCH_BARS, WATCH_LINES, WATCH_JSON };

/** One line for a change of s (lines or JSON). */
void watch_print_change(FILE *f, enum watch_mode mode, const struct watch_seen *s);

/**
 * Redraw the block of bars for the machines not idle (n entries of seen), over the *lines
 * printed last time, with a count of each state; *lines becomes the new height.
 */
void watch_draw_bars(FILE *f, const struct watch_seen *seen, size_t n, int *lines);

#endif /* STRATA_CTL_WATCH_H */
