/*
 * Retention: after each commit of a generation, the generations of that machine's
 * partition that its keep policy (keep.h) no longer keeps are dropped: their rows go in
 * the commit's own transaction, and their index files leave the machine's private store
 * once it committed (docs/retention.md).  Their chunks stay until a garbage collection
 * (gc.h): another generation, or a gold layer, may still name them.
 *
 * Why in the commit's transaction: a server killed at any moment restarts with the new
 * generation and the old ones dropped, or with neither change.  An index file whose row
 * was dropped but which a kill left behind names nothing and is removed by the next GC.
 */
#ifndef STRATA_RETENTION_H
#define STRATA_RETENTION_H

#include <stdint.h>
#include "keep.h"

struct db;
struct server;

/** One commit's retention: the machine's policy, then what it dropped. */
struct retention {
	char mac[18];
	struct keep_policy policy;
	int64_t *numbers;         /**< the dropped generations' numbers (owned) */
	uint8_t (*layers)[32];    /**< and their layer ids (owned) */
	size_t n;
};

/**
 * The effective keep policy of the machine mac (its machine line over its profile's,
 * over the defaults; the defaults alone for a machine not in the inventory) into *out.
 * Takes the catalog's read lock: call before db_begin.  Returns 1 when the machine is in
 * the inventory (its name into name, INV_NAME_MAX + 1 bytes, when not NULL), 0 when not.
 */
int retention_policy(struct server *s, const uint8_t mac[6], struct keep_policy *out,
		     char *name);

/** Start r for the machine mac (text) with its policy; nothing dropped yet. */
void retention_start(struct server *s, const char *mac, struct retention *r);

/**
 * Drop the generations of mac's partition part that r's policy does not keep at time now,
 * recording them in r.  In the caller's transaction (db_begin), after the new generation's
 * row.  0 or STRATA_EREPORTED.
 */
int retention_apply(struct db *d, struct retention *r, const char *part, int64_t now);

/**
 * End r: when rc is 0 (the transaction committed), remove from the private store the
 * index files of dropped generations that no remaining generation of the machine names,
 * and log what went.  Frees r's arrays in every case.
 */
void retention_finish(struct server *s, struct retention *r, const char *part, int rc);

#endif /* STRATA_RETENTION_H */
