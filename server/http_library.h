/* GET /api/library (docs/dashboard-api.md): the store's sizes (library.h). */
#ifndef STRATA_HTTP_LIBRARY_H
#define STRATA_HTTP_LIBRARY_H

#include "http_req.h"

/** {"store_bytes","logical_bytes","dedup_ratio","layers","computed_at"}, or 202
 *  {"computing":true} while the first computation runs.  401/403 as http_authorize. */
enum MHD_Result http_library(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_LIBRARY_H */
