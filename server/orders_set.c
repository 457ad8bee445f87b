/* The machines an order names (orders_set.h). */
#include <stdlib.h>
#include <string.h>
#include "capture_task.h"
#include "crypto.h"
#include "orders_set.h"
#include "rc.h"
#include "state.h"
#include "text.h"

/* Append a machine (i, or SIZE_MAX with name the unmatched item) unless its MAC is in. */
static void add(struct order_set *set, size_t i, const uint8_t mac[6], const char *name,
		const char *why)
{
	struct order_mach *m;

	for (size_t k = 0; mac && k < set->n; k++)
		if (set->m[k].i != SIZE_MAX && !memcmp(set->m[k].mac, mac, 6))
			return;
	if (set->n >= set->cap)   /* cannot happen: orders_set_resolve sizes it (set_cap) */
		return;
	m = &set->m[set->n++];
	m->i = i;
	memset(m->mac, 0, 6);
	if (mac)
		memcpy(m->mac, mac, 6);
	snprintf(m->name, sizeof(m->name), "%.*s", (int)sizeof(m->name) - 1, name);
	m->why = why;
}

/* The catalog index of mac (an inventory machine's).  SIZE_MAX when none. */
static size_t index_of(const struct catalog *c, const uint8_t mac[6])
{
	for (size_t i = 0; i < c->n; i++)
		if (!memcmp(c->p[i].m->mac, mac, 6))
			return i;
	return SIZE_MAX;
}

/* machines=a,b: each item through server_match (a name or a MAC). */
static int add_list(struct server *s, const char *list, struct order_set *set)
{
	uint8_t (*macs)[6] = calloc(s->cat->n + 1, sizeof(*macs));
	char item[ORDERS_LIST_MAX];
	const char *p = list;

	if (!macs)
		return STRATA_ENOMEM;
	while (*p) {
		size_t len = strcspn(p, ","), n;

		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		n = server_match(s, item, macs, NULL);
		if (!n)
			add(set, SIZE_MAX, NULL, item, "no such machine in the inventory");
		for (size_t k = 0; k < n; k++) {
			size_t i = index_of(s->cat, macs[k]);

			add(set, i, macs[k], s->cat->p[i].m->name, NULL);
		}
		p += len + (p[len] == ',');
	}
	free(macs);
	return 0;
}

/* Why a capture or restore refuses machine m (a DB read), or NULL. */
static const char *task_why(struct server *s, const struct order_req *o,
			    const struct order_mach *m)
{
	const struct inv_machine *im = s->cat->p[m->i].m;
	const struct inv_profile *pr = &s->cat->inv->profiles[im->profile];
	struct capture_task t;
	char smac[18];

	strata_mac_format(smac, m->mac);
	if (capture_task_of_mac(s, smac, &t) == 0)
		return "it has an open capture task: cancel it first (action=cancel)";
	if ((o->action == ORDER_RESTORE || (o->action == ORDER_CAPTURE && !o->as[0])) &&
	    !inv_profile_captured(pr))
		return "its profile marks no partition capture=yes";
	return NULL;
}

/* The checks each machine's own order would make; refusals go to its why. */
static void check(struct server *s, const struct order_req *o, struct order_set *set)
{
	int one = o->action == ORDER_CAPTURE || o->action == ORDER_RESTORE ||
		  o->action == ORDER_REPLACE;

	set->taken = 0;
	for (size_t k = 0; k < set->n; k++)
		set->taken += !set->m[k].why;
	for (size_t k = 0; k < set->n; k++) {
		struct order_mach *m = &set->m[k];

		if (m->why)
			continue;
		if (one && set->taken > 1)
			m->why = "a capture, restore or replacement takes one machine: name one";
		else if (o->action == ORDER_CAPTURE || o->action == ORDER_RESTORE)
			m->why = task_why(s, o, m);
		else if (o->action == ORDER_REPLACE && !memcmp(o->mac, m->mac, 6))
			m->why = "mac= is the machine's own MAC: name the new PC's";
	}
	set->taken = 0;
	for (size_t k = 0; k < set->n; k++)
		set->taken += !set->m[k].why;
}

/* What binds a preview to the lab: the catalog's generation, and each machine's MAC,
 * refusal, pending order, manifest version and last result.  Takes the state lock. */
static void lab_digest(struct server *s, struct order_set *set)
{
	struct strata_sha256 h;

	strata_sha256_init(&h);
	strata_sha256_update(&h, &set->gen, sizeof(set->gen));
	pthread_mutex_lock(&s->state->lock);
	for (size_t k = 0; k < set->n; k++) {
		const struct order_mach *m = &set->m[k];
		const struct mstate *st = m->i == SIZE_MAX ? NULL : state_find(s->state, m->mac);
		int64_t v[3] = { st ? (int64_t)st->pending : -1, st ? (int64_t)st->version : -1,
				 st ? (int64_t)st->result : -1 };

		strata_sha256_update(&h, m->name, strlen(m->name) + 1);
		strata_sha256_update(&h, m->why ? m->why : "", strlen(m->why ? m->why : "") + 1);
		strata_sha256_update(&h, v, sizeof(v));
	}
	pthread_mutex_unlock(&s->state->lock);
	strata_sha256_final(&h, set->lab);
}

/* The most entries o can make: each item of a machines= list adds at most one unmatched
 * entry, and matched machines, deduplicated by MAC, are at most the catalog's (an item
 * like "all" matches every one of them). */
static size_t set_cap(const struct catalog *c, const struct order_req *o)
{
	size_t items = o->machines[0] ? 1 : 0;

	for (const char *p = o->machines; *p; p++)
		items += *p == ',';
	return c->n + items + 1;
}

int orders_set_resolve(struct server *s, const struct order_req *o, struct order_set *set)
{
	const struct catalog *c = s->cat;
	int rc = 0;

	memset(set, 0, sizeof(*set));
	set->gen = c->gen;
	set->cap = set_cap(c, o);
	if (!(set->m = calloc(set->cap, sizeof(*set->m))))
		return STRATA_ENOMEM;
	if (o->machines[0])
		rc = add_list(s, o->machines, set);
	for (size_t i = 0; !o->machines[0] && i < c->n; i++)
		if (o->all || !strcmp(c->p[i].m->room, o->room))
			add(set, i, c->p[i].m->mac, c->p[i].m->name, NULL);
	if (rc) {
		orders_set_free(set);
		return rc;
	}
	check(s, o, set);
	lab_digest(s, set);
	return 0;
}

void orders_set_free(struct order_set *set)
{
	free(set->m);
	set->m = NULL;
	set->n = set->taken = 0;
}
