/*
 * strata-server's catalog: what each machine is served, built once per inventory load,
 * and the preparer thread that makes default-profile products off the request path (see
 * server.h and catalog.h).
 *
 * The unknown-machine table (default-profile products) is bounded by --max-unknown.
 * Anyone can make up MACs, so a full table forgets an entry for a new machine, never at
 * the expense of a real PC's deployment.  It forgets, in this order, the least recently
 * seen of:
 *   1. machines that only asked what to boot (or whose product could not be made), whose
 *      state entries go too unless they hold a report (state_forget_unreported);
 *   2. machines whose agent reported that its deployment ended (their state, kept apart,
 *      still says so: one that comes back is not deployed again unless ordered to);
 *   3. machines deploying (manifest fetched or progress reported) but silent for
 *      DEPLOY_STALE_MS, far longer than strata.efi's 3 s between reports.
 * A product the preparer is making and a machine deploying are never forgotten; when
 * every entry is one of those, the new machine boots its local disk.  (A product only
 * queued may be forgotten: a flood of made-up MACs queues faster than the preparer makes
 * them, and the preparer makes deploying machines' products first.)  Either event is logged
 * (rate-limited), so an administrator sees the table churn.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture_done.h"
#include "catalog.h"
#include "crypto.h"
#include "db.h"
#include "host.h"
#include "inventory_site.h"
#include "keys.h"
#include "loop.h"
#include "machine.h"
#include "mcast.h"
#include "mcast_plan.h"
#include "private_store.h"
#include "replace.h"
#include "restore.h"
#include "store_path.h"
#include "text.h"

/** A deploying unknown machine silent this long may be forgotten (see above). */
#define DEPLOY_STALE_MS (10 * 60 * 1000)

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
				return pr->captured
					? errorf("captured profile %s (%s), part %s: layer is not in "
						 "the store %s", pr->name, pr->captured,
						 pr->parts[k].label, s->cfg.store_dir)
					: errorf("%s: profile %s (line %u), part %s: layer is not in "
						 "the store %s", inv->path, pr->name, pr->line,
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

/* Apply the inventory's order when it changed since last seen.  A capture is a task, not
 * the next boot's action: 1 says one is due (catalog_captures opens it once the catalog is
 * in place, and only then records it as seen, so a load that fails or a kill before it
 * leaves it due), and the pending action stays.  Call with the state lock. */
static int apply_order(struct mstate *st, enum inv_action order)
{
	enum inv_action was = st->inv_seen;

	if (order == was)
		return 0;
	if (order == INV_ACTION_CAPTURE)
		return 1;
	st->inv_seen = order;
	if (order != INV_ACTION_NONE || was != INV_ACTION_CAPTURE)
		st->pending = order;      /* deploy or enroll; none, unless after a capture */
	return 0;
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
		p->capture_due = apply_order(st, p->m->action);
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

/* Build the machine's CIDATA layer into its own private store (private_store.h).  0,
 * STRATA_ENOENT when that store cannot be opened (logged): a trouble of this machine
 * alone, which catalog_build serves no manifest for; else STRATA_EREPORTED. */
static int private_layer_build(struct server *s, const struct machine_spec *spec,
			       const struct product *old, struct product *p)
{
	struct store *st;
	int rc = private_store_open(s->cfg.private_dir, spec->mac, &st);

	if (rc)
		return STRATA_ENOENT;
	rc = machine_layer_build(spec, st, s->cfg.state_dir, old ? old->cidata_sum : NULL,
				 old ? old->layer : NULL, p->cidata_sum, p->layer);
	store_close(st);
	return rc ? STRATA_EREPORTED : 0;
}

/* The layer of generation number (0: the latest) of mac's partition part into gen: 1 when
 * there is one, 0 when none, STRATA_EREPORTED. */
static int generation_layer(struct server *s, const char *mac, const char *part,
			    int64_t number, uint8_t gen[32])
{
	sqlite3_stmt *st;
	int rc = db_prepare(s->state->db, "SELECT layer FROM generations WHERE mac = ? AND "
			    "part = ? AND (? = 0 OR number = ?3) ORDER BY number DESC LIMIT 1",
			    "tti", &st, mac, part, number);

	if (rc)
		return rc;
	rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(gen, sqlite3_column_blob(st, 0), 32);
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Fill spec's generation of each capture=yes partition (machine.h): a ready restore
 * order's, written over the disk; else the one an ended order restored, unless newer were
 * committed since; else the latest (restore.h).  0 or STRATA_EREPORTED. */
static int spec_generations(struct server *s, struct machine_spec *spec)
{
	const struct inv_profile *pr = spec->profile;
	int64_t ready, number;
	char mac[18];
	int rc;

	strata_mac_format(mac, spec->mac);
	ready = restore_ready(s, mac);
	spec->overwrite = ready > 0;
	for (unsigned int i = 0; i < pr->nparts && i < STRATA_MAX_PARTS; i++) {
		if (!pr->parts[i].capture)
			continue;
		number = ready ? ready : restore_pinned(s, mac, pr->parts[i].label);
		rc = generation_layer(s, mac, pr->parts[i].label, number, spec->gen[i]);
		if (rc < 0)
			return rc;
		spec->has_gen[i] = (uint8_t)rc;
	}
	return 0;
}

/* Build the machine layer and signed manifest of one machine.  0, STRATA_ENOENT when its
 * private store cannot be opened (logged), or STRATA_EREPORTED. */
static int product_build(struct server *s, const struct inventory *inv, struct product *p)
{
	const struct inv_profile *pr = &inv->profiles[p->m->profile];
	const struct product *old = previous(s, p->m->mac);
	const struct inv_site *site = inv_site_get(inv, p->m->site);
	struct machine_spec spec = { .profile = pr, .name = p->m->name,
				     .store = site ? site->store : NULL,
				     .user_data_path = p->m->user_data ? p->m->user_data
								       : pr->user_data };
	struct strata_multicast mc;
	uint8_t mc_layers[STRATA_MAX_PARTS][32];
	char *text;
	size_t len;
	int rc;

	memcpy(spec.mac, p->m->mac, 6);
	/* A site's machines are not on the server's segment: no multicast for them. */
	if (pr->mc.on && !site && mcast_plan_session(pr, &mc, mc_layers) == 0)
		spec.mc = &mc;
	if (spec_generations(s, &spec))
		return errorf("%s:%u: machine %s: cannot read its generations", inv->path,
			      p->m->line, p->m->name);
	if (needs_machine_layer(pr) && (rc = private_layer_build(s, &spec, old, p)))
		return rc == STRATA_ENOENT ? rc : errorf("%s:%u: machine %s: cannot build its "
							 "machine layer", inv->path, p->m->line,
							 p->m->name);
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

/* Machine p of inv, whose private store could not be opened (the line before says why,
 * naming the folder): logged, and left with no manifest until a reload or start can open
 * it, so one machine's folder (a file in its place, say) does not stop the server from
 * starting or the other machines from being served. */
static void product_unserved(const struct inventory *inv, const struct product *p)
{
	fprintf(stderr, "%s:%u: machine %s: its private store cannot be opened (the line above "
		"says why): it is served no manifest until a reload finds it usable; the other "
		"machines are served\n", inv->path, p->m->line, p->m->name);
}

/* Build a catalog for inv (taking ownership of it). */
static int catalog_build(struct server *s, struct inventory *inv, struct catalog **out)
{
	struct catalog *c = calloc(1, sizeof(*c));
	size_t cap = (size_t)s->cfg.max_unknown;
	int rc;

	if (!c || !(c->p = calloc(inv->nmachines + 1, sizeof(*c->p))) ||
	    !(c->extra = calloc(cap, sizeof(*c->extra))) ||
	    !(c->extra_m = calloc(cap, sizeof(*c->extra_m)))) {
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
	c->extra_cap = cap;
	c->inv = inv;
	for (c->n = 0; c->n < inv->nmachines; c->n++) {
		c->p[c->n].m = &inv->machines[c->n];
		rc = product_build(s, inv, &c->p[c->n]);
		if (rc == STRATA_ENOENT) {
			product_unserved(inv, &c->p[c->n]);
		} else if (rc) {
			c->n++;
			catalog_free(c);
			return STRATA_EREPORTED;
		}
	}
	*out = c;
	return 0;
}

/* The inventory with the captured profiles (capture_done.h) defined before its lines. */
static int inventory_read(struct server *s, struct inventory **inv)
{
	struct inv_profile *captured;
	size_t n;
	int rc = capture_profiles_load(s, &captured, &n);

	if (rc)
		return rc;
	rc = inventory_load_with(s->cfg.inventory, captured, n, inv);
	for (size_t i = 0; i < n; i++)
		inv_profile_done(&captured[i]);
	free(captured);
	return rc;
}

/* Open the capture tasks c's lines ordered at this load (product.capture_due), once c is
 * the server's catalog (an order names its machine through it).  Only the reload swaps the
 * catalog, so c stays valid here. */
static void catalog_captures(struct server *s, const struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].capture_due)
			capture_inventory_order(s, c->p[i].m, c->inv->path);
}

int server_reload(struct server *s)
{
	struct inventory *inv;
	struct catalog *c = NULL, *old;

	if (inventory_read(s, &inv))
		return STRATA_EREPORTED;
	if (replace_inventory(s, inv) || check_layers(s, inv)) {
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
	c->gen = old ? old->gen + 1 : 1;
	s->cat = c;
	pthread_rwlock_unlock(&s->lock);
	catalog_free(old);
	if (s->mc)
		mcast_sync(s->mc);
	catalog_captures(s, c);
	fprintf(stderr, "strata-server: %s: %zu profiles, %zu machines\n", s->cfg.inventory,
		c->inv->nprofiles, c->n);
	return 0;
}

void catalog_reload_soon(void)
{
	if (kill(getpid(), SIGHUP) != 0)
		fprintf(stderr, "strata-server: cannot ask for a reload: %s\n", strerror(errno));
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
		(void)apply_order(st, m->action);   /* a default's action is never capture */
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

/* The entry of mac among the unknown machines, or NULL.  extra_lock. */
static struct product *extra_find(struct catalog *c, const uint8_t mac[6])
{
	for (size_t i = 0; i < c->nextra; i++)
		if (!memcmp(c->extra_m[i].mac, mac, 6))
			return &c->extra[i];
	return NULL;
}

/* Which entries a full table forgets first (the rule at the top): lower first, -1 never. */
static int forget_rank(const struct product *p, uint64_t now)
{
	if (p->state == PRODUCT_MAKING)
		return -1;
	if (p->use == PRODUCT_ASKED || p->state == PRODUCT_FAILED)
		return 0;
	if (p->use == PRODUCT_DONE)
		return 1;
	return now - p->seen_ms >= DEPLOY_STALE_MS ? 2 : -1;
}

/* The entry a full table forgets for a new machine, or NULL.  extra_lock. */
static struct product *forget_pick(struct catalog *c, uint64_t now)
{
	struct product *best = NULL;
	int best_rank = 3, rank;

	for (size_t i = 0; i < c->nextra; i++) {
		rank = forget_rank(&c->extra[i], now);
		if (rank < 0 || rank > best_rank ||
		    (rank == best_rank && c->extra[i].seen_ms >= best->seen_ms))
			continue;
		best = &c->extra[i];
		best_rank = rank;
	}
	return best;
}

/* Log a full table's choice for mac: old forgotten, or (NULL) mac refused. */
static void forget_log(struct server *s, const struct product *old, const uint8_t mac[6],
		       uint64_t now)
{
	static const char *const use[] = { "only asked", "deploying", "done" };
	char smac[18], omac[18];

	if (!log_limit_allow(&s->unknown_log))
		return;
	strata_mac_format(smac, mac);
	if (!old) {
		fprintf(stderr, "strata-server: unknown-machine table full (%zu, max-unknown), "
			"every entry deploying: %s boots its local disk\n", s->cat->extra_cap, smac);
		return;
	}
	strata_mac_format(omac, old->m->mac);
	fprintf(stderr, "strata-server: unknown-machine table full (%zu, max-unknown): "
		"forgot %s (%s, %.0f s ago) for %s\n", s->cat->extra_cap, omac,
		old->state == PRODUCT_FAILED ? "not prepared" : use[old->use],
		(double)(now - old->seen_ms) / 1000, smac);
}

/* A slot for new machine mac: a free one, or one a full table forgets (logged).  NULL
 * when none may go.  extra_lock. */
static struct product *extra_slot(struct server *s, const uint8_t mac[6], uint64_t now)
{
	struct catalog *c = s->cat;
	struct product *p;

	if (c->nextra < c->extra_cap) {
		c->extra[c->nextra].m = &c->extra_m[c->nextra];
		return &c->extra[c->nextra++];
	}
	p = forget_pick(c, now);
	forget_log(s, p, mac, now);
	if (!p)
		return NULL;
	free(p->manifest);
	if (p->use == PRODUCT_ASKED) {
		pthread_mutex_lock(&s->state->lock);
		state_forget_unreported(s->state, p->m->mac);
		pthread_mutex_unlock(&s->state->lock);
		/* It fetched nothing: its CIDATA goes too, so made-up MACs leave no folders. */
		(void)private_store_remove(s->cfg.private_dir, p->m->mac);
	}
	return p;
}

/* The entry of mac among the unknown machines under the default profile, queued for the
 * preparer when new, at the site whose subnet holds addr (the address of this first
 * request; 0 unknown: no site); NULL when a full table has no room for it.  extra_lock. */
static struct product *extra_get(struct server *s, const uint8_t mac[6], uint32_t addr)
{
	struct catalog *c = s->cat;
	uint64_t now = loop_now();
	struct product *p = extra_find(c, mac);
	struct inv_machine *m;
	char hex[13];

	if (!p && (p = extra_slot(s, mac, now))) {
		m = p->m;
		*m = (struct inv_machine){ .profile = c->inv->default_profile,
					   .action = c->inv->default_action,
					   .site = addr ? inv_site_of_addr(c->inv, addr) : 0 };
		memcpy(m->mac, mac, 6);
		strata_hex_encode(hex, mac, 6);
		snprintf(m->name, sizeof(m->name), "pc-%s", hex);
		*p = (struct product){ .m = m, .state = PRODUCT_QUEUED };
		queue_order(s, m);
		prep_signal(s, 0);
	}
	if (p)
		p->seen_ms = now;
	return p;
}

/* The next queued default-profile product to make, marked as being made, or NULL: a
 * machine waiting for its manifest first, then the first queued.  Read lock. */
static struct product *next_queued(struct catalog *c)
{
	struct product *p = NULL;

	pthread_mutex_lock(&c->extra_lock);
	for (size_t i = 0; i < c->nextra; i++) {
		if (c->extra[i].state != PRODUCT_QUEUED || (p && p->use == PRODUCT_DEPLOYING))
			continue;
		if (!p || c->extra[i].use == PRODUCT_DEPLOYING)
			p = &c->extra[i];
	}
	if (p)
		p->state = PRODUCT_MAKING;
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
	made.use = p->use;
	made.seen_ms = p->seen_ms;
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

/* The unknown machines' table applies: no inventory machine has mac, and unknown ones get
 * the default profile. */
static int default_applies(struct server *s, const uint8_t mac[6])
{
	return !find_product(s->cat, mac) && s->cat->inv->default_profile >= 0;
}

int catalog_name(struct server *s, const uint8_t mac[6], uint32_t addr, char *name,
		 size_t cap)
{
	struct product *p = find_product(s->cat, mac);
	int known;

	if (p) {
		snprintf(name, cap, "%s", p->m->name);
		return 1;
	}
	if (!default_applies(s, mac))
		return 0;
	pthread_mutex_lock(&s->cat->extra_lock);
	p = extra_get(s, mac, addr);
	known = p && p->state != PRODUCT_FAILED;
	if (known)
		snprintf(name, cap, "%s", p->m->name);
	pthread_mutex_unlock(&s->cat->extra_lock);
	return known;
}

/* Withhold p's manifest: it was made for a MAC a takeover has moved (catalog_takeover).
 * Its machine layer's id stays, so a collection keeps that layer until the reload; its
 * volume's sum goes, so the reload never takes that layer for the new MAC's. */
static void withhold(struct product *p)
{
	free(p->manifest);
	p->manifest = NULL;
	p->manifest_len = 0;
	memset(p->cidata_sum, 0, sizeof(p->cidata_sum));
}

/* Whether mac is one of a takeover's two MACs. */
static int either(const uint8_t mac[6], const uint8_t a[6], const uint8_t b[6])
{
	return !memcmp(mac, a, 6) || !memcmp(mac, b, 6);
}

void catalog_takeover(struct server *s, const uint8_t old_mac[6], const uint8_t new_mac[6])
{
	struct catalog *c = s->cat;

	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (!either(c->p[i].m->mac, old_mac, new_mac))
			continue;
		memcpy(c->p[i].m->mac, new_mac, 6);
		withhold(&c->p[i]);
	}
	pthread_mutex_lock(&c->extra_lock);
	for (size_t i = 0; i < c->nextra; i++) {
		if (!either(c->extra_m[i].mac, old_mac, new_mac))
			continue;
		withhold(&c->extra[i]);
		c->extra[i].state = PRODUCT_FAILED;   /* served as unknown; none is being made:
						 * the preparer makes under the read lock */
		c->extra[i].use = PRODUCT_DONE;       /* forgotten without its folder */
	}
	pthread_mutex_unlock(&c->extra_lock);
}

/* A copy of p's manifest, or NULL (none withheld by a takeover). */
static char *manifest_copy(const struct product *p, size_t *len)
{
	char *out = p->manifest ? malloc(p->manifest_len) : NULL;

	if (out) {
		memcpy(out, p->manifest, p->manifest_len);
		*len = p->manifest_len;
	}
	return out;
}

/* Deploying entries are never forgotten, so p is still mac's when the preparer is done
 * (checked all the same). */
char *catalog_manifest(struct server *s, const uint8_t mac[6], size_t *len)
{
	struct catalog *c = s->cat;
	struct product *p = find_product(c, mac);
	char *out = NULL;

	if (p || !default_applies(s, mac))
		return p ? manifest_copy(p, len) : NULL;
	pthread_mutex_lock(&c->extra_lock);
	p = extra_get(s, mac, 0);
	if (p)
		p->use = PRODUCT_DEPLOYING;
	while (p && (p->state == PRODUCT_QUEUED || p->state == PRODUCT_MAKING))
		pthread_cond_wait(&c->extra_done, &c->extra_lock);
	if (p && p->state == PRODUCT_READY && !memcmp(p->m->mac, mac, 6))
		out = manifest_copy(p, len);
	pthread_mutex_unlock(&c->extra_lock);
	return out;
}

int catalog_restorable(struct server *s, const uint8_t mac[6])
{
	static const char word[] = " policy=restore";
	const struct product *p = find_product(s->cat, mac);

	return p && p->manifest &&
	       memmem(p->manifest, p->manifest_len, word, sizeof(word) - 1) != NULL;
}

unsigned int catalog_site(struct server *s, const uint8_t mac[6])
{
	struct product *p = find_product(s->cat, mac);
	unsigned int site = p ? p->m->site : 0;

	if (p || !default_applies(s, mac))
		return site;
	pthread_mutex_lock(&s->cat->extra_lock);
	p = extra_find(s->cat, mac);
	site = p ? p->m->site : 0;
	pthread_mutex_unlock(&s->cat->extra_lock);
	return site;
}

void catalog_reported(struct server *s, const uint8_t mac[6], int final)
{
	struct product *p;

	if (!default_applies(s, mac))
		return;
	pthread_mutex_lock(&s->cat->extra_lock);
	p = extra_find(s->cat, mac);
	if (p) {
		p->use = final ? PRODUCT_DONE : PRODUCT_DEPLOYING;
		p->seen_ms = loop_now();
	}
	pthread_mutex_unlock(&s->cat->extra_lock);
}
