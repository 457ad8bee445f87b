/*
 * Where a capture task's chunks are already held (docs/capture.md, "Have and need").
 *
 * Deduplication runs against the public store and, for a machine capture, that machine's
 * own private store only: no task learns whether another machine holds a chunk.
 */
#ifndef STRATA_CAPTURE_STORE_H
#define STRATA_CAPTURE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "capture.h"

/**
 * Which of the n chunks named in d the task t lacks: a chunk file in the public store, or
 * for a machine capture in t's machine's private store, counts as held.  missing[i] is set
 * to 1 or 0 (missing: n bytes, the caller's); d borrowed.  0, or STRATA_EINVAL for a task
 * whose MAC does not parse, STRATA_ERANGE for a folder path too long.
 */
int capture_need(const struct server *s, const struct capture_task *t,
		 const uint8_t (*d)[32], size_t n, uint8_t *missing);

#endif /* STRATA_CAPTURE_STORE_H */
