/*
 * Unit tests for failed-login slowdown (server/login_limit.c) and admins' sessions
 * (server/admin_session.c), on a fake clock: the 429 steps and their cap, the window,
 * a success clearing an address, the LRU, the hash budget; sessions' cookies and CSRF
 * tokens, both expiries, 8 per admin, logout, and a reload ending changed admins'.
 */
#include <string.h>
#include "admin_session.h"
#include "harness.h"
#include "login_limit.h"
#include "rc.h"

#define IP1 0x0a000005u
#define IP2 0x0a000006u

static void test_steps(void)
{
	static struct login_limit l;
	unsigned int retry = 0;
	int64_t t = 1000;

	login_limit_init(&l);
	for (int i = 0; i < LOGIN_FREE_FAILS; i++) {
		CHECK_EQ(login_limit_begin(&l, IP1, t, &retry), 0);
		CHECK_EQ(login_limit_failed(&l, IP1, t, &retry), 0);
		t += 2;        /* under the budget */
	}
	CHECK_EQ(login_limit_begin(&l, IP1, t, &retry), 0);
	CHECK_EQ(login_limit_failed(&l, IP1, t, &retry), STRATA_ELIMIT);
	CHECK_EQ(retry, 2);
	CHECK_EQ(login_limit_begin(&l, IP1, t + 1, &retry), STRATA_ELIMIT);   /* locked */
	CHECK_EQ(retry, 1);
	CHECK_EQ(login_limit_begin(&l, IP2, t + 1, &retry), 0);              /* others not */
	t += 2;
	CHECK_EQ(login_limit_begin(&l, IP1, t, &retry), 0);
	CHECK_EQ(login_limit_failed(&l, IP1, t, &retry), STRATA_ELIMIT);
	CHECK_EQ(retry, 4);
	for (int i = 0; i < 12; i++)
		(void)login_limit_failed(&l, IP1, t, &retry);
	CHECK_EQ(retry, LOGIN_WAIT_MAX_S);                                    /* capped */
	login_limit_ok(&l, IP1);
	CHECK_EQ(login_limit_begin(&l, IP1, t + 1, &retry), 0);               /* cleared */
	login_limit_done(&l);
}

static void test_window_and_lru(void)
{
	static struct login_limit l;
	unsigned int retry = 0;

	login_limit_init(&l);
	for (int i = 0; i < LOGIN_FREE_FAILS; i++)
		CHECK_EQ(login_limit_failed(&l, IP1, 100, &retry), 0);
	/* the window ended: the count starts again */
	CHECK_EQ(login_limit_failed(&l, IP1, 100 + LOGIN_WINDOW_S, &retry), 0);
	for (int i = 0; i < LOGIN_FREE_FAILS; i++)
		CHECK_EQ(login_limit_failed(&l, IP2, 200, &retry), 0);
	for (uint32_t ip = 1; ip <= LOGIN_SOURCES; ip++)       /* 256 newer addresses */
		(void)login_limit_failed(&l, 0x0b000000u + ip, 300, &retry);
	CHECK_EQ(login_limit_failed(&l, IP2, 301, &retry), 0);  /* forgotten: counts from 1 */
	login_limit_done(&l);
}

static void test_budget(void)
{
	static struct login_limit l;
	unsigned int retry = 0;

	login_limit_init(&l);
	for (uint32_t i = 0; i < LOGIN_HASHES_PER_S; i++)
		CHECK_EQ(login_limit_begin(&l, IP1 + i, 50, &retry), 0);
	CHECK_EQ(login_limit_begin(&l, IP2 + 100, 50, &retry), STRATA_ELIMIT);
	CHECK_EQ(retry, 1);
	CHECK_EQ(login_limit_begin(&l, IP2 + 100, 51, &retry), 0);
	login_limit_done(&l);
}

/* keep callback: only sessions of "alice" at gen 1 stay. */
static int keep_alice(void *ctx, const char *name, uint64_t gen)
{
	return !strcmp(name, "alice") && gen == 1;
}

static void test_sessions(void)
{
	static struct admin_sessions t;
	char c1[ADMIN_COOKIE_LEN + 1], c2[ADMIN_COOKIE_LEN + 1], x1[ADMIN_CSRF_LEN + 1];
	char x2[ADMIN_CSRF_LEN + 1], name[API_TOKEN_NAME_MAX + 1], x[ADMIN_CSRF_LEN + 1];
	int64_t exp;
	char was;

	CHECK_EQ(admin_sessions_init(&t), 0);
	CHECK_EQ(admin_session_new(&t, "alice", 1, 1000, c1, x1), 0);
	CHECK_EQ(admin_session_new(&t, "bob", 1, 1000, c2, x2), 0);
	CHECK(strlen(c1) == 64 && strspn(c1, "0123456789abcdef") == 64 && strcmp(c1, c2));
	CHECK(strlen(x1) == 64 && strcmp(x1, x2) && strcmp(x1, c1));
	CHECK_EQ(admin_session_check(&t, c1, 1100, name, x, &exp), 0);
	CHECK(!strcmp(name, "alice") && !strcmp(x, x1) && exp == 1000 + ADMIN_SESSION_LIFE_S);
	was = c1[0];
	c1[0] = was == 'a' ? 'b' : 'a';                        /* a guess one digit off */
	CHECK_EQ(admin_session_check(&t, c1, 1100, name, x, &exp), STRATA_EAUTH);
	c1[0] = was;
	/* idle: each request restarts the hour; an hour without one ends it */
	CHECK_EQ(admin_session_check(&t, c1, 1100 + ADMIN_SESSION_IDLE_S - 1, name, x, &exp), 0);
	CHECK_EQ(admin_session_check(&t, c2, 1000 + ADMIN_SESSION_IDLE_S, name, x, &exp),
		 STRATA_EAUTH);
	admin_session_end(&t, c1);
	CHECK_EQ(admin_session_check(&t, c1, 1200, name, x, &exp), STRATA_EAUTH);
	admin_sessions_done(&t);
}

static void test_life_and_caps(void)
{
	static struct admin_sessions t;
	char c[10][ADMIN_COOKIE_LEN + 1], x[ADMIN_CSRF_LEN + 1], name[API_TOKEN_NAME_MAX + 1];
	int64_t exp, now = 5000;

	CHECK_EQ(admin_sessions_init(&t), 0);
	for (int i = 0; i < 9; i++)
		CHECK_EQ(admin_session_new(&t, "alice", 1, now + i, c[i], x), 0);
	CHECK_EQ(admin_session_check(&t, c[0], now + 10, name, x, &exp), STRATA_EAUTH); /* 9th */
	for (int i = 1; i < 9; i++)
		CHECK_EQ(admin_session_check(&t, c[i], now + 10, name, x, &exp), 0);
	/* 12 h from the login, however busy */
	for (int64_t s = now + 3000; s < now + ADMIN_SESSION_LIFE_S; s += 3000)
		CHECK_EQ(admin_session_check(&t, c[8], s, name, x, &exp), 0);
	CHECK_EQ(admin_session_check(&t, c[8], now + 8 + ADMIN_SESSION_LIFE_S, name, x, &exp),
		 STRATA_EAUTH);
	CHECK_EQ(admin_session_new(&t, "bob", 1, now, c[9], x), 0);
	admin_sessions_keep(&t, keep_alice, NULL);
	CHECK_EQ(admin_session_check(&t, c[9], now + 1, name, x, &exp), STRATA_EAUTH);
	CHECK_EQ(admin_session_check(&t, c[7], now + 20, name, x, &exp), 0);
	admin_sessions_done(&t);
}

int main(void)
{
	RUN(test_steps);
	RUN(test_window_and_lru);
	RUN(test_budget);
	RUN(test_sessions);
	RUN(test_life_and_caps);
	return harness_summary();
}
