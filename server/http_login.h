/*
 * strata-server's routes of admins' password logins (issue 15): POST /api/login, POST
 * /api/logout and GET /api/session, and the session cookie's half of http_authorize
 * (http.c).  login.h keeps the admins and their sessions; docs/security.md "Admin
 * accounts" says what a browser is given and why.
 */
#ifndef STRATA_HTTP_LOGIN_H
#define STRATA_HTTP_LOGIN_H

#include <microhttpd.h>
#include "http_req.h"

/** POST /api/login: name= and password= in the form body (never the query). */
enum MHD_Result http_login(struct MHD_Connection *c, struct req *r, struct server *s);
/** POST /api/logout: ends the cookie's session; 204 and a cookie that expires now. */
enum MHD_Result http_logout(struct MHD_Connection *c, struct req *r, struct server *s);
/** GET /api/session: who the credential names, the CSRF token, the session's end. */
enum MHD_Result http_session(struct MHD_Connection *c, struct req *r, struct server *s);

/**
 * The session cookie of the request: 1 with its value in out when there is exactly one
 * Cookie header holding it, 0 when the request carries none, or STRATA_EINVAL for more
 * than one Cookie header or a malformed one (400).
 */
int http_session_cookie(struct MHD_Connection *c, const struct req *r,
			char out[HTTP_COOKIE_VALUE_LEN + 1]);

/**
 * The admin whose session the cookie value (borrowed) names: 0 with *w, or STRATA_EAUTH
 * with *why.  Then, unless r is a GET or HEAD, the request must carry an Origin (the
 * caller has checked it is the server's) and X-Strata-CSRF equal to the session's token:
 * otherwise STRATA_EACCES with *why.
 */
int http_session_authorize(struct MHD_Connection *c, struct server *s, const struct req *r,
			   const char *cookie, struct who *w, const char **why);

#endif /* STRATA_HTTP_LOGIN_H */
