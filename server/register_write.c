/* A registration's server side: checks against the catalog, the registered file, the
 * audit row and the reload (see register.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "audit.h"
#include "catalog.h"
#include "host.h"
#include "inventory_site.h"
#include "register.h"
#include "server.h"
#include "text.h"
#include "unknown.h"

/** One registration at a time: the file is read, extended and replaced whole. */
static pthread_mutex_t register_lock = PTHREAD_MUTEX_INITIALIZER;

/** What names and MACs are in use: the catalog's inventory and the registered file as it
 *  is now (its last lines may not be loaded yet: the reload is asynchronous). */
struct in_use {
	const struct inventory *inv;
	const char *file;       /**< the file's text, NUL-terminated, or "" */
};

/* Whether the file's text has a machine line whose MAC is mac, or whose name is name
 * (either may be NULL).  Lines are "machine MAC key=value...", as register_run writes. */
static int file_has(const char *text, const uint8_t *mac, const char *name)
{
	uint8_t m[6];
	char line[512], *w, *save;

	for (const char *p = text; *p; p += *p == '\n') {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len;
		if (!(w = strtok_r(line, " \t", &save)) || strcmp(w, "machine") ||
		    !(w = strtok_r(NULL, " \t", &save)))
			continue;
		if (mac && !strata_mac_parse(m, w, strlen(w)) && !memcmp(m, mac, 6))
			return 1;
		while (name && (w = strtok_r(NULL, " \t", &save)))
			if (!strncmp(w, "name=", 5) && !strcasecmp(w + 5, name))
				return 1;
	}
	return 0;
}

/* register_names' question: a name of the inventory or the file, in any case. */
static int name_taken(void *ctx, const char *name)
{
	const struct in_use *u = ctx;

	for (size_t i = 0; i < u->inv->nmachines; i++)
		if (!strcasecmp(u->inv->machines[i].name, name))
			return 1;
	return file_has(u->file, NULL, name);
}

/* The fields against the inventory: the statement, profile, site, room and MACs.  0, or
 * an rc with why.  Read lock held. */
static int check_req(const struct in_use *u, const struct register_req *req, char *why,
		     size_t cap)
{
	const struct inventory *inv = u->inv;
	const struct inv_machine *m;
	char smac[18];
	size_t k = 0;

	if (!inv->registered)
		return snprintf(why, cap, "the inventory %s has no 'registered' statement: add the "
				"line 'registered state/registered.conf' to it (the server never "
				"writes the inventory itself) and reload the server (SIGHUP)",
				inv->path), STRATA_ESTALE;
	while (k < inv->nprofiles && strcmp(inv->profiles[k].name, req->profile))
		k++;
	if (k == inv->nprofiles)
		return snprintf(why, cap, "no profile '%s' in the inventory", req->profile),
			STRATA_EINVAL;
	if (req->site && !inv_site_find(inv, req->site))
		return snprintf(why, cap, "no site '%s' in the inventory", req->site),
			STRATA_EINVAL;
	if (req->room && !inv_room_ok(req->room))
		return snprintf(why, cap, "room=: 1 to %d of A-Z a-z 0-9 . _ -", INV_ROOM_MAX),
			STRATA_EINVAL;
	for (size_t i = 0; i < req->n; i++) {
		strata_mac_format(smac, req->macs[i]);
		if ((m = inventory_find(inv, req->macs[i])))
			return snprintf(why, cap, "%s is machine %s of the inventory already", smac,
					m->name), STRATA_ESTALE;
		if (file_has(u->file, req->macs[i], NULL))
			return snprintf(why, cap, "%s is registered already (%s)", smac,
					inv->registered), STRATA_ESTALE;
	}
	return 0;
}

/* The file's text (a new string, "" when it does not exist yet).  NULL: logged. */
static char *read_registered(const char *path)
{
	uint8_t *text;
	size_t len;
	char *s;

	if (access(path, F_OK) != 0 && errno == ENOENT)
		return strdup("");
	if (read_file(path, 16 << 20, &text, &len))
		return NULL;
	s = realloc(text, len + 1);
	if (!s)
		return free(text), NULL;
	s[len] = '\0';
	return s;
}

/* The new file: old, then one machine line per PC.  A new string, or NULL. */
static char *new_text(const char *old, const struct register_req *req,
		      char (*names)[INV_NAME_MAX + 1], size_t *len)
{
	char *buf = NULL, smac[18];
	size_t n = strlen(old);
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fputs(old, f);
	if (n && old[n - 1] != '\n')
		fputc('\n', f);
	for (size_t i = 0; i < req->n; i++) {
		strata_mac_format(smac, req->macs[i]);
		fprintf(f, "machine %s name=%s profile=%s", smac, names[i], req->profile);
		if (req->room)
			fprintf(f, " room=%s", req->room);
		if (req->site)
			fprintf(f, " site=%s", req->site);
		fputc('\n', f);
	}
	if (fclose(f))
		return free(buf), NULL;
	return buf;
}

/* Write text over path durably: a new file fsynced, renamed over it, its folder fsynced. */
static int replace_file(const char *path, const char *text, size_t len)
{
	char dir[REGISTER_PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (write_file_atomic(path, text, len, 0644, 1))
		return STRATA_EREPORTED;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	return dir_sync(dir[0] ? dir : "/");
}

/* Under the catalog's read lock: the checks and the names, then the new text.  path is
 * the file old was read from, which the inventory must still name.  0 or an rc with
 * why; *text (new, the caller's) on success. */
static int plan(struct server *s, const struct register_req *req, const char *old,
		char (*names)[INV_NAME_MAX + 1], char **text, const char *path,
		char *why, size_t wcap)
{
	struct in_use u = { .file = old };
	const char *w = NULL;
	size_t len;
	int rc;

	u.inv = s->cat->inv;
	rc = check_req(&u, req, why, wcap);
	if (rc == 0 && strcmp(u.inv->registered, path))   /* a reload moved the file */
		rc = STRATA_ESTALE, snprintf(why, wcap, "the inventory's registered file changed "
					     "while registering: send the request again");
	if (rc == 0 && (rc = register_names(req->pattern, req->start, req->n, name_taken, &u,
					    names, &w))) {
		snprintf(why, wcap, "%s", w);
		rc = STRATA_EINVAL;   /* out of numbers too: the pattern, as given, is refused */
	}
	if (rc == 0 && !(*text = new_text(old, req, names, &len)))
		rc = STRATA_ENOMEM, snprintf(why, wcap, "out of memory");
	return rc;
}

/* The registered file's path as the inventory names it: read under the read lock. */
static int registered_path(struct server *s, char *path, size_t cap)
{
	int rc = 0;

	pthread_rwlock_rdlock(&s->lock);
	if (s->cat->inv->registered)
		snprintf(path, cap, "%s", s->cat->inv->registered);
	else
		rc = STRATA_ESTALE;
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/* The audit row, then the reload; the PCs leave the unknown table. */
static int record(struct server *s, const struct who *by, const struct register_req *req)
{
	struct db *d = s->state->db;
	int rc = db_begin(d);

	if (rc == 0)
		rc = db_end(d, audit_order_closed(d, by, req->pattern, "register", "registered",
						  req->macs, req->n));
	catalog_reload_soon();
	for (size_t i = 0; i < req->n; i++)
		unknown_drop(s->unknown, req->macs[i]);
	return rc;
}

int register_run(struct server *s, const struct who *by, const struct register_req *req,
		 char (*names)[INV_NAME_MAX + 1], char *why, size_t cap,
		 char path[REGISTER_PATH_MAX])
{
	char *old = NULL, *text = NULL;
	int rc;

	pthread_mutex_lock(&register_lock);
	path[0] = '\0';
	rc = registered_path(s, path, REGISTER_PATH_MAX);
	if (rc == 0 && !(old = read_registered(path)))
		rc = STRATA_EREPORTED, snprintf(why, cap, "cannot read %s (the server's log says "
						"why)", path);
	if (old) {
		pthread_rwlock_rdlock(&s->lock);
		rc = plan(s, req, old, names, &text, path, why, cap);
		pthread_rwlock_unlock(&s->lock);
	} else if (rc == STRATA_ESTALE) {
		struct in_use u = { .file = "" };

		pthread_rwlock_rdlock(&s->lock);
		u.inv = s->cat->inv;
		rc = check_req(&u, req, why, cap);
		pthread_rwlock_unlock(&s->lock);
		if (rc == 0)   /* a reload added the statement meanwhile: nothing was read */
			rc = STRATA_ESTALE, snprintf(why, cap, "the inventory was reloaded while "
						     "registering: send the request again");
	}
	if (rc == 0 && (rc = replace_file(path, text, strlen(text))))
		snprintf(why, cap, "cannot write %s (the server's log says why)", path);
	if (rc == 0)
		rc = record(s, by, req);
	pthread_mutex_unlock(&register_lock);
	free(text);
	free(old);
	return rc;
}
