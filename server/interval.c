/* Interval captures (see interval.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "capture_task.h"
#include "server_clock.h"
#include "crypto.h"
#include "host.h"
#include "interval.h"
#include "retention.h"
#include "server.h"
#include "text.h"

/* mac's open task: 1 an interval capture, 2 another, 0 none, STRATA_EREPORTED. */
static int open_task(struct db *d, const char *mac)
{
	sqlite3_stmt *st;
	int step, rc = db_prepare(d, "SELECT token_name = ? AND kind = 'machine' FROM "
				  "capture_tasks WHERE mac = ? AND ended IS NULL", "tt", &st,
				  who_interval.name, mac);

	if (rc)
		return rc;
	step = sqlite3_step(st);
	rc = step == SQLITE_DONE ? 0 : step != SQLITE_ROW
		? errorf("%s: cannot read the capture tasks of %s", d->path, mac)
		: sqlite3_column_int(st, 0) ? 1 : 2;
	sqlite3_finalize(st);
	return rc;
}

/* One number a query answers (NULL reads as 0), into *out.  0 or STRATA_EREPORTED. */
static int one_number(struct db *d, const char *sql, const char *mac, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = db_prepare(d, sql, "t", &st, mac);

	if (rc)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW ? 0
		: errorf("%s: cannot read %s's captures: %s", d->path, mac, sqlite3_errmsg(d->h));
	*out = rc ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Whether every seconds have passed at now since mac's last generation, or with none
 * since it was first seen (recorded here at its first such boot).  1, 0, or an rc. */
static int due(struct db *d, const char *mac, uint64_t every, int64_t now)
{
	int64_t since;
	int rc = db_run(d, "INSERT OR IGNORE INTO machine_seen (mac, first) VALUES (?, ?)",
			"ti", mac, now);

	if (rc == 0)
		rc = one_number(d, "SELECT coalesce((SELECT max(at) FROM generations WHERE mac = "
				"?1), (SELECT first FROM machine_seen WHERE mac = ?1))", mac, &since);
	if (rc)
		return rc;
	return now >= since && (uint64_t)(now - since) >= every;
}

/* Whether mac may get an interval capture now: in the inventory with capture-every=, a
 * capture=yes part, and no deploy pending.  Its interval into *every. */
static int eligible(struct server *s, const uint8_t mac[6], uint64_t *every)
{
	struct keep_policy p;
	struct mstate *st;
	int ok = 0;

	if (!retention_policy(s, mac, &p, NULL) || !(*every = p.every))
		return 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->cat->n; i++)
		if (!memcmp(s->cat->p[i].m->mac, mac, 6))
			ok = inv_profile_captured(&s->cat->inv->profiles[s->cat->p[i].m->profile]) > 0;
	pthread_rwlock_unlock(&s->lock);
	pthread_mutex_lock(&s->state->lock);
	if ((st = state_get(s->state, mac)) && st->pending == INV_ACTION_DEPLOY)
		ok = 0;
	pthread_mutex_unlock(&s->state->lock);
	return ok;
}

/* Open mac's interval task, as an order by who_interval.  0, STRATA_ESTALE (a task
 * opened meanwhile) or another rc. */
static int open_interval(struct server *s, const char *mac)
{
	struct capture_order o = { .kind = CAPTURE_MACHINE };
	struct capture_ticket t;
	const char *why;
	int rc = server_capture_order(s, mac, &o, &who_interval, &t, &why);

	strata_wipe(t.token, sizeof(t.token));     /* nobody holds it: the agent signs with its
						      machine session */
	return rc;
}

int interval_is_open(struct server *s, const uint8_t mac[6])
{
	char smac[18];

	strata_mac_format(smac, mac);
	return open_task(s->state->db, smac) == 1;
}

int interval_boot(struct server *s, const uint8_t mac[6])
{
	struct db *d = s->state->db;
	uint64_t every = 0;
	char smac[18];
	int rc;

	strata_mac_format(smac, mac);
	rc = open_task(d, smac);
	if (rc)
		return rc == 1;
	if (!eligible(s, mac, &every))
		return 0;
	rc = due(d, smac, every, server_now());
	if (rc != 1)
		return 0;
	rc = open_interval(s, smac);
	if (rc && rc != STRATA_ESTALE)
		fprintf(stderr, "boot: %s: cannot open its interval capture (rc %d)\n", smac, rc);
	if (rc == 0)
		fprintf(stderr, "boot: %s: interval capture due (capture-every=%llus): capture, "
			"then local disk\n", smac, (unsigned long long)every);
	return interval_is_open(s, mac);
}
