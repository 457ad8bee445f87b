/* strata-server's multicast routes (see http_mcast.h). */
#include <stdlib.h>
#include <string.h>
#include "http_mcast.h"
#include "manifest.h"
#include "mcast.h"

/* The status answering a refusal of mcast_status. */
static unsigned int refusal_status(int rc)
{
	return rc == MCAST_BAD_BODY ? 400 : rc == MCAST_NOT_YOURS ? 409 : 503;
}

/* mac's signed manifest as the catalog serves it, parsed into *mf: what the machine
 * was told.  0, or the HTTP status to refuse with. */
static unsigned int manifest_of(struct server *s, const uint8_t mac[6],
				struct strata_manifest *mf)
{
	size_t len;
	char *text = server_manifest(s, mac, &len);
	int rc;

	if (!text)
		return 404;
	rc = strata_manifest_parse(mf, text, len, NULL);
	free(text);
	return rc ? 500 : 0;
}

enum MHD_Result http_mcast_status(struct MHD_Connection *c, struct req *r, struct server *s)
{
	uint8_t answer[STRATA_MC_ANSWER_LEN];
	struct strata_manifest mf;
	char why[256];
	unsigned int st;
	int rc;

	if (r->task_rc)
		return http_error(c, r, r->task_rc == STRATA_ESTALE ? 409 : 403,
				  http_session_why(r->task_rc));
	if (!http_body_signed(c, r->big ? r->big : "", r->big_len))
		return http_error(c, r, 403, "the body does not match the signed b=: sign "
				  "b=SHA-256 of the body (hex) in the query");
	if (!s->mc)
		return http_error(c, r, 503, "multicast is not running");
	if ((st = manifest_of(s, r->route.mac, &mf)))
		return http_error(c, r, st, st == 404 ? "this machine is served no manifest"
				  : "its manifest does not parse");
	rc = mcast_status(s->mc, r->route.mac, &mf, r->big ? r->big : "", r->big_len,
			  answer, why, sizeof(why));
	if (rc)
		return http_error(c, r, refusal_status(rc), why);
	return http_text(c, r, 200, "application/octet-stream", (const char *)answer,
			 sizeof(answer));
}

enum MHD_Result http_mcast_json(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct who by;
	const char *why;
	char *b;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (!s->mc)
		return http_error(c, r, 503, "multicast is not running");
	b = mcast_json(s->mc);
	return http_owned(c, r, "application/json", b, b ? strlen(b) : 0);
}
