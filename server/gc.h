/*
 * Garbage collection of the stores (docs/retention.md, "Garbage collection"): an admin's
 * POST /api/gc (or strata-server --gc) removes what nothing references.
 *
 * Referenced (kept):
 * - every layer index of the public store (the inventory's profiles, captured profiles,
 *   and layers an admin built for a profile not written yet) and every chunk it names;
 * - in each machine's private store (STATE/private/MAC/): the indexes of its retained
 *   generations (the generations table) and of its machine layer (the catalog's, what
 *   its manifest names), and every chunk they name, in that store or the public one;
 * - every file newer than the cutoff: the creation of the oldest open capture task (its
 *   uploads and commits are not referenced yet) or --gc-grace before now, the earlier.
 * Everything else under layers/ and chunks/ of those stores goes: chunks of dropped
 * generations, of cancelled or failed tasks, machine layers an inventory change
 * replaced, the stores of machines no longer in the inventory and with no generation.
 *
 * A dry run walks the same way and removes nothing; its counts are what a run at that
 * moment frees.  One collection runs at a time, and no commit runs beside it
 * (gc_commit_begin): a chunk a task's have/need found present may be gone at its commit,
 * which then names it (409) and the client uploads it again.  A layer index that cannot be read or
 * does not match its name stops the collection before anything is removed, naming it.
 */
#ifndef STRATA_GC_H
#define STRATA_GC_H

#include <stddef.h>
#include <stdint.h>
#include "who.h"

struct server;

/** What a collection freed (or, dry, would free). */
struct gc_result {
	int dry_run;
	uint64_t files, bytes;                 /**< all removed files and their bytes */
	uint64_t public_files, public_bytes;   /**< of which in the public store */
	uint64_t indexes;                      /**< of which layer indexes */
	uint64_t kept_recent;                  /**< unreferenced files kept as newer than the
						    cutoff */
};

/**
 * Collect, or with dry_run only count, for the credential by (borrowed; audited with the
 * result).  0 with *out; STRATA_ESTALE when a collection is running; STRATA_ECORRUPT or
 * STRATA_EREPORTED (printed, naming the file) with nothing removed, or, for a failure
 * while removing, some removed and counted.
 */
int gc_run(struct server *s, int dry_run, const struct who *by, struct gc_result *out);

/**
 * Hold off collections while a commit checks that its index's chunks are stored and
 * records its generation (capture_commit.c); gc_commit_end ends it.  Why: a collection
 * that read a machine's layers before a commit and swept its store after would remove
 * old chunks the new generation names (chunks of a dropped generation it deduplicated
 * against).  Commits run side by side; a collection waits for them, and they for it.
 */
void gc_commit_begin(void);
void gc_commit_end(void);

/** The answer's JSON for r, into out (cap bytes). */
void gc_json(const struct gc_result *r, char *out, size_t cap);

#endif /* STRATA_GC_H */
