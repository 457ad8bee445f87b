/* Return code names and the failure recorder (see rc.h). */
#include "rc.h"

const char *strata_strerror(int rc)
{
	static const char *const names[] = {
		"success", "malformed input", "value out of range", "truncated",
		"trailing bytes", "bad signature", "corrupt data", "out of memory",
		"I/O error", "not found", "stale version", "no space", "not supported",
		"network error", "not allowed", "failed (reported)", "no valid credentials",
		"timed out", "over quota", "unsafe volume", "too many tries",
	};
	unsigned int i = 0u - (unsigned int)rc;

	if (rc > 0 || i >= sizeof(names) / sizeof(names[0]))
		return "unknown error";
	return names[i];
}

int strata_fail(struct strata_diag *diag, int rc, const char *msg, uint64_t where)
{
	if (diag) {
		diag->msg = msg;
		diag->where = where;
	}
	return rc;
}
