/* Restore orders: recording, the order's state and its end (see restore.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "audit.h"
#include "capture_task.h"
#include "catalog.h"
#include "crypto.h"
#include "db.h"
#include "host.h"
#include "restore.h"
#include "server.h"
#include "server_clock.h"
#include "text.h"

#define LABELS_MAX (STRATA_MAX_PARTS * (STRATA_LABEL_MAX + 1))

/* The first column of prepared *st's first row as an integer into *out (0 when no row);
 * *st is finalised.  rc is db_prepare's: 0 or STRATA_EREPORTED, passed on.  st is passed
 * by address: it is read only after db_prepare, an argument beside it, has set it. */
static int first_int(int rc, sqlite3_stmt **st, int64_t *out)
{
	*out = 0;
	if (rc)
		return rc;
	if (sqlite3_step(*st) == SQLITE_ROW)
		*out = sqlite3_column_int64(*st, 0);
	sqlite3_finalize(*st);
	return 0;
}

/* The one inventory machine who names, into out's name and mac, and its capture=yes
 * labels (comma-separated).  0, STRATA_ENOENT, STRATA_EINVAL (several, or none captured). */
static int order_target(struct server *s, const char *who, struct restore_ticket *out,
			uint8_t mac[6], char labels[LABELS_MAX], const char **why)
{
	char name[INV_NAME_MAX + 1];
	int rc = server_match_one(s, who, mac, name);

	if (rc)
		return rc;
	snprintf(out->name, sizeof(out->name), "%s", name);
	strata_mac_format(out->mac, mac);
	if (capture_labels(s, mac, CAPTURE_MACHINE, labels, LABELS_MAX) || !labels[0])
		return *why = "its profile marks no partition capture=yes: there is nothing to "
			      "restore (docs/restore.md)", STRATA_EINVAL;
	return 0;
}

/* Whether every label (comma-separated, modified) of mac has generation gen: 0,
 * STRATA_ENOENT, STRATA_EREPORTED. */
static int has_generation(struct server *s, const char *mac, char *labels, int64_t gen)
{
	sqlite3_stmt *st = NULL;
	char *save = NULL;
	int64_t n;

	for (char *l = strtok_r(labels, ",", &save); l; l = strtok_r(NULL, ",", &save)) {
		if (first_int(db_prepare(s->state->db, "SELECT count(*) FROM generations WHERE "
					 "mac = ? AND part = ? AND number = ?", "tti", &st, mac,
					 l, gen), &st, &n))
			return STRATA_EREPORTED;
		if (n == 0)
			return STRATA_ENOENT;
	}
	return 0;
}

/* Whether mac has an order that is open or ready: 1, 0, STRATA_EREPORTED. */
static int order_pending(struct server *s, const char *mac)
{
	return db_exists(s->state->db, "SELECT 1 FROM restore_orders r JOIN capture_tasks t ON "
			 "t.id = r.task_id WHERE r.mac = ? AND r.ended IS NULL AND (t.ended IS "
			 "NULL OR t.outcome = 'committed')", "t", mac);
}

/* Record the order on task and its audit row, in one transaction. */
static int order_insert(struct server *s, const struct restore_ticket *t, int64_t gen,
			const struct who *by)
{
	struct db *d = s->state->db;
	char action[48];
	int rc = db_begin(d);

	if (rc)
		return rc;
	snprintf(action, sizeof(action), "restore generation=%lld", (long long)gen);
	rc = db_run(d, "INSERT INTO restore_orders (mac, generation, task_id, token_name, at) "
		    "VALUES (?, ?, ?, ?, ?)", "tiiti", t->mac, gen, t->task, by->name,
		    (int64_t)time(NULL));
	if (rc == 0)
		rc = audit_order(d, by, t->name, action, NULL, 0);
	return db_end(d, rc);
}

/* Open the machine capture task that runs before the restore: its id into out->task. */
static int open_capture(struct server *s, const struct who *by, struct restore_ticket *out,
			const char **why)
{
	struct capture_order o = { .kind = CAPTURE_MACHINE };
	struct capture_ticket ct;
	struct capture_task task;
	int rc = server_capture_order(s, out->name, &o, by, &ct, why);

	if (rc == 0)
		snprintf(out->token, sizeof(out->token), "%s", ct.token);
	strata_wipe(ct.token, sizeof(ct.token));
	if (rc)
		return rc;
	rc = capture_task_of_mac(s, out->mac, &task);
	out->task = rc ? 0 : task.id;
	return rc ? STRATA_EREPORTED : 0;
}

int restore_order(struct server *s, const char *who, int64_t gen, const struct who *by,
		  struct restore_ticket *out, const char **why)
{
	char labels[LABELS_MAX];
	uint8_t mac[6];
	int rc;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	rc = order_target(s, who, out, mac, labels, why);
	if (rc == 0 && (rc = has_generation(s, out->mac, labels, gen)) == STRATA_ENOENT)
		*why = "a captured partition has no such generation (GET /api/generations/NAME "
		       "lists them)";
	if (rc == 0 && (rc = order_pending(s, out->mac)) == 1)
		rc = STRATA_ESTALE, *why = "a restore order of this machine is open already";
	if (rc == 0)
		rc = open_capture(s, by, out, why);
	if (rc == 0 && (rc = order_insert(s, out, gen, by)))
		(void)server_capture_cancel(s, out->name, by);   /* no task stands without it */
	if (rc)
		strata_wipe(out->token, sizeof(out->token));
	if (rc == 0)
		fprintf(stderr, "action: restore to generation %lld ordered on %s by %s "
			"(capture task %lld first)\n", (long long)gen, out->name, by->name,
			(long long)out->task);
	return rc;
}

int64_t restore_ready(struct server *s, const char *mac)
{
	sqlite3_stmt *st = NULL;
	int64_t gen;

	if (first_int(db_prepare(s->state->db, "SELECT r.generation FROM restore_orders r JOIN "
				 "capture_tasks t ON t.id = r.task_id WHERE r.mac = ? AND "
				 "r.ended IS NULL AND t.outcome = 'committed' ORDER BY r.id DESC "
				 "LIMIT 1", "t", &st, mac), &st, &gen))
		return 0;
	return gen;
}

int64_t restore_pinned(struct server *s, const char *mac, const char *part)
{
	sqlite3_stmt *st = NULL;
	int64_t gen;

	if (first_int(db_prepare(s->state->db, "SELECT r.generation FROM restore_orders r WHERE "
				 "r.mac = ?1 AND r.ended IS NOT NULL AND r.last_generation >= "
				 "(SELECT max(id) FROM generations WHERE mac = ?1 AND part = ?2) "
				 "ORDER BY r.id DESC LIMIT 1", "tt", &st, mac, part), &st, &gen))
		return 0;
	return gen;
}

int restore_deployed(struct server *s, const uint8_t mac[6])
{
	char smac[18];
	int64_t gen;

	strata_mac_format(smac, mac);
	gen = restore_ready(s, smac);
	if (!gen)
		return 0;
	if (db_run(s->state->db, "UPDATE restore_orders SET ended = ?, last_generation = "
		   "(SELECT ifnull(max(id), 0) FROM generations) WHERE mac = ? AND ended IS NULL",
		   "it", server_now(), smac))
		return STRATA_EREPORTED;
	fprintf(stderr, "restore: %s: generation %lld restored; the order ends\n", smac,
		(long long)gen);
	catalog_reload_soon();
	return 0;
}
