/* POST /api/restore/NAME?generation=N and POST /api/replace/NAME?mac=NEW (see
 * http_restore.h, restore.h and replace.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_restore.h"
#include "api_tokens.h"
#include "crypto.h"
#include "http_req.h"
#include "replace.h"
#include "restore.h"
#include "text.h"

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
	struct who by;
	char body[320];
	enum MHD_Result ret;
	struct restore_ticket t;
	const char *why;
	int64_t gen;
	int n, rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (generation_arg(c, r, &gen))
		return http_fail(c, r, STRATA_EINVAL, "generation= must be a generation number "
				 "(1, 2, ..; GET /api/generations/NAME lists them)");
	rc = restore_order(s, r->route.name, gen, &by, &t, &why);
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

/* The mac= value: a MAC, into mac.  0 or STRATA_EINVAL. */
static int mac_arg(struct MHD_Connection *c, struct req *r, uint8_t mac[6])
{
	char buf[24];
	const char *v = NULL;

	if (http_field_get(c, r, "mac", buf, sizeof(buf), &v) < 0 || !v)
		return STRATA_EINVAL;
	return strata_mac_parse(mac, v, strlen(v)) ? STRATA_EINVAL : 0;
}

enum MHD_Result http_replace_order(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct who by;
	char body[256];
	struct replace_ticket t;
	const char *why;
	uint8_t mac[6];
	int n, rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (mac_arg(c, r, mac))
		return http_fail(c, r, STRATA_EINVAL, "mac= must be the new PC's MAC, like "
				 "52:54:00:12:34:56");
	rc = replace_order(s, r->route.name, mac, &by, &t, &why);
	if (rc)
		return http_fail(c, r, rc, why ? why : rc == STRATA_ENOENT ? "no such machine"
				 : "cannot record the replacement");
	n = snprintf(body, sizeof(body), "{\"machine\": \"%s\", \"mac\": \"%s\", "
		     "\"replaced\": \"%s\", \"key\": \"awaiting\"}\n", t.name, t.new_mac,
		     t.old_mac);
	return http_text(c, r, 200, "application/json", body, (size_t)n);
}
