/* Scheduled orders (schedule.h). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "audit.h"
#include "host.h"
#include "http_parse.h"
#include "json_out.h"
#include "rc.h"
#include "schedule.h"
#include "server.h"
#include "server_clock.h"
#include "text.h"

/** Rows GET /api/schedule lists. */
#define SCHEDULE_LIST_MAX 500
/** Orders (and wakes) one poll handles at most: a row the database cannot end is not
 *  retried forever in one poll; the rest wait SCHEDULE_POLL_S. */
#define SCHEDULE_BATCH 64

int schedule_add(struct server *s, const struct order_req *o, const struct who *by,
		 int64_t *id)
{
	char form[ORDERS_FORM_MAX], target[ORDERS_LIST_MAX + 8];
	struct db *d = s->state->db;
	int rc;

	order_req_form(o, form, sizeof(form));
	order_req_target(o, target, sizeof(target));
	if ((rc = db_begin(d)))
		return rc;
	rc = db_run(d, "INSERT INTO scheduled_orders (at, wake, action, target, params, "
		    "token_name, via, created, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
		    "iittttti", o->at, (int64_t)o->wake, order_action_name(o->action), target,
		    form, by->name, who_via_name(by->via), server_now());
	*id = sqlite3_last_insert_rowid(d->h);
	rc = db_end(d, rc);
	if (rc == 0)
		fprintf(stderr, "schedule: order %lld (%s %s) at %lld by %s\n", (long long)*id,
			order_action_name(o->action), target, (long long)o->at, by->name);
	return rc;
}

/* End pending order id as state with result (borrowed), in its own transaction.
 * 1 when it was pending, 0 when not, or STRATA_EREPORTED. */
static int end_row(struct server *s, int64_t id, const char *state, const char *result)
{
	struct db *d = s->state->db;
	int rc = db_begin(d), n = 0;

	if (rc)
		return rc;
	rc = db_run(d, "UPDATE scheduled_orders SET state = ?, ended = ?, result = ? WHERE id = ? "
		    "AND state = 'pending'", "titi", state, server_now(), result, id);
	if (rc == 0)
		n = sqlite3_changes(d->h);
	rc = db_end(d, rc);
	return rc ? rc : n;
}

int schedule_cancel(struct server *s, int64_t id, const struct who *by)
{
	char result[API_TOKEN_NAME_MAX + 32];
	int n, any;

	snprintf(result, sizeof(result), "cancelled by %s", by->name);
	n = end_row(s, id, "cancelled", result);
	if (n < 0)
		return n;
	if (n)
		return 0;
	any = db_exists(s->state->db, "SELECT 1 FROM scheduled_orders WHERE id = ?", "i", id);
	return any < 0 ? any : any ? STRATA_ESTALE : STRATA_ENOENT;
}

int schedule_cancel_naming(struct server *s, const char *name, const uint8_t mac[6],
			   const struct who *by)
{
	char smac[18], result[API_TOKEN_NAME_MAX + 64];
	struct db *d = s->state->db;
	int rc = db_begin(d);

	if (rc)
		return rc;
	strata_mac_format(smac, mac);
	snprintf(result, sizeof(result), "cancelled by %s (action=cancel on %s)", by->name, name);
	rc = db_run(d, "UPDATE scheduled_orders SET state = 'cancelled', ended = ?, result = ? "
		    "WHERE state = 'pending' AND target NOT LIKE 'room:%' AND target != 'all' AND "
		    "(instr(',' || lower(target) || ',', ',' || lower(?) || ',') OR "
		    "instr(',' || lower(target) || ',', ',' || ? || ','))", "ittt", server_now(),
		    result, name, smac);
	return db_end(d, rc);
}

/* One row of the list. */
static void row_json(FILE *f, sqlite3_stmt *st, int first)
{
	fputs(first ? "{" : ", {", f);
	json_kv_int(f, "id", sqlite3_column_int64(st, 0), 1);
	json_kv_int(f, "at", sqlite3_column_int64(st, 1), 0);
	json_key(f, "wake", 0);
	fputs(sqlite3_column_int(st, 2) ? "true" : "false", f);
	json_kv_str(f, "action", (const char *)sqlite3_column_text(st, 3), 0);
	json_kv_str(f, "target", (const char *)sqlite3_column_text(st, 4), 0);
	json_kv_str(f, "by", (const char *)sqlite3_column_text(st, 5), 0);
	json_kv_str(f, "state", (const char *)sqlite3_column_text(st, 6), 0);
	json_kv_str(f, "result", (const char *)sqlite3_column_text(st, 7), 0);
	fputc('}', f);
}

int schedule_json(struct server *s, FILE *f)
{
	sqlite3_stmt *st;
	int step, first = 1, rc = db_prepare(s->state->db, "SELECT id, at, wake, action, target, "
					     "token_name, state, result FROM scheduled_orders "
					     "ORDER BY id DESC LIMIT ?", "i", &st,
					     (int64_t)SCHEDULE_LIST_MAX);

	if (rc)
		return rc;
	fputc('[', f);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row_json(f, st, first);
		first = 0;
	}
	fputs("]\n", f);
	if (step != SQLITE_DONE)
		rc = errorf("%s: cannot read the scheduled orders: %s", s->state->db->path,
			    sqlite3_errmsg(s->state->db->h));
	sqlite3_finalize(st);
	return rc;
}

/* A kept form's field (order_field_fn over http_query_get). */
static int form_field(void *ctx, const char *key, char *buf, size_t cap)
{
	return http_query_get(ctx, key, buf, cap);
}

/* A due row: its id, time, form and admin. */
struct due {
	int64_t id, at;
	int wake;
	char form[ORDERS_FORM_MAX];
	struct who by;
};

/* Wake o's machines for d (an audit row "wake" under the scheduling admin). */
static void wake(struct server *s, const struct order_req *o, const struct due *d)
{
	struct order_req w = *o;
	FILE *f = fopen("/dev/null", "w");

	w.action = ORDER_WAKE;
	if (f && orders_run(s, &w, &d->by, f))
		fprintf(stderr, "schedule: order %lld: the wake failed\n", (long long)d->id);
	if (f)
		fclose(f);
}

/* Run due order d now: done with the run's answer as its result, or failed. */
static void fire(struct server *s, const struct due *d)
{
	struct order_req o;
	const char *why;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = order_req_parse(&o, form_field, (void *)d->form, 0, &why);

	if (rc) {
		(void)end_row(s, d->id, "failed", why);
		return;
	}
	if (!(f = open_memstream(&buf, &len))) {
		(void)end_row(s, d->id, "failed", "out of memory");
		return;
	}
	if (d->wake)
		wake(s, &o, d);
	rc = orders_run(s, &o, &d->by, f);
	fclose(f);
	(void)end_row(s, d->id, rc ? "failed" : "done", rc ? (rc == STRATA_ENOENT
		      ? "it names no machine now" : "the order could not be recorded (the "
		      "server's log says why)") : buf);
	fprintf(stderr, "schedule: order %lld ran: %s\n", (long long)d->id, rc ? "failed" : "done");
	free(buf);
}

/* d, found more than SCHEDULE_LATE_S late: missed, audited, not run. */
static void miss(struct server *s, const struct due *d)
{
	char action[48], target[ORDERS_LIST_MAX + 8];
	struct order_req o;
	const char *why;
	struct db *dbh = s->state->db;

	if (order_req_parse(&o, form_field, (void *)d->form, 0, &why) == 0) {
		snprintf(action, sizeof(action), "%s missed", order_action_name(o.action));
		order_req_target(&o, target, sizeof(target));
		if (db_begin(dbh) == 0)
			(void)db_end(dbh, audit_order(dbh, &d->by, target, action, NULL, 0));
	}
	(void)end_row(s, d->id, "missed", "the server was not running at the time: not run "
		      "(more than 15 minutes late)");
	fprintf(stderr, "schedule: order %lld missed (due %lld)\n", (long long)d->id,
		(long long)d->at);
}

/* Read row st into d. */
static void due_of(sqlite3_stmt *st, struct due *d)
{
	d->id = sqlite3_column_int64(st, 0);
	d->at = sqlite3_column_int64(st, 1);
	d->wake = sqlite3_column_int(st, 2);
	snprintf(d->form, sizeof(d->form), "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(d->by.name, sizeof(d->by.name), "%s", (const char *)sqlite3_column_text(st, 4));
	d->by.via = VIA_SCHEDULE;
}

/* The next row of sql (bound to now) into *d: 1, 0 when none, or an rc. */
static int next_row(struct server *s, const char *sql, int64_t now, struct due *d)
{
	sqlite3_stmt *st;
	int step, rc = db_prepare(s->state->db, sql, "i", &st, now);

	if (rc)
		return rc;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		due_of(st, d);
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : STRATA_EREPORTED;
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* Record that order id's early wake went out, in a transaction of its own: the
 * connection is shared with the HTTP threads, whose open transaction must not take it. */
static int mark_woken(struct server *s, int64_t id)
{
	struct db *d = s->state->db;
	int rc = db_begin(d);

	if (rc)
		return rc;
	return db_end(d, db_run(d, "UPDATE scheduled_orders SET result = 'woken' WHERE id = ?",
				"i", id));
}

/* The early wakes due: each once (its result says so while it stays pending). */
static void early_wakes(struct server *s, int64_t now)
{
	struct order_req o;
	const char *why;
	struct due d;
	int left = SCHEDULE_BATCH;

	/* Not for an order already too late to run: it is marked missed below, and its
	 * room must not be woken for nothing. */
	while (left-- > 0 && next_row(s, "SELECT id, at, wake, params, token_name FROM "
			"scheduled_orders WHERE state = 'pending' AND wake = 1 AND result IS NULL "
			"AND at - " STR(SCHEDULE_WAKE_S) " <= ?1 AND ?1 - at <= " STR(SCHEDULE_LATE_S)
			" ORDER BY at LIMIT 1", now, &d) == 1) {
		if (order_req_parse(&o, form_field, d.form, 0, &why) == 0)
			wake(s, &o, &d);
		if (mark_woken(s, d.id))
			break;   /* it would be found again at once: try at the next tick */
	}
}

void schedule_tick(struct server *s, uint64_t now_ms)
{
	static uint64_t last_ms;
	int64_t now;
	struct due d;
	int left = SCHEDULE_BATCH;

	if (last_ms && now_ms - last_ms < SCHEDULE_POLL_S * 1000)
		return;
	last_ms = now_ms;
	now = server_now();
	early_wakes(s, now);
	while (left-- > 0 && next_row(s, "SELECT id, at, wake, params, token_name FROM "
			"scheduled_orders WHERE state = 'pending' AND at <= ? ORDER BY at LIMIT 1", now, &d) == 1) {
		if (now - d.at > SCHEDULE_LATE_S)
			miss(s, &d);
		else
			fire(s, &d);
	}
}
