/*
 * PCs that asked to boot but are not in the inventory (GET /api/unknown,
 * docs/dashboard-api.md): what an admin registers (register.h) after unpacking a room of
 * new PCs, without reading MACs off their stickers.
 *
 * Fed by the proxyDHCP (a request of the PXEClient or HTTPClient vendor class, on the
 * loop's thread) and by GET /ipxe/MAC (HTTP threads), for MACs the catalog's inventory
 * does not hold.  Anyone on the segment can send DHCP requests with made-up MACs, so the
 * table is bounded: UNKNOWN_MAX entries, the least recently seen forgotten first and
 * counted.  Nothing here is persisted: a restart starts empty.
 *
 * Lock: the table's own mutex, taken alone (the callers take the catalog lock before or
 * after, never around it).
 */
#ifndef STRATA_UNKNOWN_H
#define STRATA_UNKNOWN_H

#include <stddef.h>
#include <stdint.h>

/** PCs remembered at most. */
#define UNKNOWN_MAX 1024

/** How a PC was seen last. */
enum unknown_how {
	UNKNOWN_PXE = 0,      /**< firmware PXE (DHCP vendor class PXEClient) */
	UNKNOWN_HTTP_BOOT,    /**< UEFI HTTP Boot (vendor class HTTPClient) */
	UNKNOWN_IPXE,         /**< iPXE: its DHCP user class, or GET /ipxe/MAC */
};

/** One PC, as the table keeps it and unknown_list copies it. */
struct unknown_pc {
	uint8_t mac[6];
	enum unknown_how how;   /**< the last sighting's */
	uint32_t ip;            /**< IPv4, host order, of the last sighting that had one; 0 */
	int64_t first, last;    /**< Unix seconds */
	uint64_t seen;          /**< sightings */
};

struct unknown;

/** A new, empty table of cap entries (the caller's, unknown_free).  NULL without memory. */
struct unknown *unknown_new(size_t cap);
void unknown_free(struct unknown *u);

/**
 * Note a sighting of mac at now (Unix seconds) from ip (0: unknown, the last one is
 * kept).  A new MAC in a full table takes the place of the least recently seen one, which
 * is counted as forgotten.  Any thread; NULL u is fine (no table).
 */
void unknown_seen(struct unknown *u, const uint8_t mac[6], uint32_t ip, enum unknown_how how,
		  int64_t now);

/** Drop mac (once registered: it is in the inventory now).  NULL u is fine. */
void unknown_drop(struct unknown *u, const uint8_t mac[6]);

/**
 * Copy the table into out (cap entries: UNKNOWN_MAX, or the table's size, for all of it),
 * the most recently seen first; *forgotten gets how many were pushed out since start.
 * The count copied.
 */
size_t unknown_list(struct unknown *u, struct unknown_pc *out, size_t cap,
		    uint64_t *forgotten);

/** The name of how in the API: "pxe", "http-boot" or "ipxe".  Static. */
const char *unknown_how_name(enum unknown_how how);

#endif /* STRATA_UNKNOWN_H */
