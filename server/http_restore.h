/*
 * strata-server's restore routes (http_restore.c; docs/restore.md): an admin's order to
 * restore a machine's captured partitions to one of its generations, and to replace a
 * machine by a new PC.  http.c dispatches.
 */
#ifndef STRATA_HTTP_RESTORE_H
#define STRATA_HTTP_RESTORE_H

#include <microhttpd.h>
#include "server.h"

struct req;

/** POST /api/restore/NAME?generation=N: capture first, then restore generation N
 *  (restore.h).  Answers JSON naming the machine, its MAC, N and the capture task. */
enum MHD_Result http_restore_order(struct MHD_Connection *c, struct req *r, struct server *s);

/** POST /api/replace/NAME?mac=NEW: the PC NEW takes machine NAME over (replace.h).
 *  Answers JSON naming the machine, its new MAC and the one it replaced. */
enum MHD_Result http_replace_order(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_RESTORE_H */
