/*
 * The catalog's side of strata-server (catalog.c), for server.c: finding what a machine is
 * served, copied out under the catalog's locks (a full unknown-machine table reuses its
 * entries), and starting and stopping the preparer.  The structures are in server.h; server_reload is declared there.
 */
#ifndef STRATA_CATALOG_H
#define STRATA_CATALOG_H

#include <stdint.h>
#include "server.h"

/**
 * Whether mac is served: an inventory machine, or an unknown one under the default profile
 * (queued for the preparer on first contact, never made here, at the site whose subnet
 * holds addr, the request's IPv4 address in host order; 0 when not known: no site).  When
 * it is, its name is copied into name (cap bytes).  Counts as the machine asking what to
 * boot.  Call with the catalog read lock.
 */
int catalog_name(struct server *s, const uint8_t mac[6], uint32_t addr, char *name,
		 size_t cap);

/** mac's site (1 + index into the inventory's sites, inventory_site.h), 0 for none or an
 *  unknown machine.  Read lock. */
unsigned int catalog_site(struct server *s, const uint8_t mac[6]);

/**
 * A copy of mac's signed manifest (the caller frees it; *len its length), or NULL when mac
 * is not served or its product could not be made.  For an unknown machine, waits for the
 * preparer, and marks it deploying, so a full unknown-machine table does not forget it.
 * Call with the catalog read lock, which the preparer can still take (it prefers readers).
 */
char *catalog_manifest(struct server *s, const uint8_t mac[6], size_t *len);

/**
 * 1 when mac is an inventory machine whose manifest names a partition to restore (a
 * `policy=restore` line: a capture=yes partition with a committed generation), so a blank
 * disk in it has something to get back and its boots with nothing pending run the layout
 * check (pxe/check.ipxe, docs/restore.md).  Call with the catalog read lock.
 */
int catalog_restorable(struct server *s, const uint8_t mac[6]);

/** Note a report from mac's agent: deploying, or done when final.  Read lock. */
void catalog_reported(struct server *s, const uint8_t mac[6], int final);

/**
 * A takeover (replace.h) has just moved machine old_mac to new_mac: point the catalog at
 * new_mac now, before any reload, so that nothing resolves the machine to its retired MAC
 * in between (docs/restore.md, "A new PC").  Why here and not only at the reload: a
 * reload may wait (an inventory with an error blocks every one), and meanwhile orders by
 * name (deploy, capture, restore, accept-key) would land on the old MAC, and the retired
 * PC, still a known machine, could pin its key on first use.
 *
 * The inventory entry of old_mac gets new_mac; its manifest, made for old_mac (partition
 * GUIDs and machine layer are the MAC's), is withheld until the reload makes new_mac's,
 * and so is that of any other entry naming new_mac.  Unknown machines' entries of either
 * MAC are settled as not prepared (unknown until the reload) and never remove a folder
 * when forgotten: new_mac's folder now holds the machine's data.  No-op without a
 * catalog.  Call with the catalog write lock.
 */
void catalog_takeover(struct server *s, const uint8_t old_mac[6], const uint8_t new_mac[6]);

/** Free a catalog and everything it owns.  NULL is allowed. */
void catalog_free(struct catalog *c);

/**
 * Ask the server to rebuild its catalog on the loop's thread, as SIGHUP does: a machine
 * capture that ended committed new generations, which its manifest names for a restore
 * (docs/restore.md).  Sends SIGHUP to this process, so the reload runs where every reload
 * runs (main.c's on_reload), never beside another.  Only for the running server, whose
 * signalfd takes SIGHUP.
 */
void catalog_reload_soon(void);

/** Start the preparer thread.  0 or STRATA_EREPORTED. */
int catalog_preparer_start(struct server *s);

/** Stop the preparer (it finishes the product it is making) and wait for it; a preparer
 *  that never started is fine. */
void catalog_preparer_stop(struct server *s);

#endif /* STRATA_CATALOG_H */
