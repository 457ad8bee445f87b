/*
 * A rate limiter for one kind of log line, shared by threads: server/ratelimit.h's
 * limiter behind a lock, with the words of its "N more KIND line(s) suppressed" line.
 *
 * Why: HTTP's refusals happen on libmicrohttpd's threads, and the unknown-machine table's
 * warnings on whichever request thread meets a full table, so their limiters need a lock
 * that the single-threaded TFTP loop does not; the "suppressed" line is written the same
 * way by every user.
 */
#ifndef STRATA_LOG_LIMIT_H
#define STRATA_LOG_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "ratelimit.h"

/** Lines logged per interval by default, and the interval (as TFTP's refusals). */
#define LOG_LIMIT_BURST 5
#define LOG_LIMIT_INTERVAL_MS 10000

/** One kind of line.  Fill with log_limit_init; the fields are the module's. */
struct log_limit {
	pthread_mutex_t lock;
	struct ratelimit rl;
	const char *prefix;   /**< the log's prefix, "http" */
	const char *kind;     /**< in "N more KIND line(s) suppressed" */
};

/** burst lines per LOG_LIMIT_INTERVAL_MS; prefix and kind are borrowed (static text). */
void log_limit_init(struct log_limit *l, const char *prefix, const char *kind, uint32_t burst);

/**
 * Whether a line may be written now.  When it may, the count of lines held back before it
 * is written first; when it may not, the line is counted.
 */
bool log_limit_allow(struct log_limit *l);

/** Write the count of held lines once their interval is over (call it from a timer). */
void log_limit_flush(struct log_limit *l);

/** Write any held count and release the lock. */
void log_limit_done(struct log_limit *l);

#endif /* STRATA_LOG_LIMIT_H */
