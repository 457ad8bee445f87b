/*
 * Sites in the inventory: where the machines of one building or town fetch their layers
 * and boot files (docs/sites.md).  One strata-server keeps the inventory, orders and
 * signatures; the bytes come from whatever is nearest: a branch cache, an object store's
 * HTTP endpoint, a CDN.
 *
 *     site branch-b subnet=10.2.0.0/16,10.3.4.0/24 store=http://cache-b/store boot=http://cache-b/boot
 *     machine 52:54:00:12:34:01 name=pc01 profile=lab site=branch-b
 *
 * - `site NAME subnet=CIDR[,CIDR...] store=URL [boot=URL]`: NAME as a machine's; up to
 *   INV_SITE_SUBNETS networks A.B.C.D/N with no host bits set, none overlapping another
 *   site's; store= the folder holding layers/ and chunks/ (the manifest's `store` line,
 *   manifest.h, and its URL rule); boot= where the site's PCs fetch strata.efi (BOOT/strata.efi),
 *   by default the server's /boot; wol=A.B.C.D the directed broadcast address its
 *   machines' Wake-on-LAN packets go to (wol.h; its router must forward them), by
 *   default the server's own targets.
 * - A machine line's `site=NAME` puts the machine at that site, defined above it.  An
 *   unknown machine under `default profile=` belongs to the site whose subnet holds the
 *   address of its first request, as the server sees it (catalog.c).  A machine at no site
 *   fetches everything from the server.
 *
 * Kept apart from inventory.c, which calls inv_site_parse for `site` lines.
 */
#ifndef STRATA_INVENTORY_SITE_H
#define STRATA_INVENTORY_SITE_H

#include <stddef.h>
#include <stdint.h>
#include "inventory.h"

/** Networks one site may list. */
#define INV_SITE_SUBNETS 8
/** Sites one inventory may define: a district of a few hundred buildings. */
#define INV_SITES_MAX 1024

/** An IPv4 network, host byte order; addr & mask == net. */
struct inv_subnet {
	uint32_t net, mask;
};

/** One site: where its machines fetch from. */
struct inv_site {
	char name[INV_NAME_MAX + 1];
	struct inv_subnet subnet[INV_SITE_SUBNETS];
	unsigned int nsubnets;
	char store[STRATA_STORE_URL_MAX + 1];   /**< the manifest's store URL */
	char boot[STRATA_STORE_URL_MAX + 1];    /**< base of boot files; "" = the server's */
	uint32_t wol;                           /**< wol=: Wake-on-LAN's target, host
						     order; 0 = the server's (wol.h) */
	unsigned int line;
};

/**
 * Parse a `site` line (words word[0..n), word[0] "site"; split in place by the caller)
 * into a new entry of inv->sites.  On error prints "path:no: why" and returns
 * STRATA_EREPORTED; inv is unchanged.
 */
int inv_site_parse(struct inventory *inv, const char *path, unsigned int no,
		   char *const *word, int n);

/** 1 + the index of site name in inv->sites, or 0 when there is none: a machine's site. */
unsigned int inv_site_find(const struct inventory *inv, const char *name);

/** The site whose subnets hold addr (IPv4, host byte order), or 0 (1 + index, as above). */
unsigned int inv_site_of_addr(const struct inventory *inv, uint32_t addr);

/** Site number site (1 + index) of inv, or NULL for 0 or out of range.  Borrowed. */
const struct inv_site *inv_site_get(const struct inventory *inv, unsigned int site);

#endif /* STRATA_INVENTORY_SITE_H */
