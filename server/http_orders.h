/*
 * The orders routes of the dashboard's API (docs/dashboard-api.md; orders.h, schedule.h):
 * POST /api/orders/preview, POST /api/orders, GET /api/schedule, POST
 * /api/schedule-cancel/ID.  Every one asks http_authorize first: 401 without a credential,
 * 403 to a cookie without CSRF token or from a foreign Origin.
 */
#ifndef STRATA_HTTP_ORDERS_H
#define STRATA_HTTP_ORDERS_H

#include <microhttpd.h>
#include "http_req.h"

enum MHD_Result http_orders_preview(struct MHD_Connection *c, struct req *r, struct server *s);
enum MHD_Result http_orders(struct MHD_Connection *c, struct req *r, struct server *s);
enum MHD_Result http_schedule(struct MHD_Connection *c, struct req *r, struct server *s);
enum MHD_Result http_schedule_cancel(struct MHD_Connection *c, struct req *r,
				     struct server *s);

#endif /* STRATA_HTTP_ORDERS_H */
