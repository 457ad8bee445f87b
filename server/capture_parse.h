/*
 * The parts of a capture order (docs/capture.md) that see an admin's request bytes, as a
 * pure function with no I/O so it is fuzzed and unit-tested alone.
 *
 * POST /api/capture/NAME?as=PROFILE&prepared=yes orders a gold capture: the machine's
 * disk becomes the profile PROFILE.  A gold image must be generalized first (every PC
 * deployed from it would otherwise share one identity), so the order must say
 * prepared=yes, and that answer is recorded with the task.  POST /api/capture/NAME with
 * neither parameter orders a capture of the machine's own layers.
 */
#ifndef STRATA_CAPTURE_PARSE_H
#define STRATA_CAPTURE_PARSE_H

#include "inventory.h"

/** What a capture takes and where it goes. */
enum capture_kind {
	CAPTURE_MACHINE = 0,  /**< the machine's own layers, as a new generation (private) */
	CAPTURE_GOLD = 1,     /**< the whole disk as a new profile (public store) */
};

/** A parsed capture order. */
struct capture_order {
	enum capture_kind kind;
	char profile[INV_NAME_MAX + 1];   /**< CAPTURE_GOLD: the profile it becomes, else "" */
	int prepared;                     /**< CAPTURE_GOLD: the admin confirmed it (always 1) */
};

/**
 * Read an order's parameters: as and prepared are the decoded query values (borrowed,
 * NULL when absent).  0 with *out filled, or STRATA_EINVAL with *why (a static string for
 * the answer's body) when as is not a name the inventory takes, prepared is not "yes"
 * for a gold capture, or prepared comes without as.
 */
int capture_order_parse(const char *as, const char *prepared, struct capture_order *out,
			const char **why);

#endif /* STRATA_CAPTURE_PARSE_H */
