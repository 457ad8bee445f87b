/* Orders' previews (orders.h): their answer, and the previews kept for confirming. */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/random.h>
#include "crypto.h"
#include "host.h"
#include "impact.h"
#include "json_out.h"
#include "mem.h"
#include "orders.h"
#include "orders_set.h"
#include "rc.h"
#include "server_clock.h"
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


/* Whether it restores p (the machine's own, from its generations). */
static int is_restored(const struct order_req *o, const struct inv_part *p)
{
	return (o->action == ORDER_RESTORE || o->action == ORDER_REPLACE) && p->capture;
}

static int is_kept(const struct order_req *o, const struct inv_part *p)
{
	return !orders_writes(o, p) && !is_restored(o, p);
}

/* Whether pr has a partition the user's data lives in: one captured as the machine's own
 * (capture=yes) or one no deployment writes (policy=preserve). */
static int has_user_data(const struct inv_profile *pr)
{
	for (unsigned int i = 0; i < pr->nparts; i++)
		if (pr->parts[i].capture || pr->parts[i].policy == STRATA_POLICY_PRESERVE)
			return 1;
	return 0;
}

/* What becomes of the user's data: kept, overwritten (a restore puts a generation over
 * the capture=yes partitions) or none (the layout has no place for it). */
static const char *user_data(const struct order_req *o, const struct inv_profile *pr)
{
	if (!has_user_data(pr))
		return "none";
	return o->action == ORDER_RESTORE && inv_profile_captured(pr) ? "overwritten" : "kept";
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

	orders_machine_cost(s, o, m, &im);
	*total += im.bytes;
	strata_mac_format(smac, m->mac);
	fputs(first ? "{" : ", {", f);
	json_kv_str(f, "name", m->name, 1);
	json_kv_str(f, "mac", smac, 0);
	json_kv_int(f, "bytes", (int64_t)im.bytes, 0);
	json_kv_int(f, "chunks", (int64_t)im.chunks, 0);
	labels(f, "written", pr, o, orders_writes);
	labels(f, "kept", pr, o, is_kept);
	labels(f, "restored", pr, o, is_restored);
	json_kv_str(f, "user_data", user_data(o, pr), 0);
	json_kv_str(f, "note", note_of(o), 0);
	fputc('}', f);
}

void orders_refused_json(FILE *f, const struct order_set *set)
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

/* The preview's whole answer, for set resolved from o; its target is named as the audit
 * row will name it (room:R, all or the list), so a page can show what it confirms. */
static void preview_json(FILE *f, struct server *s, const struct order_req *o,
			 const struct order_set *set, const char *id, int64_t now)
{
	char target[ORDERS_LIST_MAX + 8];
	uint64_t total = 0;
	int first = 1;

	order_req_target(o, target, sizeof(target));
	fputc('{', f);
	json_kv_str(f, "preview", id, 1);
	json_kv_int(f, "expires", now + ORDERS_PREVIEW_S, 0);
	json_kv_str(f, "action", order_action_name(o->action), 0);
	json_kv_str(f, "target", target, 0);
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
	orders_refused_json(f, set);
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

		if (!k->id[0] || !strata_memeq_ct(k->id, id, 32) || k->expires < now ||
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
