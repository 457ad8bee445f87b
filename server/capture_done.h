/*
 * The end of a capture task (POST /capture/done, docs/capture.md "Done"), and the captured
 * profiles a gold task's done makes.
 *
 * A task commits its partitions one at a time (capture_commit.h) and says when it is done:
 * a machine task then simply ends (`committed`).  A gold task sends the reference disk's
 * layout (strata_layout_parse: the disk's partitions in order, a committed layer for each
 * captured one, policy=preserve and no layer for the private ones), and becomes the
 * profile its order named (as=NAME).
 *
 * Why the database is the record: the profile's row and the task's end are one SQLite
 * transaction, so a server killed at any moment restarts with the profile and the task
 * ended, or with neither (the task still open, and its client's done may come again).
 * The layout is also written, atomically and durably, to STATE/profiles/NAME.layout
 * before that transaction, for an admin to read and diff; a file a killed done left
 * without its row is not loaded, and the next done of that name overwrites it.
 *
 * A capture never overwrites: an order whose as= names a profile (the inventory's, a
 * captured one, or one an open gold task will make) is refused, the row's name is its
 * primary key, and an inventory `profile` line with a captured profile's name is an error
 * naming both (inventory_load_with).
 */
#ifndef STRATA_CAPTURE_DONE_H
#define STRATA_CAPTURE_DONE_H

#include <stddef.h>
#include <stdint.h>
#include "capture_task.h"

struct db;

/** What a done made, for its answer. */
struct capture_end {
	unsigned int parts;        /**< partitions the task committed */
	unsigned int layers;       /**< gold: layers the profile names */
};

/**
 * End the open task t: body[0..len) (borrowed) is empty for a machine task, and for a
 * gold task the captured layout, which becomes the profile t->profile.  0 with *out;
 * otherwise an rc with why (why_cap bytes, the caller's) saying what to do: STRATA_EINVAL
 * for a layout that does not parse or names a layer this task did not commit, or a body
 * on a machine task; STRATA_ESTALE when the profile's name was taken meanwhile;
 * STRATA_EACCES when the task ended meanwhile; STRATA_EREPORTED.
 */
int capture_done(struct server *s, const struct capture_task *t, const char *body,
		 size_t len, struct capture_end *out, char *why, size_t why_cap);

/**
 * Every captured profile of the database, as inventory profiles (inv_profile_from_layout)
 * for inventory_load_with: *out is the caller's (free each with inv_profile_done, then
 * the array), *n their number.  Writes a row's STATE/profiles/NAME.layout when it is
 * missing (a database restored without the folder).  0 or STRATA_EREPORTED (printed,
 * naming the profile).
 */
int capture_profiles_load(struct server *s, struct inv_profile **out, size_t *n);

/**
 * Whether name is a captured profile or the as= of an open gold task: 1, 0, or
 * STRATA_EREPORTED.  Run in a transaction, so an order's check and its task's insert are
 * one step.
 */
int capture_profile_taken(struct db *d, const char *name);

#endif /* STRATA_CAPTURE_DONE_H */
