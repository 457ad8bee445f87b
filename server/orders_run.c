/* Running an order now (orders.h): each action through the code its own route uses. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "capture_task.h"
#include "crypto.h"
#include "json_out.h"
#include "machine_keys.h"
#include "orders.h"
#include "orders_set.h"
#include "rc.h"
#include "replace.h"
#include "restore.h"
#include "schedule.h"
#include "text.h"
#include "wol.h"

/* The taken machines' MACs (a new array the caller frees; *n of them), or NULL. */
static uint8_t (*taken_macs(const struct order_set *set, size_t *n))[6]
{
	uint8_t (*macs)[6] = calloc(set->n + 1, sizeof(*macs));

	*n = 0;
	for (size_t k = 0; macs && k < set->n; k++)
		if (!set->m[k].why)
			memcpy(macs[(*n)++], set->m[k].mac, 6);
	return macs;
}

/* deploy, boot-local, cancel's pending part: one mark, one audit row. */
static int mark(struct server *s, const struct order_req *o, const struct order_set *set,
		const struct who *by, enum inv_action what, const char *word)
{
	char target[ORDERS_LIST_MAX + 8];
	size_t n;
	uint8_t (*macs)[6] = taken_macs(set, &n);
	int rc;

	if (!macs)
		return STRATA_ENOMEM;
	order_req_target(o, target, sizeof(target));
	rc = server_mark_list(s, target, word, (const uint8_t (*)[6])macs, n, by, what);
	free(macs);
	return rc;
}

/* cancel: the pending orders (one audit row), then each one's capture task and the
 * scheduled orders naming it.  How many machines it named. */
static int cancel(struct server *s, const struct order_req *o, struct order_set *set,
		  const struct who *by)
{
	int rc = mark(s, o, set, by, INV_ACTION_NONE, "cancel");

	for (size_t k = 0; rc >= 0 && k < set->n; k++) {
		int c;

		if (set->m[k].why)
			continue;
		c = server_capture_cancel(s, set->m[k].name, by);
		if (c && c != STRATA_ENOENT)
			rc = c;
		else if ((c = schedule_cancel_naming(s, set->m[k].name, set->m[k].mac, by)))
			rc = c;
	}
	return rc;
}

/* accept-key: the names as one comma-separated list, through server_accept_keys. */
static int accept_keys(struct server *s, const struct order_set *set, const struct who *by)
{
	char *list = calloc(set->n + 1, INV_NAME_MAX + 2);
	size_t len = 0;
	int rc;

	if (!list)
		return STRATA_ENOMEM;
	for (size_t k = 0; k < set->n; k++)
		if (!set->m[k].why)
			len += (size_t)sprintf(list + len, "%s%s", len ? "," : "", set->m[k].name);
	rc = len ? server_accept_keys(s, list, by) : 0;
	free(list);
	return rc;
}

/* capture, restore or replace of the one machine m: its why on refusal.  1 or 0. */
static int one(struct server *s, const struct order_req *o, struct order_mach *m,
	       const struct who *by)
{
	struct capture_order co = { .kind = o->as[0] ? CAPTURE_GOLD : CAPTURE_MACHINE,
				    .prepared = o->prepared, .force = o->force };
	struct capture_ticket ct;
	struct restore_ticket rt;
	struct replace_ticket pt;
	const char *why = NULL;
	int rc;

	snprintf(co.profile, sizeof(co.profile), "%s", o->as);
	if (o->action == ORDER_CAPTURE) {
		rc = server_capture_order(s, m->name, &co, by, &ct, &why);
		strata_wipe(ct.token, sizeof(ct.token));
		if (rc && !why)
			why = capture_order_why(rc);
	} else if (o->action == ORDER_RESTORE) {
		rc = restore_order(s, m->name, o->generation, by, &rt, &why);
		strata_wipe(rt.token, sizeof(rt.token));
	} else
		rc = replace_order(s, m->name, o->mac, by, &pt, &why);
	if (rc)
		m->why = why ? why : rc == STRATA_ESTALE ? "an order or a capture task is open "
			 "already" : "the order could not be recorded (the server's log says why)";
	return !rc;
}

/* Run o on set; how many machines it took, or an rc. */
static int run(struct server *s, const struct order_req *o, struct order_set *set,
	       const struct who *by)
{
	int n = 0;

	switch (o->action) {
	case ORDER_DEPLOY:
		return mark(s, o, set, by, INV_ACTION_DEPLOY, "deploy");
	case ORDER_BOOT_LOCAL:
		return mark(s, o, set, by, INV_ACTION_NONE, "boot-local");
	case ORDER_CANCEL:
		return cancel(s, o, set, by);
	case ORDER_ACCEPT_KEY:
		return accept_keys(s, set, by);
	case ORDER_WAKE:
		return orders_wake(s, o, set, by);
	default:
		for (size_t k = 0; k < set->n; k++)
			if (!set->m[k].why)
				n += one(s, o, &set->m[k], by);
		return n;
	}
}

/* The newest audit row after row since, that by gave (any, with by NULL): before an order
 * runs, where its row will come after; after, the order just run, as the answer names it,
 * so another admin's order made meanwhile is not taken for it.  0 when none. */
static int64_t newest_order(struct server *s, int64_t since, const struct who *by)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int rc;

	if (by)
		rc = db_prepare(s->state->db, "SELECT ifnull(max(id), 0) FROM orders WHERE id > ? "
				"AND token_name = ? AND via = ?", "itt", &st, since, by->name,
				who_via_name(by->via));
	else
		rc = db_prepare(s->state->db, "SELECT ifnull(max(id), 0) FROM orders WHERE id > ?",
				"i", &st, since);
	if (rc)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/* {"order","scheduled":null,"marked","refused"}. */
static void run_json(FILE *f, int64_t order, const struct order_set *set, int n)
{
	fputc('{', f);
	json_kv_int(f, "order", order, 1);
	json_key(f, "scheduled", 0);
	fputs("null", f);
	json_kv_int(f, "marked", n, 0);
	orders_refused_json(f, set);
	fputs("}\n", f);
}

int orders_run(struct server *s, const struct order_req *o, const struct who *by, FILE *f)
{
	struct order_set set;
	int64_t since;
	int n, rc;

	pthread_rwlock_rdlock(&s->lock);
	rc = orders_set_resolve(s, o, &set);
	pthread_rwlock_unlock(&s->lock);
	if (rc)
		return rc;
	if (!set.n) {
		orders_set_free(&set);
		return STRATA_ENOENT;
	}
	since = newest_order(s, 0, NULL);
	n = run(s, o, &set, by);
	if (n >= 0)
		run_json(f, newest_order(s, since, by), &set, n);
	orders_set_free(&set);
	return n < 0 ? n : 0;
}

int orders_wake(struct server *s, const struct order_req *o, const struct order_set *set,
		const struct who *by)
{
	char target[ORDERS_LIST_MAX + 8];
	size_t n;
	uint8_t (*macs)[6] = taken_macs(set, &n);
	int rc;

	if (!macs)
		return STRATA_ENOMEM;
	order_req_target(o, target, sizeof(target));
	rc = n ? wol_order(s, by, target, (const uint8_t (*)[6])macs, n) : 0;
	free(macs);
	return rc ? rc : (int)n;
}
