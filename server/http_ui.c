/*
 * The dashboard's files, served from the table mk/ui.mk compiles in (ui_files.h).  Nothing
 * is read from disk, so a page and the API it calls always come from the same build, and
 * only the files of that table can be named: a path the router let through is compared
 * with each name, never opened.
 */
#include "http_ui.h"

#include <string.h>
#include "rc.h"
#include "ui_files.h"

/* No inline script or style, no other origin, no frames: what keeps an agent's message
 * (which the page shows with textContent) from ever running, even if it became markup. */
#define UI_CSP "default-src 'self'; base-uri 'none'; form-action 'self'; " \
	"frame-ancestors 'none'; object-src 'none'"

/* The embedded file called name (borrowed), or NULL. */
static const struct ui_file *ui_find(const char *name)
{
	for (size_t i = 0; i < ui_files_count; i++)
		if (!strcmp(ui_files[i].name, name))
			return &ui_files[i];
	return NULL;
}

/* The headers every answer of the page carries: a browser revalidates each file (the
 * ETag makes that a 304), and may not sniff types, frame it or send the page's URL on. */
static void ui_headers(struct MHD_Response *resp, const struct ui_file *f)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, f->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, "Content-Security-Policy", UI_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

/* GET /: the page is /ui (the router refuses paths ending in '/', so the page's own URL
 * has none, and its files are named by absolute paths). */
enum MHD_Result http_ui_root(struct MHD_Connection *c, struct req *r)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

	if (resp)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/ui");
	return http_queue(c, r, 303, resp, 0);
}

/* GET /ui and /ui/NAME.  The file's bytes are static: the response borrows them. */
enum MHD_Result http_ui_file(struct MHD_Connection *c, struct req *r)
{
	const char *name = r->route.kind == ROUTE_UI ? "index.html" : r->route.name;
	const struct ui_file *f = ui_find(name);
	const char *inm;
	struct MHD_Response *resp;
	int same;

	if (!f)
		return http_fail(c, r, STRATA_ENOENT, "no such file of the dashboard");
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	same = inm && (strstr(inm, f->etag) || !strcmp(inm, "*"));
	resp = MHD_create_response_from_buffer(same ? 0 : f->len, (void *)f->data,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	ui_headers(resp, f);
	return http_queue(c, r, same ? 304 : 200, resp, same ? 0 : f->len);
}
