/* Committing a capture (see capture_commit.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "capture_commit.h"
#include "clock.h"
#include "gc.h"
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

/* Whether every stored chunk of idx is in the public store or own (the machine's private
 * store) with the size idx gives; the first that is not named in why.  Sums the stored
 * sizes into *stored.  0 or STRATA_ENOENT. */
static int chunks_present(const struct server *s, const char *own,
			  const struct strata_index *idx, uint64_t *stored, char *why,
			  size_t why_cap)
{
	struct strata_chunk c;
	char hex[65];

	*stored = 0;
	for (uint64_t i = 0; i < idx->chunk_count; i++) {
		strata_index_chunk(idx, i, &c);
		if (!c.stored_size)
			continue;
		if (chunk_file_size(s->cfg.store_dir, c.digest) != c.stored_size &&
		    chunk_file_size(own, c.digest) != c.stored_size) {
			strata_hex_encode(hex, c.digest, 32);
			snprintf(why, why_cap, "the index names chunk %s (chunk %llu, %u bytes "
				 "stored), which is not stored: upload it, then commit again", hex,
				 (unsigned long long)i, c.stored_size);
			return STRATA_ENOENT;
		}
		*stored += c.stored_size;
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

/* The generation's row, the end of its task and retention's drops (retention.h), in one
 * transaction.  Ending only a task still open makes a second commit of one task fail
 * whole. */
static int record(struct db *d, const struct capture_task *t, const char *part,
		  struct capture_generation *g, struct retention *keep)
{
	int64_t now = server_now();
	int rc = db_begin(d);

	if (rc)
		return rc;
	rc = task_uploaded(d, t->id, &g->uploaded);
	if (rc == 0)
		rc = next_number(d, t->mac, part, &g->number);
	if (rc == 0)
		rc = db_run(d, "INSERT INTO generations (mac, part, number, at, size, stored, "
			    "uploaded, source, layer, task_id) VALUES (?, ?, ?, ?, ?, ?, ?, "
			    "'upload', ?, ?)", "ttiiiiibi", t->mac, part, g->number, now,
			    (int64_t)g->size, (int64_t)g->stored, (int64_t)g->uploaded, g->layer,
			    t->id);
	if (rc == 0)
		rc = db_run(d, "UPDATE capture_tasks SET ended = ?, outcome = 'committed' WHERE "
			    "id = ? AND ended IS NULL", "ii", now, t->id);
	if (rc == 0 && sqlite3_changes(d->h) != 1)
		rc = errorf("capture task %lld ended meanwhile", (long long)t->id);
	if (rc == 0)
		rc = retention_apply(d, keep, part, now);
	return db_end(d, rc);
}

/* Put the index in the machine's private store (durable, with its chunks). */
static int put_index(const struct server *s, const struct capture_task *t,
		     const uint8_t *idx, size_t len, uint8_t layer[32])
{
	struct store *st;
	uint8_t mac[6];
	int rc;

	if (strata_mac_parse(mac, t->mac, strlen(t->mac)) ||
	    private_store_open(s->cfg.private_dir, mac, &st))
		return STRATA_EREPORTED;
	rc = store_put_index(st, idx, len, layer) ? STRATA_EREPORTED : 0;
	store_close(st);
	return rc;
}

int capture_commit(struct server *s, const struct capture_task *t, const char *part,
		   const uint8_t *idx, size_t len, struct capture_generation *out,
		   char *why, size_t why_cap)
{
	struct strata_diag diag = { 0 };
	struct strata_index parsed;
	struct retention keep;
	char own[PRIVATE_DIR_MAX];
	uint8_t mac[6];
	int rc;

	memset(out, 0, sizeof(*out));
	if (t->kind != CAPTURE_MACHINE)
		return snprintf(why, why_cap, "a gold capture's commit is not built yet"),
		       STRATA_ENOTSUP;
	if (!part || !part_captured(s, t, part))
		return snprintf(why, why_cap, "part= must name a capture=yes partition of the "
				"machine's profile"), STRATA_EINVAL;
	if (strata_index_parse(&parsed, idx, len, &diag))
		return snprintf(why, why_cap, "the index does not parse at byte %llu: %s",
				(unsigned long long)diag.where, diag.msg), STRATA_EINVAL;
	if (strata_mac_parse(mac, t->mac, strlen(t->mac)) ||
	    private_store_dir(own, sizeof(own), s->cfg.private_dir, mac))
		return snprintf(why, why_cap, "cannot name the machine's store"), STRATA_EREPORTED;
	gc_commit_begin();          /* no garbage collection between the check and the row */
	rc = chunks_present(s, own, &parsed, &out->stored, why, why_cap);
	if (rc)
		return gc_commit_end(), rc;
	out->size = parsed.image_size;
	rc = put_index(s, t, idx, len, out->layer);
	retention_start(s, t->mac, &keep);
	if (rc == 0)
		rc = record(s->state->db, t, part, out, &keep);
	retention_finish(s, &keep, part, rc);
	gc_commit_end();
	if (rc)
		snprintf(why, why_cap, "cannot record the generation (the server's log says why)");
	return rc;
}
