/*
 * Unit test of the log line rate limiter (server/ratelimit.c), on a clock the test moves.
 *
 * Why: the limiter stands between anyone who can send a packet and the log.  It must let
 * the first lines of a burst through (they name the offender), hold the rest within the
 * interval, and hand back an exact count of what it held, once, so that the log says
 * "N more suppressed" and no line is lost without a trace.
 */
#include <stdint.h>

#include "harness.h"
#include "ratelimit.h"

/* Offer count lines at now; returns how many were let through. */
static uint32_t offer(struct ratelimit *rl, uint64_t now, uint32_t count)
{
	uint32_t i, passed = 0;

	for (i = 0; i < count; i++)
		passed += ratelimit_allow(rl, now, NULL);
	return passed;
}

static void test_burst_then_held(void)
{
	struct ratelimit rl;
	uint32_t held = 99;

	ratelimit_init(&rl, 3, 1000);
	CHECK_EQ(offer(&rl, 5000, 10), 3);
	CHECK(!ratelimit_allow(&rl, 5999, &held) && held == 99);
	CHECK_EQ(ratelimit_interval_end(&rl), 6000);
	/* The next interval lets a line through and hands over the count, once. */
	CHECK(ratelimit_allow(&rl, 6000, &held) && held == 8);
	CHECK(ratelimit_allow(&rl, 6001, &held) && held == 0);
	CHECK_EQ(ratelimit_interval_end(&rl), 7000);
}

/* A report of its own (timer, shutdown) takes the count; the next line starts from 0. */
static void test_take_held(void)
{
	struct ratelimit rl;
	uint32_t held = 99;

	ratelimit_init(&rl, 1, 100);
	CHECK_EQ(offer(&rl, 0, 4), 1);
	CHECK_EQ(ratelimit_take_held(&rl), 3);
	CHECK_EQ(ratelimit_take_held(&rl), 0);
	CHECK(ratelimit_allow(&rl, 100, &held) && held == 0);
}

/* A quiet limiter opens its interval at the first line, not at some earlier time. */
static void test_quiet_start(void)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 2, 1000);
	CHECK_EQ(offer(&rl, 10, 1), 1);
	CHECK_EQ(offer(&rl, 1500, 3), 2);
	CHECK_EQ(ratelimit_interval_end(&rl), 2500);
	CHECK_EQ(offer(&rl, 2499, 1), 0);
	CHECK_EQ(offer(&rl, 2500, 1), 1);
}

/* burst 0 means 1; interval 0 lets every line through. */
static void test_edges(void)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 0, 1000);
	CHECK_EQ(offer(&rl, 7, 5), 1);
	ratelimit_init(&rl, 1, 0);
	CHECK_EQ(offer(&rl, 7, 5), 5);
	CHECK_EQ(ratelimit_take_held(&rl), 0);
}

int main(void)
{
	RUN(test_burst_then_held);
	RUN(test_take_held);
	RUN(test_quiet_start);
	RUN(test_edges);
	return harness_summary();
}
