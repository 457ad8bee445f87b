/*
 * One progress line for the whole deployment, as lab admins expect from Clonezilla and
 * FOG: bytes, speed and time left, redrawn in place on the console (and so on the serial
 * port), at most a few times a second.  The final line is logged normally.
 */
#ifndef STRATA_EFI_PROGRESS_H
#define STRATA_EFI_PROGRESS_H

#include <stdint.h>

struct progress {
	const char *what;     /**< e.g. the partition label; borrowed */
	uint64_t total;       /**< bytes to write */
	uint64_t start_ms, last_ms;
};

void progress_start(struct progress *p, const char *what, uint64_t total);
/** Redraw if 250 ms passed since the last draw. */
void progress_update(struct progress *p, uint64_t done);
/** Draw the final state and end the line. */
void progress_end(struct progress *p, uint64_t done);

#endif /* STRATA_EFI_PROGRESS_H */
