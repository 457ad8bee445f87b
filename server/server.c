/*
 * strata-server's catalog, machine state and boot decisions (see server.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "crypto.h"
#include "host.h"
#include "keys.h"
#include "machine.h"
#include "pxe_scripts.h"
#include "server.h"
#include "store_path.h"
#include "text.h"

void server_token(const struct server *s, const uint8_t mac[6], char out[17])
{
	uint8_t buf[64 + 6], d[32];

	memcpy(buf, s->secret, 64);
	memcpy(buf + 64, mac, 6);
	strata_sha256(buf, sizeof(buf), d);
	strata_hex_encode(out, d, 8);
}

/* Read STATE/secret, or create it from the kernel's random generator. */
static int load_secret(struct server *s)
{
	char path[4096];
	uint8_t raw[32], *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/secret", s->cfg.state_dir);
	if (access(path, F_OK) == 0) {
		if (read_file(path, 64, &buf, &len))
			return STRATA_EREPORTED;
		if (len != 64)
			return free(buf), errorf("%s: expected 64 hex digits", path);
		memcpy(s->secret, buf, 64);
		s->secret[64] = '\0';
		free(buf);
		return 0;
	}
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return errorf("cannot get random bytes for %s", path);
	strata_hex_encode(s->secret, raw, 32);
	return write_file_atomic(path, s->secret, 64, 0600, 1);
}

/* Create the key on first start, then hold it in memory: after the server drops its
 * privileges it may no longer be able to read the file, and reloads must still sign. */
static int ensure_key(struct server *s)
{
	if (access(s->cfg.key, F_OK) != 0) {
		fprintf(stderr, "strata-server: creating signing key %s (strata.efi trusts "
			"%s.pub)\n", s->cfg.key, s->cfg.key);
		if (key_generate(s->cfg.key))
			return STRATA_EREPORTED;
	}
	return read_file(s->cfg.key, 65536, &s->key, &s->key_len);
}

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

static void catalog_free(struct catalog *c)
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

/* Make queued product p into a copy, then publish it, so requests never see it half
 * made.  Read lock. */
static void prepare_one(struct server *s, struct product *p)
{
	struct product made = { .m = p->m };
	int rc = product_build(s, s->cat->inv, &made);

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

/* Wait until p is no longer queued; 0 when it is ready.  Read lock. */
static int wait_ready(struct catalog *c, struct product *p)
{
	int ready;

	pthread_mutex_lock(&c->extra_lock);
	while (p->state == PRODUCT_QUEUED)
		pthread_cond_wait(&c->extra_done, &c->extra_lock);
	ready = p->state == PRODUCT_READY;
	pthread_mutex_unlock(&c->extra_lock);
	return ready ? 0 : STRATA_ENOENT;
}

/* Start the preparer thread. */
static int preparer_start(struct server *s)
{
	int rc = pthread_create(&s->preparer, NULL, preparer_main, s);

	if (rc)
		return errorf("cannot start the manifest preparer: %s", strerror(rc));
	s->preparer_running = 1;
	return 0;
}

/* Stop the preparer (it finishes the product it is making) and wait for it. */
static void preparer_stop(struct server *s)
{
	if (!s->preparer_running)
		return;
	prep_signal(s, 1);
	pthread_join(s->preparer, NULL);
	s->preparer_running = 0;
}

/* The catalog lock prefers readers (glibc's default, said here because it matters): a
 * request waiting for the preparer holds a read lock, and the preparer must get its own
 * even while a reload waits to write. */
static void catalog_lock_init(struct server *s)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_READER_NP);
	pthread_rwlock_init(&s->lock, &a);
	pthread_rwlockattr_destroy(&a);
}

int server_open(struct server *s)
{
	catalog_lock_init(s);
	pthread_mutex_init(&s->prep_lock, NULL);
	pthread_cond_init(&s->prep_cond, NULL);
	layer_cache_init(&s->layers, s->cfg.store_dir, s->cfg.machine_store_dir);
	if (mkdir(s->cfg.state_dir, 0700) < 0 && errno != EEXIST)
		return errorf("%s: %s", s->cfg.state_dir, strerror(errno));
	if (access(s->cfg.store_dir, R_OK | X_OK) != 0)
		return errorf("%s: cannot read the store: %s", s->cfg.store_dir, strerror(errno));
	if (store_open(s->cfg.machine_store_dir, 1, &s->store))
		return STRATA_EREPORTED;
	if (state_open(s->cfg.state_dir, &s->state) || load_secret(s) || ensure_key(s))
		return STRATA_EREPORTED;
	if (server_reload(s))
		return STRATA_EREPORTED;
	return preparer_start(s);
}

void server_close(struct server *s)
{
	preparer_stop(s);
	catalog_free(s->cat);
	s->cat = NULL;
	state_close(s->state);
	store_close(s->store);
	free(s->key);
	layer_cache_free(&s->layers);
	pthread_cond_destroy(&s->prep_cond);
	pthread_mutex_destroy(&s->prep_lock);
	pthread_rwlock_destroy(&s->lock);
}

/* The product serving mac: known, default-profile, or NULL (boot locally). */
static struct product *lookup(struct server *s, const uint8_t mac[6])
{
	struct product *p = find_product(s->cat, mac);

	if (!p && s->cat->inv->default_profile >= 0)
		p = extra_product(s, mac);
	return p;
}

/* Replace @KEY@ markers in a template; returns a new string. */
static char *render(const char *tpl, const char *const kv[][2], size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	while (*tpl) {
		size_t k;

		for (k = 0; k < n; k++) {
			size_t kl = strlen(kv[k][0]);

			if (!strncmp(tpl, kv[k][0], kl)) {
				fputs(kv[k][1], f);
				tpl += kl;
				break;
			}
		}
		if (k == n)
			fputc(*tpl++, f);
	}
	fclose(f);
	return out;
}

char *server_entry_script(struct server *s)
{
	const char *const kv[][2] = { { "@SERVER@", s->cfg.url } };

	return render(pxe_boot_ipxe, kv, 1);
}

/* The pending action of mac and its name; logs the boot decision. */
static enum inv_action decide(struct server *s, const uint8_t mac[6], char *name, size_t cap)
{
	enum inv_action pending = INV_ACTION_NONE;
	struct product *p;
	struct mstate *st;
	char smac[18];

	strata_mac_format(smac, mac);
	snprintf(name, cap, "unknown");
	pthread_rwlock_rdlock(&s->lock);
	p = lookup(s, mac);
	if (p)
		snprintf(name, cap, "%s", p->m->name);
	pthread_rwlock_unlock(&s->lock);
	pthread_mutex_lock(&s->state->lock);
	if (p && (st = state_get(s->state, mac)))
		pending = st->pending;
	pthread_mutex_unlock(&s->state->lock);
	fprintf(stderr, "boot: %s %s: %s\n", smac, name,
		pending == INV_ACTION_DEPLOY ? "deploy pending: run strata.efi"
		: p ? "nothing pending: local disk" : "unknown machine: local disk");
	return pending;
}

char *server_agent_orders(struct server *s, const uint8_t mac[6])
{
	char name[INV_NAME_MAX + 1], token[17], *out;

	if (decide(s, mac, name, sizeof(name)) != INV_ACTION_DEPLOY)
		return strdup("action=none\n");
	server_token(s, mac, token);
	return asprintf(&out, "action=deploy token=%s then=reboot\n", token) < 0 ? NULL : out;
}

char *server_script(struct server *s, const uint8_t mac[6])
{
	char smac[18], token[17], name[INV_NAME_MAX + 1];
	enum inv_action pending = decide(s, mac, name, sizeof(name));

	strata_mac_format(smac, mac);
	server_token(s, mac, token);
	const char *const kv[][2] = { { "@SERVER@", s->cfg.url }, { "@NAME@", name },
				      { "@MAC@", smac }, { "@TOKEN@", token } };
	return render(pending == INV_ACTION_DEPLOY ? pxe_deploy_ipxe : pxe_local_ipxe, kv, 4);
}

char *server_manifest(struct server *s, const uint8_t mac[6], size_t *len)
{
	char *out = NULL;
	struct product *p;

	pthread_rwlock_rdlock(&s->lock);
	p = lookup(s, mac);
	if (p && wait_ready(s->cat, p) == 0 && (out = malloc(p->manifest_len))) {
		memcpy(out, p->manifest, p->manifest_len);
		*len = p->manifest_len;
	}
	pthread_rwlock_unlock(&s->lock);
	return out;
}

/* Keep report text printable and free of JSON and state-file metacharacters. */
static void sanitise(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; src && *src && o + 1 < cap; src++)
		dst[o++] = (*src >= 0x20 && *src < 0x7f && *src != '"' && *src != '\\') ? *src : '_';
	dst[o] = '\0';
}

static int update_state(struct server *s, const uint8_t mac[6], const char *phase,
			uint64_t done, uint64_t total, const char *msg)
{
	struct mstate *st;

	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, mac);
	if (st) {
		st->done = done;
		st->total = total;
		st->updated = time(NULL);
		sanitise(st->message, sizeof(st->message), msg);
		st->result = !strcmp(phase, "ok") ? MSTATE_OK : !strcmp(phase, "failed")
			? MSTATE_FAILED : MSTATE_RUNNING;
		if (st->result == MSTATE_OK)
			st->pending = INV_ACTION_NONE;  /* done: next boot is local */
		if (st->result != MSTATE_RUNNING)
			state_save(s->state);
	}
	pthread_mutex_unlock(&s->state->lock);
	return st ? 0 : STRATA_ENOMEM;
}

int server_report(struct server *s, const uint8_t mac[6], const char *token, const char *phase,
		  uint64_t done, uint64_t total, const char *msg)
{
	char want[17], smac[18];
	int known;

	pthread_rwlock_rdlock(&s->lock);
	known = lookup(s, mac) != NULL;
	pthread_rwlock_unlock(&s->lock);
	if (!known)
		return STRATA_ENOENT;
	server_token(s, mac, want);
	if (!token || strcmp(token, want))
		return STRATA_EACCES;
	if (strcmp(phase, "progress") && strcmp(phase, "ok") && strcmp(phase, "failed"))
		return STRATA_EINVAL;
	strata_mac_format(smac, mac);
	if (strcmp(phase, "progress"))
		fprintf(stderr, "report: %s %s: %llu/%llu bytes: %s\n", smac, phase,
			(unsigned long long)done, (unsigned long long)total, msg ? msg : "");
	return update_state(s, mac, phase, done, total, msg);
}

static int mark_one(struct server *s, const uint8_t mac[6])
{
	struct mstate *st;

	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, mac);
	if (st)
		st->pending = INV_ACTION_DEPLOY;
	pthread_mutex_unlock(&s->state->lock);
	return st ? 1 : 0;
}

int server_mark_deploy(struct server *s, const char *who)
{
	uint8_t mac[6];
	int n = 0, by_mac = strata_mac_parse(mac, who, strlen(who)) == 0;

	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->cat->n; i++) {
		const struct inv_machine *m = s->cat->p[i].m;

		if (!strcmp(who, "all") || !strcasecmp(who, m->name) ||
		    (by_mac && !memcmp(mac, m->mac, 6)))
			n += mark_one(s, m->mac);
	}
	pthread_rwlock_unlock(&s->lock);
	pthread_mutex_lock(&s->state->lock);
	state_save(s->state);
	pthread_mutex_unlock(&s->state->lock);
	fprintf(stderr, "action: deploy marked for %d machines (%s)\n", n, who);
	return n;
}

/* One machine's JSON object. */
static void json_machine(FILE *f, struct server *s, const struct product *p, int comma)
{
	char smac[18];
	struct mstate *st = state_get(s->state, p->m->mac);

	strata_mac_format(smac, p->m->mac);
	fprintf(f, "%s\n  {\"mac\": \"%s\", \"name\": \"%s\", \"profile\": \"%s\", "
		"\"manifest_version\": %llu, \"pending\": \"%s\", \"result\": \"%s\", "
		"\"done\": %llu, \"total\": %llu, \"updated\": %lld, \"message\": \"%s\"}",
		comma ? "," : "", smac, p->m->name, s->cat->inv->profiles[p->m->profile].name,
		(unsigned long long)p->version,
		st && st->pending == INV_ACTION_DEPLOY ? "deploy" : "none",
		mstate_result_name(st ? st->result : MSTATE_NONE),
		(unsigned long long)(st ? st->done : 0), (unsigned long long)(st ? st->total : 0),
		(long long)(st ? st->updated : 0), st ? st->message : "");
}

char *server_machines_json(struct server *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fputs("{\"machines\": [", f);
	/* Lock order everywhere: catalog, then extra_lock, then the state lock. */
	pthread_rwlock_rdlock(&s->lock);
	pthread_mutex_lock(&s->cat->extra_lock);
	pthread_mutex_lock(&s->state->lock);
	for (size_t i = 0; i < s->cat->n; i++)
		json_machine(f, s, &s->cat->p[i], i > 0);
	for (size_t i = 0, k = s->cat->n; i < s->cat->nextra; i++)
		if (s->cat->extra[i].state != PRODUCT_FAILED)
			json_machine(f, s, &s->cat->extra[i], k++ > 0);
	pthread_mutex_unlock(&s->state->lock);
	pthread_mutex_unlock(&s->cat->extra_lock);
	pthread_rwlock_unlock(&s->lock);
	fputs("\n]}\n", f);
	fclose(f);
	return out;
}
