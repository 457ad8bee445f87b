/* The dashboard's tiles, filters and pages (lab_view.h): pure, no locks, no I/O. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "json_out.h"
#include "lab_view.h"
#include "rc.h"
#include "text.h"

/* The rule of states (lab_view.h), in its order. */
enum lab_state lab_state_of(enum mstate_result result, int capturing, int restoring,
			    enum inv_action pending)
{
	if (result == MSTATE_FAILED)
		return LAB_FAILED;
	if (result == MSTATE_RUNNING)
		return capturing ? LAB_CAPTURING : restoring ? LAB_RESTORING : LAB_DEPLOYING;
	if (pending != INV_ACTION_NONE)
		return LAB_QUEUED;
	return LAB_IDLE;
}

const char *lab_state_name(enum lab_state s)
{
	static const char *const names[LAB_NSTATES] = {
		"failed", "capturing", "restoring", "deploying", "queued", "idle",
	};

	return (unsigned int)s < LAB_NSTATES ? names[s] : "idle";
}

void lab_query_init(struct lab_query *q)
{
	memset(q, 0, sizeof(*q));
	q->stale_days = LAB_STALE_DEFAULT;
	q->page = 1;
	q->per = LAB_PER_DEFAULT;
}

int lab_number(const char *v, unsigned int lo, unsigned int hi, unsigned int *out)
{
	unsigned long n = 0;

	if (!*v || strlen(v) > 9)
		return STRATA_EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return STRATA_EINVAL;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < lo || n > hi)
		return STRATA_EINVAL;
	*out = (unsigned int)n;
	return 0;
}

static int filter_of(const char *v, enum lab_filter *out)
{
	static const char *const names[] = {
		[LAB_F_ALL] = "all", [LAB_F_FAILED] = "failed", [LAB_F_BEHIND] = "behind",
		[LAB_F_NEVER] = "never", [LAB_F_STALE] = "stale", [LAB_F_RUNNING] = "running",
		[LAB_F_PENDING] = "pending",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i])) {
			*out = (enum lab_filter)i;
			return 0;
		}
	return STRATA_EINVAL;
}

/* q=: a part of a name, so of what a name may hold: [A-Za-z0-9-], at most INV_NAME_MAX. */
static int search_ok(const char *v)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789-";

	return strlen(v) <= INV_NAME_MAX && strspn(v, ok) == strlen(v);
}

int lab_query_set(struct lab_query *q, const char *key, const char *value, const char **why)
{
	if (!strcmp(key, "room")) {
		*why = "room= takes 1..32 of [A-Za-z0-9._-]";
		return inv_room_ok(value) ? (strcpy(q->room, value), 0) : STRATA_EINVAL;
	}
	if (!strcmp(key, "q")) {
		*why = "q= is a part of a machine name: [A-Za-z0-9-], at most 63";
		return search_ok(value) ? (strcpy(q->q, value), 0) : STRATA_EINVAL;
	}
	if (!strcmp(key, "filter")) {
		*why = "filter= is one of all, failed, behind, never, stale, running, pending";
		return filter_of(value, &q->filter);
	}
	if (!strcmp(key, "stale_days")) {
		*why = "stale_days= is a number of days, 1..3650";
		return lab_number(value, 1, 3650, &q->stale_days);
	}
	if (!strcmp(key, "page")) {
		*why = "page= is a number from 1";
		return lab_number(value, 1, 100000000, &q->page);
	}
	if (!strcmp(key, "per")) {
		*why = "per= is a number, 1..500";
		return lab_number(value, 1, LAB_PER_MAX, &q->per);
	}
	*why = "unknown query key";
	return STRATA_EINVAL;
}

void lab_tile_deployed(struct lab_tile *t, const char *label, const uint8_t layer[32])
{
	t->deployed_rows++;
	for (unsigned int i = 0; i < t->nwant; i++) {
		if (strcmp(t->want[i].label, label))
			continue;
		if (memcmp(t->want[i].layer, layer, 32))
			t->deployed_differ++;
		else
			t->deployed_match++;
		return;
	}
}

void lab_tile_settle(struct lab_tile *t)
{
	t->state = lab_state_of(t->result, t->capturing, t->restoring, t->pending);
	t->never = !t->deployed_rows && t->result == MSTATE_NONE;
	if (t->never)
		t->gold = LAB_GOLD_BEHIND;
	else if (!t->deployed_rows)
		t->gold = LAB_GOLD_UNKNOWN;
	else
		t->gold = !t->deployed_differ && t->deployed_match == t->nwant ? LAB_GOLD_CURRENT
			: LAB_GOLD_BEHIND;
}

/* Whether name holds part, in any letter case. */
static int name_has(const char *name, const char *part)
{
	size_t n = strlen(part);

	for (const char *p = name; *p; p++)
		if (!strncasecmp(p, part, n))
			return 1;
	return !*part;
}

static int filter_match(const struct lab_tile *t, const struct lab_query *q, time_t now)
{
	switch (q->filter) {
	case LAB_F_FAILED:
		return t->state == LAB_FAILED;
	case LAB_F_BEHIND:
		return t->gold == LAB_GOLD_BEHIND;
	case LAB_F_NEVER:
		return t->never;
	case LAB_F_STALE:
		return now - t->last_capture > (time_t)q->stale_days * 86400;
	case LAB_F_RUNNING:
		return t->state == LAB_CAPTURING || t->state == LAB_RESTORING
			|| t->state == LAB_DEPLOYING;
	case LAB_F_PENDING:
		return t->state == LAB_QUEUED;
	default:
		return 1;
	}
}

int lab_match(const struct lab_tile *t, const struct lab_query *q, time_t now)
{
	if (q->room[0] && strcmp(t->room, q->room))
		return 0;
	return name_has(t->name, q->q) && filter_match(t, q, now);
}

static int tile_cmp(const void *a, const void *b)
{
	const struct lab_tile *x = a, *y = b;
	int c = strcmp(x->room, y->room);

	return c ? c : strcasecmp(x->name, y->name);
}

void lab_view_sort(struct lab_view *v)
{
	if (v->n)
		qsort(v->t, v->n, sizeof(v->t[0]), tile_cmp);
}

int lab_view_same_layout(const struct lab_view *a, const struct lab_view *b)
{
	if (a->gen != b->gen || a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->t[i].mac, b->t[i].mac, 6))
			return 0;
	return 1;
}

long lab_view_find(const struct lab_view *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcasecmp(v->t[i].name, name))
			return (long)i;
	return -1;
}

/* "gold": {"current": true|false|null, "layers": "1a2b3c4d,..."}: the profile's layers,
 * each by its first 4 bytes. */
static void gold_json(FILE *f, const struct lab_tile *t)
{
	static const char *const current[] = { "null", "true", "false" };

	json_key(f, "gold", 0);
	fprintf(f, "{\"current\":%s,\"layers\":\"", current[t->gold]);
	for (unsigned int i = 0; i < t->nwant; i++) {
		fputs(i ? "," : "", f);
		for (int k = 0; k < 4; k++)
			fprintf(f, "%02x", t->want[i].layer[k]);
	}
	fputs("\"}", f);
}

/* Whether t's rate is known (running, and a second of reports), with the seconds left at
 * that rate in *eta. */
static int rate_known(const struct lab_tile *t, double *eta)
{
	int running = t->state == LAB_CAPTURING || t->state == LAB_DEPLOYING
		|| t->state == LAB_RESTORING;

	if (!running || t->rate <= 0)
		return 0;
	*eta = t->total > t->done ? (double)(t->total - t->done) / t->rate : 0.0;
	return 1;
}

/* The rate and ETA of t, "R,E" (bytes/s, seconds left) or "null,null". */
static void rate_eta(FILE *f, const struct lab_tile *t)
{
	double eta;

	if (rate_known(t, &eta))
		fprintf(f, "%.0f,%.0f", t->rate, eta);
	else
		fputs("null,null", f);
}

/* "rate" and "eta" members. */
static void rate_json(FILE *f, const struct lab_tile *t)
{
	double eta;

	if (rate_known(t, &eta))
		fprintf(f, ",\"rate\":%.0f,\"eta\":%.0f", t->rate, eta);
	else
		fputs(",\"rate\":null,\"eta\":null", f);
}

void lab_tile_row_json(FILE *f, const struct lab_view *v, size_t i)
{
	const struct lab_tile *t = &v->t[i];

	fprintf(f, "[%zu,\"%s\",%llu,%llu,", i, lab_state_name(t->state),
		(unsigned long long)t->done, (unsigned long long)t->total);
	rate_eta(f, t);
	fprintf(f, ",\"%s\"]", inv_action_name(t->pending));
}

unsigned int lab_tile_change(const struct lab_tile *a, const struct lab_tile *b)
{
	unsigned int c = 0;

	if (a->state != b->state || a->done != b->done || a->total != b->total
	    || a->pending != b->pending || (long long)a->rate != (long long)b->rate)
		c |= LAB_CHANGE_ROW;
	if (a->state != b->state || a->gold != b->gold || a->key != b->key
	    || a->never != b->never || a->last_capture != b->last_capture
	    || strcmp(a->message, b->message) || strcmp(a->secure_boot, b->secure_boot))
		c |= LAB_CHANGE_TILE;
	return c;
}

/* A time in Unix seconds, or null for 0. */
static void time_json(FILE *f, const char *key, time_t at)
{
	json_key(f, key, 0);
	if (at)
		fprintf(f, "%lld", (long long)at);
	else
		fputs("null", f);
}

void lab_tile_fields(FILE *f, const struct lab_view *v, size_t i)
{
	static const char *const keys[] = { "none", "pinned", "differs", "awaiting" };
	const struct lab_tile *t = &v->t[i];
	char smac[18];

	strata_mac_format(smac, t->mac);
	json_kv_int(f, "i", (int64_t)i, 1);
	json_kv_str(f, "name", t->name, 0);
	json_kv_str(f, "mac", smac, 0);
	json_kv_str(f, "room", t->room[0] ? t->room : NULL, 0);
	json_kv_str(f, "profile", t->profile, 0);
	json_kv_str(f, "site", t->site[0] ? t->site : NULL, 0);
	json_kv_str(f, "state", lab_state_name(t->state), 0);
	json_kv_str(f, "pending", inv_action_name(t->pending), 0);
	json_kv_int(f, "done", (int64_t)t->done, 0);
	json_kv_int(f, "total", (int64_t)t->total, 0);
	if (t->mc_bytes || t->repair_bytes) {
		json_kv_int(f, "mc_bytes", (int64_t)t->mc_bytes, 0);
		json_kv_int(f, "repair_bytes", (int64_t)t->repair_bytes, 0);
	}
	rate_json(f, t);
	gold_json(f, t);
	json_key(f, "never", 0);
	fputs(t->never ? "true" : "false", f);
	time_json(f, "last_capture", t->last_capture);
	json_kv_str(f, "secure_boot", t->secure_boot[0] ? t->secure_boot : NULL, 0);
	json_kv_str(f, "key", keys[t->key], 0);
	time_json(f, "updated", t->updated);
	json_kv_str(f, "message", t->message, 0);
}

void lab_tile_json(FILE *f, const struct lab_view *v, size_t i)
{
	fputc('{', f);
	lab_tile_fields(f, v, i);
	fputc('}', f);
}

void lab_counts_json(FILE *f, const struct lab_view *v, const char *room)
{
	size_t c[LAB_NSTATES] = { 0 }, total = 0;

	for (size_t i = 0; i < v->n; i++)
		if (!room || !strcmp(v->t[i].room, room)) {
			c[v->t[i].state]++;
			total++;
		}
	fputc('{', f);
	json_kv_int(f, "total", (int64_t)total, 1);
	for (int s = 0; s < LAB_NSTATES; s++)
		json_kv_int(f, lab_state_name((enum lab_state)s), (int64_t)c[s], 0);
	fputc('}', f);
}

/* "rooms": [{"name","counts"}], each room once (the tiles are sorted by room). */
static void rooms_json(FILE *f, const struct lab_view *v)
{
	int first = 1;

	json_key(f, "rooms", 0);
	fputc('[', f);
	for (size_t i = 0; i < v->n; i++) {
		if (i && !strcmp(v->t[i].room, v->t[i - 1].room))
			continue;
		fputs(first ? "{" : ",{", f);
		first = 0;
		json_kv_str(f, "name", v->t[i].room, 1);
		json_key(f, "counts", 0);
		lab_counts_json(f, v, v->t[i].room);
		fputc('}', f);
	}
	fputc(']', f);
}

/* "machines": the tiles that pass q, on q's page; "total": how many pass. */
static void page_json(FILE *f, const struct lab_view *v, const struct lab_query *q)
{
	size_t match = 0, from = (size_t)(q->page - 1) * q->per, shown = 0;

	json_key(f, "machines", 0);
	fputc('[', f);
	for (size_t i = 0; i < v->n; i++) {
		if (!lab_match(&v->t[i], q, v->now))
			continue;
		if (match++ >= from && shown < q->per) {
			fputs(shown++ ? "," : "", f);
			lab_tile_json(f, v, i);
		}
	}
	fputc(']', f);
	json_kv_int(f, "total", (int64_t)match, 0);
}

void lab_machines_json(FILE *f, const struct lab_view *v, const struct lab_query *q)
{
	fputc('{', f);
	json_kv_int(f, "gen", (int64_t)v->gen, 1);
	json_kv_int(f, "seq", (int64_t)v->seq, 0);
	json_kv_int(f, "page", q->page, 0);
	json_kv_int(f, "per", q->per, 0);
	json_key(f, "counts", 0);
	lab_counts_json(f, v, q->room[0] ? q->room : NULL);
	rooms_json(f, v);
	page_json(f, v, q);
	fputs("}\n", f);
}

void lab_view_free(struct lab_view *v)
{
	free(v->t);
	v->t = NULL;
	v->n = 0;
}
