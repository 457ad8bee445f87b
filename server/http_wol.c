/* POST /api/wake and accept-key's room= (see http_wol.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "host.h"
#include "json_out.h"
#include "http_wol.h"
#include "text.h"
#include "wol.h"

/** Longest names= list taken. */
#define WAKE_LIST_MAX 2048

/** The machines a wake names: parallel arrays of the catalog's size (owned). */
struct wake_set {
	uint8_t (*macs)[6];
	char (*names)[INV_NAME_MAX + 1];
	size_t n;
};

/* The next item of a comma-separated list at *p into one (cut to cap); advances *p.
 * 0 at the end of the list. */
static int next_item(const char **p, char *one, size_t cap)
{
	size_t len;

	while (**p == ',')
		(*p)++;
	if (!**p)
		return 0;
	len = strcspn(*p, ",");
	snprintf(one, cap, "%.*s", (int)len, *p);
	*p += len;
	return 1;
}

/* Whether item (a name or a MAC) is m. */
static int item_is(const char *item, const struct inv_machine *m)
{
	uint8_t mac[6];

	if (!strcasecmp(item, m->name))
		return 1;
	return strata_mac_parse(mac, item, strlen(item)) == 0 && !memcmp(mac, m->mac, 6);
}

/* Whether m is in list (names or MACs), or in room when list is NULL. */
static int wanted(const struct inv_machine *m, const char *list, const char *room)
{
	char one[64];

	if (!list)
		return !strcmp(m->room, room);
	for (const char *p = list; next_item(&p, one, sizeof(one));)
		if (item_is(one, m))
			return 1;
	return 0;
}

/* The first item of list naming no machine of cat, into bad; 0 when every one names
 * one.  Read lock held. */
static int unmatched(const struct catalog *cat, const char *list, char *bad, size_t cap)
{
	char one[64];

	for (const char *p = list; next_item(&p, one, sizeof(one));) {
		size_t i = 0;

		while (i < cat->n && !item_is(one, cat->p[i].m))
			i++;
		if (i == cat->n)
			return snprintf(bad, cap, "%s", one), 1;
	}
	return 0;
}

/* Fill set with the machines list (or room) names.  0, STRATA_ENOENT with bad naming
 * what matched nothing, or STRATA_ENOMEM.  Takes the read lock. */
static int resolve(struct server *s, const char *list, const char *room, struct wake_set *set,
		   char *bad, size_t cap)
{
	int rc = 0;

	pthread_rwlock_rdlock(&s->lock);
	set->macs = calloc(s->cat->n + 1, sizeof(*set->macs));
	set->names = calloc(s->cat->n + 1, sizeof(*set->names));
	if (!set->macs || !set->names)
		rc = STRATA_ENOMEM;
	else if (list && unmatched(s->cat, list, bad, cap))
		rc = STRATA_ENOENT;
	for (size_t i = 0; rc == 0 && i < s->cat->n; i++) {
		const struct inv_machine *m = s->cat->p[i].m;

		if (!wanted(m, list, room))
			continue;
		memcpy(set->macs[set->n], m->mac, 6);
		snprintf(set->names[set->n++], INV_NAME_MAX + 1, "%s", m->name);
	}
	pthread_rwlock_unlock(&s->lock);
	if (rc == 0 && !set->n) {
		snprintf(bad, cap, "in room %s", room);
		rc = STRATA_ENOENT;
	}
	return rc;
}

/* The answer: {"target","machines":[{"name","mac"}]}, a new string (NULL: no memory). */
static char *wake_json(const char *target, const struct wake_set *set, size_t *len)
{
	char *buf = NULL, smac[18];
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fputc('{', f);
	json_kv_str(f, "target", target, 1);
	fputs(",\"machines\":[", f);
	for (size_t i = 0; i < set->n; i++) {
		strata_mac_format(smac, set->macs[i]);
		fputs(i ? ",{" : "{", f);
		json_kv_str(f, "name", set->names[i], 1);
		json_kv_str(f, "mac", smac, 0);
		fputc('}', f);
	}
	fputs("]}\n", f);
	if (fclose(f))
		return free(buf), NULL;
	return buf;
}

/* names= or room= into list/room and the audit's target; 0 or STRATA_EINVAL with *why. */
static int wake_fields(struct MHD_Connection *c, struct req *r, char *list, char *room,
		       char *target, size_t cap, const char **why)
{
	const char *l = http_field(c, r, "names", list, WAKE_LIST_MAX);
	const char *rm = http_field(c, r, "room", room, INV_ROOM_MAX + 1);

	*why = "name the machines: names=A,B (names or MACs) or room=R, not both";
	if (!l == !rm)
		return STRATA_EINVAL;
	if (rm && !inv_room_ok(rm))
		return *why = "room=: 1 to 32 of A-Z a-z 0-9 . _ -", STRATA_EINVAL;
	if (l && strlen(l) >= WAKE_LIST_MAX - 1)
		return *why = "names=: too long a list; use room=R", STRATA_EINVAL;
	if (l && l != list)
		snprintf(list, WAKE_LIST_MAX, "%s", l);
	if (rm && rm != room)
		snprintf(room, INV_ROOM_MAX + 1, "%s", rm);
	if (l)
		room[0] = '\0';
	snprintf(target, cap, rm ? "room:%s" : "%s", rm ? room : list);
	return 0;
}

enum MHD_Result http_wake(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char list[WAKE_LIST_MAX], room[INV_ROOM_MAX + 1], target[WAKE_LIST_MAX + 8];
	char bad[96], msg[160];
	struct wake_set set = { 0 };
	const char *why;
	struct who by;
	size_t len;
	char *body = NULL;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	list[0] = room[0] = '\0';
	if ((rc = wake_fields(c, r, list, room, target, sizeof(target), &why)))
		return http_fail(c, r, rc, why);
	rc = resolve(s, room[0] ? NULL : list, room, &set, bad, sizeof(bad));
	snprintf(msg, sizeof(msg), "no machine of the inventory is %s", bad);
	why = rc == STRATA_ENOENT ? msg : "out of memory";
	if (rc == 0 && (rc = wol_order(s, &by, target, (const uint8_t (*)[6])set.macs, set.n)))
		why = wol_why(rc);
	if (rc == 0 && !(body = wake_json(target, &set, &len)))
		rc = STRATA_ENOMEM;
	free(set.macs);
	free(set.names);
	if (rc)
		return http_fail(c, r, rc, why);
	return http_owned(c, r, "application/json", body, len);
}

int http_room_names(struct server *s, const char *room, char *out, size_t cap)
{
	size_t used = 0;
	int n = 0, rc = 0;

	out[0] = '\0';
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; rc == 0 && i < s->cat->n; i++) {
		const struct inv_machine *m = s->cat->p[i].m;
		int w;

		if (strcmp(m->room, room))
			continue;
		w = snprintf(out + used, cap - used, "%s%s", n ? "," : "", m->name);
		if (w < 0 || (size_t)w >= cap - used)
			rc = STRATA_ERANGE;
		used += rc ? 0 : (size_t)w;
		n++;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc ? rc : n;
}
