/* strata-server's login, logout and session routes (see http_login.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "admins.h"
#include "audit.h"
#include "http_login.h"
#include "login.h"
#include "mem.h"
#include "server_clock.h"
#include "state.h"
#include "text.h"

/* The session cookie's name: under TLS, __Host- makes the browser refuse one set by
 * another host or over plain HTTP (RFC 6265bis section 4.1.3.2). */
static const char *cookie_name(const struct req *r)
{
	return r->tls ? "__Host-strata" : "strata";
}

/* The origin the admin's page is served from, on the port r came to. */
static const char *origin_of_port(const struct server *s, const struct req *r)
{
	return r->tls ? s->cfg.tls_url : s->cfg.url;
}

/** The Cookie headers of a request: how many, and the first. */
struct cookie_headers {
	const char *first;
	unsigned int n;
};

/* MHD_get_connection_values' callback: count the Cookie headers, keep the first. */
static enum MHD_Result count_cookie(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct cookie_headers *h = cls;

	if (!strcasecmp(key, MHD_HTTP_HEADER_COOKIE) && h->n++ == 0)
		h->first = value ? value : "";
	return MHD_YES;
}

int http_session_cookie(struct MHD_Connection *c, const struct req *r,
			char out[HTTP_COOKIE_VALUE_LEN + 1])
{
	struct cookie_headers h = { NULL, 0 };
	int got;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_cookie, &h);
	if (h.n == 0)
		return 0;
	if (h.n > 1)
		return STRATA_EINVAL;
	got = http_cookie_get(h.first, cookie_name(r), out);
	return got < 0 ? STRATA_EINVAL : got;
}

int http_session_authorize(struct MHD_Connection *c, struct server *s, const struct req *r,
			   const char *cookie, struct who *w, const char **why)
{
	char csrf[ADMIN_CSRF_LEN + 1];
	const char *sent;
	int64_t expires;

	if (login_check(s->login, cookie, server_now(), w, csrf, &expires))
		return *why = "your session ended: log in again", STRATA_EAUTH;
	if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
		return 0;
	if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN))
		return *why = "a session's request must carry Origin: use the dashboard's page",
			STRATA_EACCES;
	sent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Strata-CSRF");
	if (!sent || strlen(sent) != ADMIN_CSRF_LEN || !strata_memeq_ct(sent, csrf, ADMIN_CSRF_LEN))
		return *why = "missing or wrong X-Strata-CSRF: reload the page", STRATA_EACCES;
	return 0;
}

/* Set-Cookie for value, living max_age seconds (0: the browser drops it now). */
static void set_cookie(struct MHD_Response *resp, const struct req *r, const char *value,
		       long max_age)
{
	char h[256];

	snprintf(h, sizeof(h), "%s=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%ld%s",
		 cookie_name(r), value, max_age, r->tls ? "; Secure" : "");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, h);
	strata_wipe(h, sizeof(h));
}

/* 429 with Retry-After: retry seconds. */
static enum MHD_Result too_many(struct MHD_Connection *c, struct req *r, unsigned int retry)
{
	char body[128], ra[16];
	int n = snprintf(body, sizeof(body), "429 too many failed logins: try again in %u s\n",
			 retry);
	struct MHD_Response *resp = MHD_create_response_from_buffer((size_t)n, body,
								    MHD_RESPMEM_MUST_COPY);

	snprintf(ra, sizeof(ra), "%u", retry);
	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	return http_queue(c, r, 429, resp, (uint64_t)n);
}

/* The login's audit row: target is the client's address. */
static void audit_login(struct server *s, const char *name, uint32_t ip)
{
	struct who w = { .via = VIA_SESSION };
	char addr[48];
	int rc = db_begin(s->state->db);

	memcpy(w.name, name, strnlen(name, API_TOKEN_NAME_MAX));   /* an admin's: it fits */
	snprintf(addr, sizeof(addr), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
		 ip & 255);
	if (rc == 0)
		(void)db_end(s->state->db, audit_order(s->state->db, &w, addr, "login", NULL, 0));
}

/* The login's answer: the cookie and the JSON the page keeps. */
static enum MHD_Result granted(struct MHD_Connection *c, struct req *r, struct server *s,
			       const char *name, struct login_grant *g)
{
	char body[512];
	int n = snprintf(body, sizeof(body), "{\"admin\": \"%s\", \"csrf\": \"%s\", "
			 "\"expires\": %lld, \"origin\": \"%s\", \"tls\": %s}\n", name, g->csrf,
			 (long long)g->expires, origin_of_port(s, r), r->tls ? "true" : "false");
	struct MHD_Response *resp;

	if (n < 0 || (size_t)n >= sizeof(body)) {
		strata_wipe(g, sizeof(*g));
		return http_error(c, r, 500, "the login's answer does not fit: is --url very long?");
	}
	resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		set_cookie(resp, r, g->cookie, ADMIN_SESSION_LIFE_S);
	}
	strata_wipe(g, sizeof(*g));
	return http_queue(c, r, 200, resp, (uint64_t)n);
}

/* Why a login was refused, for the body. */
static const char *login_why(int rc)
{
	return rc == STRATA_EACCES ? "no admin may log in: start strata-server with --admins FILE"
		: rc == STRATA_EAUTH ? "wrong name or password" : "cannot open a session";
}

enum MHD_Result http_login(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char name[API_TOKEN_NAME_MAX + 2], pw[ADMIN_PASSWORD_MAX + 1];
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
	struct login_grant g;
	unsigned int retry = 1;
	uint32_t ip = http_client_ip4(c);
	int rc;

	if (!http_origin_ours(s, r, origin))
		return http_fail(c, r, STRATA_EACCES, "requests from another origin are refused");
	if (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "password"))
		return http_fail(c, r, STRATA_EINVAL, "send the password in the POST body, never "
				 "in the URL");
	rc = http_query_get(r->body, "name", name, sizeof(name)) == 1 &&
	     http_query_get(r->body, "password", pw, sizeof(pw)) == 1 ? 0 : STRATA_EINVAL;
	strata_wipe(r->body, sizeof(r->body));
	if (rc == 0)
		rc = login_attempt(s->login, ip, name, pw, strlen(pw), server_now(), &g,
				   &retry);
	strata_wipe(pw, sizeof(pw));
	if (rc == STRATA_ELIMIT)
		return too_many(c, r, retry);
	if (rc == STRATA_EINVAL)
		return http_fail(c, r, rc, "send name= and password= (form-encoded) in the body");
	if (rc)
		return http_fail(c, r, rc, login_why(rc));
	audit_login(s, name, ip);
	return granted(c, r, s, name, &g);
}

enum MHD_Result http_logout(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char cookie[HTTP_COOKIE_VALUE_LEN + 1];
	struct MHD_Response *resp;
	const char *why;
	struct who w;
	int rc = http_authorize(c, s, r, &w, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (http_session_cookie(c, r, cookie) == 1)
		login_end(s->login, cookie);
	strata_wipe(cookie, sizeof(cookie));
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp)
		set_cookie(resp, r, "", 0);
	return http_queue(c, r, 204, resp, 0);
}

/* The session's CSRF token and end, or JSON nulls for a token's request. */
static void session_fields(struct MHD_Connection *c, struct req *r, struct server *s,
			   const struct who *w, char csrf[ADMIN_CSRF_LEN + 3], char exp[24])
{
	char cookie[HTTP_COOKIE_VALUE_LEN + 1], tok[ADMIN_CSRF_LEN + 1];
	struct who again;
	int64_t expires;

	snprintf(csrf, ADMIN_CSRF_LEN + 3, "null");
	snprintf(exp, 24, "null");
	if (w->via != VIA_SESSION || http_session_cookie(c, r, cookie) != 1 ||
	    login_check(s->login, cookie, server_now(), &again, tok, &expires))
		return;
	snprintf(csrf, ADMIN_CSRF_LEN + 3, "\"%s\"", tok);
	snprintf(exp, 24, "%lld", (long long)expires);
}

enum MHD_Result http_session(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char body[640], csrf[ADMIN_CSRF_LEN + 3], exp[24];
	time_t now = time(NULL);
	struct tm tm;
	const char *why;
	struct who w;
	int n, rc = http_authorize(c, s, r, &w, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	session_fields(c, r, s, &w, csrf, exp);
	localtime_r(&now, &tm);
	n = snprintf(body, sizeof(body), "{\"admin\": \"%s\", \"via\": \"%s\", \"csrf\": %s, "
		     "\"expires\": %s, \"origin\": \"%s\", \"tz\": \"%s\", \"tz_offset\": %ld, "
		     "\"server_time\": %lld}\n", w.name, who_via_name(w.via), csrf, exp,
		     origin_of_port(s, r), tm.tm_zone ? tm.tm_zone : "", tm.tm_gmtoff,
		     (long long)now);
	if (n < 0 || (size_t)n >= sizeof(body))
		return http_error(c, r, 500, "the session's answer does not fit: is --url very long?");
	return http_text(c, r, 200, "application/json", body, (size_t)n);
}
