/*
 * POST /api/register (docs/dashboard-api.md, docs/registration.md): unknown PCs become
 * machines of the registered file (register.h).  401 without a credential, 403 to a
 * cross-site cookie (http_authorize).
 */
#ifndef STRATA_HTTP_REGISTER_H
#define STRATA_HTTP_REGISTER_H

#include "http_req.h"

/** macs=&pattern=&profile=[&start=&room=&site=] → {"registered":[{"mac","name"}],"file",
 *  "reload":"started"}; 409 without a `registered` statement (naming the line to add) or
 *  for a MAC registered already; 400 for a bad field or a pattern out of numbers. */
enum MHD_Result http_register(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_REGISTER_H */
