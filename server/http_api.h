/*
 * The dashboard's read routes (docs/dashboard-api.md): GET /api/machines, /api/machine/NAME,
 * /api/profiles, /api/layers and /api/audit.  Each answers JSON written through json_out.h
 * to a request http_authorize admits (an admin's session or a Bearer token), 401 without
 * one.  Lab-wide answers come from the snapshot (lab_snapshot.h) or from one grouped query,
 * never from SQL per machine under the state lock.
 */
#ifndef STRATA_HTTP_API_H
#define STRATA_HTTP_API_H

#include "http_req.h"

/** GET /api/machines?room=&q=&filter=&stale_days=&page=&per= */
enum MHD_Result http_api_machines(struct MHD_Connection *c, struct req *r, struct server *s);
/** GET /api/machine/NAME[?before=ORDER]: the tile, manifest, layers deployed,
 *  generations, the last 50 orders before ORDER, and the failure. */
enum MHD_Result http_api_machine(struct MHD_Connection *c, struct req *r, struct server *s);
/** GET /api/profiles */
enum MHD_Result http_api_profiles(struct MHD_Connection *c, struct req *r, struct server *s);
/** GET /api/layers */
enum MHD_Result http_api_layers(struct MHD_Connection *c, struct req *r, struct server *s);
/** GET /api/audit?before=ID&limit=N */
enum MHD_Result http_api_audit(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_API_H */
