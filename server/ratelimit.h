/*
 * A limiter for log lines of one kind: at most `burst` lines per interval, the rest
 * counted so that the log can still say how many there were ("N more suppressed").
 *
 * Why: servers log every refusal so that an administrator sees who was refused and why,
 * but anyone who can send a packet can trigger a refusal.  Unbounded, a flood of bad
 * requests becomes a flood of log lines that fills disks and pushes journald into its own
 * rate limit, which then hides the lines that matter.  Counting what was held back keeps
 * the log honest about the volume.
 *
 * Pure: the caller passes the time (milliseconds on a monotonic clock), so tests drive it
 * without sleeping and it serves the TFTP loop and HTTP's threads alike.  Not
 * thread-safe: a limiter shared by threads needs its caller's lock.  One limiter per kind
 * of line, so a flood of one kind never hides the first lines of another.
 */
#ifndef STRATA_RATELIMIT_H
#define STRATA_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/** One kind of line.  Fill with ratelimit_init; the fields are the module's. */
struct ratelimit {
	uint32_t burst;       /**< lines let through per interval, >= 1 */
	uint32_t interval_ms; /**< length of an interval */
	uint64_t start_ms;    /**< when the current interval began */
	uint32_t used;        /**< lines let through in it; 0 before the first */
	uint32_t held;        /**< lines suppressed and not reported yet */
};

/** Allow burst (at least 1) lines per interval_ms. */
void ratelimit_init(struct ratelimit *rl, uint32_t burst, uint32_t interval_ms);

/**
 * Whether a line may be written at now_ms.  When it may, *held (if not NULL) receives
 * the number of lines suppressed since the last report, which the caller reports with
 * the line, and the count starts again from 0.  When it may not, the line is counted.
 */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ms, uint32_t *held);

/**
 * Take the count of suppressed lines for a report of its own (from a timer, or at
 * shutdown), so none goes unmentioned when no later line comes.  Resets it to 0.
 */
uint32_t ratelimit_take_held(struct ratelimit *rl);

/** When the current interval ends: a flush timer set for then finds the final count. */
uint64_t ratelimit_interval_end(const struct ratelimit *rl);

#endif /* STRATA_RATELIMIT_H */
