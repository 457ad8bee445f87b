/*
 * The catalog's side of strata-server (catalog.c), for server.c: finding what a machine is
 * served, waiting for a default-profile product the preparer is making, and starting and
 * stopping the preparer.  The structures are in server.h; server_reload is declared there.
 */
#ifndef STRATA_CATALOG_H
#define STRATA_CATALOG_H

#include <stdint.h>
#include "server.h"

/**
 * The product serving mac: an inventory machine's, a default-profile one (queued for the
 * preparer on first contact, never made here), or NULL (boot locally).  Call with the
 * catalog read lock; the product is borrowed from s->cat while it is held.
 */
struct product *catalog_lookup(struct server *s, const uint8_t mac[6]);

/**
 * Wait until p (from catalog_lookup) is no longer queued.  0 when it is ready,
 * STRATA_ENOENT when the preparer could not make it.  Call with the catalog read lock,
 * which the preparer can still take (the lock prefers readers).
 */
int catalog_wait_ready(struct catalog *c, struct product *p);

/** Free a catalog and everything it owns.  NULL is allowed. */
void catalog_free(struct catalog *c);

/** Start the preparer thread.  0 or STRATA_EREPORTED. */
int catalog_preparer_start(struct server *s);

/** Stop the preparer (it finishes the product it is making) and wait for it; a preparer
 *  that never started is fine. */
void catalog_preparer_stop(struct server *s);

#endif /* STRATA_CATALOG_H */
