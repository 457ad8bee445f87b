/* Admins' password logins: the list, the sessions and the limits together (see login.h). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admins.h"
#include "host.h"
#include "log_limit.h"
#include "login.h"
#include "login_limit.h"
#include "text.h"

/** Failure lines let through per 10 s: a flood must not fill the log. */
#define FAILED_LINES 10

struct login {
	const char *path;            /**< the admins file, or NULL (borrowed from the config) */
	pthread_rwlock_t lock;       /**< guards admins */
	struct admins *admins;       /**< owned; NULL without --admins */
	struct admin_sessions sessions;
	struct login_limit limit;
	struct log_limit failed;
};

int login_open(const char *path, struct login **out)
{
	struct login *lg = calloc(1, sizeof(*lg));

	if (!lg)
		return errorf("out of memory");
	lg->path = path;
	pthread_rwlock_init(&lg->lock, NULL);
	login_limit_init(&lg->limit);
	log_limit_init(&lg->failed, "login", "failed login", FAILED_LINES);
	if (admin_sessions_init(&lg->sessions)) {
		login_close(lg);
		return errorf("cannot draw random bytes for the admins' sessions");
	}
	if (path && login_reload(lg)) {
		login_close(lg);
		return STRATA_EREPORTED;
	}
	*out = lg;
	return 0;
}

/* Whether a session of name at gen stays under the current list (admin_sessions_keep). */
static int still_admin(void *ctx, const char *name, uint64_t gen)
{
	const struct admin *a = admins_find(ctx, name);

	return a && a->gen == gen;
}

int login_reload(struct login *lg)
{
	struct admins *a, *old;

	if (!lg->path)
		return 0;
	if (admins_load(lg->path, &a))
		return STRATA_EREPORTED;
	pthread_rwlock_wrlock(&lg->lock);
	old = lg->admins;
	lg->admins = a;
	admin_sessions_keep(&lg->sessions, still_admin, a);
	pthread_rwlock_unlock(&lg->lock);
	admins_free(old);
	fprintf(stderr, "strata-server: %s: %zu admins\n", lg->path, a->n);
	return 0;
}

void login_close(struct login *lg)
{
	if (!lg)
		return;
	log_limit_done(&lg->failed);
	admin_sessions_done(&lg->sessions);
	login_limit_done(&lg->limit);
	admins_free(lg->admins);
	pthread_rwlock_destroy(&lg->lock);
	free(lg);
}

/* The log line of a checked login from ip by name (escaped: a client's bytes): g is the
 * grant, or NULL for a failure (those rate-limited). */
static void log_attempt(struct login *lg, uint32_t ip, const char *name,
			const struct login_grant *g)
{
	char esc[STRATA_ESCAPE_SIZE(API_TOKEN_NAME_MAX + 1)], addr[INET_ADDRSTRLEN], tag[9];
	struct in_addr in = { htonl(ip) };

	if (!g && !log_limit_allow(&lg->failed))
		return;
	strata_escape(esc, sizeof(esc), name, strnlen(name, API_TOKEN_NAME_MAX + 1));
	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	if (!g) {
		fprintf(stderr, "login: %s from %s refused: wrong name or password\n", esc, addr);
		return;
	}
	strata_hex_encode(tag, g->tag, sizeof(g->tag));
	fprintf(stderr, "login: %s from %s (session %s)\n", esc, addr, tag);
}

/* Check name's password under the list's lock: 0 with *gen, or an rc. */
static int check_password(struct login *lg, const char *name, const char *pw, size_t pw_len,
			  uint64_t *gen)
{
	int rc;

	pthread_rwlock_rdlock(&lg->lock);
	rc = lg->admins ? admins_verify(lg->admins, name, pw, pw_len, gen) : STRATA_EACCES;
	pthread_rwlock_unlock(&lg->lock);
	return rc;
}

/* A new session for name into g. */
static int grant(struct login *lg, const char *name, uint64_t gen, int64_t now,
		 struct login_grant *g)
{
	uint8_t h[STRATA_SHA256_LEN];
	int rc = admin_session_new(&lg->sessions, name, gen, now, g->cookie, g->csrf);

	if (rc)
		return rc;
	strata_sha256(g->cookie, ADMIN_COOKIE_LEN, h);
	memcpy(g->tag, h, sizeof(g->tag));
	g->expires = now + ADMIN_SESSION_LIFE_S;
	return 0;
}

int login_attempt(struct login *lg, uint32_t ip, const char *name, const char *pw,
		  size_t pw_len, int64_t now, struct login_grant *g, unsigned int *retry)
{
	uint64_t gen = 0;
	int rc;

	if (!lg->path)
		return STRATA_EACCES;
	rc = login_limit_begin(&lg->limit, ip, now, retry);
	if (rc)
		return rc;          /* never checked: nothing to log */
	rc = check_password(lg, name, pw, pw_len, &gen);
	if (rc == STRATA_EAUTH) {
		log_attempt(lg, ip, name, NULL);
		return login_limit_failed(&lg->limit, ip, now, retry) ? STRATA_ELIMIT : rc;
	}
	if (rc)
		return rc;
	login_limit_ok(&lg->limit, ip);
	rc = grant(lg, name, gen, now, g);
	if (rc == 0)
		log_attempt(lg, ip, name, g);
	return rc;
}

int login_check(struct login *lg, const char *cookie, int64_t now, struct who *w,
		char csrf[ADMIN_CSRF_LEN + 1], int64_t *expires)
{
	memset(w, 0, sizeof(*w));
	w->via = VIA_SESSION;
	return admin_session_check(&lg->sessions, cookie, now, w->name, csrf, expires);
}

void login_end(struct login *lg, const char *cookie)
{
	admin_session_end(&lg->sessions, cookie);
}

void login_flush(struct login *lg)
{
	log_limit_flush(&lg->failed);
}
