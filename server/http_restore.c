/* POST /api/restore/NAME?generation=N (see http_restore.h and restore.h). */
#include <stdio.h>
#include <stdlib.h>
#include "http_restore.h"
#include "api_tokens.h"
#include "crypto.h"
#include "http_req.h"
#include "restore.h"

/* The generation= value: a number from 1, into *gen.  0 or STRATA_EINVAL. */
static int generation_arg(struct MHD_Connection *c, struct req *r, int64_t *gen)
{
	char buf[24], *end;
	const char *v = NULL;
	long long n;

	if (http_field_get(c, r, "generation", buf, sizeof(buf), &v) < 0 || !v || !*v)
		return STRATA_EINVAL;
	n = strtoll(v, &end, 10);
	if (*end || n < 1 || v[0] == '+' || v[0] == '-' || v[0] == ' ')
		return STRATA_EINVAL;
	*gen = n;
	return 0;
}

enum MHD_Result http_restore_order(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char by[API_TOKEN_NAME_MAX + 1], body[320];
	enum MHD_Result ret;
	struct restore_ticket t;
	const char *why;
	int64_t gen;
	int n, rc = http_authorize(c, s, by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (generation_arg(c, r, &gen))
		return http_fail(c, r, STRATA_EINVAL, "generation= must be a generation number "
				 "(1, 2, ..; GET /api/generations/NAME lists them)");
	rc = restore_order(s, r->route.name, gen, by, &t, &why);
	if (rc)
		return http_fail(c, r, rc, why ? why : rc == STRATA_ENOENT ? "no such machine"
				 : rc == STRATA_EINVAL ? "name one machine (not all)"
				 : rc == STRATA_ESTALE ? "the machine has an open capture task"
				 : "cannot record the order");
	n = snprintf(body, sizeof(body), "{\"machine\": \"%s\", \"mac\": \"%s\", "
		     "\"generation\": %lld, \"capture_task\": %lld, \"token\": \"%s\"}\n",
		     t.name, t.mac, (long long)gen, (long long)t.task, t.token);
	ret = http_text(c, r, 200, "application/json", body, (size_t)n);
	strata_wipe(body, sizeof(body));
	strata_wipe(t.token, sizeof(t.token));
	return ret;
}
