/*
 * What strata-server's HTTP route handlers share (http.c routes and answers; http_capture.c
 * and http_private.c handle their own routes): the per-request state and the answers every
 * handler builds.  Internal to server/http*.c.
 */
#ifndef STRATA_HTTP_REQ_H
#define STRATA_HTTP_REQ_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>
#include "capture_task.h"
#include "http_parse.h"
#include "server.h"
#include "sessions.h"
#include "who.h"

/** Largest small (form-encoded) request body kept; a larger one is refused with 413. */
#define BODY_MAX 4096
/** Longest raw path and query kept for a signed request's check; longer ones fail it. */
#define URI_MAX 2048

/** Per-request state, from the first callback to the completion log.  The three text
 *  buffers come last: on_uri (http.c) zeroes only what lies before them and ends each at
 *  its first byte, so a request does not pay for clearing 6 KiB it rarely uses. */
struct req {
	struct http_route route;
	char method[8];
	int uri_long;                   /**< the raw URI did not fit in uri */
	int uri_nul;                    /**< the raw URI holds %00 (http_uri_has_nul) */
	int routed;                     /**< the first call of on_request has run */
	size_t body_len;
	char *big;                      /**< a capture task's or multicast status's body
					     (owned), up to big_body_max(route) (http.c),
					     instead of body */
	size_t big_len;
	int task_rc;                    /**< a capture task's request or a multicast
					     status: its signature's check, made before any
					     body byte is taken */
	struct capture_task task;       /**< the task, when task_rc is 0 */
	uint64_t n;                     /**< the signed request's counter, when task_rc is 0 */
	uint8_t up_key[32];             /**< the key its sealed body opens with (a secret,
					     wiped at completion) ... */
	int up_key_set;                 /**< ... when set: the task's hello key
					     (capture_hello.h) or the machine session's enc */
	int too_big;
	int tls;                        /**< came to the HTTPS port */
	unsigned int status;
	uint64_t bytes;
	double start;
	char path[HTTP_PATH_MAX + 1];   /**< as requested, cut to fit, for the log */
	char uri[URI_MAX + 1];          /**< raw path and query, as sent: what a tag covers */
	char body[BODY_MAX + 1];        /**< a small body, NUL-terminated at body_len */
};


/** Queue resp (taken) with status for r; bytes is what the log line counts. */
enum MHD_Result http_queue(struct MHD_Connection *c, struct req *r, unsigned int status,
			   struct MHD_Response *resp, uint64_t bytes);
/** A short text answer (body copied) of type with status. */
enum MHD_Result http_text(struct MHD_Connection *c, struct req *r, unsigned int status,
			  const char *type, const char *body, size_t len);
/** An error the HTTP protocol itself defines (405, 413): status and a short text body. */
enum MHD_Result http_error(struct MHD_Connection *c, struct req *r, unsigned int status,
			   const char *msg);
/** A request that failed with rc: answered with the status http_status_of gives it. */
enum MHD_Result http_fail(struct MHD_Connection *c, struct req *r, int rc, const char *msg);
/** body (allocated by the caller, NULL without memory) sent and freed. */
enum MHD_Result http_owned(struct MHD_Connection *c, struct req *r, const char *type,
			   char *body, size_t len);
/** The request's Range header against a body of size bytes. */
enum http_range_result http_range_of(struct MHD_Connection *c, uint64_t size,
				     uint64_t *start, uint64_t *len);
/** 416 for a range outside a body of size bytes. */
enum MHD_Result http_unsatisfiable(struct MHD_Connection *c, struct req *r, uint64_t size);
/** The headers of a binary body that may be a range [start, start + len) of size bytes. */
void http_body_headers(struct MHD_Response *resp, enum http_range_result rr, uint64_t start,
		       uint64_t len, uint64_t size, const char *cache);
/**
 * A request's value of key, from the query or the form-encoded body: 1 with *v set
 * (borrowed from the connection or buf), 0 when absent, -1 when the body's value fails to
 * decode, which a caller that stores it must refuse.
 */
int http_field_get(struct MHD_Connection *c, struct req *r, const char *key, char *buf,
		   size_t cap, const char **v);
/** http_field_get for callers that check the value themselves: malformed reads as absent. */
const char *http_field(struct MHD_Connection *c, struct req *r, const char *key, char *buf,
		       size_t cap);
/** A value from the query only (what a session's tag covers), borrowed, or NULL. */
const char *http_qfield(struct MHD_Connection *c, const char *key);
/**
 * Who gives an admin request (orders, lab-wide views), checked in this order: the Origin,
 * when sent, is the server's (--url or --tls-url); then a Bearer token of --api-tokens
 * (via=token) wins when sent; else exactly one Cookie header holding a live admin
 * session (via=session, http_login.h), and for anything but GET and HEAD an Origin and
 * X-Strata-CSRF equal to the session's token.  0 with *w filled (the caller's), or an rc
 * with *why (static) for the body: STRATA_EAUTH (401) without a credential that counts,
 * STRATA_EACCES (403) from a foreign origin, without the CSRF token, or with the API off,
 * STRATA_EINVAL (400) for two Cookie headers or a malformed one.
 */
int http_authorize(struct MHD_Connection *c, struct server *s, struct req *r, struct who *w,
		   const char **why);
/** Whether the request carries an admin's credential (Authorization or Cookie): a machine's
 *  routes that also answer admins ask http_authorize then, their session check otherwise. */
int http_has_credential(struct MHD_Connection *c);
/** Whether r's Origin header (NULL: none) is the origin of the port r came to: --tls-url on
 *  the HTTPS port, --url on the plain one.  A page of the plain origin, which any network
 *  attacker can forge, orders nothing over HTTPS. */
int http_origin_ours(const struct server *s, const struct req *r, const char *origin);
/** The client's IPv4 address in host order, 0 when not IPv4. */
uint32_t http_client_ip4(struct MHD_Connection *c);
/** Whether the signed query's b= is the SHA-256 of body[0..len) (64 hex digits): the
 *  tag covers the query, so it covers the body through b=. */
int http_body_signed(struct MHD_Connection *c, const char *body, size_t len);
/** Why a machine's request was refused by its session check (sessions.h's codes). */
const char *http_session_why(int rc);
/** Whether r is signed by a live session of its machine (use: whether its counter may
 *  repeat).  0 or an rc with *why. */
int http_signed_by_machine(struct req *r, struct server *s, enum session_use use,
			   const char **why);

#endif /* STRATA_HTTP_REQ_H */
