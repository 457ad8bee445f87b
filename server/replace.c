/* A new PC in place of a failed one: the takeover, its recovery, the inventory's side
 * (see replace.h). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "catalog.h"
#include "host.h"
#include "key_db.h"
#include "private_store.h"
#include "quota.h"
#include "gc.h"
#include "replace.h"
#include "server.h"
#include "sessions.h"
#include "text.h"

/** One takeover: the machine, its old and new MAC (binary and text), who asked. */
struct takeover {
	const char *name;        /**< borrowed */
	const struct who *by;    /**< borrowed */
	uint8_t old_mac[6], new_mac[6];
	char old[18], new[18];
	int64_t id;              /**< its replacements row, once written */
};

/** One takeover at a time: two at once could each pass the checks of the other's MACs. */
static pthread_mutex_t replace_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The rows that move from the old MAC (?2) to the new one (?1), in order.  The new MAC's
 * interval clock goes only when the old one has one to hand on; both MACs' outstanding
 * nonces go, so a registration begun before the takeover cannot end after it.  Not moved:
 * the audit rows (orders, order_machines) and captured_profiles.mac, which record what
 * happened under the old MAC.
 */
static const char *const moves[] = {
	"UPDATE generations SET mac = ?1 WHERE mac = ?2",
	"UPDATE capture_tasks SET mac = ?1 WHERE mac = ?2",
	"UPDATE restore_orders SET mac = ?1 WHERE mac = ?2",
	"DELETE FROM machine_seen WHERE mac = ?1 AND EXISTS (SELECT 1 FROM machine_seen "
	"WHERE mac = ?2)",
	"UPDATE machine_seen SET mac = ?1 WHERE mac = ?2",
	"DELETE FROM nonces WHERE mac IN (?1, ?2)",
};

/* t for machine name (borrowed, like by) moving from old_mac to new_mac, with the MACs'
 * text the rows use. */
static void takeover_init(struct takeover *t, const char *name, const uint8_t old_mac[6],
			  const uint8_t new_mac[6], const struct who *by)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->by = by;
	memcpy(t->old_mac, old_mac, 6);
	memcpy(t->new_mac, new_mac, 6);
	strata_mac_format(t->old, old_mac);
	strata_mac_format(t->new, new_mac);
}

/* What refuses a takeover, from the database: STRATA_ESTALE with *why, 0, or an rc.  An
 * open capture task of either MAC would commit under a MAC that no longer holds it; a
 * new MAC with generations of its own would mix two machines' data; an old MAC replaced
 * already holds nothing to move (the catalog names the new one at once, so only an
 * inventory line can still name it); a takeover of either MAC while a folder move
 * naming it is unfinished would strand that folder under no machine's rows. */
static int takeover_check(struct db *d, const struct takeover *t, const char **why)
{
	int rc = db_exists(d, "SELECT 1 FROM capture_tasks WHERE mac IN (?, ?) AND ended IS NULL",
			   "tt", t->old, t->new);

	if (rc == 1)
		return *why = "an open capture task of the machine or of the new MAC: let it end or "
			      "cancel it (POST /api/capture-cancel/NAME)", STRATA_ESTALE;
	if (rc == 0)
		rc = db_exists(d, "SELECT 1 FROM generations WHERE mac = ?", "t", t->new);
	if (rc == 1)
		return *why = "the new MAC has captured generations of its own", STRATA_ESTALE;
	if (rc == 0)
		rc = db_exists(d, "SELECT 1 FROM replacements WHERE (old_mac = ?1 AND machine = ?3 "
			       "COLLATE NOCASE) OR (moved = 0 AND (?1 IN (old_mac, new_mac) OR ?2 IN "
			       "(old_mac, new_mac)))", "ttt",
			       t->old, t->new, t->name);
	if (rc == 1)
		return *why = "the machine was replaced already and the server has not reloaded "
			      "its inventory since (the log says why), or a replacement's folder "
			      "move is unfinished: reload, then order again", STRATA_ESTALE;
	return rc;
}

/* The new MAC's state: the old one's version (raised to the new MAC's own, if higher, so
 * versions only grow) and inventory order, a deployment pending (the new PC's disk is
 * blank), no report yet.  old and new are copies. */
static void takeover_state(const struct mstate *old, const struct mstate *new_st,
			   const uint8_t new_mac[6], struct mstate *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->mac, new_mac, 6);
	out->version = old->version > new_st->version ? old->version : new_st->version;
	memcpy(out->content, old->content, 32);
	out->inv_seen = old->inv_seen;
	out->pending = INV_ACTION_DEPLOY;
}

/* Every row of the takeover, between db_begin and db_end: the moves, the key rows, the
 * replacements row (its id into t->id), the audit row (marking the new MAC, so the new
 * PC's deployment outcome is recorded on it), the state rows. */
static int takeover_rows(struct server *s, struct takeover *t, const struct mstate *next)
{
	struct db *d = s->state->db;
	int64_t now = (int64_t)time(NULL);
	char action[64];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(moves) / sizeof(moves[0]); i++)
		rc = db_run(d, moves[i], "tt", t->new, t->old);
	if (rc == 0)
		rc = key_forget(d, t->old);
	if (rc == 0)
		rc = key_await(d, t->new, now);
	if (rc == 0)
		rc = db_run(d, "INSERT INTO replacements (machine, old_mac, new_mac, token_name, at) "
			    "VALUES (?, ?, ?, ?, ?)", "tttti", t->name,
			    t->old, t->new, t->by->name, now);
	t->id = rc ? 0 : sqlite3_last_insert_rowid(d->h);
	snprintf(action, sizeof(action), "replace old=%s new=%s", t->old, t->new);
	if (rc == 0)
		rc = audit_order(d, t->by, t->name, action, (const uint8_t (*)[6])t->new_mac, 1);
	if (rc == 0)
		rc = state_put(s->state, next);
	if (rc == 0)
		rc = state_delete(s->state, t->old_mac);
	return rc;
}

/* The takeover's transaction, under the state lock so memory changes as the rows do,
 * once they committed. */
static int takeover_tx(struct server *s, struct takeover *t, const char **why)
{
	struct mstate old = { 0 }, new_st = { 0 }, next, *p;
	int rc;

	pthread_mutex_lock(&s->state->lock);
	if ((p = state_get(s->state, t->old_mac)))
		old = *p;
	if ((p = state_get(s->state, t->new_mac)))
		new_st = *p;
	takeover_state(&old, &new_st, t->new_mac, &next);
	rc = db_begin(s->state->db);
	if (rc == 0) {
		rc = takeover_check(s->state->db, t, why);
		if (rc == 0)
			rc = takeover_rows(s, t, &next);
		rc = db_end(s->state->db, rc);
	}
	if (rc == 0 && (p = state_get(s->state, t->new_mac)))
		*p = next;
	if (rc == 0)
		state_remove(s->state, t->old_mac);
	pthread_mutex_unlock(&s->state->lock);
	return rc;
}

/*
 * Rename the old MAC's private store folder to the new MAC's, then mark row id moved.  On
 * the first attempt (first) whatever the new MAC had there goes first (a CIDATA layer it
 * got as an unknown machine: takeover_check refused one with generations); a retry never
 * removes, since by then the folder there may be the moved one (renamed before a failed
 * mark): a rename onto a folder that holds anything fails, logged, for an admin.  An
 * absent old folder means it was renamed already, or there was none.
 */
static int move_folder(struct server *s, int64_t id, const uint8_t old_mac[6],
		       const uint8_t new_mac[6], int first)
{
	char from[PRIVATE_DIR_MAX], to[PRIVATE_DIR_MAX];
	const char *root = s->cfg.private_dir;
	struct stat st;
	int rc;

	if (private_store_dir(from, sizeof(from), root, old_mac) ||
	    private_store_dir(to, sizeof(to), root, new_mac))
		return errorf("%s: path too long for a private store", root);
	if (lstat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (first && private_store_remove(root, new_mac))
			return STRATA_EREPORTED;
		if (rename(from, to) < 0)
			return errorf("%s: cannot rename it to %s: %s; the server tries again at "
				      "its next reload or start", from, to, strerror(errno));
		(void)dir_sync(root);   /* logged; the row is marked all the same */
	}
	rc = db_begin(s->state->db);
	return rc ? rc : db_end(s->state->db, db_run(s->state->db, "UPDATE replacements SET "
						      "moved = 1 WHERE id = ?", "i", id));
}

/* The whole takeover: rows, folder, sessions; logged.  0 or an rc with *why (or NULL).
 * Once the rows committed the takeover stands: a folder that cannot move now (logged)
 * moves at the next reload or start (replace_recover). */
static int takeover(struct server *s, struct takeover *t, const char **why)
{
	int rc;

	pthread_mutex_lock(&replace_lock);
	gc_commit_begin();   /* no collection reads the rows before the move, sweeps after */
	/* Rows and catalog change under the catalog's write lock, so no request sees the
	 * machine under its old MAC once the rows name the new one (catalog_takeover). */
	pthread_rwlock_wrlock(&s->lock);
	rc = takeover_tx(s, t, why);
	if (rc == 0)
		catalog_takeover(s, t->old_mac, t->new_mac);
	pthread_rwlock_unlock(&s->lock);
	if (rc == 0) {
		/* The old key's sessions end, and so do any the new MAC had as an unknown
		 * machine, before its folder holds the machine's data. */
		sessions_drop_machine(s->sessions, t->old_mac);
		sessions_drop_machine(s->sessions, t->new_mac);
		(void)move_folder(s, t->id, t->old_mac, t->new_mac, 1);
	}
	gc_commit_end();
	pthread_mutex_unlock(&replace_lock);
	if (rc)
		return rc;
	quota_forget();   /* the counted use of both MACs' stores changed with the folder */
	fprintf(stderr, "action: %s replaced by %s (was %s) by %s; its key awaits an admin: POST "
		"/api/accept-key/%s\n", t->name, t->new, t->old, t->by->name, t->name);
	return 0;
}

/* Whether mac is on an inventory line of the catalog: 1 or 0. */
static int in_inventory(struct server *s, const uint8_t mac[6])
{
	uint8_t found[6];
	char smac[18], name[INV_NAME_MAX + 1];

	strata_mac_format(smac, mac);
	return server_match_one(s, smac, found, name) != STRATA_ENOENT;
}

int replace_order(struct server *s, const char *who, const uint8_t new_mac[6],
		  const struct who *by, struct replace_ticket *out, const char **why)
{
	struct takeover t;
	uint8_t old_mac[6];
	int rc = server_match_one(s, who, old_mac, out->name);

	*why = NULL;
	if (rc == STRATA_EINVAL)
		return *why = "name one machine (not all)", rc;
	if (rc)
		return rc;
	if (!memcmp(old_mac, new_mac, 6))
		return *why = "mac= is the machine's own MAC: give the new PC's", STRATA_EINVAL;
	if (in_inventory(s, new_mac))
		return *why = "mac= is a machine of the inventory already", STRATA_ESTALE;
	takeover_init(&t, out->name, old_mac, new_mac, by);
	rc = takeover(s, &t, why);
	if (rc)
		return rc;
	memcpy(out->old_mac, t.old, sizeof(t.old));
	memcpy(out->new_mac, t.new, sizeof(t.new));
	catalog_reload_soon();
	return 0;
}

/* Finish the folder step of one replacements row (id, old_mac, new_mac) not marked moved. */
static int recover_row(struct server *s, sqlite3_stmt *st)
{
	const char *o = (const char *)sqlite3_column_text(st, 1);
	const char *n = (const char *)sqlite3_column_text(st, 2);
	uint8_t old_mac[6], new_mac[6];

	if (!o || !n || strata_mac_parse(old_mac, o, strlen(o)) ||
	    strata_mac_parse(new_mac, n, strlen(n)))
		return errorf("%s: replacements row %lld: not a MAC", s->state->db->path,
			      (long long)sqlite3_column_int64(st, 0));
	fprintf(stderr, "strata-server: replacement of %s by %s: finishing its private store's "
		"move (a server stopped during it, or the rename failed)\n", o, n);
	return move_folder(s, sqlite3_column_int64(st, 0), old_mac, new_mac, 0);
}

int replace_folder_pending(struct db *d, const uint8_t mac[6])
{
	char text[18];

	strata_mac_format(text, mac);
	return db_exists(d, "SELECT 1 FROM replacements WHERE moved = 0 AND (old_mac = ?1 OR "
			 "new_mac = ?1)", "t", text);
}

int replace_recover(struct server *s)
{
	sqlite3_stmt *st = NULL;
	int step, rc = db_prepare(s->state->db, "SELECT id, old_mac, new_mac FROM replacements "
				  "WHERE moved = 0 ORDER BY id", "", &st);

	pthread_mutex_lock(&replace_lock);
	gc_commit_begin();
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = recover_row(s, st);
	gc_commit_end();
	pthread_mutex_unlock(&replace_lock);
	if (rc == 0 && step != SQLITE_DONE)
		rc = errorf("%s: cannot read the replacements", s->state->db->path);
	if (st)
		sqlite3_finalize(st);
	return rc;
}

/* Leave machine i out of inv (a line this load cannot serve). */
static void drop_line(struct inventory *inv, size_t i)
{
	free(inv->machines[i].user_data);
	memmove(&inv->machines[i], &inv->machines[i + 1],
		(inv->nmachines - i - 1) * sizeof(inv->machines[0]));
	inv->nmachines--;
}

/* Whether the server knows old at all (state, generations, a key): a replaces= MAC it
 * never saw is a typo, not a machine to take over.  1, 0 or an rc. */
static int known_mac(struct db *d, const char *mac)
{
	return db_exists(d, "SELECT 1 FROM machines WHERE mac = ?1 UNION ALL SELECT 1 FROM "
			 "generations WHERE mac = ?1 UNION ALL SELECT 1 FROM machine_keys WHERE "
			 "mac = ?1", "t", mac);
}

/* Line m's replaces=: done already (0), done now (0), or refused (1, logged). */
static int inventory_takeover(struct server *s, const struct inventory *inv,
			      const struct inv_machine *m)
{
	const char *why = NULL;
	struct takeover t;
	int rc;

	takeover_init(&t, m->name, m->replaces, m->mac, &who_inventory);
	rc = db_exists(s->state->db, "SELECT 1 FROM replacements WHERE old_mac = ? AND "
		       "new_mac = ?", "tt", t.old, t.new);
	if (rc == 1)
		return 0;
	if (rc == 0 && (rc = known_mac(s->state->db, t.old)) == 0)
		rc = STRATA_ENOENT, why = "the server knows nothing of that MAC (no state, "
					  "generation or key)";
	if (rc == 1)
		rc = takeover(s, &t, &why);
	if (rc == 0)
		return 0;
	fprintf(stderr, "%s:%u: machine %s replaces=%s: refused: %s; the line is left out "
		"until a reload takes it\n", inv->path, m->line, m->name, t.old,
		why ? why : "the database failed");
	return 1;
}

/* The latest MAC of machine name when a replacement covers mac (one of its old or new
 * MACs), into latest: 1, 0 when none does, or an rc. */
static int latest_mac(struct db *d, const char *name, const char *mac, uint8_t latest[6])
{
	sqlite3_stmt *st;
	const char *t;
	int rc = db_prepare(d, "SELECT new_mac FROM replacements WHERE machine = ?1 COLLATE "
			    "NOCASE AND EXISTS (SELECT 1 FROM replacements WHERE machine = ?1 "
			    "COLLATE NOCASE AND ?2 IN (old_mac, new_mac)) ORDER BY id DESC LIMIT 1",
			    "tt", &st, name, mac);

	if (rc)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW && (t = (const char *)sqlite3_column_text(st, 0)) &&
	     strata_mac_parse(latest, t, strlen(t)) == 0;
	sqlite3_finalize(st);
	return rc;
}

/* Serve line i as its machine's latest MAC.  0 kept (maybe changed), 1 left out (logged:
 * another line names that MAC), or an rc. */
static int follow_line(struct server *s, struct inventory *inv, size_t i)
{
	struct inv_machine *m = &inv->machines[i];
	char smac[18], to[18];
	uint8_t latest[6];
	const struct inv_machine *other;
	int rc;

	strata_mac_format(smac, m->mac);
	rc = latest_mac(s->state->db, m->name, smac, latest);
	if (rc <= 0 || !memcmp(latest, m->mac, 6))
		return rc < 0 ? rc : 0;
	strata_mac_format(to, latest);
	if ((other = inventory_find(inv, latest))) {
		fprintf(stderr, "%s:%u: machine %s: %s was replaced by %s, which line %u names: "
			"this line is left out; remove it\n", inv->path, m->line, m->name, smac,
			to, other->line);
		return 1;
	}
	fprintf(stderr, "%s:%u: machine %s: %s was replaced by %s: served as %s (write it on "
		"the line)\n", inv->path, m->line, m->name, smac, to, to);
	memcpy(m->mac, latest, 6);
	return 0;
}

int replace_inventory(struct server *s, struct inventory *inv)
{
	int rc;

	(void)replace_recover(s);    /* logged; a folder not moved stays for the next load */
	for (size_t i = 0; i < inv->nmachines;) {
		if (inv->machines[i].has_replaces && inventory_takeover(s, inv, &inv->machines[i])) {
			drop_line(inv, i);
			continue;
		}
		i++;
	}
	for (size_t i = 0; i < inv->nmachines;) {
		rc = follow_line(s, inv, i);
		if (rc < 0)
			return rc;
		if (rc)
			drop_line(inv, i);
		else
			i++;
	}
	return 0;
}

/* The first row sql gives for mac (a MAC and a time) as members key and key_at. */
static void json_mac(FILE *f, struct db *d, const char *sql, const char *mac, const char *key)
{
	sqlite3_stmt *st;

	if (db_prepare(d, sql, "t", &st, mac))
		return;
	if (sqlite3_step(st) == SQLITE_ROW)
		fprintf(f, ", \"%s\": \"%s\", \"%s_at\": %lld", key,
			(const char *)sqlite3_column_text(st, 0), key,
			(long long)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
}

void replace_json(FILE *f, struct server *s, const uint8_t mac[6])
{
	char smac[18];

	strata_mac_format(smac, mac);
	json_mac(f, s->state->db, "SELECT old_mac, at FROM replacements WHERE new_mac = ? "
		 "ORDER BY id DESC LIMIT 1", smac, "replaced");
	json_mac(f, s->state->db, "SELECT new_mac, at FROM replacements WHERE old_mac = ? "
		 "ORDER BY id DESC LIMIT 1", smac, "replaced_by");
}
