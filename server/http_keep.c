/* strata-server's routes for what it keeps of captures (see http_keep.h). */
#include <stdio.h>
#include <string.h>
#include "gc.h"
#include "generations.h"
#include "http_keep.h"
#include "http_req.h"
#include "rc.h"

enum MHD_Result http_generations(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct who by;
	char *body;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	rc = generations_json(s, r->route.name, &body);
	if (rc)
		return http_fail(c, r, rc, rc == STRATA_ENOENT ? "no such machine"
				 : rc == STRATA_EINVAL ? "name one machine: /api/generations/NAME "
				 "or /api/generations/MAC" : "cannot read the generations");
	return http_owned(c, r, "application/json", body, strlen(body));
}

/* dry-run= of r: 1 yes, 0 no or absent, -1 anything else. */
static int dry_run_of(struct MHD_Connection *c, struct req *r)
{
	char buf[8];
	const char *v;
	int got = http_field_get(c, r, "dry-run", buf, sizeof(buf), &v);

	if (got == 0)
		return 0;
	return got < 0 ? -1 : !strcmp(v, "yes") ? 1 : !strcmp(v, "no") ? 0 : -1;
}

enum MHD_Result http_gc(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct who by;
	char body[320];
	struct gc_result res;
	const char *why;
	int dry, rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if ((dry = dry_run_of(c, r)) < 0)
		return http_fail(c, r, STRATA_EINVAL, "dry-run must be yes or no");
	rc = gc_run(s, dry, &by, &res);
	if (rc == STRATA_ESTALE)
		return http_error(c, r, 409, "a garbage collection is running: try again when it "
				  "ends");
	if (rc)
		return http_error(c, r, 500, "the collection stopped: the server's log names the "
				  "file at fault");
	gc_json(&res, body, sizeof(body));
	return http_text(c, r, 200, "application/json", body, strlen(body));
}
