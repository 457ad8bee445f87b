/* POST /api/register (see http_register.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_register.h"
#include "json_out.h"
#include "register.h"
#include "text.h"

/** The request's fields, read into buffers of their own. */
struct reg_fields {
	char macs[BODY_MAX + 1], pattern[REGISTER_PATTERN_MAX + 2], start[16];
	char profile[INV_NAME_MAX + 2], room[INV_ROOM_MAX + 2], site[INV_NAME_MAX + 2];
	uint8_t mac[REGISTER_MAX][6];
	struct register_req req;
};

/* A field that must fit cap - 1 bytes: 1 set, 0 absent or empty, -1 malformed or too
 * long. */
static int field(struct MHD_Connection *c, struct req *r, const char *key, char *buf,
		 size_t cap, const char **out)
{
	const char *v;
	int rc = http_field_get(c, r, key, buf, cap, &v);

	*out = NULL;
	if (rc <= 0 || !v[0])
		return rc < 0 ? rc : 0;   /* an empty field reads as absent */
	if (strlen(v) >= cap - 1)
		return -1;
	if (v != buf)
		snprintf(buf, cap, "%s", v);
	*out = buf;
	return 1;
}

/* The fields into f->req: 0, or STRATA_EINVAL (or ERANGE) with *why. */
static int read_fields(struct MHD_Connection *c, struct req *r, struct reg_fields *f,
		       const char **why)
{
	const char *macs, *start;

	*why = "give macs=, pattern= (like lab300-##) and profile=; start=, room= and site= "
	       "are optional";
	if (field(c, r, "macs", f->macs, sizeof(f->macs), &macs) != 1 ||
	    field(c, r, "pattern", f->pattern, sizeof(f->pattern), &f->req.pattern) != 1 ||
	    field(c, r, "profile", f->profile, sizeof(f->profile), &f->req.profile) != 1 ||
	    field(c, r, "start", f->start, sizeof(f->start), &start) < 0 ||
	    field(c, r, "room", f->room, sizeof(f->room), &f->req.room) < 0 ||
	    field(c, r, "site", f->site, sizeof(f->site), &f->req.site) < 0)
		return STRATA_EINVAL;
	f->req.start = 1;
	if (start && strata_u64_parse(&f->req.start, start, strlen(start), REGISTER_START_MAX))
		return *why = "start=: a whole number from 0 to 999999999", STRATA_EINVAL;
	f->req.macs = (const uint8_t (*)[6])f->mac;
	return register_macs_parse(macs, f->mac, REGISTER_MAX, &f->req.n, why) ? STRATA_EINVAL : 0;
}

/* {"registered":[{"mac","name"}],"file","reload":"started"}: a new string or NULL. */
static char *answer(const struct register_req *req, char (*names)[INV_NAME_MAX + 1],
		    const char *path, size_t *len)
{
	char *buf = NULL, smac[18];
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fputs("{\"registered\":[", f);
	for (size_t i = 0; i < req->n; i++) {
		strata_mac_format(smac, req->macs[i]);
		fputs(i ? ",{" : "{", f);
		json_kv_str(f, "mac", smac, 1);
		json_kv_str(f, "name", names[i], 0);
		fputc('}', f);
	}
	fputc(']', f);
	json_kv_str(f, "file", path, 0);
	json_kv_str(f, "reload", "started", 0);
	fputs("}\n", f);
	if (fclose(f))
		return free(buf), NULL;
	return buf;
}

enum MHD_Result http_register(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct reg_fields *f = calloc(1, sizeof(*f));
	char (*names)[INV_NAME_MAX + 1] = calloc(REGISTER_MAX, sizeof(*names));
	char why[512], path[REGISTER_PATH_MAX];
	const char *w = "out of memory";
	struct who by;
	char *body = NULL;
	size_t len = 0;
	int rc = http_authorize(c, s, r, &by, &w);

	if (rc == 0 && (!f || !names))
		rc = STRATA_ENOMEM;
	if (rc == 0)
		rc = read_fields(c, r, f, &w);
	if (rc == 0 && (rc = register_run(s, &by, &f->req, names, why, sizeof(why), path)))
		w = why;
	if (rc == 0 && !(body = answer(&f->req, names, path, &len)))
		rc = STRATA_ENOMEM, w = "out of memory";
	free(names);
	free(f);
	if (rc)
		return http_fail(c, r, rc, w);
	return http_owned(c, r, "application/json", body, len);
}
