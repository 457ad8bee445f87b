/*
 * Taking the dashboard's snapshot of the lab (lab_view.h) from a running server.
 *
 * Why in two halves: the in-memory fields (state, progress, message, Secure Boot) are
 * copied under the catalog read lock, extra_lock and the state lock, in that documented
 * order, with no SQL; once they are released, the database's fields come from grouped
 * queries, one per kind for the whole lab (latest generation per machine, key rows,
 * deployed layers, open restore orders), never one per machine.  So a browser's refresh
 * of 5,000 machines holds the state lock for a copy, not for 20,000 statements, and no
 * agent's report waits on it.
 */
#ifndef STRATA_LAB_SNAPSHOT_H
#define STRATA_LAB_SNAPSHOT_H

#include "lab_view.h"
#include "server.h"

/**
 * Fill v (zeroed by the caller; its tiles then owned by it, freed with lab_view_free) with
 * every inventory machine and every unknown machine served under the default profile,
 * sorted.  Takes and releases the locks itself: call with none held.
 * 0, STRATA_ENOMEM, or STRATA_EREPORTED when the database could not be read (logged).
 */
int lab_snapshot(struct server *s, struct lab_view *v);

/**
 * lab_snapshot, with the database's fields (last capture, key, deployed layers, open
 * restore) taken from db_from instead of queried, when it lists the same machines
 * (lab_view_same_layout): what the event stream's tick does between its queries, every
 * LAB_DB_EVERY_S seconds, so the loop's thread does not query the whole lab every second.
 */
int lab_snapshot_from(struct server *s, struct lab_view *v, const struct lab_view *db_from);

/** Seconds between the event stream's queries of the database's fields. */
#define LAB_DB_EVERY_S 10

/** The product of mac in c, an inventory machine's or an unknown one's (any state), or
 *  NULL.  Call with the catalog read lock and c's extra_lock. */
const struct product *lab_product(const struct catalog *c, const uint8_t mac[6]);

/**
 * Record the layers mac just deployed (the deployed table: one row per partition with a
 * layer), after an ok "deployed" report: what tells whether it runs its profile's current
 * gold.  Only when the manifest version it was last issued is its product's current one,
 * so the layers are the ones its manifest named; otherwise nothing is written and its gold
 * reads unknown until the next deployment.  Takes the locks itself.  0 or STRATA_EREPORTED.
 */
int lab_snapshot_deployed(struct server *s, const uint8_t mac[6]);

#endif /* STRATA_LAB_SNAPSHOT_H */
