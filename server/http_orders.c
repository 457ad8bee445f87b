/* The orders routes (http_orders.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_orders.h"
#include "orders.h"
#include "http_json.h"
#include "rc.h"
#include "schedule.h"
#include "server_clock.h"
#include "wol.h"

/* A request and its connection: what the form reader reads. */
struct form {
	struct MHD_Connection *c;
	struct req *r;
};

/* order_field_fn over the request's query and body (http_field_get). */
static int field(void *ctx, const char *key, char *buf, size_t cap)
{
	struct form *f = ctx;
	const char *v = NULL;
	int got = http_field_get(f->c, f->r, key, buf, cap, &v);

	if (got <= 0)
		return got;
	if (v != buf) {
		if (strlen(v) >= cap)
			return -1;
		memmove(buf, v, strlen(v) + 1);
	}
	return 1;
}

enum MHD_Result http_orders_preview(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct form fm = { c, r };
	struct order_req o;
	struct http_json out;
	struct who by;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if ((rc = order_req_parse(&o, field, &fm, server_now(), &why)))
		return http_fail(c, r, rc, why);
	if ((rc = http_json_open(&out)))
		return http_fail(c, r, rc, "out of memory");
	rc = orders_preview(s, &o, &by, out.f);
	return http_json_send(c, r, &out, rc, "cannot preview the order (the server's log says why)");
}

/* The order a confirmation names: preview=ID, or the fields with confirm=yes. */
static int confirmed(struct MHD_Connection *c, struct req *r, struct server *s,
		     const struct who *by, struct order_req *o, const char **why)
{
	struct form fm = { c, r };
	char id[40], yes[8];
	int got = field(&fm, "preview", id, sizeof(id)), rc;

	if (got > 0) {
		rc = orders_take_preview(s, id, by, o);
		*why = rc == STRATA_ESTALE ? "the lab changed since the preview: preview the order "
		       "again" : "no such preview: it is used, expired (5 minutes) or another "
		       "admin's; preview the order again";
		return rc;
	}
	*why = "confirm the order: preview=ID from POST /api/orders/preview, or the order's "
	       "fields with confirm=yes";
	if (got < 0 || field(&fm, "confirm", yes, sizeof(yes)) <= 0 || strcmp(yes, "yes"))
		return STRATA_EINVAL;
	return order_req_parse(o, field, &fm, server_now(), why);
}

/* at=: keep it for later; {"order":null,"scheduled":ID,"marked":0,"refused":[]}. */
static int schedule(struct server *s, const struct order_req *o, const struct who *by, FILE *f)
{
	int64_t id;
	int rc = schedule_add(s, o, by, &id);

	if (rc == 0)
		fprintf(f, "{\"order\":null,\"scheduled\":%lld,\"marked\":0,\"refused\":[]}\n",
			(long long)id);
	return rc;
}

/* Why an order that ran failed with rc, for the answer (static). */
static const char *run_why(const struct order_req *o, int rc)
{
	if (rc == STRATA_ENOENT)
		return "the order names no machine of the inventory";
	if (o->action == ORDER_WAKE && (rc == STRATA_ENOTSUP || rc == STRATA_ELIMIT))
		return wol_why(rc);
	return "cannot record the order (the server's log says why)";
}

enum MHD_Result http_orders(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct order_req o;
	struct http_json out;
	struct who by;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if ((rc = confirmed(c, r, s, &by, &o, &why)))
		return http_fail(c, r, rc, why);
	if ((rc = http_json_open(&out)))
		return http_fail(c, r, rc, "out of memory");
	rc = o.at ? schedule(s, &o, &by, out.f) : orders_run(s, &o, &by, out.f);
	return http_json_send(c, r, &out, rc, run_why(&o, rc));
}

enum MHD_Result http_schedule(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct http_json out;
	struct who by;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if ((rc = http_json_open(&out)))
		return http_fail(c, r, rc, "out of memory");
	rc = schedule_json(s, out.f);
	return http_json_send(c, r, &out, rc, "cannot read the scheduled orders");
}

enum MHD_Result http_schedule_cancel(struct MHD_Connection *c, struct req *r,
				     struct server *s)
{
	struct who by;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	rc = schedule_cancel(s, (int64_t)r->route.first, &by);
	if (rc)
		return http_fail(c, r, rc, rc == STRATA_ENOENT ? "no such scheduled order"
				 : rc == STRATA_ESTALE ? "that order is no longer pending: it ran, "
				 "was missed or was cancelled" : "cannot record the cancellation");
	return http_text(c, r, 200, "application/json", "{\"cancelled\": true}\n", 20);
}
