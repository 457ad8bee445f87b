/*
 * strata-server's dashboard page (issue 15, docs/dashboard.md): GET /, GET /ui and GET
 * /ui/NAME, answered from the files compiled in (ui_files.h).  Internal to server/http*.c.
 */
#ifndef STRATA_HTTP_UI_H
#define STRATA_HTTP_UI_H

#include "http_req.h"

/** GET /: 303 to /ui, the page. */
enum MHD_Result http_ui_root(struct MHD_Connection *c, struct req *r);
/**
 * GET /ui (index.html) and /ui/NAME (r->route.name): an embedded file, with its ETag,
 * 304 when If-None-Match names it, Cache-Control no-cache and a Content-Security-Policy
 * that admits only this server's own files; 404 for any other name.
 */
enum MHD_Result http_ui_file(struct MHD_Connection *c, struct req *r);

#endif /* STRATA_HTTP_UI_H */
