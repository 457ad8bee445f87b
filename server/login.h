/*
 * Admins' password logins, as the HTTP handlers (http_login.c, http.c's http_authorize)
 * use them: the --admins list (admins.h), its sessions (admin_session.h) and how often
 * passwords are tried (login_limit.h), behind one object the server owns.
 *
 * Why one object: a login touches all three in a fixed order (the limit, the hash, the
 * session), and a reload of the admins file must end the sessions of admins it dropped or
 * changed; keeping them together keeps those rules in one file.  The admins list is
 * swapped under its own rwlock, so a reload never waits on the catalog's lock.
 */
#ifndef STRATA_LOGIN_H
#define STRATA_LOGIN_H

#include <stdint.h>
#include "admin_session.h"
#include "who.h"

struct login;

/** What a successful login gives the browser. */
struct login_grant {
	char cookie[ADMIN_COOKIE_LEN + 1];   /**< a secret: wiped by the caller once sent */
	char csrf[ADMIN_CSRF_LEN + 1];
	int64_t expires;                     /**< Unix seconds */
	uint8_t tag[4];                      /**< the first bytes of the session's hash, for
						  log lines (never the cookie) */
};

/**
 * Read path (NULL: no admins, every login refused) and set up the sessions.  0 with *out
 * (the caller's, freed with login_close), or STRATA_EREPORTED (printed).
 */
int login_open(const char *path, struct login **out);

/** SIGHUP: re-read the admins file (a bad one keeps the old list, and says so) and end the
 *  sessions of admins it dropped or changed.  0 or STRATA_EREPORTED. */
int login_reload(struct login *lg);

/** NULL is allowed.  Every session ends. */
void login_close(struct login *lg);

/**
 * A password login from ip (IPv4, host order) at now: name and pw (pw_len bytes) borrowed,
 * pw wiped by the caller.  0 with *g filled; STRATA_EAUTH for a wrong name or password;
 * STRATA_ELIMIT with *retry the seconds to wait (login_limit.h); STRATA_EACCES when the
 * server has no --admins; STRATA_EIO without random bytes.  Logs the outcome escaped,
 * failures rate-limited.
 */
int login_attempt(struct login *lg, uint32_t ip, const char *name, const char *pw,
		  size_t pw_len, int64_t now, struct login_grant *g, unsigned int *retry);

/**
 * The session a cookie value (borrowed) names at now: 0 with *w (via=session), its CSRF
 * token in csrf and its end in *expires; STRATA_EAUTH when none.
 */
int login_check(struct login *lg, const char *cookie, int64_t now, struct who *w,
		char csrf[ADMIN_CSRF_LEN + 1], int64_t *expires);

/** Logout: end the session cookie names, if any. */
void login_end(struct login *lg, const char *cookie);

/** Write the failure lines the rate limit held back (http.c's tick). */
void login_flush(struct login *lg);

#endif /* STRATA_LOGIN_H */
