/*
 * The time of a scheduled order (at=), read from hostile text: pure, unit-tested
 * (tests/unit/test_schedule.c) and fuzzed (tests/fuzz/fuzz_schedule.c).
 *
 * Why strict: an order scheduled at the wrong hour reimages a room during a class.  So
 * the one form taken is ISO 8601's YYYY-MM-DDTHH:MM[:SS], then Z, +HH:MM or -HH:MM, or
 * nothing for the server's own zone (TZ).  A local time the clocks skip (the spring DST
 * gap) does not exist and is refused; one they pass twice (the autumn overlap) takes the
 * earlier instant and says so, so the answer can show it.  Never in the past, at most
 * SCHEDULE_AHEAD_MAX seconds ahead, no trailing bytes.
 */
#ifndef STRATA_SCHEDULE_PARSE_H
#define STRATA_SCHEDULE_PARSE_H

#include <stdint.h>

/** How far ahead an order may be scheduled: 60 days. */
#define SCHEDULE_AHEAD_MAX (60 * 86400)

/**
 * Read s (NUL-terminated, borrowed) as a time at or after now and at most
 * SCHEDULE_AHEAD_MAX later.  0 with *at (Unix seconds) and *ambiguous (1 when a local time
 * the clocks pass twice took its earlier instant); STRATA_EINVAL with *why (static) for a
 * malformed or nonexistent time, STRATA_ERANGE with *why for one in the past or too far.
 */
int schedule_parse_time(const char *s, int64_t now, int64_t *at, int *ambiguous,
			const char **why);

#endif /* STRATA_SCHEDULE_PARSE_H */
