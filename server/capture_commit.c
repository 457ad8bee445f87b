/* Committing a capture (see capture_commit.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "capture_commit.h"
#include "server_clock.h"
#include "gc.h"
#include "capture_parse.h"
#include "capture_task.h"
#include "catalog.h"
#include "host.h"
#include "index.h"
#include "private_store.h"
#include "retention.h"
#include "server.h"
#include "store.h"
#include "store_path.h"
#include "text.h"

int capture_count_upload(struct server *s, const struct capture_task *t, size_t len)
{
	return db_run(s->state->db, "UPDATE capture_tasks SET uploaded = uploaded + ? WHERE "
		      "id = ?", "ii", (int64_t)len, t->id);
}

/* Whether part is a capture=yes label of the profile of t's machine. */
static int part_captured(struct server *s, const struct capture_task *t, const char *part)
{
	uint8_t mac[6];
	int yes = 0;

	if (strata_mac_parse(mac, t->mac, strlen(t->mac)))
		return 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->cat->n; i++) {
		const struct inv_machine *m = s->cat->p[i].m;
		const struct inv_profile *pr = &s->cat->inv->profiles[m->profile];

		for (unsigned int j = 0; !memcmp(m->mac, mac, 6) && j < pr->nparts; j++)
			yes |= pr->parts[j].capture && !strcmp(pr->parts[j].label, part);
	}
	pthread_rwlock_unlock(&s->lock);
	return yes;
}

/* The size of the chunk file of digest under dir, or -1 when there is none. */
static int64_t chunk_file_size(const char *dir, const uint8_t digest[32])
{
	char rel[STRATA_STORE_FILE_MAX], path[PRIVATE_DIR_MAX + STRATA_STORE_FILE_MAX + 2];
	struct stat st;

	strata_store_chunk_rel(rel, digest);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path) ||
	    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return st.st_size;
}

/* The size of the file that holds chunk c where the task may use it: own (the machine's
 * private store; NULL for a gold task, whose public layer may name public chunks only),
 * then the public store.  A file of the size c gives wins; else the first held, whatever
 * its size (a store built at another zlib level); -1 when neither holds c. */
static int64_t chunk_held(const struct server *s, const char *own, const struct strata_chunk *c)
{
	int64_t mine = own ? chunk_file_size(own, c->digest) : -1;
	int64_t pub = chunk_file_size(s->cfg.store_dir, c->digest);

	if (mine == c->stored_size || pub == c->stored_size)
		return c->stored_size;
	return mine >= 0 ? mine : pub;
}

/*
 * Whether every stored chunk of idx (parsed from buf, the caller's, writable) is held
 * where the task may use it (chunk_held); the first that is not is named in why.  A chunk
 * held in a file of another size (1..its length: the same plain bytes, since its name is
 * their SHA-256, deflated at another level) is present: its entry in buf is made to name
 * that file (strata_index_set_stored), counted in *rewritten.  Sums the stored sizes of
 * the files into *stored.  0 or STRATA_ENOENT.
 */
static int chunks_present(const struct server *s, const char *own,
			  const struct strata_index *idx, uint8_t *buf, uint64_t *stored,
			  uint64_t *rewritten, char *why, size_t why_cap)
{
	struct strata_chunk c;
	char hex[65];
	int64_t held;

	*stored = *rewritten = 0;
	for (uint64_t i = strata_index_next_data(idx, 0); i < idx->chunk_count;
	     i = strata_index_next_data(idx, i + 1)) {
		strata_index_chunk(idx, i, &c);
		if (!c.stored_size)
			continue;
		held = chunk_held(s, own, &c);
		if (held != c.stored_size && (held <= 0 || held > c.length ||
		     strata_index_set_stored(idx, buf, i, (uint32_t)held))) {
			strata_hex_encode(hex, c.digest, 32);
			snprintf(why, why_cap, "the index names chunk %s (chunk %llu, %u bytes "
				 "stored), which is not stored: upload it, then commit again", hex,
				 (unsigned long long)i, c.stored_size);
			return STRATA_ENOENT;
		}
		*rewritten += held != c.stored_size;
		*stored += (uint64_t)held;
	}
	return 0;
}

/* The task's uploaded bytes, into *out.  0 or STRATA_EREPORTED. */
static int task_uploaded(struct db *d, int64_t id, uint64_t *out)
{
	sqlite3_stmt *st;
	int rc = db_prepare(d, "SELECT uploaded FROM capture_tasks WHERE id = ?", "i", &st, id);

	if (rc)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW ? 0
		: errorf("%s: capture task %lld is gone", d->path, (long long)id);
	*out = rc ? 0 : (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* The next generation number of part of mac.  In a transaction.  0 or STRATA_EREPORTED. */
static int next_number(struct db *d, const char *mac, const char *part, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = db_prepare(d, "SELECT ifnull(max(number), 0) + 1 FROM generations WHERE "
			    "mac = ? AND part = ?", "tt", &st, mac, part);

	if (rc)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW ? 0
		: errorf("%s: cannot number a generation: %s", d->path, sqlite3_errmsg(d->h));
	*out = rc ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Whether task id is open and has not committed part: 0, STRATA_EACCES (ended),
 * STRATA_ESTALE (part committed), STRATA_EREPORTED.  In a transaction. */
static int part_fresh(struct db *d, int64_t id, const char *part)
{
	sqlite3_stmt *st;
	int rc = db_prepare(d, "SELECT ended IS NULL, EXISTS (SELECT 1 FROM capture_commits "
			    "WHERE task_id = ?1 AND part = ?2) FROM capture_tasks WHERE id = ?1",
			    "it", &st, id, part);

	if (rc)
		return rc;
	rc = sqlite3_step(st) != SQLITE_ROW ? errorf("%s: capture task %lld is gone", d->path,
						     (long long)id)
		: !sqlite3_column_int(st, 0) ? STRATA_EACCES
		: sqlite3_column_int(st, 1) ? STRATA_ESTALE : 0;
	sqlite3_finalize(st);
	return rc;
}

/* A machine task's generation row.  In a transaction. */
static int record_generation(struct db *d, const struct capture_task *t, const char *part,
			     struct capture_generation *g, int64_t now)
{
	int rc = next_number(d, t->mac, part, &g->number);

	if (rc == 0)
		rc = db_run(d, "INSERT INTO generations (mac, part, number, at, size, stored, "
			    "uploaded, source, layer, task_id) VALUES (?, ?, ?, ?, ?, ?, ?, "
			    "'upload', ?, ?)", "ttiiiiibi", t->mac, part, g->number, now,
			    (int64_t)g->size, (int64_t)g->stored, (int64_t)g->uploaded, g->layer,
			    t->id);
	return rc;
}

/* The commit's row (and a machine task's generation and retention's drops,
 * retention.h), in one transaction that finds the
 * task open and part not committed by it yet: a commit counts once per task and part, and
 * the task stays open until done (capture_done.h). */
static int record(struct db *d, const struct capture_task *t, const char *part, int forced,
		  struct capture_generation *g, struct retention *keep)
{
	int64_t now = server_now();
	int rc = db_begin(d);

	if (rc)
		return rc;
	rc = part_fresh(d, t->id, part);
	if (rc == 0)
		rc = task_uploaded(d, t->id, &g->uploaded);
	if (rc == 0)
		rc = db_run(d, "INSERT INTO capture_commits (task_id, part, layer, forced, size, "
			    "stored, at) VALUES (?, ?, ?, ?, ?, ?, ?)", "itbiiii", t->id, part,
			    g->layer, (int64_t)(forced != 0), (int64_t)g->size, (int64_t)g->stored,
			    now);
	if (rc == 0 && t->kind == CAPTURE_MACHINE)
		rc = record_generation(d, t, part, g, now);
	if (rc == 0 && t->kind == CAPTURE_MACHINE)
		rc = retention_apply(d, keep, part, now);
	return db_end(d, rc);
}

/* Put the index where t's layers go (durable, with its chunks): a gold task's in the
 * public store (it is public data), a machine task's in the machine's private store. */
static int put_index(const struct server *s, const struct capture_task *t,
		     const uint8_t *idx, size_t len, uint8_t layer[32])
{
	struct store *st;
	uint8_t mac[6];
	int rc;

	if (t->kind == CAPTURE_GOLD)
		rc = store_open(s->cfg.store_dir, 1, &st) ? STRATA_EREPORTED : 0;
	else if (strata_mac_parse(mac, t->mac, strlen(t->mac)))
		rc = errorf("capture task of %s: not a MAC", t->mac);
	else
		rc = private_store_open(s->cfg.private_dir, mac, &st);
	if (rc)
		return rc;
	rc = store_put_index(st, idx, len, layer) ? STRATA_EREPORTED : 0;
	store_close(st);
	return rc;
}

/* Whether label is one a gold capture of t's machine must leave out: CIDATA, or a
 * capture=yes or policy=preserve part of its profile (capture_labels).  Fails closed: 1
 * when the profile's labels cannot be read.  The agent leaves them out already; this keeps
 * a client that does not (a capture-disk run without --keep) from publishing them. */
static int gold_private(struct server *s, const struct capture_task *t, const char *label)
{
	char labels[STRATA_MAX_PARTS * (STRATA_LABEL_MAX + 1)], *p, *save = NULL;
	uint8_t mac[6];

	if (!strcmp(label, "CIDATA"))
		return 1;
	if (strata_mac_parse(mac, t->mac, strlen(t->mac)) ||
	    capture_labels(s, mac, CAPTURE_GOLD, labels, sizeof(labels)))
		return 1;
	for (p = strtok_r(labels, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (!strcmp(p, label))
			return 1;
	return 0;
}

/* Whether part names a partition t may commit: a capture=yes part of the machine's
 * profile for a machine task, a partition label that is not private for a gold one.  0,
 * or STRATA_EINVAL with why. */
static int part_ok(struct server *s, const struct capture_task *t, const char *part,
		   char *why, size_t why_cap)
{
	if (t->kind == CAPTURE_GOLD && (!part || !strata_label_ok(part, strlen(part))))
		return snprintf(why, why_cap, "part= must be the partition's label on the "
				"reference disk: 1 to 36 of [A-Za-z0-9._-]"), STRATA_EINVAL;
	if (t->kind == CAPTURE_GOLD && gold_private(s, t, part))
		return snprintf(why, why_cap, "partition %s is the machine's own (CIDATA, or "
				"capture=yes or policy=preserve in its profile): a gold capture "
				"leaves it out (strata-image capture-disk --keep %s)", part, part),
		       STRATA_EINVAL;
	if (t->kind == CAPTURE_MACHINE && (!part || !part_captured(s, t, part)))
		return snprintf(why, why_cap, "part= must name a capture=yes partition of the "
				"machine's profile"), STRATA_EINVAL;
	return 0;
}

/* The directory of the machine's private store for a machine task, into own; "" for a
 * gold task.  0 or STRATA_EREPORTED. */
static int own_store(const struct server *s, const struct capture_task *t,
		     char own[PRIVATE_DIR_MAX])
{
	uint8_t mac[6];

	own[0] = '\0';
	if (t->kind == CAPTURE_GOLD)
		return 0;
	if (strata_mac_parse(mac, t->mac, strlen(t->mac)) ||
	    private_store_dir(own, PRIVATE_DIR_MAX, s->cfg.private_dir, mac))
		return STRATA_EREPORTED;
	return 0;
}

/* Why record failed with rc, into why. */
static int record_why(int rc, const char *part, char *why, size_t why_cap)
{
	if (rc == STRATA_ESTALE)
		snprintf(why, why_cap, "part %s was committed by this task already: a task "
			 "commits each partition once (order a new capture to take it again)", part);
	else if (rc == STRATA_EACCES)
		snprintf(why, why_cap, "the capture task has ended: order a new capture");
	else
		snprintf(why, why_cap, "cannot record the commit (the server's log says why)");
	return rc;
}

int capture_commit(struct server *s, const struct capture_task *t, const char *part,
		   int forced, uint8_t *idx, size_t len, struct capture_generation *out,
		   char *why, size_t why_cap)
{
	struct strata_diag diag = { 0 };
	struct strata_index parsed;
	struct retention keep;
	char own[PRIVATE_DIR_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = part_ok(s, t, part, why, why_cap);
	if (rc)
		return rc;
	if (strata_index_parse(&parsed, idx, len, &diag))
		return snprintf(why, why_cap, "the index does not parse at byte %llu: %s",
				(unsigned long long)diag.where, diag.msg), STRATA_EINVAL;
	if (own_store(s, t, own))
		return snprintf(why, why_cap, "cannot name the machine's store"), STRATA_EREPORTED;
	gc_commit_begin();          /* no garbage collection between the check and the row */
	rc = chunks_present(s, own[0] ? own : NULL, &parsed, idx, &out->stored,
			    &out->rewritten, why, why_cap);
	if (rc)
		return gc_commit_end(), rc;
	out->size = parsed.image_size;
	rc = put_index(s, t, idx, len, out->layer);
	if (rc) {
		gc_commit_end();
		return snprintf(why, why_cap, "cannot store the index (the server's log says "
				"why)"), rc;
	}
	retention_start(s, t->mac, &keep);
	rc = record(s->state->db, t, part, forced, out, &keep);
	retention_finish(s, &keep, part, rc);
	gc_commit_end();
	return rc ? record_why(rc, part, why, why_cap) : 0;
}
