/*
 * strata-server's routes for what it keeps of captures (http_keep.c;
 * docs/retention.md): an admin's listing of a machine's generations and garbage
 * collection.  http.c dispatches to them.
 */
#ifndef STRATA_HTTP_KEEP_H
#define STRATA_HTTP_KEEP_H

#include <microhttpd.h>
#include "server.h"

struct req;

/** GET /api/generations/NAME: the machine's generations as JSON (generations.h). */
enum MHD_Result http_generations(struct MHD_Connection *c, struct req *r, struct server *s);
/** POST /api/gc[?dry-run=yes]: collect the stores, or count what that would free (gc.h). */
enum MHD_Result http_gc(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_KEEP_H */
