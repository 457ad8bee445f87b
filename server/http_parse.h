/*
 * The parts of HTTP handling that see hostile bytes, as pure functions with no I/O so they
 * are fuzzed and unit-tested alone: routing a request path, parsing a Range header,
 * reading a query string, and reading the Authorization and Origin headers.
 *
 * Routing is strict: every route names exactly which characters each path segment may
 * hold, so no request can name a file outside the folders the server means to serve
 * (there is no "..", no empty segment, no escape to decode).
 */
#ifndef STRATA_HTTP_PARSE_H
#define STRATA_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_PATH_MAX 256
#define HTTP_NAME_MAX 64

enum http_route_kind {
	ROUTE_NONE = 0,       /**< no such route: 404 */
	ROUTE_BOOT,           /**< /boot/NAME: a boot file */
	ROUTE_SCRIPT,         /**< /ipxe/MAC: the machine's iPXE script */
	ROUTE_SCRIPT_ANY,     /**< /ipxe/boot.ipxe: chains to /ipxe/${mac} */
	ROUTE_MANIFEST,       /**< /manifest/MAC */
	ROUTE_STORE_INDEX,    /**< /store/layers/HEX.idx */
	ROUTE_STORE_CHUNK,    /**< /store/chunks/HH/HEX */
	ROUTE_STORE_RUN,      /**< /store/runs/HEX/FIRST-LAST: stored chunks FIRST..LAST */
	ROUTE_REPORT,         /**< /report/MAC: agent progress and outcome */
	ROUTE_AGENT,          /**< /agent/MAC: what an agent booted without a script must do */
	ROUTE_MACHINES,       /**< /machines.json */
	ROUTE_DEPLOY,         /**< /api/deploy/NAME-or-MAC-or-all: set a pending deploy */
	ROUTE_KEY_NONCE,      /**< /key/MAC/nonce: a single-use nonce to sign */
	ROUTE_KEY,            /**< /key/MAC?pub=&nonce=&sig=: register the machine's key */
	ROUTE_ACCEPT_KEY,     /**< /api/accept-key/NAME-or-MAC-or-all, or /api/accept-key with
				   ?names=a,b,c: accept pending machine keys */
	ROUTE_PRIVATE_INDEX,  /**< /private/MAC/layers/HEX.idx: a private layer's index */
	ROUTE_PRIVATE_RUN,    /**< /private/MAC/runs/HEX/FIRST-LAST: its chunks FIRST..LAST */
	ROUTE_CAPTURE,        /**< /api/capture/NAME-or-MAC: order a capture (capture_task.h) */
	ROUTE_CAPTURE_CANCEL, /**< /api/capture-cancel/NAME-or-MAC: end its open task */
	ROUTE_RESTORE,        /**< /api/restore/NAME: capture, then restore a generation */
	ROUTE_REPLACE,        /**< /api/replace/NAME?mac=NEW: a new PC takes the machine over */
	ROUTE_CAPTURE_TASK,   /**< /capture/task: a capture task's state, to its signed request */
	ROUTE_CAPTURE_NEED,   /**< /capture/need: which of the chunks a body names are missing */
	ROUTE_CAPTURE_CHUNK,  /**< /capture/chunk/HEX: upload the chunk named HEX (digest) */
	ROUTE_CAPTURE_COMMIT, /**< /capture/commit: an index becomes a partition's layer */
	ROUTE_CAPTURE_HELLO,  /**< /capture/hello: agree a task's upload key (capture_hello.h) */
	ROUTE_CAPTURE_DONE,   /**< /capture/done: the task ends (a gold one's layout with it) */
	ROUTE_GENERATIONS,    /**< /api/generations/NAME-or-MAC: its captured generations */
	ROUTE_GC,             /**< /api/gc: garbage collection of the stores (gc.h) */
	ROUTE_ENROLL,         /**< /api/enroll/NAME-or-MAC-or-all: strata-enroll.efi on the
				   next network boot, once (enroll.h) */
	ROUTE_MCAST_STATUS,   /**< /mcast/status/MAC: a multicast client's status (mcast.h) */
	ROUTE_MCAST_JSON,     /**< /api/mcast.json: the multicast sessions' state */
	/* The dashboard's routes (issue 15; docs/security.md "Admin accounts"). */
	ROUTE_ROOT,           /**< /: 303 to /ui */
	ROUTE_UI,             /**< /ui: the dashboard's page */
	ROUTE_UI_FILE,        /**< /ui/NAME: one of its embedded files (name) */
	ROUTE_LOGIN,          /**< POST /api/login: name= and password= in the body */
	ROUTE_LOGOUT,         /**< POST /api/logout: ends the cookie's session */
	ROUTE_SESSION,        /**< GET /api/session: who is logged in, the CSRF token */
	ROUTE_API_MACHINES,   /**< GET /api/machines: the lab's tiles, paged and filtered */
	ROUTE_API_MACHINE,    /**< GET /api/machine/NAME: one machine's page (name) */
	ROUTE_EVENTS,         /**< GET /api/events: the tiles' changes as server-sent events */
	ROUTE_PROFILES,       /**< GET /api/profiles */
	ROUTE_LAYERS,         /**< GET /api/layers */
	ROUTE_LIBRARY,        /**< GET /api/library: the store's sizes */
	ROUTE_AUDIT,          /**< GET /api/audit: the audit log, paged */
	ROUTE_ORDERS_PREVIEW, /**< POST /api/orders/preview: an order's impact */
	ROUTE_ORDERS,         /**< POST /api/orders: a previewed order, confirmed */
	ROUTE_SCHEDULE,       /**< GET /api/schedule: orders scheduled for later */
	ROUTE_SCHEDULE_CANCEL, /**< POST /api/schedule-cancel/ID: cancel one (first = ID) */
	ROUTE_UNKNOWN,        /**< GET /api/unknown: PCs that booted, not in the inventory */
	ROUTE_REGISTER,       /**< POST /api/register: unknown PCs into the registered file */
	ROUTE_WAKE,           /**< POST /api/wake: Wake-on-LAN for names= or room= (wol.h) */
};

/** A routed request: the kind and its parameters. */
struct http_route {
	enum http_route_kind kind;
	char name[HTTP_NAME_MAX + 1];  /**< boot file name, or machine for ROUTE_DEPLOY,
					    ROUTE_ENROLL, ROUTE_ACCEPT_KEY (empty: the names= list),
					    the capture routes and ROUTE_GENERATIONS */
	uint8_t mac[6];
	uint8_t digest[32];            /**< layer id or chunk name */
	uint64_t first, last;          /**< ROUTE_STORE_RUN and ROUTE_PRIVATE_RUN, inclusive */
};

/** Route a request path (without query).  Returns the kind; fills r for it. */
enum http_route_kind http_route(const char *path, struct http_route *r);

/**
 * Whether kind is an admin's route (the dashboard, /api/..., /machines.json) rather than
 * one the machines' agents use: what the plain port stops serving once TLS is on, so a
 * password or a session cookie never crosses the network in clear.
 */
int http_route_admin(enum http_route_kind kind);

/** Whether kind changes something, so takes POST only (405 otherwise). */
int http_route_post(enum http_route_kind kind);

/** Result of parsing a Range header against a file of size bytes. */
enum http_range_result {
	RANGE_NONE = 0,       /**< absent, multiple or unparseable: send the whole file (200) */
	RANGE_PARTIAL = 1,    /**< one satisfiable range: 206 with *start, *len */
	RANGE_UNSATISFIABLE = 2, /**< 416 */
};

/** Parse "bytes=A-B", "bytes=A-" or "bytes=-N" (RFC 9110 section 14), one range only. */
enum http_range_result http_range_parse(const char *hdr, uint64_t size, uint64_t *start,
					uint64_t *len);

/**
 * The HTTP status that answers a request failing with rc (0 gives 200): the one table from
 * Strata's codes (rc.h) to statuses, so every handler answers a failure the same way.
 * A corrupt store file answers 404 like a missing one: a client can do nothing else about
 * either.  Codes without a row give 500.
 */
unsigned int http_status_of(int rc);

/**
 * Find key in a query string "a=1&b=2" and percent-decode its value into out (cap bytes,
 * NUL-terminated).  Returns 1 when found and valid, 0 when absent, -1 when malformed or
 * too long (or decoding yields a NUL or control byte).
 */
int http_query_get(const char *query, const char *key, char *out, size_t cap);

/**
 * The token of an Authorization header value "Bearer TOKEN" (RFC 6750 section 2.1; the
 * scheme is case-insensitive), borrowed from hdr, or NULL for any other value or none.
 */
const char *http_bearer(const char *hdr);

/**
 * Whether a request's Origin header (RFC 6454) allows it to act: 1 when there is none (not
 * a browser's cross-site request) or it is the origin of url, the server's public base URL
 * (same scheme, host and port; default ports and letter case do not matter); 0 for any
 * other origin, "null" included.  So a page from another site, or from another port of
 * the server host, cannot make a browser order a reimage.
 */
int http_origin_ok(const char *origin, const char *url);

/**
 * Whether a raw request URI (path and query as sent, before libmicrohttpd decodes them)
 * holds an escaped NUL, "%00" in any letter case.  Decoded, it ends the C string the router
 * and the handlers see, so "/api/deploy/pc01%00x" was routed, logged and ordered as
 * "/api/deploy/pc01", and a query's value was cut short: such a request is refused whole.
 */
int http_uri_has_nul(const char *uri);

/** A session cookie's value: 64 lowercase hex digits (admin_session.h). */
#define HTTP_COOKIE_VALUE_LEN 64

/**
 * The value of the cookie called name in a Cookie header (RFC 6265 section 4.2.1:
 * "a=1; b=2"), into out.  1 when found with the shape of a session (64 lowercase hex
 * digits), 0 when absent, -1 when two pairs of that name both have a session's shape
 * (which to trust cannot be told).  Every other pair is skipped, whatever it holds: other
 * apps on the host (cookies are not scoped by port), flags without '=', or junk planted
 * under our name must not lock an admin out.
 */
int http_cookie_get(const char *hdr, const char *name, char out[HTTP_COOKIE_VALUE_LEN + 1]);

/** Most networks --trusted-proxies takes. */
#define HTTP_CIDR_MAX 16

/** An IPv4 network: addresses a with (a & mask) == net, in host byte order. */
struct http_cidr {
	uint32_t net, mask;
};

/**
 * Parse a comma-separated list of IPv4 networks "A.B.C.D[/N],..." (no /N: one address)
 * into out (cap entries), for --trusted-proxies.  Host bits set under the mask are refused,
 * so "10.0.0.1/8" cannot be mistaken for one address.  0 with *n set; STRATA_EINVAL when
 * malformed, STRATA_ERANGE when more than cap.
 */
int http_cidr_list_parse(const char *s, struct http_cidr *out, size_t cap, size_t *n);

/** Whether addr (IPv4, host byte order) lies in one of the n networks. */
int http_cidr_match(const struct http_cidr *list, size_t n, uint32_t addr);

#endif /* STRATA_HTTP_PARSE_H */
