/* What an order costs each machine (orders_set.h): the layers it would fetch, against the
 * ones it last deployed, through impact.h's diff. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host.h"
#include "impact.h"
#include "orders_set.h"
#include "private_store.h"
#include "store_path.h"
#include "text.h"

/** (old, new) layer pairs whose cost is remembered. */
#define COSTS_MAX 256

/*
 * The costs of layer pairs already diffed: a room of identical PCs, all last deployed
 * with the same layers, costs one diff, not one per machine.  Layers are immutable (an id
 * is its index's hash), so an entry never goes stale; a full table overwrites in turn.
 */
static struct {
	pthread_mutex_t lock;
	struct {
		uint8_t old_id[32], new_id[32];   /* old_id all zeros: none */
		struct impact im;
	} e[COSTS_MAX];
	size_t n, next;
} costs = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The remembered cost of (old_id, new_id) into *im: 1, or 0 when not known. */
static int cost_known(const uint8_t old_id[32], const uint8_t new_id[32], struct impact *im)
{
	int found = 0;

	pthread_mutex_lock(&costs.lock);
	for (size_t i = 0; !found && i < costs.n; i++)
		if (!memcmp(costs.e[i].old_id, old_id, 32) && !memcmp(costs.e[i].new_id, new_id, 32)) {
			*im = costs.e[i].im;
			found = 1;
		}
	pthread_mutex_unlock(&costs.lock);
	return found;
}

static void cost_remember(const uint8_t old_id[32], const uint8_t new_id[32],
			  const struct impact *im)
{
	pthread_mutex_lock(&costs.lock);
	memcpy(costs.e[costs.next].old_id, old_id, 32);
	memcpy(costs.e[costs.next].new_id, new_id, 32);
	costs.e[costs.next].im = *im;
	costs.next = (costs.next + 1) % COSTS_MAX;
	if (costs.n < COSTS_MAX)
		costs.n++;
	pthread_mutex_unlock(&costs.lock);
}

/* The layer last deployed to label on smac, into old: 1 found, 0 none. */
static int deployed_layer(struct server *s, const char *smac, const char *label,
			  uint8_t old[32])
{
	sqlite3_stmt *st;
	int found = 0;

	if (db_prepare(s->state->db, "SELECT layer FROM deployed WHERE mac = ? AND part = ?",
		       "tt", &st, smac, label))
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(old, sqlite3_column_blob(st, 0), 32);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* Add the cost of writing layer new_id where old_id (NULL: none) was, to *im. */
static void part_cost(struct server *s, const uint8_t *old_id, const uint8_t new_id[32],
		      struct impact *im)
{
	static const uint8_t none[32];
	const struct layer_entry *n, *o = NULL;
	struct impact c = { 0 };

	if (old_id && !memcmp(old_id, new_id, 32))
		return;
	if (!cost_known(old_id ? old_id : none, new_id, &c)) {
		if (layer_cache_get(&s->layers, new_id, &n))
			return;
		if (old_id && layer_cache_get(&s->layers, old_id, &o))
			o = NULL;
		impact_part(o ? &o->idx : NULL, &n->idx, &c);
		if (!old_id || o)     /* an old layer gone from the store may come back */
			cost_remember(old_id ? old_id : none, new_id, &c);
	}
	im->bytes += c.bytes;
	im->chunks += c.chunks;
}

/** Largest machine layer index read for a preview (a CIDATA layer's is a few KB). */
#define MACHINE_INDEX_MAX ((size_t)16 << 20)

/*
 * Add the machine layer id of mac, in full, to *im unless old_id is the same: it is made
 * for the machine alone, so no chunk of another layer stands in for it.  Read from the
 * machine's private store and opened (hash checked) here, not through the server's layer
 * cache: that cache never forgets, and a preview of a lab of thousands must not fill it
 * ahead of the machines' own requests.  The index's buffer is this function's.
 */
static void machine_layer_cost(struct server *s, const uint8_t mac[6], const uint8_t *old_id,
			       const uint8_t id[32], struct impact *im)
{
	char dir[4096], path[4096 + STRATA_STORE_FILE_MAX], rel[STRATA_STORE_FILE_MAX];
	struct strata_index idx;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (old_id && !memcmp(old_id, id, 32))
		return;
	if (private_store_dir(dir, sizeof(dir), s->cfg.private_dir, mac))
		return;
	strata_store_index_rel(rel, id);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (access(path, F_OK) || read_file(path, MACHINE_INDEX_MAX, &buf, &len))
		return;
	if (strata_layer_open(&idx, id, buf, len, NULL) == 0)
		impact_whole(&idx, im);
	free(buf);
}

int orders_writes(const struct order_req *o, const struct inv_part *p)
{
	return (o->action == ORDER_DEPLOY || o->action == ORDER_RESTORE ||
		o->action == ORDER_REPLACE) && p->layer_kind != INV_LAYER_NONE && !p->capture;
}

/* The cost of m: its written layers against the ones it last deployed (a replacement's
 * new PC has none), its machine layer in full unless it deployed that one. */
void orders_machine_cost(struct server *s, const struct order_req *o,
			 const struct order_mach *m, struct impact *im)
{
	const struct product *p = &s->cat->p[m->i];
	const struct inv_profile *pr = &s->cat->inv->profiles[p->m->profile];
	uint8_t old[32];
	char smac[18];

	strata_mac_format(smac, m->mac);
	for (unsigned int i = 0; i < pr->nparts; i++) {
		const struct inv_part *pt = &pr->parts[i];
		const uint8_t *id = pt->layer_kind == INV_LAYER_ID ? pt->layer : p->layer;
		int had = o->action != ORDER_REPLACE && deployed_layer(s, smac, pt->label, old);

		if (orders_writes(o, pt) && pt->layer_kind == INV_LAYER_MACHINE)
			machine_layer_cost(s, m->mac, had ? old : NULL, id, im);
		else if (orders_writes(o, pt))
			part_cost(s, had ? old : NULL, id, im);
	}
}
