/*
 * Committing a capture: an uploaded layer index becomes a machine's next generation
 * (docs/capture.md, "Commit").
 *
 * Why one step: a generation is a row of the generations table, written in one SQLite
 * transaction with the end of its task, and only after the index file is durable in the
 * machine's private store and every chunk it names is there with the size it gives.  A
 * server killed at any moment restarts with the generation committed or not at all; an
 * index file written before a kill that its row never followed names nothing and is
 * overwritten by the same bytes when the client commits again.
 */
#ifndef STRATA_CAPTURE_COMMIT_H
#define STRATA_CAPTURE_COMMIT_H

#include <stddef.h>
#include <stdint.h>
#include "capture.h"

/** Largest index a commit carries (64 MiB: a 100 GiB partition at 64 KiB chunks is
 *  about 65 MiB in version 1, and a build publishes the smaller version 2). */
#define CAPTURE_INDEX_MAX (64u << 20)

/** What a commit made. */
struct capture_generation {
	int64_t number;
	uint8_t layer[32];
	uint64_t size, stored, uploaded;
};

/**
 * Commit idx[0..len) (borrowed) as the next generation of partition part (a capture=yes
 * label of the machine's profile) for the open machine task t, ending the task.  0 with
 * *out; otherwise an rc with why (why_cap bytes, the caller's) saying what to do:
 * STRATA_ENOTSUP for a gold task, STRATA_EINVAL for a part that is not capture=yes or an
 * index that does not parse, STRATA_ENOENT for an index naming a chunk that is not stored
 * (naming it), STRATA_EREPORTED.
 */
int capture_commit(struct server *s, const struct capture_task *t, const char *part,
		   const uint8_t *idx, size_t len, struct capture_generation *out,
		   char *why, size_t why_cap);

/** Count len bytes of chunk files stored for task t (capture_tasks.uploaded).  0 or
 *  STRATA_EREPORTED. */
int capture_count_upload(struct server *s, const struct capture_task *t, size_t len);

#endif /* STRATA_CAPTURE_COMMIT_H */
