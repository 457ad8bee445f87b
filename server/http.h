/* strata-server's HTTP service (see http.c for what it serves). */
#ifndef STRATA_HTTP_H
#define STRATA_HTTP_H

struct MHD_Daemon;
struct server;

/** Listen on cfg.addr:cfg.http_port with libmicrohttpd's own threads.  0 or
 *  STRATA_EREPORTED (the failure is printed). */
int http_start(struct server *s, struct MHD_Daemon **out);
void http_stop(struct MHD_Daemon *d);

#endif /* STRATA_HTTP_H */
