/*
 * How often passwords are tried at POST /api/login: failed logins slowed per source
 * address, and a budget of hash checks for the whole server.
 *
 * Why without sleeping: HTTP has cpu_count() worker threads (2 on a small server), so a
 * handler that slept would let a few guessing clients stall every machine's reports.
 * Instead a login that must wait is answered at once with 429 and Retry-After.  From an
 * address's 6th failure within 15 minutes, each failure locks the address out for
 * 2^(n-5) seconds (at most 900), n its failures in the window; a success clears it.  The
 * table keeps the 256 addresses that failed last (least recently failed forgotten first).
 * A hash costs about 16 ms (yescrypt), so the whole server checks at most
 * LOGIN_HASHES_PER_S a second, whoever asks; beyond that, 429 with Retry-After: 1.
 *
 * Pure but for its mutex: the clock is the caller's (unit-tested with a fake one).
 */
#ifndef STRATA_LOGIN_LIMIT_H
#define STRATA_LOGIN_LIMIT_H

#include <pthread.h>
#include <stdint.h>

#define LOGIN_SOURCES 256
#define LOGIN_FREE_FAILS 5          /**< failures a window allows before the lock-outs */
#define LOGIN_WINDOW_S 900          /**< seconds a window of failures lasts */
#define LOGIN_WAIT_MAX_S 900        /**< the longest lock-out */
#define LOGIN_HASHES_PER_S 8

/** One address that failed: internal to login_limit.c. */
struct login_source {
	uint32_t ip;                 /**< IPv4, host order; 0 for a non-IPv4 client */
	uint32_t fails;              /**< in the window */
	int64_t first;               /**< the window's first failure */
	int64_t last;                /**< the latest failure: the LRU's key */
	int64_t until;               /**< locked out before this */
	int used;
};

/** The limiter; fields internal to login_limit.c. */
struct login_limit {
	pthread_mutex_t lock;
	struct login_source src[LOGIN_SOURCES];
	int64_t budget_second;       /**< the second the budget counts */
	unsigned int budget_used;
};

void login_limit_init(struct login_limit *l);
void login_limit_done(struct login_limit *l);

/**
 * Whether ip may have a password checked now (Unix seconds): 0, taking one hash of the
 * budget, or STRATA_ELIMIT with *retry the seconds to wait (what Retry-After says).
 */
int login_limit_begin(struct login_limit *l, uint32_t ip, int64_t now, unsigned int *retry);

/**
 * The check begun for ip failed: 0 while the address is within its free failures, or
 * STRATA_ELIMIT with *retry the lock-out this failure started.
 */
int login_limit_failed(struct login_limit *l, uint32_t ip, int64_t now, unsigned int *retry);

/** The check begun for ip succeeded: its failures are forgotten. */
void login_limit_ok(struct login_limit *l, uint32_t ip);

#endif /* STRATA_LOGIN_LIMIT_H */
