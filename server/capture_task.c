/* Capture orders and their task tokens (see capture.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "capture_task.h"
#include "capture_done.h"
#include "catalog.h"
#include "crypto.h"
#include "host.h"
#include "server.h"
#include "session.h"
#include "sessions.h"
#include "text.h"

/* The one machine who names, into name and mac (the caller's).  0, STRATA_ENOENT or
 * STRATA_EINVAL (several, or "all").  Call with s->lock held. */
static int one_machine(struct server *s, const char *who, char name[INV_NAME_MAX + 1],
		       uint8_t mac[6])
{
	uint8_t (*macs)[6];
	char (*names)[INV_NAME_MAX + 1];
	size_t n = 0;
	int rc = STRATA_ENOMEM;

	if (!strcasecmp(who, "all"))
		return STRATA_EINVAL;
	macs = calloc(s->cat->n + 1, sizeof(*macs));
	names = calloc(s->cat->n + 1, sizeof(*names));
	if (macs && names) {
		n = server_match(s, who, macs, names);
		rc = n == 0 ? STRATA_ENOENT : n > 1 ? STRATA_EINVAL : 0;
	}
	if (rc == 0) {
		memcpy(mac, macs[0], 6);
		memcpy(name, names[0], INV_NAME_MAX + 1);
	}
	free(names);
	free(macs);
	return rc == STRATA_ENOMEM ? errorf("out of memory") : rc;
}

/* How many partitions of mac's profile say capture=yes.  Call with s->lock held. */
static unsigned int machine_captured(struct server *s, const uint8_t mac[6])
{
	const struct inventory *inv = s->cat->inv;

	for (size_t i = 0; i < s->cat->n; i++)
		if (!memcmp(s->cat->p[i].m->mac, mac, 6))
			return inv_profile_captured(&inv->profiles[s->cat->p[i].m->profile]);
	return 0;
}

int capture_labels(struct server *s, const uint8_t mac[6], enum capture_kind kind, char *out,
		   size_t cap)
{
	const struct inventory *inv;
	const struct inv_profile *pr = NULL;
	size_t used = 0;
	int rc = 0;

	out[0] = '\0';
	pthread_rwlock_rdlock(&s->lock);
	inv = s->cat->inv;
	for (size_t i = 0; i < s->cat->n && !pr; i++)
		if (!memcmp(s->cat->p[i].m->mac, mac, 6))
			pr = &inv->profiles[s->cat->p[i].m->profile];
	for (unsigned int i = 0; pr && i < pr->nparts && rc == 0; i++) {
		const struct inv_part *pt = &pr->parts[i];
		int take = kind == CAPTURE_MACHINE ? pt->capture
			: pt->capture || pt->policy == STRATA_POLICY_PRESERVE;
		int n;

		if (!take)
			continue;
		n = snprintf(out + used, cap - used, "%s%s", used ? "," : "", pt->label);
		if (n < 0 || (size_t)n >= cap - used)
			rc = STRATA_ERANGE;
		else
			used += (size_t)n;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/** Why a gold order is refused whose as= names a profile. */
#define PROFILE_TAKEN "as=: a profile of that name exists (in the inventory, captured, or " \
	"being captured): a capture never overwrites; choose another name"

/* Whether the inventory (with the captured profiles) defines name.  Call with s->lock. */
static int profile_defined(struct server *s, const char *name)
{
	for (size_t i = 0; i < s->cat->inv->nprofiles; i++)
		if (!strcmp(s->cat->inv->profiles[i].name, name))
			return 1;
	return 0;
}

/* The one machine who names, for order o: into name and mac.  0, STRATA_ENOENT,
 * STRATA_EINVAL (several, "all", or a machine order on a profile with no capture=yes
 * part, with *why set). */
static int order_machine(struct server *s, const char *who, const struct capture_order *o,
			 char name[INV_NAME_MAX + 1], uint8_t mac[6], const char **why)
{
	int rc;

	pthread_rwlock_rdlock(&s->lock);
	rc = one_machine(s, who, name, mac);
	if (rc == 0 && o->kind == CAPTURE_MACHINE && !machine_captured(s, mac)) {
		*why = "its profile marks no partition capture=yes: a machine capture takes "
		       "those (docs/capture.md)";
		rc = STRATA_EINVAL;
	}
	if (rc == 0 && o->kind == CAPTURE_GOLD && profile_defined(s, o->profile)) {
		*why = PROFILE_TAKEN;
		rc = STRATA_ESTALE;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/* Whether mac (text) has an open task: 1, 0, or STRATA_EREPORTED.  In a transaction. */
static int task_open_exists(struct db *d, const char *mac)
{
	return db_exists(d, "SELECT 1 FROM capture_tasks WHERE mac = ? AND ended IS NULL", "t",
			 mac);
}

/* The audit log's action text for o, into out (cap bytes, the caller's). */
static void order_action(const struct capture_order *o, char *out, size_t cap)
{
	if (o->kind == CAPTURE_GOLD)
		snprintf(out, cap, "capture gold as=%s prepared=yes%s", o->profile,
			 o->force ? " force=yes" : "");
	else
		snprintf(out, cap, "capture machine%s", o->force ? " force=yes" : "");
}

/* The token of the task made with nonce: HMAC-SHA-256(key, CAPTURE_TOKEN_TAG || nonce),
 * into token (the caller's, a secret).  0 or STRATA_ENOMEM. */
static int task_token(const uint8_t key[32], const uint8_t nonce[CAPTURE_NONCE_LEN],
		      uint8_t token[CAPTURE_TOKEN_LEN])
{
	struct strata_span parts[] = { { CAPTURE_TOKEN_TAG, sizeof(CAPTURE_TOKEN_TAG) - 1 },
				       { nonce, CAPTURE_NONCE_LEN } };

	return strata_hmac_sha256(key, 32, parts, 2, token);
}

/* A fresh task for t: a random nonce, the token made from it (hex into t->token) and its
 * session's id, into nonce and sid (the caller's).  0 or STRATA_EREPORTED. */
static int new_token(const struct server *s, struct capture_ticket *t,
		     uint8_t nonce[CAPTURE_NONCE_LEN], uint8_t sid[STRATA_SESSION_SID_LEN])
{
	uint8_t raw[CAPTURE_TOKEN_LEN];
	struct strata_session_keys k;
	int rc = STRATA_EREPORTED;

	if (server_rng(NULL, nonce, CAPTURE_NONCE_LEN))
		return errorf("cannot read random bytes for a capture token");
	if (task_token(s->capture_key, nonce, raw) || strata_session_task_derive(raw, &k))
		goto err_derive;
	strata_hex_encode(t->token, raw, sizeof(raw));
	memcpy(sid, k.sid, STRATA_SESSION_SID_LEN);
	rc = 0;
err_derive:
	strata_wipe(&k, sizeof(k));
	strata_wipe(raw, sizeof(raw));
	return rc ? errorf("cannot make a capture token") : 0;
}

/* Insert the task row of t (its sid and nonce, never the token) and its audit row.  In a
 * transaction.  The audit row names the machine as its target and marks no machine: a
 * capture has no deployment outcome for audit_outcome to close. */
static int task_insert(struct db *d, const struct capture_order *o, const struct who *by,
		       const struct capture_ticket *t, const uint8_t nonce[CAPTURE_NONCE_LEN],
		       const uint8_t sid[STRATA_SESSION_SID_LEN])
{
	char action[INV_NAME_MAX + 64];

	order_action(o, action, sizeof(action));
	if (db_run(d, "INSERT INTO capture_tasks (sid, nonce, mac, kind, profile, prepared, "
		   "force, token_name, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "BBtttiiti",
		   sid, (size_t)STRATA_SESSION_SID_LEN, nonce, (size_t)CAPTURE_NONCE_LEN, t->mac,
		   o->kind == CAPTURE_GOLD ? "gold" : "machine",
		   o->kind == CAPTURE_GOLD ? o->profile : NULL,
		   (int64_t)o->prepared, (int64_t)o->force, by->name, (int64_t)time(NULL)))
		return STRATA_EREPORTED;
	return audit_order(d, by, t->name, action, NULL, 0);
}

/* Open the task in one transaction: refused when one is open already, or (with *why)
 * when a gold order's profile is captured or being captured. */
static int task_open(struct db *d, const struct capture_order *o, const struct who *by,
		     struct capture_ticket *t, const uint8_t nonce[CAPTURE_NONCE_LEN],
		     const uint8_t sid[STRATA_SESSION_SID_LEN], const char **why)
{
	int rc = db_begin(d);

	if (rc)
		return rc;
	rc = task_open_exists(d, t->mac);
	if (rc == 1)
		rc = STRATA_ESTALE;
	if (rc == 0 && o->kind == CAPTURE_GOLD)
		rc = capture_profile_taken(d, o->profile);
	if (rc == 1)
		rc = STRATA_ESTALE, *why = PROFILE_TAKEN;
	if (rc == 0)
		rc = task_insert(d, o, by, t, nonce, sid);
	return db_end(d, rc);
}

int server_capture_order(struct server *s, const char *who, const struct capture_order *o,
			 const struct who *by, struct capture_ticket *out, const char **why)
{
	uint8_t mac[6], nonce[CAPTURE_NONCE_LEN], sid[STRATA_SESSION_SID_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	rc = order_machine(s, who, o, out->name, mac, why);
	if (rc)
		return rc;
	strata_mac_format(out->mac, mac);
	rc = new_token(s, out, nonce, sid);
	if (rc == 0)
		rc = task_open(s->state->db, o, by, out, nonce, sid, why);
	if (rc) {
		strata_wipe(out->token, sizeof(out->token));
		return rc;
	}
	fprintf(stderr, "action: capture (%s%s) ordered on %s by %s\n",
		o->kind == CAPTURE_GOLD ? "gold as " : "machine layers", o->profile, out->name, by->name);
	return 0;
}

const char *capture_order_why(int rc)
{
	switch (rc) {
	case STRATA_ENOENT:
		return "no such machine, or no capture pending on it";
	case STRATA_EINVAL:
		return "name one machine: /api/capture/NAME or /api/capture/MAC";
	case STRATA_ESTALE:
		return "a capture is already pending on this machine: cancel it first with POST "
		       "/api/capture-cancel/NAME";
	default:
		return "cannot record the order";
	}
}

void capture_inventory_order(struct server *s, const struct inv_machine *m,
			     const char *path)
{
	struct capture_order o;
	struct capture_ticket t;
	const char *why = NULL;
	struct mstate *st;
	char mac[18];
	int rc = capture_order_of_machine(m, &o, &why);

	strata_mac_format(mac, m->mac);
	if (rc == 0)
		rc = server_capture_order(s, mac, &o, &who_inventory, &t, &why);
	strata_wipe(&t, sizeof(t));
	pthread_mutex_lock(&s->state->lock);      /* tried: seen, ordered or refused */
	if ((st = state_get(s->state, m->mac))) {
		st->inv_seen = INV_ACTION_CAPTURE;
		(void)state_save_one(s->state, m->mac);
	}
	pthread_mutex_unlock(&s->state->lock);
	if (rc)
		fprintf(stderr, "strata-server: %s:%u: the capture of %s is not ordered: %s; "
			"set its action to none and back to capture to order it again\n", path,
			m->line, m->name, why ? why : capture_order_why(rc));
}

/* End mac's open task as cancelled and audit it, in one transaction. */
static int task_cancel(struct db *d, const char *name, const char *mac_text, const struct who *by)
{
	int rc = db_begin(d);

	if (rc)
		return rc;
	rc = task_open_exists(d, mac_text);
	if (rc == 0)
		rc = STRATA_ENOENT;
	if (rc == 1)
		rc = db_run(d, "UPDATE capture_tasks SET ended = ?, outcome = 'cancelled' WHERE "
			    "mac = ? AND ended IS NULL", "it", (int64_t)time(NULL), mac_text);
	if (rc == 0)
		rc = audit_order(d, by, name, "capture-cancel", NULL, 0);
	return db_end(d, rc);
}

int server_capture_cancel(struct server *s, const char *who, const struct who *by)
{
	char name[INV_NAME_MAX + 1], mac_text[18];
	uint8_t mac[6];
	int rc;

	pthread_rwlock_rdlock(&s->lock);
	rc = one_machine(s, who, name, mac);
	pthread_rwlock_unlock(&s->lock);
	if (rc)
		return rc;
	strata_mac_format(mac_text, mac);
	rc = task_cancel(s->state->db, name, mac_text, by);
	if (rc == 0)
		fprintf(stderr, "action: capture on %s cancelled by %s\n", name, by->name);
	return rc;
}

/* Make path (STATE/capture.key): 32 random bytes, mode 0600, durable. */
static int key_create(const char *path)
{
	uint8_t fresh[32];
	int rc;

	if (server_rng(NULL, fresh, sizeof(fresh)))
		return errorf("cannot read random bytes for %s", path);
	rc = write_file_atomic(path, fresh, sizeof(fresh), 0600, 1);
	strata_wipe(fresh, sizeof(fresh));
	if (rc)
		return STRATA_EREPORTED;
	fprintf(stderr, "strata-server: created %s (capture tokens are made with it)\n", path);
	return 0;
}

int capture_key_open(struct server *s)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/capture.key", s->cfg.state_dir) >=
	    sizeof(path))
		return errorf("%s: state folder path too long", s->cfg.state_dir);
	if (access(path, F_OK) != 0 && key_create(path))
		return STRATA_EREPORTED;
	if (read_file(path, 64, &buf, &len))
		return STRATA_EREPORTED;
	rc = len == sizeof(s->capture_key) ? 0
		: errorf("%s: %zu bytes, not 32: restore it from a backup, or delete it (every "
			 "open capture task's token then stops working)", path, len);
	if (rc == 0)
		memcpy(s->capture_key, buf, sizeof(s->capture_key));
	strata_wipe(buf, len);
	free(buf);
	return rc;
}

/* Fill task from a capture_tasks row (mac, kind, profile, ended, nonce, id, force) into task and
 * nonce (the caller's).  0, or STRATA_ECORRUPT for a nonce of the wrong size. */
static int task_row(sqlite3_stmt *st, struct capture_task *task,
		    uint8_t nonce[CAPTURE_NONCE_LEN])
{
	const unsigned char *profile = sqlite3_column_text(st, 2);

	snprintf(task->mac, sizeof(task->mac), "%s", (const char *)sqlite3_column_text(st, 0));
	task->kind = strcmp((const char *)sqlite3_column_text(st, 1), "gold") ? CAPTURE_MACHINE
		: CAPTURE_GOLD;
	snprintf(task->profile, sizeof(task->profile), "%s", profile ? (const char *)profile : "");
	task->open = sqlite3_column_type(st, 3) == SQLITE_NULL;
	task->id = sqlite3_column_int64(st, 5);
	task->force = sqlite3_column_int(st, 6) != 0;
	if (sqlite3_column_bytes(st, 4) != CAPTURE_NONCE_LEN)
		return STRATA_ECORRUPT;
	memcpy(nonce, sqlite3_column_blob(st, 4), CAPTURE_NONCE_LEN);
	return 0;
}

/* The row of the task whose session id is sid: 0, STRATA_EAUTH, STRATA_EREPORTED. */
static int task_lookup(struct db *d, const uint8_t sid[STRATA_SESSION_SID_LEN],
		       struct capture_task *task, uint8_t nonce[CAPTURE_NONCE_LEN])
{
	sqlite3_stmt *st;
	int step, rc = db_prepare(d, "SELECT mac, kind, profile, ended, nonce, id, force "
				  "FROM capture_tasks WHERE sid = ?", "B", &st, sid,
				  (size_t)STRATA_SESSION_SID_LEN);

	if (rc)
		return rc;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = task_row(st, task, nonce) ? errorf("%s: a capture task's nonce is damaged",
							d->path) : 0;
	else
		rc = step == SQLITE_DONE ? STRATA_EAUTH
			: errorf("%s: cannot read the capture tasks: %s", d->path,
				 sqlite3_errmsg(d->h));
	sqlite3_finalize(st);
	return rc;
}

int capture_task_of_mac(struct server *s, const char *mac, struct capture_task *task)
{
	uint8_t nonce[CAPTURE_NONCE_LEN];
	sqlite3_stmt *st;
	int step, rc = db_prepare(s->state->db, "SELECT mac, kind, profile, ended, nonce, id, "
				  "force FROM capture_tasks WHERE mac = ? AND ended IS NULL", "t", &st,
				  mac);

	memset(task, 0, sizeof(*task));
	if (rc)
		return rc;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = task_row(st, task, nonce) ? errorf("%s: a capture task's nonce is damaged",
							s->state->db->path) : 0;
	else
		rc = step == SQLITE_DONE ? STRATA_ENOENT
			: errorf("%s: cannot read the capture tasks: %s", s->state->db->path,
				 sqlite3_errmsg(s->state->db->h));
	sqlite3_finalize(st);
	strata_wipe(nonce, sizeof(nonce));
	return rc;
}

int capture_task_find(struct server *s, const uint8_t sid[STRATA_SESSION_SID_LEN],
		      struct capture_task *task, struct strata_session_keys *keys)
{
	uint8_t nonce[CAPTURE_NONCE_LEN], token[CAPTURE_TOKEN_LEN];
	int rc;

	memset(task, 0, sizeof(*task));
	rc = task_lookup(s->state->db, sid, task, nonce);    /* one statement: serialized */
	if (rc)
		return rc;
	rc = task_token(s->capture_key, nonce, token) || strata_session_task_derive(token, keys)
		? errorf("cannot remake a capture task's keys") : 0;
	strata_wipe(token, sizeof(token));
	return rc;
}

int capture_task_verify(struct server *s, const struct capture_task *t,
			const struct strata_session_keys *k, const char *method, const char *pq,
			enum session_use use)
{
	struct strata_session_query q;
	static const uint8_t no_key[STRATA_KEY_PUB_LEN];
	uint8_t mac[6];
	int64_t now = (int64_t)time(NULL);
	size_t len = strlen(pq);
	int rc = strata_session_parse(pq, len, &q);

	if (rc == 0)
		rc = strata_session_verify(k, method, pq, &q);
	if (rc || !t->open)
		return rc;
	if (strata_mac_parse(mac, t->mac, strlen(t->mac)))
		return errorf("capture task %lld: not a MAC: %s", (long long)t->id, t->mac);
	rc = sessions_check(s->task_sessions, mac, method, pq, len, use, now, NULL, NULL);
	if (rc != STRATA_EAUTH)
		return rc;
	sessions_add(s->task_sessions, mac, no_key, k, now);   /* its first request here */
	return sessions_check(s->task_sessions, mac, method, pq, len, use, now, NULL, NULL);
}

int capture_task_fail(struct db *d, const uint8_t mac[6], const char *msg)
{
	char text[18];

	strata_mac_format(text, mac);
	return db_run(d, "UPDATE capture_tasks SET ended = ?, outcome = 'failed', message = ? "
		      "WHERE mac = ? AND ended IS NULL", "itt", (int64_t)time(NULL), msg, text);
}
