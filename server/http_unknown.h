/*
 * GET /api/unknown (docs/dashboard-api.md) and what feeds it: PCs that asked to boot but
 * are not in the inventory (unknown.h), with whether the server serves them under the
 * inventory's `default profile=`.
 */
#ifndef STRATA_HTTP_UNKNOWN_H
#define STRATA_HTTP_UNKNOWN_H

#include "http_req.h"
#include "unknown.h"

/**
 * Note that mac asked to boot (how; from ip, host order, 0 unknown) when the catalog's
 * inventory does not hold it.  Takes the read lock, then the table's.  Any thread.
 */
void unknown_note(struct server *s, const uint8_t mac[6], uint32_t ip, enum unknown_how how);

/** GET /api/unknown: {"forgotten","pcs":[{"mac","first","last","ip","how","seen",
 *  "served"}]}, the most recently seen first.  401/403 as http_authorize says. */
enum MHD_Result http_unknown(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_UNKNOWN_H */
