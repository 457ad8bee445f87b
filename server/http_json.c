/* A JSON answer written into memory, then sent whole (http_json.h). */
#include <stdlib.h>
#include "http_json.h"
#include "rc.h"

int http_json_open(struct http_json *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
	return o->f ? 0 : STRATA_ENOMEM;
}

enum MHD_Result http_json_send(struct MHD_Connection *c, struct req *r, struct http_json *o,
			       int rc, const char *why)
{
	if (fclose(o->f) && !rc)
		rc = STRATA_ENOMEM;
	if (rc) {
		free(o->buf);
		return http_fail(c, r, rc, why);
	}
	return http_owned(c, r, "application/json", o->buf, o->len);
}
