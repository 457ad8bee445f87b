/* The audit log of orders and their outcomes (see audit.h). */
#include <sqlite3.h>
#include <time.h>
#include "audit.h"
#include "text.h"

const struct who who_inventory = { "inventory", VIA_INVENTORY };
const struct who who_cli = { "cli", VIA_CLI };
const struct who who_machine = { "machine", VIA_MACHINE };
const struct who who_interval = { "interval", VIA_INTERVAL };

/* audit_order, giving the new order's id in *id. */
static int insert_order(struct db *d, const struct who *by, const char *target,
			const char *action, const uint8_t (*macs)[6], size_t n, int64_t *id)
{
	char mac[18];
	int rc;

	rc = db_run(d, "INSERT INTO orders (at, token_name, via, target, action) "
		    "VALUES (?, ?, ?, ?, ?)", "itttt", (int64_t)time(NULL), by->name,
		    who_via_name(by->via), target, action);
	*id = sqlite3_last_insert_rowid(d->h);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		strata_mac_format(mac, macs[i]);
		rc = db_run(d, "INSERT INTO order_machines (order_id, mac) VALUES (?, ?)", "it",
			    *id, mac);
	}
	return rc;
}

int audit_order(struct db *d, const struct who *by, const char *target, const char *action,
		const uint8_t (*macs)[6], size_t n)
{
	int64_t id;

	return insert_order(d, by, target, action, macs, n, &id);
}

int audit_order_closed(struct db *d, const struct who *by, const char *target,
		       const char *action, const char *outcome, const uint8_t (*macs)[6],
		       size_t n)
{
	int64_t id;
	int rc = insert_order(d, by, target, action, macs, n, &id);

	if (rc == 0)
		rc = db_run(d, "UPDATE order_machines SET outcome = ?, outcome_at = ? "
			    "WHERE order_id = ?", "tii", outcome, (int64_t)time(NULL), id);
	return rc;
}

int audit_outcome(struct db *d, const uint8_t mac[6], const char *outcome, const char *message)
{
	char smac[18];

	strata_mac_format(smac, mac);
	if (message)
		return db_run(d, "UPDATE order_machines SET outcome = ?, outcome_at = ?, message = ? "
			      "WHERE mac = ? AND outcome IS NULL", "titt", outcome,
			      (int64_t)time(NULL), message, smac);
	return db_run(d, "UPDATE order_machines SET outcome = ?, outcome_at = ? "
		      "WHERE mac = ? AND outcome IS NULL", "tit", outcome, (int64_t)time(NULL),
		      smac);
}
