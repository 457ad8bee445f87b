/* Failed-login slowdown and the hash budget (see login_limit.h). */
#include <string.h>
#include "login_limit.h"
#include "rc.h"

void login_limit_init(struct login_limit *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
}

void login_limit_done(struct login_limit *l)
{
	pthread_mutex_destroy(&l->lock);
}

/* ip's entry, or NULL.  Call with the lock. */
static struct login_source *find(struct login_limit *l, uint32_t ip)
{
	for (size_t i = 0; i < LOGIN_SOURCES; i++)
		if (l->src[i].used && l->src[i].ip == ip)
			return &l->src[i];
	return NULL;
}

/* A free entry, else the one that failed longest ago, cleared for ip.  Call with the lock. */
static struct login_source *take(struct login_limit *l, uint32_t ip)
{
	struct login_source *o = &l->src[0];

	for (size_t i = 0; i < LOGIN_SOURCES && o->used; i++)
		if (!l->src[i].used || l->src[i].last < o->last)
			o = &l->src[i];
	memset(o, 0, sizeof(*o));
	o->used = 1;
	o->ip = ip;
	return o;
}

/* Whether one more hash fits this second's budget, counting it.  Call with the lock. */
static int budget_take(struct login_limit *l, int64_t now)
{
	if (l->budget_second != now) {
		l->budget_second = now;
		l->budget_used = 0;
	}
	if (l->budget_used >= LOGIN_HASHES_PER_S)
		return 0;
	l->budget_used++;
	return 1;
}

int login_limit_begin(struct login_limit *l, uint32_t ip, int64_t now, unsigned int *retry)
{
	struct login_source *e;
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	e = find(l, ip);
	if (e && e->until > now) {
		*retry = (unsigned int)(e->until - now);
		rc = STRATA_ELIMIT;
	} else if (!budget_take(l, now)) {
		*retry = 1;
		rc = STRATA_ELIMIT;
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

/* The lock-out after the n-th failure of a window: 2^(n-5) s, at most the maximum. */
static unsigned int wait_after(uint32_t n)
{
	uint32_t k = n - LOGIN_FREE_FAILS;

	return k >= 10 ? LOGIN_WAIT_MAX_S : (1u << k) < LOGIN_WAIT_MAX_S ? 1u << k
		: LOGIN_WAIT_MAX_S;
}

int login_limit_failed(struct login_limit *l, uint32_t ip, int64_t now, unsigned int *retry)
{
	struct login_source *e;
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	e = find(l, ip);
	if (!e || now - e->first >= LOGIN_WINDOW_S) {
		e = e ? e : take(l, ip);
		e->fails = 0;
		e->first = now;
	}
	e->last = now;
	if (++e->fails > LOGIN_FREE_FAILS) {
		*retry = wait_after(e->fails);
		e->until = now + *retry;
		rc = STRATA_ELIMIT;
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void login_limit_ok(struct login_limit *l, uint32_t ip)
{
	struct login_source *e;

	pthread_mutex_lock(&l->lock);
	if ((e = find(l, ip)))
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&l->lock);
}
