/* strata-server's HTTP service (see http.c for what it serves). */
#ifndef STRATA_HTTP_H
#define STRATA_HTTP_H

struct http_service;
struct loop;
struct server;

/** Listen on cfg.addr:cfg.http_port with libmicrohttpd's own threads; loop (borrowed)
 *  runs the timer that enforces the request deadline (http_guard.h).  0 or
 *  STRATA_EREPORTED (the failure is printed). */
int http_start(struct server *s, struct loop *loop, struct http_service **out);
/** Stop the service and free it; NULL is fine. */
void http_stop(struct http_service *h);

#endif /* STRATA_HTTP_H */
