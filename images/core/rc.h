/*
 * Return codes and diagnostics for the portable core.
 *
 * Every core function returns an int rc: 0 on success or one of the negative codes below.
 * A code says what kind of failure; the strata_diag a caller passes in says where (which
 * line of a manifest, which chunk of an index) and why, in a static string, because the
 * core has no stdio to format with.  Front ends (strata-image, strata.efi, strata-server)
 * print "<file or URL>:<where>: <msg>".
 */
#ifndef STRATA_RC_H
#define STRATA_RC_H

#include <stdint.h>

enum strata_rc {
	STRATA_EINVAL = -1,   /**< malformed input: syntax, bad value */
	STRATA_ERANGE = -2,   /**< a value outside what the format allows */
	STRATA_ETRUNC = -3,   /**< input ends early */
	STRATA_ETRAIL = -4,   /**< bytes after the end of a well-formed object */
	STRATA_EBADSIG = -5,  /**< signature missing or does not verify */
	STRATA_ECORRUPT = -6, /**< data does not hash to its name */
	STRATA_ENOMEM = -7,   /**< allocation failed */
	STRATA_EIO = -8,      /**< a read, write or flush failed */
	STRATA_ENOENT = -9,   /**< a file, chunk or layer is not there */
	STRATA_ESTALE = -10,  /**< a manifest older than the last one applied */
	STRATA_ENOSPC = -11,  /**< a target too small for what it must hold */
	STRATA_ENOTSUP = -12, /**< a version or feature this build does not know */
	STRATA_ENET = -13,    /**< a network transfer failed */
	STRATA_EACCES = -14,  /**< not allowed: a wrong report token, a foreign Origin, an API the
				   server was started without */
	STRATA_EREPORTED = -15, /**< a host-side failure (file, system call) whose site already
				     printed why; what host errorf returns */
	STRATA_EAUTH = -16,   /**< no credentials, or ones nobody issued: the caller may retry
				   with valid ones (unlike STRATA_EACCES) */
	STRATA_ETIMEDOUT = -17, /**< a peer too slow for the caller's limits (a store that
				     trickles): retrying would only wait as long again */
	STRATA_EQUOTA = -18,  /**< an owner's limit reached: a machine's private store quota */
	STRATA_EUNSAFE = -19, /**< a volume whose on-disk state is not consistent (hibernated,
				   dirty): capturing it needs force, the message says the fix */
	STRATA_ELIMIT = -20,  /**< too many tries too fast (failed logins): the caller may retry
				   after the wait its answer names (HTTP 429, Retry-After) */
};

/** Where and why a core function failed; filled only on failure. */
struct strata_diag {
	const char *msg;  /**< static text, never NULL after a failure */
	uint64_t where;   /**< line number (1-based) or chunk index, per the function's doc */
};

/** Name of a return code, for messages.  Returns a static string. */
const char *strata_strerror(int rc);

/**
 * Record a failure and return its code, so a failure site reads as one line:
 * `return strata_fail(diag, STRATA_EINVAL, "unknown policy", line);`.  diag may be NULL.
 */
int strata_fail(struct strata_diag *diag, int rc, const char *msg, uint64_t where);

#endif /* STRATA_RC_H */
