/*
 * strata-server's catalog: what each machine is served, built once per inventory load,
 * and the preparer thread that makes default-profile products off the request path (see
 * server.h and catalog.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "catalog.h"
#include "crypto.h"
#include "host.h"
#include "keys.h"
#include "machine.h"
#include "store_path.h"
#include "text.h"

/* Every layer id the inventory names must be in the store. */
static int check_layers(const struct server *s, const struct inventory *inv)
{
	char path[4096], rel[STRATA_STORE_FILE_MAX];

	for (size_t i = 0; i < inv->nprofiles; i++) {
		const struct inv_profile *pr = &inv->profiles[i];

		for (unsigned int k = 0; k < pr->nparts; k++) {
			if (pr->parts[k].layer_kind != INV_LAYER_ID)
				continue;
			strata_store_index_rel(rel, pr->parts[k].layer);
			snprintf(path, sizeof(path), "%s/%s", s->cfg.store_dir, rel);
			if (access(path, R_OK) != 0)
				return errorf("%s: profile %s (line %u), part %s: layer is not in the "
					      "store %s", inv->path, pr->name, pr->line,
					      pr->parts[k].label, s->cfg.store_dir);
		}
	}
	return 0;
}

static int needs_machine_layer(const struct inv_profile *pr)
{
	for (unsigned int k = 0; k < pr->nparts; k++)
		if (pr->parts[k].layer_kind == INV_LAYER_MACHINE)
			return 1;
	return 0;
}

/*
 * The version for a manifest whose version-0 rendering hashes to content: unchanged
 * content keeps its version; anything else gets the next one.  Call with the state lock.
 */
static uint64_t next_version(struct mstate *st, const uint8_t content[32])
{
	if (st->version == 0 || memcmp(st->content, content, 32)) {
		st->version++;
		memcpy(st->content, content, 32);
	}
	return st->version;
}

/* Apply the inventory's order when it changed since last seen.  Call with the state lock. */
static void apply_order(struct mstate *st, enum inv_action order)
{
	if (order == st->inv_seen)
		return;
	st->inv_seen = order;
	st->pending = order;
}

/* The version of a product, under the state lock. */
static int product_version(struct server *s, struct product *p, const char *text, size_t len)
{
	uint8_t content[32];
	struct mstate *st;

	strata_sha256(text, len, content);
	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, p->m->mac);
	if (st) {
		p->version = next_version(st, content);
		apply_order(st, p->m->action);
	}
	pthread_mutex_unlock(&s->state->lock);
	return st ? 0 : errorf("out of memory");
}

/* The previous catalog's product for mac, to reuse what has not changed.  NULL if none. */
static const struct product *previous(const struct server *s, const uint8_t mac[6])
{
	if (!s->cat)
		return NULL;
	for (size_t i = 0; i < s->cat->n; i++)
		if (!memcmp(s->cat->p[i].m->mac, mac, 6))
			return &s->cat->p[i];
	return NULL;
}

/* True when old's signed manifest is text (len bytes) plus a signature line: its
 * signature can be reused (ECDSA signing per machine would stall the event loop on every
 * reload of a large lab). */
static int same_text(const struct product *old, const char *text, size_t len)
{
	return old && old->manifest_len > len && !memcmp(old->manifest, text, len) &&
	       !strncmp(old->manifest + len, "signature ", 10);
}

/* Number text (the manifest at version 0, MACHINE_MANIFEST_CAP bytes, borrowed) with
 * p->version and sign it into p->manifest: the previous signed text when it is the same,
 * else newly signed. */
static int sign_product(struct server *s, struct product *p, const struct product *old,
			char *text, size_t len)
{
	if (strata_manifest_renumber(text, &len, MACHINE_MANIFEST_CAP, p->version))
		return errorf("manifest for %s: cannot number it", p->m->name);
	if (!same_text(old, text, len))
		return manifest_sign_mem(s->key, s->key_len, s->cfg.key, text, len,
					 &p->manifest, &p->manifest_len);
	p->manifest = malloc(old->manifest_len);
	if (!p->manifest)
		return errorf("out of memory");
	memcpy(p->manifest, old->manifest, old->manifest_len);
	p->manifest_len = old->manifest_len;
	return 0;
}

/* Build the machine layer and signed manifest of one machine. */
static int product_build(struct server *s, const struct inventory *inv, struct product *p)
{
	const struct inv_profile *pr = &inv->profiles[p->m->profile];
	const struct product *old = previous(s, p->m->mac);
	struct machine_spec spec = { .profile = pr, .name = p->m->name,
				     .user_data_path = p->m->user_data ? p->m->user_data
								       : pr->user_data };
	char *text;
	size_t len;
	int rc;

	memcpy(spec.mac, p->m->mac, 6);
	if (needs_machine_layer(pr) &&
	    machine_layer_build(&spec, s->store, s->cfg.state_dir, old ? old->cidata_sum : NULL,
				old ? old->layer : NULL, p->cidata_sum, p->layer))
		return errorf("%s:%u: machine %s: cannot build its machine layer", inv->path,
			      p->m->line, p->m->name);
	rc = machine_manifest(&spec, p->layer, &text, &len);
	if (rc)
		return rc;
	rc = product_version(s, p, text, len);
	if (rc == 0)
		rc = sign_product(s, p, old, text, len);
	free(text);
	return rc;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->p[i].manifest);
	for (size_t i = 0; i < c->nextra; i++)
		free(c->extra[i].manifest);
	pthread_cond_destroy(&c->extra_done);
	pthread_mutex_destroy(&c->extra_lock);
	free(c->extra);
	free(c->extra_m);
	free(c->p);
	inventory_free(c->inv);
	free(c);
}

/* Build a catalog for inv (taking ownership of it). */
static int catalog_build(struct server *s, struct inventory *inv, struct catalog **out)
{
	struct catalog *c = calloc(1, sizeof(*c));

	if (!c || !(c->p = calloc(inv->nmachines + 1, sizeof(*c->p))) ||
	    !(c->extra = calloc(CATALOG_EXTRA_MAX, sizeof(*c->extra))) ||
	    !(c->extra_m = calloc(CATALOG_EXTRA_MAX, sizeof(*c->extra_m)))) {
		if (c) {
			free(c->p);
			free(c->extra);
		}
		free(c);
		inventory_free(inv);
		return errorf("out of memory");
	}
	pthread_mutex_init(&c->extra_lock, NULL);
	pthread_cond_init(&c->extra_done, NULL);
	c->inv = inv;
	for (c->n = 0; c->n < inv->nmachines; c->n++) {
		c->p[c->n].m = &inv->machines[c->n];
		if (product_build(s, inv, &c->p[c->n])) {
			c->n++;
			catalog_free(c);
			return STRATA_EREPORTED;
		}
	}
	*out = c;
	return 0;
}

int server_reload(struct server *s)
{
	struct inventory *inv;
	struct catalog *c = NULL, *old;

	if (inventory_load(s->cfg.inventory, &inv))
		return STRATA_EREPORTED;
	if (check_layers(s, inv)) {
		inventory_free(inv);
		return STRATA_EREPORTED;
	}
	if (catalog_build(s, inv, &c))
		return STRATA_EREPORTED;
	pthread_mutex_lock(&s->state->lock);
	state_save(s->state);
	pthread_mutex_unlock(&s->state->lock);
	pthread_rwlock_wrlock(&s->lock);
	old = s->cat;
	s->cat = c;
	pthread_rwlock_unlock(&s->lock);
	catalog_free(old);
	fprintf(stderr, "strata-server: %s: %zu profiles, %zu machines\n", s->cfg.inventory,
		c->inv->nprofiles, c->n);
	return 0;
}

/* The product for mac in the catalog, or NULL.  Call with the read lock. */
static struct product *find_product(struct catalog *c, const uint8_t mac[6])
{
	for (size_t i = 0; i < c->n; i++)
		if (!memcmp(c->p[i].m->mac, mac, 6))
			return &c->p[i];
	return NULL;
}

/* Apply the default action to a newly queued machine's state, so its first boot decision
 * is right before its product exists.  Call with extra_lock. */
static void queue_order(struct server *s, const struct inv_machine *m)
{
	struct mstate *st;

	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, m->mac);
	if (st)
		apply_order(st, m->action);
	pthread_mutex_unlock(&s->state->lock);
}

/* Wake the preparer: a product was queued, or it must stop. */
static void prep_signal(struct server *s, int stop)
{
	pthread_mutex_lock(&s->prep_lock);
	s->prep_wake = 1;
	s->prep_stop |= stop;
	pthread_cond_signal(&s->prep_cond);
	pthread_mutex_unlock(&s->prep_lock);
}

/* Queue (once) the product of an unknown machine under the default profile; the preparer
 * makes it.  NULL when the table is full or making it failed.  Read lock. */
static struct product *extra_product(struct server *s, const uint8_t mac[6])
{
	struct catalog *c = s->cat;
	struct product *p = NULL;
	struct inv_machine *m;
	char hex[13];

	pthread_mutex_lock(&c->extra_lock);
	for (size_t i = 0; i < c->nextra && !p; i++)
		if (!memcmp(c->extra_m[i].mac, mac, 6))
			p = &c->extra[i];
	if (p || c->nextra == CATALOG_EXTRA_MAX)
		goto out;
	m = &c->extra_m[c->nextra];
	memcpy(m->mac, mac, 6);
	strata_hex_encode(hex, mac, 6);
	snprintf(m->name, sizeof(m->name), "pc-%s", hex);
	m->profile = c->inv->default_profile;
	m->action = c->inv->default_action;
	p = &c->extra[c->nextra++];
	*p = (struct product){ .m = m, .state = PRODUCT_QUEUED };
	queue_order(s, m);
	prep_signal(s, 0);
out:
	if (p && p->state == PRODUCT_FAILED)
		p = NULL;
	pthread_mutex_unlock(&c->extra_lock);
	return p;
}

/* The first queued default-profile product, or NULL.  Read lock. */
static struct product *next_queued(struct catalog *c)
{
	struct product *p = NULL;

	pthread_mutex_lock(&c->extra_lock);
	for (size_t i = 0; i < c->nextra && !p; i++)
		if (c->extra[i].state == PRODUCT_QUEUED)
			p = &c->extra[i];
	pthread_mutex_unlock(&c->extra_lock);
	return p;
}

/* Store the state of a machine whose product was just made (the version it carries, the
 * default action), so nothing is served that a restart would not remember. */
static int save_made(struct server *s, const uint8_t mac[6])
{
	int rc;

	pthread_mutex_lock(&s->state->lock);
	rc = state_save_one(s->state, mac);
	pthread_mutex_unlock(&s->state->lock);
	return rc;
}

/* Make queued product p into a copy, store its machine's state, then publish it, so
 * requests never see it half made.  Read lock. */
static void prepare_one(struct server *s, struct product *p)
{
	struct product made = { .m = p->m };
	int rc = product_build(s, s->cat->inv, &made);

	if (rc == 0 && (rc = save_made(s, p->m->mac)))
		free(made.manifest);

	if (rc)
		fprintf(stderr, "strata-server: machine %s (default profile): cannot prepare "
			"its manifest\n", p->m->name);
	pthread_mutex_lock(&s->cat->extra_lock);
	if (rc == 0)
		*p = made;
	p->state = rc ? PRODUCT_FAILED : PRODUCT_READY;
	pthread_cond_broadcast(&s->cat->extra_done);
	pthread_mutex_unlock(&s->cat->extra_lock);
}

/* The preparer thread: make queued products until told to stop. */
static void *preparer_main(void *arg)
{
	struct server *s = arg;
	struct product *p;

	pthread_mutex_lock(&s->prep_lock);
	while (!s->prep_stop) {
		if (!s->prep_wake) {
			pthread_cond_wait(&s->prep_cond, &s->prep_lock);
			continue;
		}
		s->prep_wake = 0;
		pthread_mutex_unlock(&s->prep_lock);
		pthread_rwlock_rdlock(&s->lock);
		while ((p = next_queued(s->cat)))
			prepare_one(s, p);
		pthread_rwlock_unlock(&s->lock);
		pthread_mutex_lock(&s->prep_lock);
	}
	pthread_mutex_unlock(&s->prep_lock);
	return NULL;
}

int catalog_wait_ready(struct catalog *c, struct product *p)
{
	int ready;

	pthread_mutex_lock(&c->extra_lock);
	while (p->state == PRODUCT_QUEUED)
		pthread_cond_wait(&c->extra_done, &c->extra_lock);
	ready = p->state == PRODUCT_READY;
	pthread_mutex_unlock(&c->extra_lock);
	return ready ? 0 : STRATA_ENOENT;
}

int catalog_preparer_start(struct server *s)
{
	int rc = pthread_create(&s->preparer, NULL, preparer_main, s);

	if (rc)
		return errorf("cannot start the manifest preparer: %s", strerror(rc));
	s->preparer_running = 1;
	return 0;
}

void catalog_preparer_stop(struct server *s)
{
	if (!s->preparer_running)
		return;
	prep_signal(s, 1);
	pthread_join(s->preparer, NULL);
	s->preparer_running = 0;
}

struct product *catalog_lookup(struct server *s, const uint8_t mac[6])
{
	struct product *p = find_product(s->cat, mac);

	if (!p && s->cat->inv->default_profile >= 0)
		p = extra_product(s, mac);
	return p;
}
