/*
 * strata-server's capture routes (http_capture.c; docs/capture.md).  http.c dispatches to
 * them; each answers one request of the route its name says.
 */
#ifndef STRATA_HTTP_CAPTURE_H
#define STRATA_HTTP_CAPTURE_H

#include <microhttpd.h>
#include <stddef.h>
#include "http_parse.h"
#include "server.h"

struct req;
struct capture_task;

/** POST /api/capture/NAME[?as=PROFILE&prepared=yes]: an admin opens a capture task. */
enum MHD_Result http_capture_order(struct MHD_Connection *c, struct req *r, struct server *s);
/** POST /api/capture-cancel/NAME: an admin ends the machine's open capture task. */
enum MHD_Result http_capture_cancel(struct MHD_Connection *c, struct req *r, struct server *s);
/** GET /capture/task: what the signing task is, so a client checks its token first. */
enum MHD_Result http_capture_task(struct MHD_Connection *c, struct req *r, struct server *s);
/** POST /capture/need: which of the body's chunks the signing task lacks. */
enum MHD_Result http_capture_need(struct MHD_Connection *c, struct req *r, struct server *s);
/** POST /capture/chunk/HEX: one chunk, checked against its name before it is kept. */
enum MHD_Result http_capture_chunk(struct MHD_Connection *c, struct req *r, struct server *s);
/** POST /capture/commit?part=LABEL: the body, an index, becomes a generation. */
enum MHD_Result http_capture_commit(struct MHD_Connection *c, struct req *r, struct server *s);
/** POST /capture/hello: agree the signing task's upload key (capture_hello.h). */
enum MHD_Result http_capture_hello(struct MHD_Connection *c, struct req *r, struct server *s);

/**
 * The open task that signed r, into *t, checked when the request arrives so that a
 * stranger's body costs no memory.  0, STRATA_ENOENT (unsigned), STRATA_EAUTH (no such
 * task), STRATA_EBADSIG, STRATA_EACCES (ended), or STRATA_EREPORTED.
 */
int http_capture_check(struct req *r, struct server *s, struct capture_task *t);

/** The largest body a capture task's route takes, 0 for other routes. */
size_t http_capture_body_max(enum http_route_kind kind);

#endif /* STRATA_HTTP_CAPTURE_H */
