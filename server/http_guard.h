/*
 * HTTP's connection-level limits, below the routes of http.c: libmicrohttpd's accept
 * policy, connection notifications and error log go through here.
 *
 * Why: libmicrohttpd's own connection timeout only measures inactivity, so a client that
 * sends one byte every 20 s holds its connection for ever, and 512 of them lock out every
 * PC.  Its per-IP limit has no exceptions, and a site cache speaks for many PCs from one
 * address.  So each connection is tracked from its start, with its peer:
 *  - the per-address cap: a connection from an address that already holds max_per_addr is
 *    refused at accept, unless the address is in the trusted (site cache) networks;
 *  - the request deadline: a connection that has not delivered a whole request (headers
 *    and body) request_s seconds after it opened, or after its previous answer, is shut
 *    down by http_guard_tick;
 *  - every refusal, and every line of libmicrohttpd's own, is logged with the peer,
 *    escaped (strata_escape) and rate-limited per kind (log_limit.h); when the
 *    connections reach --max-http (libmicrohttpd then stops accepting, silently), a line
 *    names the addresses holding the most.
 */
#ifndef STRATA_HTTP_GUARD_H
#define STRATA_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdarg.h>
#include <stddef.h>
#include "http_parse.h"

/** The limits, from strata-server's options. */
struct http_guard_config {
	unsigned int max_conns;        /**< --max-http, libmicrohttpd's own limit */
	unsigned int max_per_addr;     /**< live connections from one address */
	unsigned int request_s;        /**< seconds to deliver a whole request */
	struct http_cidr trusted[HTTP_CIDR_MAX]; /**< site caches: no per-address cap */
	size_t ntrusted;
};

struct http_guard;

/** A guard with these limits (copied).  0 or STRATA_ENOMEM. */
int http_guard_new(const struct http_guard_config *cfg, struct http_guard **out);

/** Free a guard whose daemon has stopped (every connection is closed).  NULL is fine. */
void http_guard_free(struct http_guard *g);

/** MHD_OPTION_ACCEPT_POLICY_CALLBACK, cls the guard: the per-address cap. */
enum MHD_Result http_guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);

/** MHD_OPTION_NOTIFY_CONNECTION, cls the guard: tracks each connection from its start. */
void http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode code);

/** MHD_OPTION_EXTERNAL_LOGGER, cls the guard: libmicrohttpd's lines, escaped, limited. */
void http_guard_mhd_log(void *cls, const char *fmt, va_list ap);

/** A whole request has arrived on c: its deadline is met. */
void http_guard_request_in(struct MHD_Connection *c);

/** c answered its request: the deadline of its next one starts now. */
void http_guard_request_done(struct MHD_Connection *c);

/** Shut down connections past their deadline; write held log counts.  Call it often. */
void http_guard_tick(struct http_guard *g);

#endif /* STRATA_HTTP_GUARD_H */
