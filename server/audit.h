/*
 * The audit log: every order strata-server takes (who gave it, when, what it named, which
 * machines it marked) and how each of those machines' deployments ended, in the database's
 * orders and order_machines tables (db.c has the schema).
 *
 * Why with the order: an order is acknowledged only after its audit row and the machines'
 * new state commit in the same transaction, so the log never misses an order the server
 * acted on and never names one it did not.  Read it with the sqlite3 shell, e.g.
 *     sqlite3 STATE/strata.db "SELECT datetime(at, 'unixepoch'), token_name, via, target,
 *         action, mac, outcome FROM orders JOIN order_machines ON id = order_id"
 */
#ifndef STRATA_AUDIT_H
#define STRATA_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include "db.h"
#include "who.h"

/**
 * Record an order given by (borrowed: its name and via), naming target (a machine name, a
 * MAC or "all", borrowed), asking action, and marking the n machines in macs (borrowed).
 * Call between db_begin and db_end on d.  0 or STRATA_EREPORTED.
 */
int audit_order(struct db *d, const struct who *by, const char *target, const char *action,
		const uint8_t (*macs)[6], size_t n);

/**
 * audit_order for an order that ends as it is given (a wake, a registration): its
 * machines' outcome is outcome (borrowed) at once, so that the machines' next deployment
 * does not close it.  Call between db_begin and db_end on d.  0 or STRATA_EREPORTED.
 */
int audit_order_closed(struct db *d, const struct who *by, const char *target,
		       const char *action, const char *outcome, const uint8_t (*macs)[6],
		       size_t n);

/**
 * Record how mac's deployment ended ("ok" or "failed", borrowed) on every order of it
 * still open, with message (borrowed; NULL for none): a failure's reason as the server
 * keeps it, which GET /api/machine/NAME shows in the order's history.  Call between
 * db_begin and db_end on d.  0 or STRATA_EREPORTED.
 */
int audit_outcome(struct db *d, const uint8_t mac[6], const char *outcome, const char *message);

#endif /* STRATA_AUDIT_H */
