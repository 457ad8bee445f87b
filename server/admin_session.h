/*
 * Admins' sessions: what a successful password login (http_login.c) gives a browser, kept
 * in memory only, so a restart logs every admin out.
 *
 * The cookie's value is 32 random bytes (64 hex digits); the server keeps only their
 * SHA-256, so neither a core dump nor a reader of memory can present one.  A session is
 * made only by a login, never from a value a browser presents: a cookie planted before
 * the login (fixation) names nothing.  It ends 12 hours after the login, after an hour
 * without a request, at logout, or when its admin's line in --admins goes or changes
 * (admin_sessions_keep after a reload).  At most ADMIN_SESSIONS_MAX live at once and
 * ADMIN_SESSIONS_PER_ADMIN per admin; a login beyond either ends the oldest.
 *
 * CSRF: each session has a synchronizer token, HMAC-SHA-256(a key drawn at start, the
 * session's hash), which the page sends back as X-Strata-CSRF on every POST (http.c's
 * http_authorize).  Another site's page can make a browser send the cookie, not read the
 * token.  Pure but for its mutex and the random generator; the clock is the caller's.
 */
#ifndef STRATA_ADMIN_SESSION_H
#define STRATA_ADMIN_SESSION_H

#include <pthread.h>
#include <stdint.h>
#include "api_tokens.h"
#include "crypto.h"

#define ADMIN_SESSIONS_MAX 256
#define ADMIN_SESSIONS_PER_ADMIN 8
#define ADMIN_SESSION_LIFE_S 43200   /**< 12 h from the login: the cookie's Max-Age */
#define ADMIN_SESSION_IDLE_S 3600    /**< 1 h without a request */
/** A cookie value: 64 lowercase hex digits, and the NUL. */
#define ADMIN_COOKIE_LEN 64
/** A CSRF token: 64 lowercase hex digits, and the NUL. */
#define ADMIN_CSRF_LEN 64

/** One session: internal to admin_session.c. */
struct admin_session {
	uint8_t id_hash[STRATA_SHA256_LEN];  /**< SHA-256 of the cookie's 32 bytes */
	char name[API_TOKEN_NAME_MAX + 1];
	uint64_t gen;                /**< the admin's line's (admins.h) at the login */
	int64_t created, last;
	int used;
};

/** The session table; fields internal to admin_session.c. */
struct admin_sessions {
	pthread_mutex_t lock;
	struct admin_session s[ADMIN_SESSIONS_MAX];
	uint8_t csrf_key[32];        /**< drawn at start, wiped at the end */
};

/** Draw the CSRF key.  0, or STRATA_EIO when the kernel gave no random bytes. */
int admin_sessions_init(struct admin_sessions *t);
/** Wipe every session and the key. */
void admin_sessions_done(struct admin_sessions *t);

/**
 * A new session for admin name (line gen) at now: its cookie value into cookie and its
 * CSRF token into csrf (the caller's; cookie is a secret it wipes once sent).  0, or
 * STRATA_EIO without random bytes.
 */
int admin_session_new(struct admin_sessions *t, const char *name, uint64_t gen, int64_t now,
		      char cookie[ADMIN_COOKIE_LEN + 1], char csrf[ADMIN_CSRF_LEN + 1]);

/**
 * The live session a cookie value (borrowed, already shaped by http_cookie_get) names at
 * now: 0 with its admin's name in name, its CSRF token in csrf and its end (Unix seconds)
 * in *expires, its idle clock restarted; STRATA_EAUTH when it names none, or ended.
 */
int admin_session_check(struct admin_sessions *t, const char *cookie, int64_t now,
			char name[API_TOKEN_NAME_MAX + 1], char csrf[ADMIN_CSRF_LEN + 1],
			int64_t *expires);

/** End the session cookie names, if any. */
void admin_session_end(struct admin_sessions *t, const char *cookie);

/**
 * After the admins file changed: end every session whose admin is gone or whose line
 * changed.  keep(ctx, name, gen) says whether a session of name at gen stays.
 */
void admin_sessions_keep(struct admin_sessions *t, int (*keep)(void *ctx, const char *name,
							      uint64_t gen), void *ctx);

#endif /* STRATA_ADMIN_SESSION_H */
