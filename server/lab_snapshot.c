/* The dashboard's snapshot of a running server (lab_snapshot.h). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"
#include "inventory_site.h"
#include "lab_snapshot.h"
#include "rc.h"
#include "server_clock.h"
#include "text.h"

/* The profile's parts that name a store layer (the machine layer is each machine's own):
 * what a machine must have deployed to run its current gold. */
static void want_of(struct lab_tile *t, const struct inv_profile *pr)
{
	t->nwant = 0;
	for (unsigned int i = 0; i < pr->nparts; i++) {
		if (pr->parts[i].layer_kind != INV_LAYER_ID)
			continue;
		strcpy(t->want[t->nwant].label, pr->parts[i].label);
		memcpy(t->want[t->nwant++].layer, pr->parts[i].layer, 32);
	}
}

/* The rate of st's running deployment or capture, bytes/s, or -1 before a second passed. */
static double rate_of(const struct mstate *st)
{
	time_t t0 = st->capturing ? st->cap_t0 : st->dep_t0;
	uint64_t d0 = st->capturing ? st->cap_d0 : st->dep_d0;
	double secs = difftime(st->updated, t0);

	return t0 && secs >= 1 && st->done >= d0 ? (double)(st->done - d0) / secs : -1;
}

/* Copy what memory knows of st into t. */
static void copy_state(struct lab_tile *t, const struct mstate *st)
{
	t->pending = st->pending;
	t->result = st->result;
	t->done = st->done;
	t->total = st->total;
	t->mc_bytes = st->mc_bytes;
	t->repair_bytes = st->repair_bytes;
	t->updated = st->updated;
	t->capturing = st->capturing;
	t->rate = st->result == MSTATE_RUNNING ? rate_of(st) : -1;
	memcpy(t->message, st->message, sizeof(t->message));
	t->message[sizeof(t->message) - 1] = '\0';
	memcpy(t->secure_boot, st->secure_boot, sizeof(t->secure_boot));
	t->secure_boot[sizeof(t->secure_boot) - 1] = '\0';
}

/* One product's tile, its state found through ix (state_index's).  Call with the catalog,
 * extra and state locks. */
static void copy_tile(struct lab_tile *t, struct server *s, const struct product *p,
		      const struct mstate **ix)
{
	const struct inventory *inv = s->cat->inv;
	const struct inv_site *site = inv_site_get(inv, p->m->site);
	const struct mstate *st = state_index_find(s->state, ix, p->m->mac);

	memcpy(t->mac, p->m->mac, 6);
	strcpy(t->name, p->m->name);
	strcpy(t->room, p->m->room);
	strcpy(t->profile, inv->profiles[p->m->profile].name);
	if (site)
		strcpy(t->site, site->name);
	want_of(t, &inv->profiles[p->m->profile]);
	t->rate = -1;
	if (st)
		copy_state(t, st);
}

/* Take the locks a tile reads under, in the documented order (catalog, extra_lock, state),
 * and return the catalog they guard.  Every reader here goes through this pair, so the
 * order is written once. */
static struct catalog *lab_lock(struct server *s)
{
	struct catalog *c;

	pthread_rwlock_rdlock(&s->lock);
	c = s->cat;
	pthread_mutex_lock(&c->extra_lock);
	pthread_mutex_lock(&s->state->lock);
	return c;
}

/* Release what lab_lock took, in reverse order. */
static void lab_unlock(struct server *s, struct catalog *c)
{
	pthread_mutex_unlock(&s->state->lock);
	pthread_mutex_unlock(&c->extra_lock);
	pthread_rwlock_unlock(&s->lock);
}

/* Every tile, under the locks (lock order: catalog, extra_lock, state), each machine's
 * state found through an index (state_index): the locks are held for a sort, not for a
 * scan per machine.  No SQL here. */
static int copy_tiles(struct server *s, struct lab_view *v)
{
	const struct mstate **ix;
	struct catalog *c;
	int rc = 0;

	c = lab_lock(s);
	v->gen = c->gen;
	ix = state_index(s->state);
	if (!ix || !(v->t = calloc(c->n + c->nextra + 1, sizeof(v->t[0]))))
		rc = STRATA_ENOMEM;
	for (size_t i = 0; !rc && i < c->n; i++)
		copy_tile(&v->t[v->n++], s, &c->p[i], ix);
	for (size_t i = 0; !rc && i < c->nextra; i++)
		if (c->extra[i].state != PRODUCT_FAILED)
			copy_tile(&v->t[v->n++], s, &c->extra[i], ix);
	lab_unlock(s, c);
	free(ix);
	return rc;
}

static int mac_cmp(const void *a, const void *b)
{
	return memcmp(*(struct lab_tile *const *)a, *(struct lab_tile *const *)b, 6);
}

/* The tile of the MAC text smac, through by_mac (v's tiles sorted by MAC), or NULL. */
static struct lab_tile *tile_of(struct lab_tile **by_mac, size_t n, const unsigned char *smac)
{
	struct lab_tile key, *k = &key, **hit;

	if (!smac || strata_mac_parse(key.mac, (const char *)smac, strlen((const char *)smac)))
		return NULL;
	hit = bsearch(&k, by_mac, n, sizeof(*by_mac), mac_cmp);
	return hit ? *hit : NULL;
}

/* What one row of a grouped query gives the tile t. */
typedef void (*row_fn)(struct lab_tile *t, sqlite3_stmt *st);

/* Run sql (no parameters; column 0 the MAC) and give each row to fn with its tile. */
static int each_row(struct server *s, struct lab_tile **by_mac, size_t n, const char *sql,
		    row_fn fn)
{
	sqlite3_stmt *st;
	struct lab_tile *t;
	int step;

	if (db_prepare(s->state->db, sql, "", &st))
		return STRATA_EREPORTED;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if ((t = tile_of(by_mac, n, sqlite3_column_text(st, 0))))
			fn(t, st);
	sqlite3_finalize(st);
	if (step == SQLITE_DONE)
		return 0;
	return errorf("%s: cannot read the lab's records for the dashboard: %s",
		      s->state->db->path, sqlite3_errmsg(s->state->db->h));
}

static void row_capture(struct lab_tile *t, sqlite3_stmt *st)
{
	t->last_capture = (time_t)sqlite3_column_int64(st, 1);
}

static void row_key(struct lab_tile *t, sqlite3_stmt *st)
{
	if (sqlite3_column_int(st, 3))
		t->key = LAB_KEY_AWAITING;
	else if (sqlite3_column_int(st, 2))
		t->key = LAB_KEY_DIFFERS;
	else if (sqlite3_column_int(st, 1))
		t->key = LAB_KEY_PINNED;
}

static void row_deployed(struct lab_tile *t, sqlite3_stmt *st)
{
	const unsigned char *label = sqlite3_column_text(st, 1);

	if (label && sqlite3_column_bytes(st, 2) == 32)
		lab_tile_deployed(t, (const char *)label, sqlite3_column_blob(st, 2));
}

static void row_restore(struct lab_tile *t, sqlite3_stmt *st)
{
	t->restoring = 1;
}

/* The database's fields, one grouped query each, with no lock of ours held. */
static int db_fields(struct server *s, struct lab_tile **by_mac, size_t n)
{
	static const struct {
		const char *sql;
		row_fn fn;
	} q[] = {
		{ "SELECT mac, max(at) FROM generations GROUP BY mac", row_capture },
		{ "SELECT mac, pubkey IS NOT NULL, pending IS NOT NULL, awaiting FROM "
		  "machine_keys", row_key },
		{ "SELECT mac, part, layer FROM deployed", row_deployed },
		{ "SELECT r.mac FROM restore_orders r JOIN capture_tasks t ON t.id = r.task_id "
		  "WHERE r.ended IS NULL AND t.outcome = 'committed'", row_restore },
	};

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (each_row(s, by_mac, n, q[i].sql, q[i].fn))
			return STRATA_EREPORTED;
	return 0;
}

/* Query the database's fields for v's tiles (any order). */
static int query_fields(struct server *s, struct lab_view *v)
{
	struct lab_tile **by_mac = malloc((v->n + 1) * sizeof(*by_mac));
	int rc;

	if (!by_mac)
		return STRATA_ENOMEM;
	for (size_t i = 0; i < v->n; i++)
		by_mac[i] = &v->t[i];
	qsort(by_mac, v->n, sizeof(*by_mac), mac_cmp);
	rc = db_fields(s, by_mac, v->n);
	free(by_mac);
	return rc;
}

/* The database's fields of from's tiles into v's, index by index (the same layout). */
static void copy_fields(struct lab_view *v, const struct lab_view *from)
{
	for (size_t i = 0; i < v->n; i++) {
		struct lab_tile *t = &v->t[i];
		const struct lab_tile *f = &from->t[i];

		t->last_capture = f->last_capture;
		t->key = f->key;
		t->restoring = f->restoring;
		t->deployed_rows = f->deployed_rows;
		t->deployed_match = f->deployed_match;
		t->deployed_differ = f->deployed_differ;
	}
}

int lab_snapshot_from(struct server *s, struct lab_view *v, const struct lab_view *db_from)
{
	int rc = copy_tiles(s, v);

	v->now = (time_t)server_now();
	if (rc)
		return rc;
	lab_view_sort(v);
	if (db_from && lab_view_same_layout(db_from, v))
		copy_fields(v, db_from);
	else
		rc = query_fields(s, v);
	for (size_t i = 0; i < v->n; i++)
		lab_tile_settle(&v->t[i]);
	return rc;
}

int lab_snapshot(struct server *s, struct lab_view *v)
{
	return lab_snapshot_from(s, v, NULL);
}

const struct product *lab_product(const struct catalog *c, const uint8_t mac[6])
{
	for (size_t i = 0; i < c->n; i++)
		if (!memcmp(c->p[i].m->mac, mac, 6))
			return &c->p[i];
	for (size_t i = 0; i < c->nextra; i++)
		if (!memcmp(c->extra[i].m->mac, mac, 6))
			return &c->extra[i];
	return NULL;
}

/* The layers p names: the profile's, with its machine layer, into parts (*n of them). */
static void layers_of(const struct catalog *c, const struct product *p, struct lab_want *parts,
		      unsigned int *n)
{
	const struct inv_profile *pr = &c->inv->profiles[p->m->profile];

	*n = 0;
	for (unsigned int i = 0; i < pr->nparts; i++) {
		if (pr->parts[i].layer_kind == INV_LAYER_NONE)
			continue;
		strcpy(parts[*n].label, pr->parts[i].label);
		memcpy(parts[(*n)++].layer, pr->parts[i].layer_kind == INV_LAYER_ID
		       ? pr->parts[i].layer : p->layer, 32);
	}
}

/* What mac's product names: its version and its layers (the profile's, then the machine
 * layer), into parts.  1 when mac was issued the product's current version, else 0.
 * Takes the locks (catalog, extra_lock, state) and releases them. */
static int product_layers(struct server *s, const uint8_t mac[6], struct lab_want *parts,
			  unsigned int *n, uint64_t *version)
{
	const struct product *p;
	const struct mstate *st;
	struct catalog *c;
	int current = 0;

	c = lab_lock(s);
	p = lab_product(c, mac);
	st = state_find(s->state, mac);
	if (p && p->state == PRODUCT_READY && st && st->version == p->version) {
		layers_of(c, p, parts, n);
		*version = p->version;
		current = 1;
	}
	lab_unlock(s, c);
	return current;
}

int lab_snapshot_deployed(struct server *s, const uint8_t mac[6])
{
	struct lab_want parts[STRATA_MAX_PARTS];
	unsigned int n = 0;
	uint64_t version = 0;
	char smac[18];
	int rc;

	if (!product_layers(s, mac, parts, &n, &version))
		return 0;
	strata_mac_format(smac, mac);
	if ((rc = db_begin(s->state->db)))
		return rc;
	rc = db_run(s->state->db, "DELETE FROM deployed WHERE mac = ?", "t", smac);
	for (unsigned int i = 0; !rc && i < n; i++)
		rc = db_run(s->state->db, "INSERT INTO deployed (mac, part, layer, version, at) "
			    "VALUES (?, ?, ?, ?, ?)", "ttbii", smac, parts[i].label,
			    parts[i].layer, (int64_t)version, server_now());
	return db_end(s->state->db, rc);
}
