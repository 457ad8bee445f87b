/*
 * strata-server's HTTP side, on libmicrohttpd (see http.h).
 *
 * libmicrohttpd parses HTTP/1.1, keeps connections alive and sends file bodies with
 * sendfile; this file only routes (http_parse.c, strictly), builds responses and logs one
 * line per request, its path and method escaped, and failed requests' lines rate-limited.
 * What a connection may hold (per-address cap, request deadline) is http_guard.c's.  A
 * machine's orders, manifest and reports answer only requests signed by its session
 * (sessions.h), checked against the raw URI as the client sent it (on_uri).
 * Files are served from fixed folders by names the router has already restricted to safe
 * characters, and opened with O_NOFOLLOW.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "host.h"
#include "http.h"
#include "http_guard.h"
#include "http_parse.h"
#include "http_req.h"
#include "http_api.h"
#include "http_events.h"
#include "http_capture.h"
#include "http_keep.h"
#include "http_login.h"
#include "login.h"
#include "http_mcast.h"
#include "http_ui.h"
#include "mcast_status.h"
#include "http_private.h"
#include "http_restore.h"
#include "http_library.h"
#include "http_register.h"
#include "http_unknown.h"
#include "http_wol.h"
#include "http_orders.h"
#include "schedule.h"
#include "http_run.h"
#include "http_seal.h"
#include "log_limit.h"
#include "loop.h"
#include "machine_keys.h"
#include "private_store.h"
#include "server.h"
#include "sessions.h"
#include "store_path.h"
#include "text.h"
#include "audit.h"
#include "boot_watch.h"
#include "enroll.h"
#include "capture_task.h"
#include "capture_commit.h"
#include "capture_store.h"
#include "codec.h"
#include "crypto.h"
#include "state.h"

/** How often http_guard_tick runs: deadlines are met within this. */
#define TICK_MS 500
/** Lines of failed requests (status 400 and up, or none) let through per 10 s. */
#define FAILED_LINES 20

/** TLS versions and ciphers the HTTPS port offers: GnuTLS's defaults, TLS 1.2 and 1.3. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/**
 * Both daemons: libmicrohttpd's own threads with epoll; a handler may suspend a connection
 * that waits on the server (MHD_suspend_connection), which needs ALLOW_SUSPEND_RESUME.
 */
#define DAEMON_FLAGS (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | \
		      MHD_ALLOW_SUSPEND_RESUME)
/** Largest certificate or key file read. */
#define TLS_FILE_MAX (1 << 20)

/** One listening port: what on_request is handed, so it knows which one a request came to. */
struct http_port {
	struct server *s;
	int tls;
};

/** The running HTTP service: libmicrohttpd's daemons and what guards them. */
struct http_service {
	struct server *s;
	struct MHD_Daemon *d;
	struct http_guard *guard;
	struct http_port plain, secure;
	struct MHD_Daemon *tls_d;     /**< the HTTPS port, or NULL without --tls-cert */
	struct http_guard *tls_guard;
	char *cert, *key;             /**< PEM, read as root before privileges drop; owned for
				           the daemon's life, the key wiped at stop */
	size_t key_len;
	struct loop *loop;            /**< borrowed; runs the tick */
	struct loop_timer tick;
	struct log_limit failed;      /**< access lines of failed requests */
};

enum MHD_Result http_queue(struct MHD_Connection *c, struct req *r, unsigned int status,
			     struct MHD_Response *resp, uint64_t bytes)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	r->status = status;
	r->bytes = bytes;
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A short text response (copied). */
enum MHD_Result http_text(struct MHD_Connection *c, struct req *r, unsigned int status,
			    const char *type, const char *body, size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	if (resp && status == 401)   /* RFC 6750 section 3: say which scheme to use */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"strata\"");
	return http_queue(c, r, status, resp, len);
}

/* An error the HTTP protocol itself defines (405, 413): status and a short text body. */
enum MHD_Result http_error(struct MHD_Connection *c, struct req *r, unsigned int status,
			     const char *msg)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "%u %s\n", status, msg);

	return http_text(c, r, status, "text/plain", body, (size_t)n);
}

/* A request that failed with rc: answered with the status http_status_of gives it. */
enum MHD_Result http_fail(struct MHD_Connection *c, struct req *r, int rc, const char *msg)
{
	return http_error(c, r, http_status_of(rc), msg);
}

/* A string the caller allocated: sent and freed. */
enum MHD_Result http_owned(struct MHD_Connection *c, struct req *r, const char *type,
			     char *body, size_t len)
{
	struct MHD_Response *resp;

	if (!body)
		return http_fail(c, r, STRATA_ENOMEM, "out of memory");
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return free(body), MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return http_queue(c, r, 200, resp, len);
}

/* The request's Range header against a body of size bytes. */
enum http_range_result http_range_of(struct MHD_Connection *c, uint64_t size,
				       uint64_t *start, uint64_t *len)
{
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);

	*start = 0;
	*len = size;
	return http_range_parse(range, size, start, len);
}

/* 416 for a range outside a body of size bytes. */
enum MHD_Result http_unsatisfiable(struct MHD_Connection *c, struct req *r, uint64_t size)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	char cr[80];

	snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
	if (resp)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	return http_queue(c, r, 416, resp, 0);
}

/* The headers of a binary body that may be a range [start, start + len) of size bytes. */
void http_body_headers(struct MHD_Response *resp, enum http_range_result rr, uint64_t start,
			 uint64_t len, uint64_t size, const char *cache)
{
	char cr[80];

	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	if (rr == RANGE_PARTIAL) {
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)start,
			 (unsigned long long)(start + len - 1), (unsigned long long)size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
}

/* Range handling and headers for a file response; takes ownership of fd. */
static enum MHD_Result file_body(struct MHD_Connection *c, struct req *r, int fd,
				 uint64_t size, int immutable)
{
	uint64_t start, len;
	enum http_range_result rr = http_range_of(c, size, &start, &len);
	struct MHD_Response *resp;

	if (rr == RANGE_UNSATISFIABLE) {
		close(fd);
		return http_unsatisfiable(c, r, size);
	}
	resp = MHD_create_response_from_fd_at_offset64(len, fd, start);
	if (!resp)
		return close(fd), MHD_NO;
	http_body_headers(resp, rr, start, len, size, immutable
		     ? "public, max-age=31536000, immutable" : "no-cache");
	return http_queue(c, r, rr == RANGE_PARTIAL ? 206 : 200, resp, len);
}

/* Open dir/rel (a path the router built from safe characters) as a regular file, or -1. */
static int open_in(const char *dir, const char *rel, struct stat *st)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Serve rel from dir, or from fallback when dir lacks it (NULL: no fallback). */
static enum MHD_Result http_file(struct MHD_Connection *c, struct req *r, const char *dir,
			    const char *fallback, const char *rel, int immutable)
{
	struct stat st;
	int fd = open_in(dir, rel, &st);

	if (fd < 0 && fallback)
		fd = open_in(fallback, rel, &st);
	if (fd < 0)
		return http_fail(c, r, STRATA_ENOENT, "not found");
	return file_body(c, r, fd, (uint64_t)st.st_size, immutable);
}

static enum MHD_Result store_file(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char rel[STRATA_STORE_FILE_MAX];

	if (r->route.kind == ROUTE_STORE_INDEX)
		strata_store_index_rel(rel, r->route.digest);
	else
		strata_store_chunk_rel(rel, r->route.digest);
	return http_file(c, r, s->cfg.store_dir, NULL, rel, 1);
}

/* A run: the layer's index comes from the server's layer cache, opened once. */
static enum MHD_Result run(struct MHD_Connection *c, struct req *r, struct server *s)
{
	const struct layer_entry *e;
	struct MHD_Response *resp;
	const char *why = "no such layer";
	uint64_t len;
	int rc;

	rc = layer_cache_get(&s->layers, r->route.digest, &e);
	if (rc == 0)
		rc = http_run_response(e->dir, NULL, &e->idx, r->route.first, r->route.last, &resp,
				       &len, &why);
	else if (rc == STRATA_ECORRUPT)
		why = "layer index in the store is corrupt";
	if (rc)
		return http_fail(c, r, rc, why);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"public, max-age=31536000, immutable");
	return http_queue(c, r, 200, resp, len);
}

/*
 * A request's value of key, from the query (GET, for iPXE's download protocol) or the
 * form-encoded body (POST): 1 with *v set (borrowed from the connection or buf), 0 when
 * absent, -1 when the body's value fails to decode (a bad %-escape, a control byte, longer
 * than cap), which a caller that stores it must refuse rather than take as absent.
 */
int http_field_get(struct MHD_Connection *c, struct req *r, const char *key, char *buf,
		     size_t cap, const char **v)
{
	int rc;

	*v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	if (*v)
		return 1;
	rc = http_query_get(r->body, key, buf, cap);
	if (rc == 1)
		*v = buf;
	return rc;
}

/* field_get for callers that check the value themselves: malformed reads as absent. */
const char *http_field(struct MHD_Connection *c, struct req *r, const char *key, char *buf,
			 size_t cap)
{
	const char *v;

	return http_field_get(c, r, key, buf, cap, &v) == 1 ? v : NULL;
}

/* A report's byte count: absent is 0; anything but a decimal number up to STATE_BYTES_MAX
 * is refused (a forged "-5" must not become 2^64-5). */
static int report_bytes(const char *v, uint64_t *out)
{
	*out = 0;
	return v ? strata_u64_parse(out, v, strlen(v), STATE_BYTES_MAX) : 0;
}

/* Why a machine's request was refused by its session check (sessions.h's codes). */
const char *http_session_why(int rc)
{
	switch (rc) {
	case STRATA_EAUTH:
		return "sign the request with a session of this machine: register at /key/MAC";
	case STRATA_EACCES:
		return "that session belongs to another machine";
	case STRATA_EBADSIG:
		return "the request's tag is wrong";
	case STRATA_ESTALE:
		return "that signed request was already taken";
	default:
		return "s=, n= and h= must end the query: 32 hex digits, a counter, 32 hex digits";
	}
}

/* Whether the request is signed by a live session of its machine (use says whether its
 * counter may repeat).  0 or an rc with *why. */
int http_signed_by_machine(struct req *r, struct server *s, enum session_use use,
			     const char **why)
{
	int rc = r->uri_long ? STRATA_EINVAL
		: use == SESSION_ONCE ? server_session_once(s, r->route.mac, r->method, r->uri, NULL)
		: server_session_check(s, r->route.mac, r->method, r->uri, NULL, NULL);

	*why = http_session_why(rc);
	return rc;
}

/* A machine's read route (orders, the manifest): signed by a session of that machine, or
 * asked by an admin with a credential.  0 or an rc with *why. */
static int http_machine_read(struct MHD_Connection *c, struct req *r, struct server *s,
			const char **why)
{
	struct who by;

	if (http_has_credential(c))
		return http_authorize(c, s, r, &by, why);
	return http_signed_by_machine(r, s, SESSION_READ, why);
}

/* A report's fields come from its query only: that is what the session's tag covers. */
const char *http_qfield(struct MHD_Connection *c, const char *key)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result report(struct MHD_Connection *c, struct req *r, struct server *s)
{
	const char *phase = http_qfield(c, "phase"), *why, *sb;
	uint64_t done, total, mc, rep;
	int rc = http_signed_by_machine(r, s, SESSION_ONCE, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (!phase)
		return http_fail(c, r, STRATA_EINVAL, "report needs phase=progress|ok|failed");
	if (report_bytes(http_qfield(c, "done"), &done) || report_bytes(http_qfield(c, "total"), &total))
		return http_fail(c, r, STRATA_EINVAL, "done and total must be numbers of bytes");
	if (report_bytes(http_qfield(c, "mc"), &mc) || report_bytes(http_qfield(c, "rep"), &rep))
		return http_fail(c, r, STRATA_EINVAL, "mc and rep must be numbers of bytes");
	sb = http_qfield(c, "sb");
	if (sb && boot_watch_secure_boot(s, r->route.mac, sb))
		return http_fail(c, r, STRATA_EINVAL, "sb must be enforcing, setup or off");
	rc = server_report(s, r->route.mac, phase, done, total, http_qfield(c, "msg"));
	if (rc == 0 && (http_qfield(c, "mc") || http_qfield(c, "rep")))
		rc = server_report_mcast(s, r->route.mac, mc, rep);
	if (rc == 0)
		boot_watch_agent(s, r->route.mac);
	if (rc)
		return http_fail(c, r, rc, rc == STRATA_ENOENT ? "unknown machine" : rc == STRATA_EINVAL
			    ? "bad phase" : "cannot record it");
	return http_text(c, r, 200, "text/plain", "ok\n", 3);
}

int http_has_credential(struct MHD_Connection *c)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) ||
	       MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
}

int http_origin_ours(const struct server *s, const struct req *r, const char *origin)
{
	return http_origin_ok(origin, r->tls ? s->cfg.tls_url : s->cfg.url);
}

/* The bearer half of http_authorize: the token must name one of --api-tokens. */
static int bearer_authorize(struct server *s, const char *auth, struct who *w,
			    const char **why)
{
	int rc;

	w->via = VIA_TOKEN;
	rc = server_api_auth(s, http_bearer(auth), w->name);
	if (rc == STRATA_EACCES && s->cfg.admins)
		*why = "send Authorization: Bearer TOKEN, or log in (POST /api/login)";
	else if (rc == STRATA_EACCES)
		*why = "the API is off: start strata-server with --api-tokens FILE (scripts) or "
		       "--admins FILE (the dashboard)";
	else if (rc)
		*why = "send Authorization: Bearer TOKEN with a token of --api-tokens";
	return rc == STRATA_EACCES && s->cfg.admins ? STRATA_EAUTH : rc;
}

/*
 * Orders and lab-wide views need a credential, from every address (http_req.h says the
 * order of the checks).
 */
int http_authorize(struct MHD_Connection *c, struct server *s, struct req *r, struct who *w,
		   const char **why)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	char cookie[HTTP_COOKIE_VALUE_LEN + 1];
	int rc;

	memset(w, 0, sizeof(*w));
	if (!http_origin_ours(s, r, origin))
		return *why = "requests from another origin are refused", STRATA_EACCES;
	if (auth)
		return bearer_authorize(s, auth, w, why);
	rc = http_session_cookie(c, r, cookie);
	if (rc == 1)
		rc = http_session_authorize(c, s, r, cookie, w, why);
	else if (rc == 0)
		rc = bearer_authorize(s, NULL, w, why);
	else
		*why = "send one Cookie header, with at most one strata session cookie";
	strata_wipe(cookie, sizeof(cookie));
	return rc;
}

/* POST /api/deploy/NAME and /api/enroll/NAME (enroll.h): the order what. */
static enum MHD_Result order(struct MHD_Connection *c, struct req *r, struct server *s,
			     enum inv_action what)
{
	char body[64];
	struct who by;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why), n;

	if (rc)
		return http_fail(c, r, rc, why);
	n = server_mark(s, r->route.name, &by, what);
	if (n < 0)
		return http_fail(c, r, n, "cannot record the order");
	if (n == 0)
		return http_fail(c, r, STRATA_ENOENT, "no such machine");
	snprintf(body, sizeof(body), "%s pending on %d machines\n", server_action_name(what), n);
	return http_text(c, r, 200, "text/plain", body, strlen(body));
}

static enum MHD_Result deploy(struct MHD_Connection *c, struct req *r, struct server *s)
{
	return order(c, r, s, INV_ACTION_DEPLOY);
}

static enum MHD_Result enroll(struct MHD_Connection *c, struct req *r, struct server *s)
{
	return order(c, r, s, INV_ACTION_ENROLL);
}

/* GET /key/MAC/nonce: a nonce for the machine to sign. */
static enum MHD_Result key_nonce(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char body[96];
	int rc = server_key_nonce(s, r->route.mac, body, sizeof(body));

	if (rc == 0)
		boot_watch_agent(s, r->route.mac);
	if (rc)
		return http_fail(c, r, rc, rc == STRATA_ENOENT ? "unknown machine" : "cannot make a nonce");
	return http_text(c, r, 200, "text/plain", body, strlen(body));
}

/* Why a registration failed, for the body. */
static const char *key_why(int rc)
{
	switch (rc) {
	case STRATA_ENOENT:
		return "unknown machine";
	case STRATA_EINVAL:
		return "pub, eph, nonce and sig must be hex: two P-256 points, 16 bytes, a DER "
		       "signature";
	case STRATA_EBADSIG:
		return "the signature does not prove the key";
	case STRATA_EAUTH:
		return "nonce unknown, used or expired: ask /key/MAC/nonce again";
	default:
		return "cannot record the key";
	}
}

/* GET /key/MAC?pub=&eph=&nonce=&sig=: a machine registers its key and opens a session
 * (machine_keys.h). */
static enum MHD_Result key_register(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char answer[KEY_ANSWER_MAX];
	struct key_reg reg;
	int rc = key_reg_parse(&reg, http_qfield(c, "pub"), http_qfield(c, "eph"), http_qfield(c, "nonce"),
			       http_qfield(c, "sig"));

	if (rc == 0)
		rc = server_key_register(s, r->route.mac, &reg, answer, sizeof(answer));
	if (rc)
		return http_fail(c, r, rc, key_why(rc));
	return http_text(c, r, 200, "text/plain", answer, strlen(answer));
}

/* POST /api/accept-key room=R: the pending keys of the room's machines (http_wol.h). */
static enum MHD_Result accept_room(struct MHD_Connection *c, struct req *r, struct server *s,
				   const struct who *by, const char *room)
{
	char names[8192], body[96];
	int n;

	if (!inv_room_ok(room))
		return http_fail(c, r, STRATA_EINVAL, "room=: 1 to 32 of A-Z a-z 0-9 . _ -");
	n = http_room_names(s, room, names, sizeof(names));
	if (n == 0)
		return http_fail(c, r, STRATA_ENOENT, "no machine of the inventory is in that room");
	if (n < 0)
		return http_fail(c, r, STRATA_EINVAL, "the room's names do not fit one "
				 "acceptance: accept its machines with names= in parts");
	n = server_accept_keys(s, names, by);
	if (n < 0)
		return http_fail(c, r, n, "cannot record the acceptance");
	snprintf(body, sizeof(body), "accepted the pending keys of %d machines\n", n);
	return http_text(c, r, 200, "text/plain", body, strlen(body));
}

/* POST /api/accept-key/NAME (or ?names=a,b,c, or room=R): accept pending machine keys. */
static enum MHD_Result accept_key(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char body[64], list[1024];
	const char *why, *who = r->route.name, *room;
	struct who by;
	int rc = http_authorize(c, s, r, &by, &why), n;

	if (rc)
		return http_fail(c, r, rc, why);
	if (!who[0] && (room = http_field(c, r, "room", list, sizeof(list))))
		return accept_room(c, r, s, &by, room);
	if (!who[0] && !(who = http_field(c, r, "names", list, sizeof(list))))
		return http_fail(c, r, STRATA_EINVAL, "name the machines: /api/accept-key/NAME, "
				 "?names= or ?room=");
	n = server_accept_keys(s, who, &by);
	if (n < 0)
		return http_fail(c, r, n, "cannot record the acceptance");
	snprintf(body, sizeof(body), "accepted the pending keys of %d machines\n", n);
	return http_text(c, r, 200, "text/plain", body, strlen(body));
}

/* The manifest, to its machine's signed request or an admin, unless the machine presented
 * a key an admin has not accepted. */
static enum MHD_Result manifest(struct MHD_Connection *c, struct req *r, struct server *s)
{
	const char *why;
	size_t len;
	char *b;
	int rc = server_key_allows(s, r->route.mac);

	if (rc)
		return http_fail(c, r, STRATA_EACCES, "this machine's key differs from the pinned one; "
			    "an admin must accept it: POST /api/accept-key/NAME");
	rc = http_machine_read(c, r, s, &why);
	if (rc)
		return http_fail(c, r, rc, why);
	b = server_manifest(s, r->route.mac, &len);
	return b ? http_owned(c, r, "text/plain", b, len)
		 : http_fail(c, r, STRATA_ENOENT, "no manifest: an unknown machine, or one that "
			     "took a machine over and waits for the catalog's reload (the server's "
			     "log says what holds it)");
}

/* A machine's orders, to its signed request or an admin. */
static enum MHD_Result orders(struct MHD_Connection *c, struct req *r, struct server *s)
{
	const char *why;
	char *b;
	int rc = http_machine_read(c, r, s, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	b = server_agent_orders(s, r->route.mac);
	return http_owned(c, r, "text/plain", b, b ? strlen(b) : 0);
}

/* /machines.json, for a request with a credential. */
static enum MHD_Result machines(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct who by;
	const char *why;
	char *b;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	b = server_machines_json(s);
	return http_owned(c, r, "application/json", b, b ? strlen(b) : 0);
}

/* The connection's peer address (microhttpd's), or NULL. */
static const struct sockaddr *client_addr(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci ? ci->client_addr : NULL;
}

/* The client's IPv4 address in host order, 0 when not IPv4: what places an unknown machine
 * at its site (inventory_site.h), and what failed logins are counted by (login_limit.h). */
uint32_t http_client_ip4(struct MHD_Connection *c)
{
	const struct sockaddr *sa = client_addr(c);

	if (!sa || sa->sa_family != AF_INET)
		return 0;
	return ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
}

/* A route of the dashboard's contract (http_parse.h) whose handler is not built yet. */
static enum MHD_Result not_built(struct MHD_Connection *c, struct req *r, struct server *s)
{
	return http_fail(c, r, STRATA_ENOTSUP, "this strata-server does not serve that yet");
}

static enum MHD_Result get(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char *b;

	switch (r->route.kind) {
	case ROUTE_BOOT:
		boot_watch_fetched(s, client_addr(c), r->route.name);
		enroll_fetched(s, client_addr(c), r->route.name);
		return http_file(c, r, s->cfg.boot_dir, NULL, r->route.name, 0);
	case ROUTE_SCRIPT_ANY:
		b = server_entry_script(s);
		return http_owned(c, r, "text/plain", b, b ? strlen(b) : 0);
	case ROUTE_SCRIPT:
		unknown_note(s, r->route.mac, http_client_ip4(c), UNKNOWN_IPXE);
		b = server_script(s, r->route.mac, http_client_ip4(c));
		return http_owned(c, r, "text/plain", b, b ? strlen(b) : 0);
	case ROUTE_AGENT:
		return orders(c, r, s);
	case ROUTE_MANIFEST:
		return manifest(c, r, s);
	case ROUTE_KEY_NONCE:
		return key_nonce(c, r, s);
	case ROUTE_KEY:
		return key_register(c, r, s);
	case ROUTE_STORE_INDEX:
	case ROUTE_STORE_CHUNK:
		return store_file(c, r, s);
	case ROUTE_STORE_RUN:
		return run(c, r, s);
	case ROUTE_CAPTURE_TASK:
		return http_capture_task(c, r, s);
	case ROUTE_MACHINES:
		return machines(c, r, s);
	case ROUTE_GENERATIONS:
		return http_generations(c, r, s);
	case ROUTE_PRIVATE_INDEX:
	case ROUTE_PRIVATE_RUN:
		return http_private_file(c, r, s);
	case ROUTE_MCAST_JSON:
		return http_mcast_json(c, r, s);
	case ROUTE_ROOT:
		return http_ui_root(c, r);
	case ROUTE_UI:
	case ROUTE_UI_FILE:
		return http_ui_file(c, r);
	case ROUTE_SESSION:
		return http_session(c, r, s);
	case ROUTE_API_MACHINES:
		return http_api_machines(c, r, s);
	case ROUTE_API_MACHINE:
		return http_api_machine(c, r, s);
	case ROUTE_PROFILES:
		return http_api_profiles(c, r, s);
	case ROUTE_LAYERS:
		return http_api_layers(c, r, s);
	case ROUTE_AUDIT:
		return http_api_audit(c, r, s);
	case ROUTE_EVENTS:
		return http_events(c, r, s);
	case ROUTE_SCHEDULE:
		return http_schedule(c, r, s);
	case ROUTE_UNKNOWN:
		return http_unknown(c, r, s);
	case ROUTE_LIBRARY:
		return http_library(c, r, s);
	case ROUTE_NONE:
		return http_fail(c, r, STRATA_ENOENT, "not found");
	default:
		if (http_route_admin(r->route.kind))
			return not_built(c, r, s);
		return http_fail(c, r, STRATA_ENOENT, "not found");
	}
}

/* The largest body a route takes into r->big (a capture task's, a multicast status),
 * 0 for the others (small bodies, BODY_MAX). */
static size_t big_body_max(enum http_route_kind kind)
{
	return kind == ROUTE_MCAST_STATUS ? STRATA_MC_STATUS_MAX : http_capture_body_max(kind);
}

/* Collect a big body into r->big; refuse anything beyond big_body_max, and take nothing
 * for a request whose signature failed (no memory for strangers). */
static void take_big_body(struct req *r, const char *data, size_t *size)
{
	size_t max = big_body_max(r->route.kind);

	if (r->task_rc) {
		*size = 0;
		return;
	}
	if (!r->big && !(r->big = malloc(max)))
		r->too_big = 1;
	if (r->too_big || *size > max - r->big_len)
		r->too_big = 1;
	else
		memcpy(r->big + r->big_len, data, *size);
	if (!r->too_big)
		r->big_len += *size;
	*size = 0;
}

/* Collect a small request body; refuse anything larger than BODY_MAX. */
static void take_body(struct req *r, const char *data, size_t *size)
{
	if (big_body_max(r->route.kind)) {
		take_big_body(r, data, size);
		return;
	}
	if (r->body_len + *size > BODY_MAX)
		r->too_big = 1;
	else
		memcpy(r->body + r->body_len, data, *size);
	if (!r->too_big)
		r->body_len += *size;
	r->body[r->body_len] = '\0';
	*size = 0;
}

/** A route's handler: answers one request (the route is in r). */
typedef enum MHD_Result (*route_handler)(struct MHD_Connection *c, struct req *r,
					 struct server *s);

/* The handlers of the routes that change something (http_route_post); not_built for
 * one of them without its own yet. */
static route_handler post_handler(enum http_route_kind kind)
{
	static const struct {
		enum http_route_kind kind;
		route_handler fn;
	} posts[] = {
		{ ROUTE_DEPLOY, deploy },
		{ ROUTE_ENROLL, enroll },
		{ ROUTE_ACCEPT_KEY, accept_key },
		{ ROUTE_CAPTURE, http_capture_order },
		{ ROUTE_CAPTURE_CANCEL, http_capture_cancel },
		{ ROUTE_RESTORE, http_restore_order },
		{ ROUTE_REPLACE, http_replace_order },
		{ ROUTE_CAPTURE_NEED, http_capture_need },
		{ ROUTE_CAPTURE_CHUNK, http_capture_chunk },
		{ ROUTE_CAPTURE_COMMIT, http_capture_commit },
		{ ROUTE_CAPTURE_DONE, http_capture_done },
		{ ROUTE_CAPTURE_HELLO, http_capture_hello },
		{ ROUTE_GC, http_gc },
		{ ROUTE_LOGIN, http_login },
		{ ROUTE_LOGOUT, http_logout },
		{ ROUTE_MCAST_STATUS, http_mcast_status },
		{ ROUTE_WAKE, http_wake },
		{ ROUTE_ORDERS_PREVIEW, http_orders_preview },
		{ ROUTE_ORDERS, http_orders },
		{ ROUTE_SCHEDULE_CANCEL, http_schedule_cancel },
		{ ROUTE_REGISTER, http_register },
	};

	for (size_t i = 0; i < sizeof(posts) / sizeof(posts[0]); i++)
		if (posts[i].kind == kind)
			return posts[i].fn;
	return not_built;
}

/*
 * With TLS on, the plain port keeps only the agents' routes: an admin's page answers 308
 * to the same path on --tls-url, and /api and /machines.json answer 403 naming it, so a
 * password, a session cookie or a token is never asked for in clear.
 */
static enum MHD_Result plain_gate(struct MHD_Connection *c, struct req *r, struct server *s)
{
	enum http_route_kind k = r->route.kind;
	struct MHD_Response *resp;
	char where[HTTP_PATH_MAX + 256];

	snprintf(where, sizeof(where), "%s%s", s->cfg.tls_url, r->path);
	if (k != ROUTE_ROOT && k != ROUTE_UI && k != ROUTE_UI_FILE) {
		snprintf(where, sizeof(where), "this server takes admins' requests over HTTPS "
			 "only: use %s", s->cfg.tls_url);
		return http_fail(c, r, STRATA_EACCES, where);
	}
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, where);
	return http_queue(c, r, 308, resp, 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **req_cls)
{
	const struct http_port *port = cls;
	struct server *s = port->s;
	struct req *r = *req_cls;
	int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	const char *why;

	if (!r)
		return MHD_NO;            /* on_uri made it; it fails only without memory */
	if (!r->routed) {
		r->routed = 1;
		snprintf(r->method, sizeof(r->method), "%s", method);
		snprintf(r->path, sizeof(r->path), "%s", url);
		http_route(url, &r->route);
		r->tls = port->tls;
		if (http_capture_body_max(r->route.kind))
			r->task_rc = http_capture_check(r, s, &r->task);
		if (r->route.kind == ROUTE_MCAST_STATUS)
			r->task_rc = http_signed_by_machine(r, s, SESSION_ONCE, &why);
		*req_cls = r;
		return MHD_YES;
	}
	if (*size) {
		take_body(r, data, size);
		return MHD_YES;
	}
	http_guard_request_in(c);
	if (r->too_big)
		return http_error(c, r, 413, "request body too large");
	if (r->uri_nul)
		return http_error(c, r, 400, "a URL holding %00 is refused: it would be cut there");
	/* With TLS on, no credential travels in clear: an admin route, or any request carrying
	 * a token or a cookie (an agent's route included), is sent to HTTPS. */
	if (!r->tls && s->cfg.tls_cert &&
	    (http_route_admin(r->route.kind) || http_has_credential(c)))
		return plain_gate(c, r, s);
	if (r->route.kind == ROUTE_REPORT)
		return is_get ? report(c, r, s)
			: http_error(c, r, 405, "use GET: a report's fields travel in its signed URL");
	if (http_route_post(r->route.kind))
		return strcmp(method, "POST") ? http_error(c, r, 405, "use POST")
			: post_handler(r->route.kind)(c, r, s);
	if (!is_get)
		return http_error(c, r, 405, "method not allowed");
	return get(c, r, s);
}

/*
 * libmicrohttpd's first sight of a request: the raw URI, before it splits and decodes the
 * query.  A session's tag covers the URL as the client wrote it, so it is kept here.
 * Returns the request's state, which libmicrohttpd hands to on_request and on_completed.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *r = malloc(sizeof(*r));
	size_t n = strlen(uri);

	if (!r)
		return NULL;
	/* Not calloc: zeroing the text buffers was 3 % of the server's CPU serving chunks
	 * (docs/benchmarks.md, "strata-server: analysis"); each is used up to its NUL. */
	memset(r, 0, offsetof(struct req, path));
	r->path[0] = r->uri[0] = r->body[0] = '\0';
	r->start = now_seconds();
	r->uri_long = n > URI_MAX;
	r->uri_nul = http_uri_has_nul(uri);
	memcpy(r->uri, uri, r->uri_long ? 0 : n + 1);
	return r;
}

static void client_name(struct MHD_Connection *c, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, cap, "?");
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out,
			  (socklen_t)cap);
}

/*
 * One log line per request, when it is done: client, method, path, status, bytes, time.
 * The method and path are the client's bytes, so escaped; anyone can fail requests at
 * will, so lines of failed ones (status 400 and up, or none) are rate-limited.
 */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_service *h = cls;
	struct req *r = *req_cls;
	char who[64], method[STRATA_ESCAPE_SIZE(sizeof(r->method))];
	char path[STRATA_ESCAPE_SIZE(sizeof(r->path))];

	http_guard_request_done(c);
	if (!r)
		return;
	if ((r->status && r->status < 400) || log_limit_allow(&h->failed)) {
		client_name(c, who, sizeof(who));
		strata_escape(method, sizeof(method), r->method, strlen(r->method));
		strata_escape(path, sizeof(path), r->path, strlen(r->path));
		fprintf(stderr, "http: %s %s %s %u %llu bytes %.3fs%s\n", who, method, path,
			r->status, (unsigned long long)r->bytes, now_seconds() - r->start,
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	}
	free(r->big);
	strata_wipe(r->up_key, sizeof(r->up_key));
	free(r);
	*req_cls = NULL;
}

static void tick(struct loop *loop, struct loop_timer *t)
{
	struct http_service *h = t->ctx;

	http_guard_tick(h->guard);
	if (h->tls_guard)
		http_guard_tick(h->tls_guard);
	log_limit_flush(&h->failed);
	login_flush(h->s->login);
	log_limit_flush(&h->s->unknown_log);
	http_events_tick(h->s, loop_now());
	schedule_tick(h->s, loop_now());
	(void)loop_timer_arm(loop, t, TICK_MS);
}

/* The guard's limits from the server's options, for max_conns connections. */
static int guard_open(const struct server *s, int max_conns, struct http_guard **out)
{
	struct http_guard_config gc = { .max_conns = (unsigned int)max_conns,
					.max_per_addr = (unsigned int)s->cfg.max_http_per_addr,
					.request_s = (unsigned int)s->cfg.max_http_request_time };

	/* main.c has checked it. */
	if (s->cfg.trusted_proxies &&
	    http_cidr_list_parse(s->cfg.trusted_proxies, gc.trusted, HTTP_CIDR_MAX, &gc.ntrusted))
		return errorf("--trusted-proxies %s: not a network list", s->cfg.trusted_proxies);
	return http_guard_new(&gc, out) ? errorf("out of memory") : 0;
}

static struct MHD_Daemon *daemon_start(struct http_service *h, const struct sockaddr_in *sa)
{
	const struct server *s = h->s;
	unsigned int flags = DAEMON_FLAGS;

	return MHD_start_daemon(flags, (uint16_t)s->cfg.http_port, http_guard_accept, h->guard,
				on_request, &h->plain,
				MHD_OPTION_EXTERNAL_LOGGER, http_guard_mhd_log, h->guard,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cpu_count(),
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->cfg.max_http,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
				MHD_OPTION_NOTIFY_CONNECTION, http_guard_notify, h->guard,
				MHD_OPTION_END);
}

/* The HTTPS port: the same handlers, its own guard, 2 threads, the certificate in memory. */
static struct MHD_Daemon *tls_daemon_start(struct http_service *h, const struct sockaddr_in *sa)
{
	const struct server *s = h->s;
	unsigned int flags = DAEMON_FLAGS | MHD_USE_TLS;

	return MHD_start_daemon(flags, (uint16_t)s->cfg.https_port, http_guard_accept,
				h->tls_guard, on_request, &h->secure,
				MHD_OPTION_EXTERNAL_LOGGER, http_guard_mhd_log, h->tls_guard,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_HTTPS_MEM_CERT, h->cert,
				MHD_OPTION_HTTPS_MEM_KEY, h->key,
				MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
				MHD_OPTION_THREAD_POOL_SIZE, 2u,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->cfg.max_https,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
				MHD_OPTION_NOTIFY_CONNECTION, http_guard_notify, h->tls_guard,
				MHD_OPTION_END);
}

/* The HTTPS port, when --tls-cert is given: its files read now (as root), its guard, its
 * daemon.  0 or STRATA_EREPORTED. */
static int tls_start(struct http_service *h, struct sockaddr_in sa)
{
	const struct server *s = h->s;
	uint8_t *cert = NULL, *key = NULL;
	size_t len;

	if (!s->cfg.tls_cert)
		return 0;
	if (read_file(s->cfg.tls_cert, TLS_FILE_MAX, &cert, &len))
		return STRATA_EREPORTED;
	h->cert = (char *)cert;              /* read_file ends it with a NUL, as MHD wants */
	if (read_file(s->cfg.tls_key, TLS_FILE_MAX, &key, &h->key_len))
		return STRATA_EREPORTED;
	h->key = (char *)key;
	if (guard_open(s, s->cfg.max_https, &h->tls_guard))
		return STRATA_EREPORTED;
	sa.sin_port = htons((uint16_t)s->cfg.https_port);
	h->tls_d = tls_daemon_start(h, &sa);
	if (!h->tls_d)
		return errorf("cannot serve HTTPS on %s:%d with %s and %s (a certificate and its "
			      "key, PEM): see the lines above", s->cfg.addr, s->cfg.https_port,
			      s->cfg.tls_cert, s->cfg.tls_key);
	return 0;
}

/* What tls_start made (any part of it). */
static void tls_stop(struct http_service *h)
{
	if (h->tls_d)
		MHD_stop_daemon(h->tls_d);
	http_guard_free(h->tls_guard);
	free(h->cert);
	if (h->key)
		strata_wipe(h->key, h->key_len);
	free(h->key);
}

int http_start(struct server *s, struct loop *loop, struct http_service **out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->cfg.http_port) };
	struct http_service *h;
	int rc;

	if (inet_pton(AF_INET, s->cfg.addr, &sa.sin_addr) != 1)
		return errorf("--addr %s is not an IPv4 address", s->cfg.addr);
	if (!(h = calloc(1, sizeof(*h))))
		return errorf("out of memory");
	h->s = s;
	h->loop = loop;
	h->plain = (struct http_port){ s, 0 };
	h->secure = (struct http_port){ s, 1 };
	log_limit_init(&h->failed, "http", "failed request", FAILED_LINES);
	rc = http_events_start(s);
	if (rc)
		goto err_events;
	rc = guard_open(s, s->cfg.max_http, &h->guard);
	if (rc)
		goto err_guard;
	h->d = daemon_start(h, &sa);
	if (!h->d) {
		rc = errorf("cannot listen for HTTP on %s:%d: %s", s->cfg.addr, s->cfg.http_port,
			    strerror(errno));
		goto err_daemon;
	}
	rc = tls_start(h, sa);
	if (rc)
		goto err_tls;
	loop_timer_init(&h->tick, tick, h);
	(void)loop_timer_arm(loop, &h->tick, TICK_MS);
	*out = h;
	return 0;
err_tls:
	tls_stop(h);
	MHD_stop_daemon(h->d);
err_daemon:
	http_guard_free(h->guard);
err_guard:
	http_events_free(s);
err_events:
	log_limit_done(&h->failed);
	free(h);
	return rc;
}

void http_stop(struct http_service *h)
{
	if (!h)
		return;
	loop_timer_disarm(h->loop, &h->tick);
	http_events_close(h->s);      /* no stream left suspended when the daemons stop */
	tls_stop(h);
	MHD_stop_daemon(h->d);
	http_events_free(h->s);
	http_guard_free(h->guard);
	log_limit_done(&h->failed);
	free(h);
}
