/* Log line limiters shared by threads (see log_limit.h). */
#include <stdio.h>
#include "log_limit.h"
#include "loop.h"

void log_limit_init(struct log_limit *l, const char *prefix, const char *kind, uint32_t burst)
{
	pthread_mutex_init(&l->lock, NULL);
	ratelimit_init(&l->rl, burst, LOG_LIMIT_INTERVAL_MS);
	l->prefix = prefix;
	l->kind = kind;
}

static void say_held(const struct log_limit *l, uint32_t n)
{
	if (n)
		fprintf(stderr, "%s: %u more %s line(s) suppressed\n", l->prefix, n, l->kind);
}

bool log_limit_allow(struct log_limit *l)
{
	uint32_t held = 0;
	bool ok;

	pthread_mutex_lock(&l->lock);
	ok = ratelimit_allow(&l->rl, loop_now(), &held);
	say_held(l, held);
	pthread_mutex_unlock(&l->lock);
	return ok;
}

void log_limit_flush(struct log_limit *l)
{
	pthread_mutex_lock(&l->lock);
	if (loop_now() >= ratelimit_interval_end(&l->rl))
		say_held(l, ratelimit_take_held(&l->rl));
	pthread_mutex_unlock(&l->lock);
}

void log_limit_done(struct log_limit *l)
{
	say_held(l, ratelimit_take_held(&l->rl));
	pthread_mutex_destroy(&l->lock);
}
