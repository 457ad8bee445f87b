/*
 * Where a capture task's chunks are held and kept (docs/capture.md, "Have and need",
 * "Chunk upload").
 *
 * Deduplication runs against the public store and, for a machine capture, that machine's
 * own private store only: no task learns whether another machine holds a chunk.
 */
#ifndef STRATA_CAPTURE_STORE_H
#define STRATA_CAPTURE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "capture_task.h"

/**
 * Which of the n chunks named in d the task t lacks: a chunk file in the public store, or
 * for a machine capture in t's machine's private store, counts as held.  missing[i] is set
 * to 1 or 0 (missing: n bytes, the caller's); d borrowed.  0, or STRATA_EINVAL for a task
 * whose MAC does not parse, STRATA_ERANGE for a folder path too long.
 */
int capture_need(const struct server *s, const struct capture_task *t,
		 const uint8_t (*d)[32], size_t n, uint8_t *missing);

/**
 * Keep an uploaded chunk file (stored[0..len), borrowed, already checked against its
 * name digest by the caller) for task t: a gold capture's in the public store, a machine
 * capture's in that machine's private store.  A chunk already there is never rewritten.
 * A chunk that would leave less than s->cfg.capture_reserve bytes free where it goes is
 * refused and nothing is written, and so is a machine task's chunk that would pass the
 * machine's quota (quota.h).  1 when it was there, 0 when stored, STRATA_ENOSPC,
 * STRATA_EQUOTA, or STRATA_EREPORTED (printed, naming the store).
 */
int capture_keep_chunk(struct server *s, const struct capture_task *t,
		       const uint8_t digest[32], const void *stored, size_t len);

#endif /* STRATA_CAPTURE_STORE_H */
