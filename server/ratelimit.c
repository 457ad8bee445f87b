/* Log line rate limiter (see ratelimit.h): fixed intervals, a count of what was held. */
#include "ratelimit.h"

void ratelimit_init(struct ratelimit *rl, uint32_t burst, uint32_t interval_ms)
{
	rl->burst = burst ? burst : 1;
	rl->interval_ms = interval_ms;
	rl->start_ms = 0;
	rl->used = 0;
	rl->held = 0;
}

/*
 * An interval starts with the first line let through after the previous one ended, so a
 * quiet limiter never opens an interval at an arbitrary past time.
 */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, uint32_t *held)
{
	if (rl->used == 0 || now_ms - rl->start_ms >= rl->interval_ms) {
		rl->start_ms = now_ms;
		rl->used = 0;
	}
	if (rl->used >= rl->burst) {
		if (rl->held < UINT32_MAX)
			rl->held++;
		return false;
	}
	rl->used++;
	if (held)
		*held = ratelimit_take_held(rl);
	return true;
}

uint32_t ratelimit_take_held(struct ratelimit *rl)
{
	uint32_t n = rl->held;

	rl->held = 0;
	return n;
}

uint64_t ratelimit_interval_end(const struct ratelimit *rl)
{
	return rl->start_ms + rl->interval_ms;
}
