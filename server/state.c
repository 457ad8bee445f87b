/*
 * Machine state persistence (see state.h): the machines table of strata.db, and the import
 * of the text file older servers wrote, one machine a line:
 *     MAC VERSION CONTENT_HEX PENDING INV_SEEN RESULT DONE TOTAL UPDATED MESSAGE...
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "host.h"
#include "state.h"
#include "text.h"

const char *mstate_result_name(enum mstate_result r)
{
	static const char *const names[] = { "none", "running", "ok", "failed" };

	return (unsigned int)r < 4 ? names[r] : "none";
}

/* The entry for mac, or NULL. */
static struct mstate *find(struct state *st, const uint8_t mac[6])
{
	for (size_t i = 0; i < st->n; i++)
		if (!memcmp(st->m[i].mac, mac, 6))
			return &st->m[i];
	return NULL;
}

struct mstate *state_find(struct state *st, const uint8_t mac[6])
{
	return find(st, mac);
}

/* qsort's order of state_index: by MAC. */
static int entry_cmp(const void *a, const void *b)
{
	return memcmp((*(const struct mstate *const *)a)->mac,
		      (*(const struct mstate *const *)b)->mac, 6);
}

/* bsearch's: the key is a MAC (6 bytes), the element an entry's pointer. */
static int mac_entry_cmp(const void *mac, const void *e)
{
	return memcmp(mac, (*(const struct mstate *const *)e)->mac, 6);
}

const struct mstate **state_index(const struct state *st)
{
	const struct mstate **ix = malloc((st->n + 1) * sizeof(*ix));

	if (!ix)
		return NULL;
	for (size_t i = 0; i < st->n; i++)
		ix[i] = &st->m[i];
	qsort(ix, st->n, sizeof(*ix), entry_cmp);
	return ix;
}

const struct mstate *state_index_find(const struct state *st, const struct mstate **ix,
				      const uint8_t mac[6])
{
	const struct mstate **hit = bsearch(mac, ix, st->n, sizeof(*ix), mac_entry_cmp);

	return hit ? *hit : NULL;
}

struct mstate *state_get(struct state *st, const uint8_t mac[6])
{
	struct mstate *nm = find(st, mac);

	if (nm)
		return nm;
	nm = realloc(st->m, (st->n + 1) * sizeof(*nm));
	if (!nm)
		return NULL;
	st->m = nm;
	memset(&nm[st->n], 0, sizeof(*nm));
	memcpy(nm[st->n].mac, mac, 6);
	return &nm[st->n++];
}

/* Stored enums are checked, so a damaged row cannot put an unknown value in memory. */
static enum inv_action action_of(int64_t v)
{
	return v == INV_ACTION_DEPLOY || v == INV_ACTION_CAPTURE || v == INV_ACTION_ENROLL
		? (enum inv_action)v : INV_ACTION_NONE;
}

static enum mstate_result result_of(int64_t v)
{
	return v >= 0 && v <= MSTATE_FAILED ? (enum mstate_result)v : MSTATE_NONE;
}

/* A byte count from the old file: what a forged report stored there beyond the range
 * reports now accept (STATE_BYTES_MAX) reads as 0. */
static uint64_t old_bytes(unsigned long long v)
{
	return v <= STATE_BYTES_MAX ? v : 0;
}

/* Import one line of the old file unless the database already knows its machine; lines
 * that do not parse are skipped with a warning.  Borrows line. */
static void import_line(struct state *st, const char *path, const char *line, unsigned int no)
{
	char mac[18], content[65];
	unsigned long long ver, done, total, upd;
	int pend, seen, res, off = 0;
	uint8_t m[6], sum[32];
	struct mstate *s;

	if (sscanf(line, "%17s %llu %64s %d %d %d %llu %llu %llu %n", mac, &ver, content, &pend,
		   &seen, &res, &done, &total, &upd, &off) < 9 || strlen(content) != 64 ||
	    strata_mac_parse(m, mac, strlen(mac)) || strata_hex_decode(sum, content, 32)) {
		errorf("%s:%u: unreadable state line skipped", path, no);
		return;
	}
	if (find(st, m) || !(s = state_get(st, m)))
		return;
	*s = (struct mstate){ .version = ver, .pending = action_of(pend),
			      .inv_seen = action_of(seen), .result = result_of(res),
			      .done = old_bytes(done), .total = old_bytes(total),
			      .updated = (time_t)upd };
	memcpy(s->mac, m, 6);
	memcpy(s->content, sum, 32);
	snprintf(s->message, sizeof(s->message), "%s", line + off);
	s->message[strcspn(s->message, "\n")] = '\0';
}

/* Move an old STATE_DIR/machines file into the database, then out of the way.  Its rows
 * commit in one transaction before the rename, and rows the database already holds win,
 * so a server killed half-way imports it again on the next start with the same result. */
static int import_old(struct state *st, const char *dir)
{
	char path[4096], done[4200], line[512];
	unsigned int no = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/machines", dir);
	if (!(f = fopen(path, "r")))
		return errno == ENOENT ? 0 : errorf("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		import_line(st, path, line, ++no);
	fclose(f);
	if (state_save(st))
		return STRATA_EREPORTED;
	snprintf(done, sizeof(done), "%s.imported", path);
	if (rename(path, done) < 0)
		return errorf("%s: cannot rename to %s: %s", path, done, strerror(errno));
	fprintf(stderr, "strata-server: %s: %zu machines imported into the database; the file "
		"is now %s\n", path, st->n, done);
	return 0;
}

/* One row of SELECT ... FROM machines into the state. */
static int load_row(struct state *st, sqlite3_stmt *q)
{
	const char *mac = (const char *)sqlite3_column_text(q, 0);
	uint8_t m[6];
	struct mstate *s;

	if (!mac || strata_mac_parse(m, mac, strlen(mac)) ||
	    sqlite3_column_bytes(q, 2) != 32 || !(s = state_get(st, m)))
		return errorf("%s: unreadable machines row", st->db->path);
	s->version = (uint64_t)sqlite3_column_int64(q, 1);
	memcpy(s->content, sqlite3_column_blob(q, 2), 32);
	s->pending = action_of(sqlite3_column_int64(q, 3));
	s->inv_seen = action_of(sqlite3_column_int64(q, 4));
	s->result = result_of(sqlite3_column_int64(q, 5));
	s->done = (uint64_t)sqlite3_column_int64(q, 6);
	s->total = (uint64_t)sqlite3_column_int64(q, 7);
	s->updated = (time_t)sqlite3_column_int64(q, 8);
	snprintf(s->message, sizeof(s->message), "%s", sqlite3_column_text(q, 9));
	return 0;
}

static int load_all(struct state *st)
{
	sqlite3_stmt *q;
	int rc, step;

	rc = db_prepare(st->db, "SELECT mac, version, content, pending, inv_seen, result, done, "
			"total, updated, message FROM machines", "", &q);
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		rc = load_row(st, q);
	if (rc == 0 && step != SQLITE_DONE)
		rc = errorf("%s: cannot read machines: %s", st->db->path, sqlite3_errmsg(st->db->h));
	sqlite3_finalize(q);
	return rc;
}

int state_open(const char *dir, struct state **out)
{
	struct state *st = calloc(1, sizeof(*st));
	char path[4096];

	if (!st)
		return errorf("out of memory");
	pthread_mutex_init(&st->lock, NULL);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		errorf("%s: cannot create the state folder: %s", dir, strerror(errno));
		goto err_state;
	}
	snprintf(path, sizeof(path), "%s/strata.db", dir);
	if (db_open(path, &st->db) || load_all(st) || import_old(st, dir))
		goto err_state;
	*out = st;
	return 0;
err_state:
	state_close(st);
	return STRATA_EREPORTED;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	db_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st->m);
	free(st);
}

int state_put(struct state *st, const struct mstate *s)
{
	char mac[18];

	strata_mac_format(mac, s->mac);
	return db_run(st->db, "INSERT OR REPLACE INTO machines (mac, version, content, pending, "
		      "inv_seen, result, done, total, updated, message) "
		      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "tibiiiiiit", mac,
		      (int64_t)s->version, s->content, (int64_t)s->pending, (int64_t)s->inv_seen,
		      (int64_t)s->result, (int64_t)s->done, (int64_t)s->total,
		      (int64_t)s->updated, s->message);
}

int state_save(struct state *st)
{
	int rc = db_begin(st->db);

	if (rc)
		return rc;
	for (size_t i = 0; rc == 0 && i < st->n; i++)
		rc = state_put(st, &st->m[i]);
	return db_end(st->db, rc);
}

int state_save_one(struct state *st, const uint8_t mac[6])
{
	const struct mstate *m = find(st, mac);
	int rc;

	if (!m)
		return 0;
	rc = db_begin(st->db);
	return rc ? rc : db_end(st->db, state_put(st, m));
}

int state_delete(struct state *st, const uint8_t mac[6])
{
	char text[18];

	strata_mac_format(text, mac);
	return db_run(st->db, "DELETE FROM machines WHERE mac = ?", "t", text);
}

void state_remove(struct state *st, const uint8_t mac[6])
{
	struct mstate *m = find(st, mac);

	if (m)
		*m = st->m[--st->n];
}

int state_forget_unreported(struct state *st, const uint8_t mac[6])
{
	struct mstate *m = find(st, mac);
	int rc;

	if (!m || m->result != MSTATE_NONE)
		return 0;
	state_remove(st, mac);
	rc = db_begin(st->db);     /* under the database's lock, like every other write */
	return rc ? rc : db_end(st->db, state_delete(st, mac));
}
