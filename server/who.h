/*
 * Who gave an order, and through which credential: what http_authorize answers and what
 * the audit log records (audit.h, the orders table's token_name and via columns).
 *
 * Why the via beside the name: an admin's password session and an API token may carry
 * the same NAME, and orders the server gives itself (an inventory line's action, a
 * machine's key, strata-server --gc, a scheduled order) carry fixed names.  The via says
 * which one it was, so revoking the right credential needs no guess.
 */
#ifndef STRATA_WHO_H
#define STRATA_WHO_H

#include <string.h>
#include "api_tokens.h"

/** Through what an order came.  The names (who_via_name) are stored: never renumber. */
enum who_via {
	VIA_TOKEN = 0,     /**< Authorization: Bearer, a token of --api-tokens */
	VIA_SESSION,       /**< an admin's session cookie (login.h), after a password login */
	VIA_SCHEDULE,      /**< a scheduled order firing, under its admin's name */
	VIA_INVENTORY,     /**< an inventory line's action= or replaces= */
	VIA_CLI,           /**< strata-server run once from the command line (--gc) */
	VIA_MACHINE,       /**< a machine itself (the key it presented) */
	VIA_INTERVAL,      /**< an interval capture falling due (interval.h) */
};

/** A credential's holder: what the audit log names. */
struct who {
	char name[API_TOKEN_NAME_MAX + 1];
	enum who_via via;
};

/** The stored name of v ("token", "session", ...): a static string. */
static inline const char *who_via_name(enum who_via v)
{
	static const char *const names[] = {
		[VIA_TOKEN] = "token", [VIA_SESSION] = "session", [VIA_SCHEDULE] = "schedule",
		[VIA_INVENTORY] = "inventory", [VIA_CLI] = "cli", [VIA_MACHINE] = "machine",
		[VIA_INTERVAL] = "interval",
	};

	return (unsigned int)v < sizeof(names) / sizeof(names[0]) ? names[v] : "token";
}

/**
 * Whether name[0..len) is one the audit log gives the server's own orders ("inventory",
 * "machine", "cli", "interval", "schedule"): an admin or a token may not take it, or its
 * rows would read as the server's.
 */
static inline int who_name_reserved(const char *name, size_t len)
{
	static const char *const names[] = { "inventory", "machine", "cli", "interval",
					     "schedule" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return 1;
	return 0;
}

/** The server's own order givers, for the audit log. */
extern const struct who who_inventory, who_cli, who_machine, who_interval;

#endif /* STRATA_WHO_H */
