/*
 * The lab-management routes of the dashboard's contract that are not orders
 * (docs/dashboard-api.md): POST /api/wake (Wake-on-LAN, wol.h), and the room= form of
 * POST /api/accept-key.  Each POST answers 401 without a credential and 403 to a
 * cross-site cookie (http_authorize).
 */
#ifndef STRATA_HTTP_WOL_H
#define STRATA_HTTP_WOL_H

#include "http_req.h"

/** POST /api/wake: names=A,B (names or MACs) or room=R: one audit row "wake", then each
 *  machine's magic packet (wol_order).  200 {"target","machines":[{"name","mac"}]}; 404
 *  naming a name or room that matches nothing; 501 without a broadcast target; 429 when
 *  the queue is full. */
enum MHD_Result http_wake(struct MHD_Connection *c, struct req *r, struct server *s);

/**
 * The names of room's machines in the catalog, comma-separated, into out (cap bytes):
 * what POST /api/accept-key room=R hands to server_accept_keys.  Takes the read lock.
 * The count of machines (0: no such room), or STRATA_ERANGE when out is too small.
 */
int http_room_names(struct server *s, const char *room, char *out, size_t cap);

#endif /* STRATA_HTTP_WOL_H */
