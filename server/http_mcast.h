/*
 * strata-server's multicast routes (docs/multicast.md): POST /mcast/status/MAC, a
 * client's status, and GET /api/mcast.json, the sessions' state.  Internal to server/http*.c.
 */
#ifndef STRATA_HTTP_MCAST_H
#define STRATA_HTTP_MCAST_H

#include "http_req.h"

/**
 * POST /mcast/status/MAC?b=SHA256&s=&n=&h=: signed by a session of MAC (each counter
 * once; r->task_rc holds that check, made before the body was taken) with the body's
 * SHA-256 in b=.  Answers 200 with the 32-byte answer (mcast_status_h), 400 for a body
 * that does not parse, 403 unsigned or forged, 404 for a machine the server does not
 * serve, 409 for another machine's session, part or layer, or a replayed counter, 503
 * when it comes under 500 ms after the last.
 */
enum MHD_Result http_mcast_status(struct MHD_Connection *c, struct req *r, struct server *s);

/** GET /api/mcast.json with an admin's credential: mcast_json. */
enum MHD_Result http_mcast_json(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_MCAST_H */
