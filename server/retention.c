/* Retention of a machine's generations (see retention.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "catalog.h"
#include "host.h"
#include "private_store.h"
#include "retention.h"
#include "server.h"
#include "store_path.h"
#include "text.h"

/* The policy of product p's machine.  Call with the catalog lock. */
static struct keep_policy product_policy(const struct server *s, const struct product *p)
{
	return keep_merge(&s->cat->inv->profiles[p->m->profile].keep, &p->m->keep);
}

int retention_policy(struct server *s, const uint8_t mac[6], struct keep_policy *out,
		     char *name)
{
	int found = 0;

	*out = keep_merge(NULL, NULL);
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->cat->n && !found; i++) {
		if (memcmp(s->cat->p[i].m->mac, mac, 6))
			continue;
		*out = product_policy(s, &s->cat->p[i]);
		if (name)
			snprintf(name, INV_NAME_MAX + 1, "%s", s->cat->p[i].m->name);
		found = 1;
	}
	pthread_rwlock_unlock(&s->lock);
	return found;
}

void retention_start(struct server *s, const char *mac, struct retention *r)
{
	uint8_t raw[6];

	memset(r, 0, sizeof(*r));
	snprintf(r->mac, sizeof(r->mac), "%s", mac);
	r->policy = keep_merge(NULL, NULL);
	if (strata_mac_parse(raw, mac, strlen(mac)) == 0)
		retention_policy(s, raw, &r->policy, NULL);
}

/* The generations of one partition, read in a transaction. */
struct gen_rows {
	struct keep_gen *g;
	int64_t *id;
	uint8_t (*layer)[32];
	size_t n, cap;
};

/* Room for one more row in rows.  0 or STRATA_ENOMEM. */
static int rows_grow(struct gen_rows *rows)
{
	size_t cap = rows->cap ? rows->cap * 2 : 16;
	void *g, *id, *layer;

	if (rows->n < rows->cap)
		return 0;
	g = realloc(rows->g, cap * sizeof(*rows->g));
	if (g)
		rows->g = g;
	id = realloc(rows->id, cap * sizeof(*rows->id));
	if (id)
		rows->id = id;
	layer = realloc(rows->layer, cap * sizeof(*rows->layer));
	if (layer)
		rows->layer = layer;
	if (!g || !id || !layer)
		return STRATA_ENOMEM;
	rows->cap = cap;
	return 0;
}

/* Read the rows of mac's part into rows (the caller frees its arrays). */
static int rows_read(struct db *d, const char *mac, const char *part, struct gen_rows *rows)
{
	sqlite3_stmt *st;
	int step, rc = db_prepare(d, "SELECT id, number, at, layer FROM generations WHERE "
				  "mac = ? AND part = ?", "tt", &st, mac, part);

	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows_grow(rows)) {
			rc = errorf("out of memory");
			break;
		}
		rows->id[rows->n] = sqlite3_column_int64(st, 0);
		rows->g[rows->n].number = sqlite3_column_int64(st, 1);
		rows->g[rows->n].at = sqlite3_column_int64(st, 2);
		memset(rows->layer[rows->n], 0, 32);
		if (sqlite3_column_bytes(st, 3) == 32)
			memcpy(rows->layer[rows->n], sqlite3_column_blob(st, 3), 32);
		rows->n++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = errorf("%s: cannot read the generations of %s: %s", d->path, mac,
			    sqlite3_errmsg(d->h));
	if (st)
		sqlite3_finalize(st);
	return rc;
}

/* Delete row i of rows and remember it in r.  In a transaction. */
static int drop_one(struct db *d, struct retention *r, const struct gen_rows *rows, size_t i)
{
	int64_t *numbers = realloc(r->numbers, (r->n + 1) * sizeof(*r->numbers));
	uint8_t (*layers)[32];

	if (numbers)
		r->numbers = numbers;
	layers = realloc(r->layers, (r->n + 1) * sizeof(*r->layers));
	if (layers)
		r->layers = layers;
	if (!numbers || !layers)
		return errorf("out of memory");
	if (db_run(d, "DELETE FROM generations WHERE id = ?", "i", rows->id[i]))
		return STRATA_EREPORTED;
	r->numbers[r->n] = rows->g[i].number;
	memcpy(r->layers[r->n++], rows->layer[i], 32);
	return 0;
}

/* Whether an open restore order of mac names generation number: retention keeps it, or the
 * order would restore a generation that is gone.  1 (and 1 when unsure), or 0. */
static int restore_wants(struct db *d, const char *mac, int64_t number)
{
	sqlite3_stmt *st;
	int step;

	if (db_prepare(d, "SELECT 1 FROM restore_orders WHERE mac = ? AND generation = ? AND "
		       "ended IS NULL", "ti", &st, mac, number))
		return 1;
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	return step != SQLITE_DONE;
}

int retention_apply(struct db *d, struct retention *r, const char *part, int64_t now)
{
	struct gen_rows rows = { 0 };
	uint8_t *drop = NULL;
	int rc = rows_read(d, r->mac, part, &rows);

	if (rc == 0 && rows.n && !(drop = malloc(rows.n)))
		rc = errorf("out of memory");
	if (rc == 0 && rows.n)
		keep_choose(rows.g, rows.n, &r->policy, now, drop);
	for (size_t i = 0; rc == 0 && i < rows.n; i++)
		if (drop[i] && !restore_wants(d, r->mac, rows.g[i].number))
			rc = drop_one(d, r, &rows, i);
	free(drop);
	free(rows.g);
	free(rows.id);
	free(rows.layer);
	return rc;
}

/* Whether a generation of mac still names layer.  1, 0, or 0 when unsure (kept). */
static int layer_named(struct db *d, const char *mac, const uint8_t layer[32])
{
	sqlite3_stmt *st;
	int step;

	if (db_prepare(d, "SELECT 1 FROM generations WHERE mac = ? AND layer = ?", "tb", &st,
		       mac, layer))
		return 1;
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	return step != SQLITE_DONE;
}

/* Remove the private index file of layer of the machine mac, if no generation names it. */
static void unlink_index(struct server *s, const char *mac, const uint8_t layer[32])
{
	char dir[PRIVATE_DIR_MAX], rel[STRATA_STORE_FILE_MAX];
	char path[PRIVATE_DIR_MAX + STRATA_STORE_FILE_MAX + 2];
	uint8_t raw[6];

	if (strata_mac_parse(raw, mac, strlen(mac)) ||
	    private_store_dir(dir, sizeof(dir), s->cfg.private_dir, raw) ||
	    layer_named(s->state->db, mac, layer))
		return;
	strata_store_index_rel(rel, layer);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (unlink(path) < 0 && errno != ENOENT)
		fprintf(stderr, "retention: %s: cannot remove it: %s (the next GC removes "
			"it)\n", path, strerror(errno));
}

void retention_finish(struct server *s, struct retention *r, const char *part, int rc)
{
	for (size_t i = 0; rc == 0 && i < r->n; i++) {
		unlink_index(s, r->mac, r->layers[i]);
		fprintf(stderr, "retention: %s %s: generation %lld dropped (keep=%u "
			"keep-daily=%u)\n", r->mac, part, (long long)r->numbers[i], r->policy.keep,
			r->policy.keep_daily);
	}
	free(r->numbers);
	free(r->layers);
	r->numbers = NULL;
	r->layers = NULL;
	r->n = 0;
}
