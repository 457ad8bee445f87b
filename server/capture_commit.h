/*
 * Committing a capture: an uploaded layer index becomes one partition's layer
 * (docs/capture.md, "Commit").  A task commits each partition once and stays open until
 * its done (capture_done.h): a machine task's commit is the next generation of a
 * capture=yes partition, kept in the machine's private store; a gold task's is a layer of
 * the reference disk, kept in the public store (it is public data), which its done names
 * in the captured layout.
 *
 * Why one step: a commit is a capture_commits row (and a machine's generations row),
 * written in one SQLite transaction that finds the task open and the partition not
 * committed yet, and only after the index file is durable in its store and every chunk it
 * names is there with the size it gives.  A server killed at any moment restarts with the
 * commit recorded or not at all; an index file written before a kill that its row never
 * followed names nothing and is overwritten by the same bytes when the client commits
 * again.
 */
#ifndef STRATA_CAPTURE_COMMIT_H
#define STRATA_CAPTURE_COMMIT_H

#include <stddef.h>
#include <stdint.h>
#include "capture_task.h"

/** Largest index a commit carries (64 MiB: a 100 GiB partition at 64 KiB chunks is
 *  about 65 MiB in version 1, and a build publishes the smaller version 3). */
#define CAPTURE_INDEX_MAX (64u << 20)

/** What a commit made. */
struct capture_generation {
	int64_t number;
	uint8_t layer[32];
	uint64_t size, stored, uploaded;
	uint64_t rewritten;   /**< entries whose stored size was made the store's file's */
};

/**
 * Commit idx[0..len) (the caller's, rewritten in place) as the layer of partition part for
 * the open task t:
 * for a machine task a capture=yes label of the machine's profile (the next generation),
 * for a gold task a partition label of the reference disk.  forced records the agent's
 * force=yes (it built a layer of a filesystem it could not map, or whose check failed).
 * A chunk the store holds in a file of another size than idx gives (built at another
 * zlib level) is present: idx's entry is made to name that file before the index is
 * stored and hashed, so out->layer is the id of the index as rewritten and
 * out->rewritten counts the entries (docs/capture.md, "Commit").
 * 0 with *out (number 0 for a gold task); otherwise an rc with why (why_cap bytes, the
 * caller's) saying what to do: STRATA_EINVAL for a part it may not commit or an index
 * that does not parse, STRATA_ENOENT for an index naming a chunk that is not stored
 * (naming it), STRATA_ESTALE for a part this task committed already, STRATA_EACCES for a
 * task that ended meanwhile, STRATA_EREPORTED.
 */
int capture_commit(struct server *s, const struct capture_task *t, const char *part,
		   int forced, uint8_t *idx, size_t len, struct capture_generation *out,
		   char *why, size_t why_cap);

/** Count len bytes of chunk files stored for task t (capture_tasks.uploaded).  0 or
 *  STRATA_EREPORTED. */
int capture_count_upload(struct server *s, const struct capture_task *t, size_t len);

#endif /* STRATA_CAPTURE_COMMIT_H */
