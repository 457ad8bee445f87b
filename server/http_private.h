/* strata-server's /private/MAC/ routes (http_private.c). */
#ifndef STRATA_HTTP_PRIVATE_H
#define STRATA_HTTP_PRIVATE_H

#include <microhttpd.h>
#include "server.h"

struct req;

/**
 * /private/MAC/layers/... and /private/MAC/runs/...: a machine's private layer, sealed to
 * that machine's signed request, in clear to an admin's credential (audited), refused to
 * anyone else (401, 403).
 */
enum MHD_Result http_private_file(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_PRIVATE_H */
