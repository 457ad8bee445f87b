/* The dashboard's read routes (http_api.h). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "generations.h"
#include "json_out.h"
#include "http_api.h"
#include "http_events.h"
#include "lab_snapshot.h"
#include "http_json.h"
#include "rc.h"
#include "text.h"

/** Orders a machine's page lists, newest first; ?before=ID gives the ones before. */
#define ORDERS_PAGE 50
/** Audit rows a page gives without limit=, and at most. */
#define AUDIT_DEFAULT 100
#define AUDIT_MAX 500

/* The credential check every route here starts with: 0, or the answer queued in *ret. */
static int admit(struct MHD_Connection *c, struct req *r, struct server *s, enum MHD_Result *ret)
{
	struct who by;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		*ret = http_fail(c, r, rc, why);
	return rc;
}

/* GET /api/machines's query into q: 0, or STRATA_EINVAL with *why. */
static int machines_query(struct MHD_Connection *c, struct lab_query *q, const char **why)
{
	static const char *const keys[] = { "room", "q", "filter", "stale_days", "page", "per" };
	const char *v;

	lab_query_init(q);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = http_qfield(c, keys[i])) && lab_query_set(q, keys[i], v, why))
			return STRATA_EINVAL;
	return 0;
}

enum MHD_Result http_api_machines(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct lab_view v = { 0 };
	struct lab_query q;
	struct http_json o;
	enum MHD_Result ret;
	const char *why = "cannot read the lab's state (the server log says why)";
	int rc;

	if (admit(c, r, s, &ret))
		return ret;
	if ((rc = machines_query(c, &q, &why)))
		return http_fail(c, r, rc, why);
	v.seq = http_events_seq(s);   /* before the snapshot: later frames are not in it */
	if ((rc = lab_snapshot(s, &v)) || (rc = http_json_open(&o))) {
		lab_view_free(&v);
		return http_fail(c, r, rc, why);
	}
	lab_machines_json(o.f, &v, &q);
	lab_view_free(&v);
	return http_json_send(c, r, &o, 0, NULL);
}

/* A partition's layer: its id in hex, "machine", or null. */
static void part_layer_json(FILE *f, const struct inv_part *p)
{
	json_key(f, "layer", 0);
	if (p->layer_kind == INV_LAYER_ID)
		json_hex(f, p->layer, 32);
	else
		fputs(p->layer_kind == INV_LAYER_MACHINE ? "\"machine\"" : "null", f);
}

/* A profile's parts: [{"label","type","size","policy","layer","wipe","capture"}]. */
static void parts_json(FILE *f, const struct inv_profile *pr)
{
	fputc('[', f);
	for (unsigned int i = 0; i < pr->nparts; i++) {
		const struct inv_part *p = &pr->parts[i];

		fputs(i ? ",{" : "{", f);
		json_kv_str(f, "label", p->label, 1);
		json_kv_str(f, "type", p->type, 0);
		json_kv_int(f, "size", (int64_t)p->size, 0);
		json_kv_str(f, "policy", strata_policy_name(p->policy), 0);
		part_layer_json(f, p);
		fprintf(f, ",\"wipe\":%s,\"capture\":%s}", p->wipe ? "true" : "false",
			p->capture ? "true" : "false");
	}
	fputc(']', f);
}

/* "manifest": {"version","parts"}: what mac is served now, from the catalog (read lock
 * and extra_lock only: no SQL). */
static void manifest_json(FILE *f, struct server *s, const uint8_t mac[6])
{
	const struct product *p;
	struct catalog *cat;

	json_key(f, "manifest", 0);
	pthread_rwlock_rdlock(&s->lock);
	cat = s->cat;
	pthread_mutex_lock(&cat->extra_lock);
	p = lab_product(cat, mac);
	if (p) {
		fprintf(f, "{\"version\":%llu,\"parts\":", (unsigned long long)p->version);
		parts_json(f, &cat->inv->profiles[p->m->profile]);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	pthread_mutex_unlock(&cat->extra_lock);
	pthread_rwlock_unlock(&s->lock);
}

/* "deployed": [{"part","layer","version","at"}]: the layers smac last deployed. */
static int deployed_json(FILE *f, struct server *s, const char *smac)
{
	sqlite3_stmt *st;
	int step, n = 0;

	if (db_prepare(s->state->db, "SELECT part, layer, version, at FROM deployed WHERE mac "
		       "= ? ORDER BY part", "t", &st, smac))
		return STRATA_EREPORTED;
	json_key(f, "deployed", 0);
	fputc('[', f);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fputs(n++ ? ",{" : "{", f);
		json_kv_str(f, "part", (const char *)sqlite3_column_text(st, 0), 1);
		json_key(f, "layer", 0);
		json_hex(f, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		json_kv_int(f, "version", sqlite3_column_int64(st, 2), 0);
		json_kv_int(f, "at", sqlite3_column_int64(st, 3), 0);
		fputc('}', f);
	}
	fputc(']', f);
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : STRATA_EREPORTED;
}

/* A column that may be NULL: an integer or null. */
static void int_or_null(FILE *f, const char *key, sqlite3_stmt *st, int col)
{
	json_key(f, key, 0);
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)sqlite3_column_int64(st, col));
}

/* One order of a machine's history. */
static void order_row_json(FILE *f, sqlite3_stmt *st)
{
	json_kv_int(f, "id", sqlite3_column_int64(st, 0), 1);
	json_kv_int(f, "at", sqlite3_column_int64(st, 1), 0);
	json_kv_str(f, "by", (const char *)sqlite3_column_text(st, 2), 0);
	json_kv_str(f, "via", (const char *)sqlite3_column_text(st, 3), 0);
	json_kv_str(f, "action", (const char *)sqlite3_column_text(st, 4), 0);
	json_kv_str(f, "target", (const char *)sqlite3_column_text(st, 5), 0);
	json_kv_str(f, "outcome", (const char *)sqlite3_column_text(st, 6), 0);
	int_or_null(f, "outcome_at", st, 7);
	int_or_null(f, "seconds", st, 8);
	json_kv_str(f, "message", (const char *)sqlite3_column_text(st, 9), 0);
}

/* "orders": smac's last ORDERS_PAGE orders before id before, newest first. */
static int orders_json(FILE *f, struct server *s, const char *smac, int64_t before)
{
	sqlite3_stmt *st;
	int step, n = 0;

	if (db_prepare(s->state->db, "SELECT o.id, o.at, o.token_name, o.via, o.action, "
		       "o.target, m.outcome, m.outcome_at, m.outcome_at - o.at, m.message FROM "
		       "order_machines m JOIN orders o ON o.id = m.order_id WHERE m.mac = ? AND "
		       "o.id < ? ORDER BY o.id DESC LIMIT ?", "tii", &st, smac, before,
		       (int64_t)ORDERS_PAGE))
		return STRATA_EREPORTED;
	json_key(f, "orders", 0);
	fputc('[', f);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fputs(n++ ? ",{" : "{", f);
		order_row_json(f, st);
		fputc('}', f);
	}
	fputc(']', f);
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : STRATA_EREPORTED;
}

/* "generations": what GET /api/generations/NAME answers for it, or null. */
static void generations_member(FILE *f, struct server *s, const char *smac)
{
	char *g = NULL;

	json_key(f, "generations", 0);
	if (generations_json(s, smac, &g) == 0 && g)
		fputs(g, f);
	else
		fputs("null", f);
	free(g);
}

/* "failure": {"at","message"} of a failed machine, else null. */
static void failure_json(FILE *f, const struct lab_tile *t)
{
	json_key(f, "failure", 0);
	if (t->state != LAB_FAILED) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	json_kv_int(f, "at", (int64_t)t->updated, 1);
	json_kv_str(f, "message", t->message, 0);
	fputc('}', f);
}

/* ?before=ID of a page of orders or audit rows: 0 with *out (INT64_MAX without one). */
static int before_of(struct MHD_Connection *c, int64_t *out)
{
	const char *v = http_qfield(c, "before");
	unsigned int n;

	*out = INT64_MAX;
	if (!v)
		return 0;
	if (lab_number(v, 1, 999999999, &n))
		return STRATA_EINVAL;
	*out = n;
	return 0;
}

/* The body of a machine's page, tile i of v. */
static int machine_json(FILE *f, struct server *s, const struct lab_view *v, size_t i,
			int64_t before)
{
	char smac[18];
	int rc;

	strata_mac_format(smac, v->t[i].mac);
	fputc('{', f);
	lab_tile_fields(f, v, i);
	manifest_json(f, s, v->t[i].mac);
	rc = deployed_json(f, s, smac);
	if (!rc)
		generations_member(f, s, smac);
	if (!rc)
		rc = orders_json(f, s, smac, before);
	failure_json(f, &v->t[i]);
	fputs("}\n", f);
	return rc;
}

enum MHD_Result http_api_machine(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct lab_view v = { 0 };
	struct http_json o;
	enum MHD_Result ret;
	int64_t before;
	long i;
	int rc;

	if (admit(c, r, s, &ret))
		return ret;
	if (before_of(c, &before))
		return http_fail(c, r, STRATA_EINVAL, "before= is an order's id");
	if ((rc = lab_snapshot(s, &v)) || (rc = http_json_open(&o))) {
		lab_view_free(&v);
		return http_fail(c, r, rc, "cannot read the lab's state (the server log says why)");
	}
	if ((i = lab_view_find(&v, r->route.name)) < 0) {
		rc = STRATA_ENOENT;
	} else {
		rc = machine_json(o.f, s, &v, (size_t)i, before);
	}
	lab_view_free(&v);
	return http_json_send(c, r, &o, rc, rc == STRATA_ENOENT ? "no machine of that name"
			: "cannot read the machine's records (the server log says why)");
}

/* A captured profile's origin, read once before the catalog's lock is taken. */
struct captured {
	char name[INV_NAME_MAX + 1], machine[INV_NAME_MAX + 1], by[API_TOKEN_NAME_MAX + 1];
	int64_t at;
};

/* Every captured profile's origin into *out (owned by the caller), one query. */
static int captured_rows(struct server *s, struct captured **out, size_t *n)
{
	sqlite3_stmt *st;
	struct captured *a = NULL, *na;
	int step;

	*n = 0;
	if (db_prepare(s->state->db, "SELECT name, machine, at, token_name FROM "
		       "captured_profiles", "", &st))
		return STRATA_EREPORTED;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(na = realloc(a, (*n + 1) * sizeof(*a))))
			break;
		a = na;
		snprintf(a[*n].name, sizeof(a->name), "%s", sqlite3_column_text(st, 0));
		snprintf(a[*n].machine, sizeof(a->machine), "%s", sqlite3_column_text(st, 1));
		a[*n].at = sqlite3_column_int64(st, 2);
		snprintf(a[*n].by, sizeof(a->by), "%s", sqlite3_column_text(st, 3));
		(*n)++;
	}
	sqlite3_finalize(st);
	*out = a;
	return step == SQLITE_DONE ? 0 : (free(a), *out = NULL, STRATA_EREPORTED);
}

/* "captured": the origin of profile name among rows, or null. */
static void captured_json(FILE *f, const char *name, const struct captured *rows, size_t n)
{
	json_key(f, "captured", 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name)) {
			fputc('{', f);
			json_kv_str(f, "machine", rows[i].machine, 1);
			json_kv_int(f, "at", rows[i].at, 0);
			json_kv_str(f, "by", rows[i].by, 0);
			fputc('}', f);
			return;
		}
	fputs("null", f);
}

/* How many of cat's inventory machines have profile k. */
static size_t profile_machines(const struct catalog *cat, int k)
{
	size_t n = 0;

	for (size_t i = 0; i < cat->n; i++)
		n += cat->p[i].m->profile == k;
	return n;
}

enum MHD_Result http_api_profiles(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct captured *rows = NULL;
	const struct inventory *inv;
	size_t nrows;
	struct http_json o;
	enum MHD_Result ret;
	int rc;

	if (admit(c, r, s, &ret))
		return ret;
	if ((rc = captured_rows(s, &rows, &nrows)) || (rc = http_json_open(&o)))
		return free(rows), http_fail(c, r, rc, "cannot read the captured profiles");
	pthread_rwlock_rdlock(&s->lock);
	inv = s->cat->inv;
	fputc('[', o.f);
	for (size_t k = 0; k < inv->nprofiles; k++) {
		fputs(k ? ",{" : "{", o.f);
		json_kv_str(o.f, "name", inv->profiles[k].name, 1);
		captured_json(o.f, inv->profiles[k].name, rows, nrows);
		json_key(o.f, "parts", 0);
		parts_json(o.f, &inv->profiles[k]);
		json_kv_int(o.f, "machines", (int64_t)profile_machines(s->cat, (int)k), 0);
		fputc('}', o.f);
	}
	fputs("]\n", o.f);
	pthread_rwlock_unlock(&s->lock);
	free(rows);
	return http_json_send(c, r, &o, 0, NULL);
}

/* Whether profile pr names layer id. */
static int profile_has(const struct inv_profile *pr, const uint8_t id[32])
{
	for (unsigned int i = 0; i < pr->nparts; i++)
		if (pr->parts[i].layer_kind == INV_LAYER_ID && !memcmp(pr->parts[i].layer, id, 32))
			return 1;
	return 0;
}

/* Whether id was already listed: named by an earlier profile (k) or an earlier part of
 * profile k itself (before part j). */
static int layer_seen(const struct inventory *inv, size_t k, unsigned int j, const uint8_t id[32])
{
	for (size_t a = 0; a < k; a++)
		if (profile_has(&inv->profiles[a], id))
			return 1;
	for (unsigned int b = 0; b < j; b++)
		if (inv->profiles[k].parts[b].layer_kind == INV_LAYER_ID
		    && !memcmp(inv->profiles[k].parts[b].layer, id, 32))
			return 1;
	return 0;
}

/* ,"captured_from":{"profile","machine","at","by"}: the capture of the first captured
 * profile that names id, when one does and its row is among rows.  Catalog read lock. */
static void captured_from_json(FILE *f, const struct inventory *inv, const uint8_t id[32],
			       const struct captured *rows, size_t n)
{
	for (size_t k = 0; k < inv->nprofiles; k++) {
		if (!inv->profiles[k].captured || !profile_has(&inv->profiles[k], id))
			continue;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(rows[i].name, inv->profiles[k].name)) {
				json_key(f, "captured_from", 0);
				fputc('{', f);
				json_kv_str(f, "profile", rows[i].name, 1);
				json_kv_str(f, "machine", rows[i].machine, 0);
				json_kv_int(f, "at", rows[i].at, 0);
				json_kv_str(f, "by", rows[i].by, 0);
				fputc('}', f);
				return;
			}
	}
}

/* One layer: {"id","profiles":[..],"parts":[..],"machines"[,"captured_from"]}.  Catalog
 * read lock; rows (borrowed) the captured profiles' origins. */
static void layer_json(FILE *f, const struct catalog *cat, const uint8_t id[32], int first,
		       const struct captured *rows, size_t nrows)
{
	const struct inventory *inv = cat->inv;
	size_t machines = 0;
	int n = 0;

	fputs(first ? "{" : ",{", f);
	json_key(f, "id", 1);
	json_hex(f, id, 32);
	json_key(f, "profiles", 0);
	fputc('[', f);
	for (size_t k = 0; k < inv->nprofiles; k++)
		if (profile_has(&inv->profiles[k], id)) {
			fputs(n++ ? "," : "", f);
			json_str(f, inv->profiles[k].name);
			machines += profile_machines(cat, (int)k);
		}
	fputs("],\"parts\":[", f);
	n = 0;
	for (size_t k = 0; k < inv->nprofiles; k++)
		for (unsigned int j = 0; j < inv->profiles[k].nparts; j++)
			if (inv->profiles[k].parts[j].layer_kind == INV_LAYER_ID
			    && !memcmp(inv->profiles[k].parts[j].layer, id, 32)) {
				fputs(n++ ? "," : "", f);
				json_str(f, inv->profiles[k].parts[j].label);
			}
	fputc(']', f);
	json_kv_int(f, "machines", (int64_t)machines, 0);
	captured_from_json(f, inv, id, rows, nrows);
	fputc('}', f);
}

enum MHD_Result http_api_layers(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct captured *rows = NULL;
	const struct inventory *inv;
	struct http_json o;
	enum MHD_Result ret;
	size_t nrows;
	int rc, first = 1;

	if (admit(c, r, s, &ret))
		return ret;
	if ((rc = captured_rows(s, &rows, &nrows)) || (rc = http_json_open(&o)))
		return free(rows), http_fail(c, r, rc, "cannot read the captured profiles");
	pthread_rwlock_rdlock(&s->lock);
	inv = s->cat->inv;
	fputc('[', o.f);
	for (size_t k = 0; k < inv->nprofiles; k++)
		for (unsigned int j = 0; j < inv->profiles[k].nparts; j++) {
			const struct inv_part *p = &inv->profiles[k].parts[j];

			if (p->layer_kind != INV_LAYER_ID || layer_seen(inv, k, j, p->layer))
				continue;
			layer_json(o.f, s->cat, p->layer, first, rows, nrows);
			first = 0;
		}
	fputs("]\n", o.f);
	pthread_rwlock_unlock(&s->lock);
	free(rows);
	return http_json_send(c, r, &o, 0, NULL);
}

/* One audit row: {"id","at","by","via","target","action","machines","ok","failed","open"}. */
static void audit_row_json(FILE *f, sqlite3_stmt *st)
{
	static const char *const counts[] = { "machines", "ok", "failed", "open" };

	json_kv_int(f, "id", sqlite3_column_int64(st, 0), 1);
	json_kv_int(f, "at", sqlite3_column_int64(st, 1), 0);
	json_kv_str(f, "by", (const char *)sqlite3_column_text(st, 2), 0);
	json_kv_str(f, "via", (const char *)sqlite3_column_text(st, 3), 0);
	json_kv_str(f, "target", (const char *)sqlite3_column_text(st, 4), 0);
	json_kv_str(f, "action", (const char *)sqlite3_column_text(st, 5), 0);
	for (int k = 0; k < 4; k++)
		json_kv_int(f, counts[k], sqlite3_column_int64(st, 6 + k), 0);
}

/* The audit page: orders before id before, newest first, limit of them. */
static int audit_json(FILE *f, struct server *s, int64_t before, unsigned int limit)
{
	sqlite3_stmt *st;
	int step, n = 0;

	if (db_prepare(s->state->db, "SELECT o.id, o.at, o.token_name, o.via, o.target, "
		       "o.action, count(m.mac), count(CASE WHEN m.outcome = 'ok' THEN 1 END), "
		       "count(CASE WHEN m.outcome = 'failed' THEN 1 END), count(CASE WHEN m.mac "
		       "IS NOT NULL AND m.outcome IS NULL THEN 1 END) FROM orders o LEFT JOIN "
		       "order_machines m ON m.order_id = o.id WHERE o.id < ? GROUP BY o.id "
		       "ORDER BY o.id DESC LIMIT ?", "ii", &st, before, (int64_t)limit))
		return STRATA_EREPORTED;
	fputc('[', f);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fputs(n++ ? ",{" : "{", f);
		audit_row_json(f, st);
		fputc('}', f);
	}
	fputs("]\n", f);
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : STRATA_EREPORTED;
}

enum MHD_Result http_api_audit(struct MHD_Connection *c, struct req *r, struct server *s)
{
	const char *lim = http_qfield(c, "limit");
	unsigned int limit = AUDIT_DEFAULT;
	struct http_json o;
	enum MHD_Result ret;
	int64_t before;
	int rc;

	if (admit(c, r, s, &ret))
		return ret;
	if (before_of(c, &before) || (lim && lab_number(lim, 1, AUDIT_MAX, &limit)))
		return http_fail(c, r, STRATA_EINVAL, "before= is an order's id, limit= 1..500");
	if ((rc = http_json_open(&o)))
		return http_fail(c, r, rc, "out of memory");
	rc = audit_json(o.f, s, before, limit);
	return http_json_send(c, r, &o, rc, "cannot read the audit log (the server log says why)");
}
