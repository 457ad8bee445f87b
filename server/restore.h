/*
 * Restore orders (docs/restore.md, "Roll back"): an admin's POST /api/restore/NAME?
 * generation=N.  Why an order of its own: overwriting a partition the disk still has is
 * the one thing a manifest never does by itself, so it happens only while an order says
 * so, and only after the order's capture task has kept what the disk holds.  The order is
 * a restore_orders row (db.c, step 7) tied to that machine capture task:
 *   open    its task is open (the PC has not captured yet): the manifest is unchanged;
 *   ready   its task committed: the manifest writes generation N over the captured
 *           partitions (policy=write), and the machine's next boot deploys;
 *   ended   the PC reported "deployed": the manifest names generation N for a restore
 *           (policy=restore) until a newer generation is committed.
 * An order whose task was cancelled or failed never becomes ready.  Nothing is deleted.
 */
#ifndef STRATA_RESTORE_H
#define STRATA_RESTORE_H

#include <stdint.h>
#include "who.h"
#include "capture_task.h"

struct server;

/** What an accepted order names, for its answer. */
struct restore_ticket {
	char name[64];       /**< the machine's inventory name */
	char mac[18];
	int64_t task;        /**< the capture task that runs first */
	char token[CAPTURE_TOKEN_HEX]; /**< its token (capture_task.h), for a capture by strata-image instead
				  of strata.efi; a secret: the caller wipes it when sent */
};

/**
 * Order machine who (its inventory name) restored to generation number gen of every
 * capture=yes partition, for the credential by (borrowed): opens its machine capture task
 * (capture_task.h), then records the order and its audit row (a failure between the two leaves
 * a plain capture task, which an admin cancels).  0 with *out filled;
 * STRATA_ENOENT (no such machine, or a partition without generation gen: *why says),
 * STRATA_EINVAL (no capture=yes partition), STRATA_ESTALE (an order or a capture task is
 * open already), STRATA_EREPORTED.  *why is static text or NULL.
 */
int restore_order(struct server *s, const char *who, int64_t gen, const struct who *by,
		  struct restore_ticket *out, const char **why);

/** The generation number of mac's ready order (its capture committed), or 0 when none.
 *  mac is "aa:bb:..." text.  Borrows everything. */
int64_t restore_ready(struct server *s, const char *mac);

/**
 * The generation number of mac's partition part that a restore names because an order
 * ended after its latest commit (no generations row of it newer than the order's end):
 * that order's; 0 when there is none (the latest generation applies).  Borrows everything.
 */
int64_t restore_pinned(struct server *s, const char *mac, const char *part);

/**
 * The machine mac (binary) reported a deployment: its ready order, if any, ends now and
 * the catalog is rebuilt (catalog_reload_soon).  0 or STRATA_EREPORTED.
 */
int restore_deployed(struct server *s, const uint8_t mac[6]);

#endif /* STRATA_RESTORE_H */
