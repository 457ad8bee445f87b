/*
 * A new PC in place of a failed one (docs/restore.md, "A new PC"): an admin's POST
 * /api/replace/NAME?mac=NEW, or a `replaces=OLD` key on the new machine's inventory line.
 * The new MAC takes over the machine: its name, profile and machine layer (the inventory
 * line), and everything the server keeps by MAC: its generations, capture tasks, restore
 * orders and interval clock (database rows), its private store folder (STATE/private/MAC,
 * private_store.h) and its state row, with a deployment pending.  The old MAC is retired:
 * its state and key rows go, so it is an unknown machine again.
 *
 * Why move rows rather than map MACs: every query of the server names a machine by MAC;
 * a mapping would have to be applied in all of them, and one forgotten would serve the
 * old MAC the machine's data.  The takeover is one transaction (the rows, the key rows,
 * the replacements row of db.c step 9 and the audit row), then a rename of the private
 * store folder, then replacements.moved = 1.  A server killed between the commit and the
 * mark renames the folder at its next start (replace_recover, before the first catalog is
 * built), so a crash leaves the old state or the new one, never half.
 *
 * The key: the new MAC's key row pins no key and awaits one (key_db.h, key_await).  The
 * first key the new PC presents is kept pending, shown in /machines.json, and needs an
 * admin's POST /api/accept-key/NAME like a differing key; until then the new PC has no
 * session, so no manifest and no private layer.  The old PC's key is dropped: it opens
 * no session for the machine, under either MAC.
 *
 * The inventory may still name the old MAC: a line whose name and MAC a replacement
 * covers is served as the machine's latest MAC (replace_inventory), until the admin
 * writes the new one.
 *
 * The catalog follows at once (catalog_takeover, under its write lock with the rows'
 * transaction): from the takeover on, the machine's name resolves to the new MAC and the
 * old MAC is unknown, whether or not the catalog's reload has run.
 *
 * Locks: replace_lock, gc's commit lock, the catalog's write lock, the state lock, the
 * database's; call with none held.
 */
#ifndef STRATA_REPLACE_H
#define STRATA_REPLACE_H

#include <stdint.h>
#include <stdio.h>
#include "who.h"

struct server;
struct inventory;

/** What an accepted replacement names, for its answer. */
struct replace_ticket {
	char name[64];       /**< the machine's inventory name */
	char old_mac[18];    /**< retired */
	char new_mac[18];    /**< the machine's MAC from now on */
};

/**
 * Replace machine who (its inventory name or MAC; not "all") by the PC new_mac, for the
 * credential by (borrowed); asks for a catalog rebuild (catalog_reload_soon) when done.
 * 0 with *out filled; STRATA_ENOENT no such machine; STRATA_EINVAL "all", or new_mac is
 * the machine's own; STRATA_ESTALE new_mac is in the inventory or has captured data of
 * its own, or the machine has an open capture task; STRATA_EREPORTED.  *why is static
 * text or NULL.
 */
int replace_order(struct server *s, const char *who, const uint8_t new_mac[6],
		  const struct who *by, struct replace_ticket *out, const char **why);

/**
 * At every inventory load, before the catalog is built from inv (owned by the caller,
 * modified): finishes folder moves (replace_recover), takes over the machines that `replaces=OLD` lines name, once (audited as
 * `inventory`; a refused one is logged naming the line, and the line is left out of this
 * load so its PC gets nothing of the machine's); then serves each line whose MAC a
 * replacement retired as the machine's latest MAC (logged), and leaves out a line whose
 * latest MAC another line names.  0 or STRATA_EREPORTED (the load fails).
 */
int replace_inventory(struct server *s, struct inventory *inv);

/**
 * Rename the private store folders of replacements committed but not marked moved: a
 * server killed between the two, or a rename that failed.  replace_inventory calls it at
 * every load, so at start before the first catalog is built.  0 or STRATA_EREPORTED
 * (logged).
 */
int replace_recover(struct server *s);

/** ", \"replaced\": \"OLD\", \"replaced_at\": T" when mac took over a machine, and
 *  ", \"replaced_by\": \"NEW\", \"replaced_by_at\": T" when mac was retired, for mac's
 *  /machines.json object.  Call with no database lock. */
void replace_json(FILE *f, struct server *s, const uint8_t mac[6]);

/**
 * Whether mac's private store is in a replacement's move not finished yet (a replacements
 * row with moved = 0 naming mac as old or new): its rows already name the new MAC while
 * the folder still bears the old one, so garbage collection must read that store whole
 * and remove nothing from it (gc.c).  1, 0, or STRATA_EREPORTED.
 */
int replace_folder_pending(struct db *d, const uint8_t mac[6]);

#endif /* STRATA_REPLACE_H */
