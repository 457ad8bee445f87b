/* The end of a capture task and the captured profiles (see capture_done.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "capture_done.h"
#include "catalog.h"
#include "host.h"
#include "manifest.h"
#include "server.h"
#include "text.h"

/** Room for STATE/profiles/NAME.layout. */
#define PROFILE_PATH_MAX 4200

/* STATE/profiles/NAME.layout into path (PROFILE_PATH_MAX bytes, the caller's). */
static int profile_path(const struct server *s, const char *name, char *path)
{
	if ((size_t)snprintf(path, PROFILE_PATH_MAX, "%s/profiles/%s.layout", s->cfg.state_dir,
			     name) >= PROFILE_PATH_MAX)
		return errorf("%s: state folder path too long", s->cfg.state_dir);
	return 0;
}

/* Write layout text[0..len) (borrowed) to STATE/profiles/NAME.layout, atomically and
 * durably; the folder is made on first use.  0 or STRATA_EREPORTED. */
static int layout_write(const struct server *s, const char *name, const char *text,
			size_t len)
{
	char path[PROFILE_PATH_MAX];

	if (profile_path(s, name, path))
		return STRATA_EREPORTED;
	*strrchr(path, '/') = '\0';
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return errorf("%s: %s", path, strerror(errno));
	profile_path(s, name, path);
	return write_file_atomic(path, text, len, 0600, 1) ? STRATA_EREPORTED : 0;
}

/* The first column of the one row sql (bound to task id) answers, into *out.  0 or
 * STRATA_EREPORTED. */
static int task_int(struct db *d, const char *sql, int64_t id, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = db_prepare(d, sql, "i", &st, id);

	if (rc)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW ? 0 : errorf("%s: %s", d->path, sqlite3_errmsg(d->h));
	*out = rc ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Whether task id committed layer: 1, 0 or STRATA_EREPORTED. */
static int layer_committed(struct db *d, int64_t id, const uint8_t layer[32])
{
	return db_exists(d, "SELECT 1 FROM capture_commits WHERE task_id = ? AND layer = ?",
			 "ib", id, layer);
}

/* Whether every layer layout m names was committed by task t; the first that was not is
 * named in why.  The number of layers into *layers.  0, STRATA_EINVAL, STRATA_EREPORTED. */
static int layers_committed(struct db *d, const struct capture_task *t,
			    const struct strata_manifest *m, unsigned int *layers, char *why,
			    size_t why_cap)
{
	char id[72];
	int rc;

	*layers = 0;
	for (unsigned int i = 0; i < m->nparts; i++) {
		if (!m->parts[i].has_layer)
			continue;
		rc = layer_committed(d, t->id, m->parts[i].layer);
		if (rc < 0)
			return rc;
		strata_layer_id_format(id, m->parts[i].layer);
		if (rc == 0)
			return snprintf(why, why_cap, "partition %s: layer %s was not committed by "
					"this task: commit it (POST /capture/commit?part=%s), then "
					"done again", m->parts[i].label, id, m->parts[i].label),
			       STRATA_EINVAL;
		(*layers)++;
	}
	if (*layers == 0)
		return snprintf(why, why_cap, "the layout names no layer: commit the reference "
				"disk's partitions, and name their layers"), STRATA_EINVAL;
	return 0;
}

/* End task id as committed.  In a transaction.  0, STRATA_EACCES (ended meanwhile), or
 * STRATA_EREPORTED. */
static int end_task(struct db *d, int64_t id)
{
	int rc = db_run(d, "UPDATE capture_tasks SET ended = ?, outcome = 'committed' WHERE "
			"id = ? AND ended IS NULL", "ii", (int64_t)time(NULL), id);

	return rc ? rc : sqlite3_changes(d->h) == 1 ? 0 : STRATA_EACCES;
}

int capture_profile_taken(struct db *d, const char *name)
{
	return db_exists(d, "SELECT 1 FROM captured_profiles WHERE name = ?1 UNION ALL SELECT 1 "
			 "FROM capture_tasks WHERE ended IS NULL AND kind = 'gold' AND profile = "
			 "?1", "t", name);
}

/* Whether a captured profile of name is recorded: 1 or 0 (an error reads as 1: nothing
 * is written then, and the client may try again). */
static int profile_recorded(struct db *d, const char *name)
{
	return db_exists(d, "SELECT 1 FROM captured_profiles WHERE name = ?", "t", name) != 0;
}

/* The profile's row and the task's end, in one transaction (capture_done.h).  name and
 * machine borrowed; text NUL-terminated. */
static int record_profile(struct db *d, const struct capture_task *t, const char *machine,
			  const char *text)
{
	int64_t now = (int64_t)time(NULL), taken;
	int rc = db_begin(d);

	if (rc)
		return rc;
	rc = task_int(d, "SELECT count(*) FROM captured_profiles WHERE name = (SELECT profile "
		      "FROM capture_tasks WHERE id = ?)", t->id, &taken);
	if (rc == 0 && taken)
		rc = STRATA_ESTALE;
	if (rc == 0)
		rc = db_run(d, "INSERT INTO captured_profiles (name, task_id, mac, machine, "
			    "token_name, at, prepared, forced, layout) SELECT profile, id, mac, ?2, "
			    "token_name, ?3, prepared, (SELECT ifnull(group_concat(part, ','), '') "
			    "FROM capture_commits WHERE task_id = ?1 AND forced = 1), ?4 FROM "
			    "capture_tasks WHERE id = ?1", "itit", t->id, machine, now, text);
	if (rc == 0)
		rc = end_task(d, t->id);
	return db_end(d, rc);
}

/* The inventory name of the machine with MAC text mac, into name ("-" when the inventory
 * no longer has it). */
static void machine_name(struct server *s, const char *mac, char name[INV_NAME_MAX + 1])
{
	uint8_t m[6];

	snprintf(name, INV_NAME_MAX + 1, "-");
	if (strata_mac_parse(m, mac, strlen(mac)))
		return;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->cat->n; i++)
		if (!memcmp(s->cat->p[i].m->mac, m, 6))
			snprintf(name, INV_NAME_MAX + 1, "%s", s->cat->p[i].m->name);
	pthread_rwlock_unlock(&s->lock);
}

/* Whether the loaded inventory defines a profile name of its own (not a captured one). */
static int inventory_has(struct server *s, const char *name)
{
	const struct inventory *inv;
	int has = 0;

	pthread_rwlock_rdlock(&s->lock);
	inv = s->cat->inv;
	for (size_t i = 0; i < inv->nprofiles; i++)
		has |= !inv->profiles[i].captured && !strcmp(inv->profiles[i].name, name);
	pthread_rwlock_unlock(&s->lock);
	return has;
}

/* Check layout text[0..len) for gold task t: it parses as a layout, becomes a profile,
 * and names only layers t committed.  0 or an rc with why. */
static int layout_check(struct server *s, const struct capture_task *t, const char *text,
			size_t len, struct capture_end *out, char *why, size_t why_cap)
{
	struct strata_diag diag = { 0 };
	struct strata_manifest m;
	struct inv_profile pr;
	const char *bad;
	int rc = strata_layout_parse(&m, text, len, &diag);

	if (rc)
		return snprintf(why, why_cap, "the layout, line %llu: %s (send the disk's "
				"partitions as an unsigned manifest, docs/capture.md)",
				(unsigned long long)diag.where, diag.msg), STRATA_EINVAL;
	rc = inv_profile_from_layout(&m, t->profile, "-", &pr, &bad);
	inv_profile_done(&pr);
	if (rc)
		return snprintf(why, why_cap, "the layout: %s", bad), rc;
	return layers_committed(s->state->db, t, &m, &out->layers, why, why_cap);
}

/* Why recording a done failed with rc, into why. */
static int done_why(int rc, const struct capture_task *t, char *why, size_t why_cap)
{
	if (rc == STRATA_ESTALE)
		snprintf(why, why_cap, "profile %s exists already: a capture never overwrites; "
			 "cancel this task and order again with another as=", t->profile);
	else if (rc == STRATA_EACCES)
		snprintf(why, why_cap, "the capture task has ended: order a new capture");
	else
		snprintf(why, why_cap, "cannot record the end of the task (the server's log says "
			 "why)");
	return rc;
}

/* A gold task's done: the layout becomes its profile. */
static int gold_done(struct server *s, const struct capture_task *t, const char *body,
		     size_t len, struct capture_end *out, char *why, size_t why_cap)
{
	char machine[INV_NAME_MAX + 1], *text;
	int rc = layout_check(s, t, body, len, out, why, why_cap);

	if (rc)
		return rc;
	if (inventory_has(s, t->profile) || profile_recorded(s->state->db, t->profile))
		return done_why(STRATA_ESTALE, t, why, why_cap);   /* its file is not touched */
	if (!(text = malloc(len + 1)))
		return snprintf(why, why_cap, "out of memory"), STRATA_ENOMEM;
	memcpy(text, body, len);
	text[len] = '\0';
	machine_name(s, t->mac, machine);
	/* The row first: it holds the layout too, and a file a kill leaves unwritten is made
	 * again from it at load (profile_row); a file written before a failed row would be a
	 * profile nobody recorded. */
	rc = record_profile(s->state->db, t, machine, text);
	if (rc == 0 && layout_write(s, t->profile, text, len))
		fprintf(stderr, "capture: profile %s: its layout file is made again at the next "
			"load\n", t->profile);
	free(text);
	return rc ? done_why(rc, t, why, why_cap) : 0;
}

int capture_done(struct server *s, const struct capture_task *t, const char *body,
		 size_t len, struct capture_end *out, char *why, size_t why_cap)
{
	struct db *d = s->state->db;
	int64_t parts;
	int rc;

	memset(out, 0, sizeof(*out));
	if (task_int(d, "SELECT count(*) FROM capture_commits WHERE task_id = ?", t->id, &parts))
		return snprintf(why, why_cap, "cannot read the task's commits"), STRATA_EREPORTED;
	out->parts = (unsigned int)parts;
	if (t->kind == CAPTURE_GOLD)
		return gold_done(s, t, body, len, out, why, why_cap);
	if (len)
		return snprintf(why, why_cap, "a machine capture's done takes no body: its "
				"commits are its generations"), STRATA_EINVAL;
	rc = db_begin(d);
	if (rc == 0)
		rc = db_end(d, end_task(d, t->id));
	if (rc)
		return done_why(rc, t, why, why_cap);
	catalog_reload_soon();   /* its manifest now names the new generations */
	return 0;
}

/* One captured profile's row (name, layout) as an inventory profile into *pr, its file
 * written when missing.  0 or STRATA_EREPORTED naming it. */
static int profile_row(struct server *s, sqlite3_stmt *st, struct inv_profile *pr)
{
	const char *name = (const char *)sqlite3_column_text(st, 0), *why;
	const char *text = (const char *)sqlite3_column_text(st, 1);
	size_t len = (size_t)sqlite3_column_bytes(st, 1);
	struct strata_diag diag = { 0 };
	char path[PROFILE_PATH_MAX];
	struct strata_manifest m;

	if (!name || !text || profile_path(s, name, path))
		return errorf("%s: a captured profile's row is damaged", s->state->db->path);
	if (strata_layout_parse(&m, text, len, &diag))
		return errorf("%s: captured profile %s: line %llu: %s", s->state->db->path, name,
			      (unsigned long long)diag.where, diag.msg);
	if (inv_profile_from_layout(&m, name, path, pr, &why))
		return errorf("%s: captured profile %s: %s", s->state->db->path, name, why);
	if (access(path, F_OK) != 0 && layout_write(s, name, text, len))
		return STRATA_EREPORTED;
	return 0;
}

int capture_profiles_load(struct server *s, struct inv_profile **out, size_t *n)
{
	struct db *d = s->state->db;
	struct inv_profile *all = NULL, *grown;
	sqlite3_stmt *st = NULL;
	int rc = db_prepare(d, "SELECT name, layout FROM captured_profiles ORDER BY name", "",
			    &st);

	*out = NULL;
	*n = 0;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (!(grown = realloc(all, (*n + 1) * sizeof(*all)))) {
			rc = errorf("out of memory");
			break;
		}
		all = grown;
		rc = profile_row(s, st, &all[*n]);
		*n += rc == 0;
	}
	if (st)
		sqlite3_finalize(st);
	if (rc) {
		for (size_t i = 0; i < *n; i++)
			inv_profile_done(&all[i]);
		free(all);
		*n = 0;
		return STRATA_EREPORTED;
	}
	*out = all;
	return 0;
}
