/* Orders' previews (orders.h): each machine's cost, and the previews kept for confirming. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/random.h>
#include <unistd.h>
#include "crypto.h"
#include "host.h"
#include "impact.h"
#include "json_out.h"
#include "orders.h"
#include "orders_set.h"
#include "private_store.h"
#include "rc.h"
#include "server_clock.h"
#include "store_path.h"
#include "text.h"

/* One preview kept for confirming. */
struct preview {
	char id[33];                /* 32 hex digits; "" for a free slot */
	struct who by;
	struct order_req o;
	uint64_t gen;
	uint8_t lab[32];
	int64_t expires;
};

/*
 * The previews kept: a fixed table, process-wide.  Why not in struct server: a preview
 * lives 5 minutes and only in memory (a restart drops it, and the admin previews again),
 * and one lock around 64 slots is all it needs.
 */
static struct {
	pthread_mutex_t lock;
	struct preview p[ORDERS_PREVIEWS];
} kept = { .lock = PTHREAD_MUTEX_INITIALIZER };

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

/* A JSON array of the labels of pr's parts that pass keep(o, part). */
static void labels(FILE *f, const char *key, const struct inv_profile *pr,
		   const struct order_req *o,
		   int (*keep)(const struct order_req *, const struct inv_part *))
{
	int first = 1;

	json_key(f, key, 0);
	fputc('[', f);
	for (unsigned int i = 0; i < pr->nparts; i++)
		if (keep(o, &pr->parts[i])) {
			fputs(first ? "" : ", ", f);
			json_str(f, pr->parts[i].label);
			first = 0;
		}
	fputc(']', f);
}

/* Whether the order writes part p from the store (deploy, restore, replace). */
static int is_written(const struct order_req *o, const struct inv_part *p)
{
	return (o->action == ORDER_DEPLOY || o->action == ORDER_RESTORE ||
		o->action == ORDER_REPLACE) && p->layer_kind != INV_LAYER_NONE && !p->capture;
}

/* Whether it restores p (the machine's own, from its generations). */
static int is_restored(const struct order_req *o, const struct inv_part *p)
{
	return (o->action == ORDER_RESTORE || o->action == ORDER_REPLACE) && p->capture;
}

static int is_kept(const struct order_req *o, const struct inv_part *p)
{
	return !is_written(o, p) && !is_restored(o, p);
}

/* What becomes of the user's data (capture=yes partitions): kept, overwritten or none. */
static const char *user_data(const struct order_req *o, const struct inv_profile *pr)
{
	if (!inv_profile_captured(pr))
		return "none";
	return o->action == ORDER_RESTORE ? "overwritten" : "kept";
}

/* The cost of m: its written layers against the ones it last deployed (a replacement's
 * new PC has none), its machine layer in full unless it deployed that one. */
static void machine_cost(struct server *s, const struct order_req *o,
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

		if (is_written(o, pt) && pt->layer_kind == INV_LAYER_MACHINE)
			machine_layer_cost(s, m->mac, had ? old : NULL, id, im);
		else if (is_written(o, pt))
			part_cost(s, had ? old : NULL, id, im);
	}
}

/* What the preview says of m beside its numbers. */
static const char *note_of(const struct order_req *o)
{
	switch (o->action) {
	case ORDER_DEPLOY:
		return "an estimate: chunks the disk already holds at the same place are not "
		       "fetched; a disk changed since its last deployment costs more";
	case ORDER_CAPTURE:
		return o->as[0] ? "a gold capture: the PC uploads its partitions as the profile"
				: "a machine capture of its capture=yes partitions";
	case ORDER_RESTORE:
		return "its capture=yes partitions are captured first, then restored to the "
		       "generation from its private store (those bytes are not counted)";
	case ORDER_REPLACE:
		return "the new PC takes the machine's name, layers and generations";
	case ORDER_BOOT_LOCAL:
		return "its pending order is cleared: it boots from its disk";
	case ORDER_CANCEL:
		return "ends its pending order, its open capture task (so an open restore never "
		       "becomes ready) and the orders scheduled for it by name";
	case ORDER_WAKE:
		return "Wake-on-LAN";
	default:
		return "accepts the key it presented";
	}
}

/* One machine of the preview. */
static void machine_json(FILE *f, struct server *s, const struct order_req *o,
			 const struct order_mach *m, int first, uint64_t *total)
{
	const struct inv_profile *pr = &s->cat->inv->profiles[s->cat->p[m->i].m->profile];
	struct impact im = { 0 };
	char smac[18];

	machine_cost(s, o, m, &im);
	*total += im.bytes;
	strata_mac_format(smac, m->mac);
	fputs(first ? "{" : ", {", f);
	json_kv_str(f, "name", m->name, 1);
	json_kv_str(f, "mac", smac, 0);
	json_kv_int(f, "bytes", (int64_t)im.bytes, 0);
	json_kv_int(f, "chunks", (int64_t)im.chunks, 0);
	labels(f, "written", pr, o, is_written);
	labels(f, "kept", pr, o, is_kept);
	labels(f, "restored", pr, o, is_restored);
	json_kv_str(f, "user_data", user_data(o, pr), 0);
	json_kv_str(f, "note", note_of(o), 0);
	fputc('}', f);
}

/* "refused": [{"name","why"}] of set. */
static void refused_json(FILE *f, const struct order_set *set)
{
	int first = 1;

	json_key(f, "refused", 0);
	fputc('[', f);
	for (size_t k = 0; k < set->n; k++)
		if (set->m[k].why) {
			fputs(first ? "{" : ", {", f);
			json_kv_str(f, "name", set->m[k].name, 1);
			json_kv_str(f, "why", set->m[k].why, 0);
			fputc('}', f);
			first = 0;
		}
	fputc(']', f);
}

/* Keep a preview of o in a free or expired slot (else the oldest): its id into id. */
static int keep_preview(const struct order_req *o, const struct who *by,
			const struct order_set *set, int64_t now, char id[33])
{
	uint8_t raw[16];
	struct preview *slot = &kept.p[0];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return errorf("cannot draw a preview id: %s", strerror(errno));
	strata_hex_encode(id, raw, sizeof(raw));
	pthread_mutex_lock(&kept.lock);
	for (size_t i = 0; i < ORDERS_PREVIEWS && slot->id[0]; i++)
		if (!kept.p[i].id[0] || kept.p[i].expires < slot->expires)
			slot = &kept.p[i];
	memcpy(slot->id, id, 33);
	slot->by = *by;
	slot->o = *o;
	slot->gen = set->gen;
	memcpy(slot->lab, set->lab, 32);
	slot->expires = now + ORDERS_PREVIEW_S;
	pthread_mutex_unlock(&kept.lock);
	return 0;
}

/* The preview's whole answer, for set resolved from o. */
static void preview_json(FILE *f, struct server *s, const struct order_req *o,
			 const struct order_set *set, const char *id, int64_t now)
{
	uint64_t total = 0;
	int first = 1;

	fputc('{', f);
	json_kv_str(f, "preview", id, 1);
	json_kv_int(f, "expires", now + ORDERS_PREVIEW_S, 0);
	json_kv_str(f, "action", order_action_name(o->action), 0);
	json_key(f, "at", 0);
	if (o->at)
		fprintf(f, "%lld", (long long)o->at);
	else
		fputs("null", f);
	json_key(f, "wake", 0);
	fputs(o->wake ? "true" : "false", f);
	json_key(f, "machines", 0);
	fputc('[', f);
	for (size_t k = 0; k < set->n; k++)
		if (!set->m[k].why) {
			machine_json(f, s, o, &set->m[k], first, &total);
			first = 0;
		}
	fputc(']', f);
	json_kv_int(f, "total_bytes", (int64_t)total, 0);
	refused_json(f, set);
	fputs("}\n", f);
}

int orders_preview(struct server *s, const struct order_req *o, const struct who *by,
		   FILE *f)
{
	struct order_set set;
	int64_t now = server_now();
	char id[33];
	int rc;

	pthread_rwlock_rdlock(&s->lock);
	rc = orders_set_resolve(s, o, &set);
	if (rc == 0)
		rc = keep_preview(o, by, &set, now, id);
	if (rc == 0)
		preview_json(f, s, o, &set, id, now);
	pthread_rwlock_unlock(&s->lock);
	orders_set_free(&set);
	return rc;
}

/* The lab as o sees it now: its generation and digest, into gen and lab. */
static int lab_now(struct server *s, const struct order_req *o, uint64_t *gen, uint8_t lab[32])
{
	struct order_set set;
	int rc;

	pthread_rwlock_rdlock(&s->lock);
	rc = orders_set_resolve(s, o, &set);
	pthread_rwlock_unlock(&s->lock);
	if (rc)
		return rc;
	*gen = set.gen;
	memcpy(lab, set.lab, 32);
	orders_set_free(&set);
	return 0;
}

/* Take the preview id of by out of the table, into *p.  0 or STRATA_ENOENT. */
static int take(const char *id, const struct who *by, int64_t now, struct preview *p)
{
	int rc = STRATA_ENOENT;

	if (strlen(id) != 32)
		return rc;
	pthread_mutex_lock(&kept.lock);
	for (size_t i = 0; i < ORDERS_PREVIEWS; i++) {
		struct preview *k = &kept.p[i];

		if (!k->id[0] || strcmp(k->id, id) || k->expires < now ||
		    strcmp(k->by.name, by->name) || k->by.via != by->via)
			continue;
		*p = *k;
		k->id[0] = '\0';
		rc = 0;
	}
	pthread_mutex_unlock(&kept.lock);
	return rc;
}

int orders_take_preview(struct server *s, const char *id, const struct who *by,
			struct order_req *o)
{
	struct preview p;
	uint8_t lab[32];
	uint64_t gen;
	int rc = take(id, by, server_now(), &p);

	if (rc)
		return rc;
	*o = p.o;
	rc = lab_now(s, o, &gen, lab);
	if (rc)
		return rc;
	return gen != p.gen || memcmp(lab, p.lab, 32) ? STRATA_ESTALE : 0;
}
