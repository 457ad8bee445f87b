/*
 * HTTP's per-address cap, request deadline and refusal log (see http_guard.h).
 *
 * Live connections are a list under one lock; the per-address count is a walk of it
 * (at most --max-http entries, once per accepted connection).  A connection past its
 * deadline is shut down with shutdown(2) from the tick's thread: libmicrohttpd's worker
 * then reads end-of-stream and closes it through its usual path.  The descriptor stays
 * valid meanwhile, because libmicrohttpd calls the CLOSED notification, which takes the
 * connection off the list under the same lock, before it closes the descriptor.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "holders.h"
#include "http_guard.h"
#include "log_limit.h"
#include "loop.h"
#include "rc.h"
#include "text.h"

/** "255.255.255.255:65535" and its NUL. */
#define PEER_STR 24
/** A libmicrohttpd message, and the same escaped. */
#define MHD_MSG_MAX 256

/** Kinds of refusal line, each with its own limiter. */
enum guard_log {
	GUARD_PER_ADDR,   /**< over max_per_addr */
	GUARD_DEADLINE,   /**< no whole request in time */
	GUARD_MHD,        /**< libmicrohttpd's own lines (malformed requests, limits) */
	GUARD_FULL,       /**< every connection taken (max_conns) */
	GUARD_LOGS,
};

static const char *const guard_log_kind[GUARD_LOGS] = {
	[GUARD_PER_ADDR] = "max-http-per-addr",
	[GUARD_DEADLINE] = "max-http-request-time",
	[GUARD_MHD] = "libmicrohttpd",
	[GUARD_FULL] = "max-http",
};

/** One live connection. */
struct conn {
	struct http_guard *g;
	struct conn *next, **pprev;
	struct sockaddr_in peer;
	int fd;
	uint64_t since_ms;   /**< when its current request began to be awaited */
	bool waiting;        /**< that request is not whole yet */
	bool shut;           /**< shut down by the deadline (logged once) */
};

struct http_guard {
	struct http_guard_config cfg;
	pthread_mutex_t lock;           /**< guards conns and every conn's fields */
	struct conn *conns;
	unsigned int nconns;
	struct log_limit logs[GUARD_LOGS];
};

int http_guard_new(const struct http_guard_config *cfg, struct http_guard **out)
{
	struct http_guard *g = calloc(1, sizeof(*g));

	if (!g)
		return STRATA_ENOMEM;
	g->cfg = *cfg;
	pthread_mutex_init(&g->lock, NULL);
	for (int k = 0; k < GUARD_LOGS; k++)
		log_limit_init(&g->logs[k], "http", guard_log_kind[k], LOG_LIMIT_BURST);
	*out = g;
	return 0;
}

void http_guard_free(struct http_guard *g)
{
	if (!g)
		return;
	for (int k = 0; k < GUARD_LOGS; k++)
		log_limit_done(&g->logs[k]);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static void peer_str(const struct sockaddr_in *a, char out[PEER_STR])
{
	char ip[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(out, PEER_STR, "%s:%u", ip, ntohs(a->sin_port));
}

/* Live connections from addr.  Call with the lock. */
static unsigned int live_from(const struct http_guard *g, struct in_addr addr)
{
	unsigned int n = 0;

	for (const struct conn *c = g->conns; c; c = c->next)
		n += c->peer.sin_addr.s_addr == addr.s_addr;
	return n;
}

/*
 * Counted against the list, which a connection joins when libmicrohttpd starts it, just
 * after this: accepts racing on different HTTP threads can each pass, so an address may
 * briefly hold up to the number of threads more than the cap.
 */
enum MHD_Result http_guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct http_guard *g = cls;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	unsigned int n;
	char peer[PEER_STR];

	if (len < sizeof(*sin) || addr->sa_family != AF_INET)
		return MHD_NO;
	if (http_cidr_match(g->cfg.trusted, g->cfg.ntrusted, ntohl(sin->sin_addr.s_addr)))
		return MHD_YES;
	pthread_mutex_lock(&g->lock);
	n = live_from(g, sin->sin_addr);
	pthread_mutex_unlock(&g->lock);
	if (n < g->cfg.max_per_addr)
		return MHD_YES;
	if (log_limit_allow(&g->logs[GUARD_PER_ADDR])) {
		peer_str(sin, peer);
		fprintf(stderr, "http: %s refused: %u connections live from %.*s "
			"(max-http-per-addr)\n", peer, n, (int)strcspn(peer, ":"), peer);
	}
	return MHD_NO;
}

/* "A xN, B xM (+K more addresses)": who holds the connections.  Call with the lock. */
static void holders_str(const struct http_guard *g, char out[HOLDERS_STR])
{
	char (*names)[HOLDER_NAME] = calloc(g->nconns + 1, HOLDER_NAME);
	size_t i = 0;

	if (!names) {
		snprintf(out, HOLDERS_STR, "? (no memory to list them)");
		return;
	}
	for (const struct conn *c = g->conns; c; c = c->next)
		inet_ntop(AF_INET, &c->peer.sin_addr, names[i++], HOLDER_NAME);
	holders_describe(names, i, out, HOLDERS_STR);
	free(names);
}

/* Every connection is taken: say who holds them.  Call with the lock. */
static void log_full(struct http_guard *g)
{
	char holders[HOLDERS_STR];

	if (!log_limit_allow(&g->logs[GUARD_FULL]))
		return;
	holders_str(g, holders);
	fprintf(stderr, "http: %u connections live (max-http), new ones wait; held by %s\n",
		g->nconns, holders);
}

/* A new connection joins the list, its first request awaited from now. */
static struct conn *conn_start(struct http_guard *g, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *addr =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->g = g;
	if (addr && addr->client_addr && addr->client_addr->sa_family == AF_INET)
		memcpy(&c->peer, addr->client_addr, sizeof(c->peer));
	c->fd = fd ? fd->connect_fd : -1;
	c->since_ms = loop_now();
	c->waiting = true;
	pthread_mutex_lock(&g->lock);
	c->next = g->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &g->conns;
	g->conns = c;
	if (++g->nconns >= g->cfg.max_conns)
		log_full(g);
	pthread_mutex_unlock(&g->lock);
	return c;
}

static void conn_end(struct http_guard *g, struct conn *c)
{
	pthread_mutex_lock(&g->lock);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	g->nconns--;
	pthread_mutex_unlock(&g->lock);
	free(c);
}

/* A connection the guard could not track (out of memory) is still served, untracked. */
void http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = conn_start(cls, c);
	else if (*socket_context)
		conn_end(cls, *socket_context);
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = NULL;
}

void http_guard_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_guard *g = cls;
	char msg[MHD_MSG_MAX], esc[STRATA_ESCAPE_SIZE(MHD_MSG_MAX)];
	int n;

	if (!log_limit_allow(&g->logs[GUARD_MHD]))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	n = (int)strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		n--;
	strata_escape(esc, sizeof(esc), msg, (size_t)n);
	fprintf(stderr, "http: libmicrohttpd: %s\n", esc);
}

/* Set whether c awaits a request, from now. */
static void set_waiting(struct MHD_Connection *mc, bool waiting)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *c = ci ? ci->socket_context : NULL;

	if (!c)
		return;
	pthread_mutex_lock(&c->g->lock);
	c->waiting = waiting;
	c->since_ms = loop_now();
	pthread_mutex_unlock(&c->g->lock);
}

void http_guard_request_in(struct MHD_Connection *c)
{
	set_waiting(c, false);
}

void http_guard_request_done(struct MHD_Connection *c)
{
	set_waiting(c, true);
}

/* Shut c down for its deadline, once, with a line.  Call with the lock. */
static void shut_late(struct http_guard *g, struct conn *c, uint64_t now)
{
	char peer[PEER_STR];

	c->shut = true;
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
	if (!log_limit_allow(&g->logs[GUARD_DEADLINE]))
		return;
	peer_str(&c->peer, peer);
	fprintf(stderr, "http: %s closed: no whole request %.1f s after it was awaited "
		"(max-http-request-time %u s)\n", peer, (double)(now - c->since_ms) / 1000,
		g->cfg.request_s);
}

void http_guard_tick(struct http_guard *g)
{
	uint64_t now = loop_now(), limit = (uint64_t)g->cfg.request_s * 1000;

	pthread_mutex_lock(&g->lock);
	for (struct conn *c = g->conns; c; c = c->next)
		if (c->waiting && !c->shut && now - c->since_ms >= limit)
			shut_late(g, c, now);
	pthread_mutex_unlock(&g->lock);
	for (int k = 0; k < GUARD_LOGS; k++)
		log_limit_flush(&g->logs[k]);
}
