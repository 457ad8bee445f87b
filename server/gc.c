/* Garbage collection of the stores (see gc.h). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "digest_set.h"
#include "gc.h"
#include "host.h"
#include "index.h"
#include "private_store.h"
#include "quota.h"
#include "replace.h"
#include "server.h"
#include "text.h"

/** Largest layer index read (the largest a commit takes is 64 MiB). */
#define GC_INDEX_MAX (256u << 20)

/** One collection's state. */
struct gc {
	struct server *s;
	time_t cutoff;             /**< files modified at or after it are kept */
	struct digest_set pub;     /**< chunks the referenced layers name */
	struct gc_result *res;
};

static pthread_mutex_t running = PTHREAD_MUTEX_INITIALIZER;
/* Commits hold it shared, a collection exclusive; writers first, so a stream of commits
 * cannot starve a collection. */
static pthread_rwlock_t commits = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

void gc_commit_begin(void)
{
	pthread_rwlock_rdlock(&commits);
}

void gc_commit_end(void)
{
	pthread_rwlock_unlock(&commits);
}

/* The cutoff: the oldest open task's creation or now - grace, the earlier. */
static int cutoff_of(struct server *s, time_t *out)
{
	struct db *d = s->state->db;
	sqlite3_stmt *st;
	int rc = db_prepare(d, "SELECT min(created) FROM capture_tasks WHERE ended IS NULL",
			    "", &st);

	*out = time(NULL) - (time_t)s->cfg.gc_grace;
	if (rc)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = errorf("%s: cannot read the open capture tasks", d->path);
	else if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
		 sqlite3_column_int64(st, 0) < (int64_t)*out)
		*out = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* a/b into out (cap bytes).  0, or STRATA_ERANGE when it does not fit. */
static int join(char *out, size_t cap, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s/%s", a, b);

	return n < 0 || (size_t)n >= cap ? STRATA_ERANGE : 0;
}

/* The digest a store file's name gives: 64 hex digits then suffix.  0 or STRATA_EINVAL. */
static int name_digest(const char *name, const char *suffix, uint8_t out[32])
{
	if (strlen(name) != 64 + strlen(suffix) || strcmp(name + 64, suffix))
		return STRATA_EINVAL;
	for (int i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return STRATA_EINVAL;
	return strata_hex_decode(out, name, 32) ? STRATA_EINVAL : 0;
}

/* Add the stored chunks of the parsed idx to a and, when not NULL, b. */
static int add_chunks(const struct strata_index *idx, struct digest_set *a,
		      struct digest_set *b)
{
	struct strata_chunk c;

	for (uint64_t i = strata_index_next_data(idx, 0); i < idx->chunk_count;
	     i = strata_index_next_data(idx, i + 1)) {
		strata_index_chunk(idx, i, &c);
		if (!c.stored_size)
			continue;
		if (digest_set_add(a, c.digest) || (b && digest_set_add(b, c.digest)))
			return errorf("out of memory");
	}
	return 0;
}

/* Add the chunks layer id's index in store dir names to a and b.  0, STRATA_ENOENT when
 * there is no such file, STRATA_ECORRUPT or STRATA_EREPORTED (printed). */
static int layer_chunks(const char *dir, const uint8_t id[32], struct digest_set *a,
			struct digest_set *b)
{
	char hex[65], path[PRIVATE_DIR_MAX + 100];
	struct strata_diag diag = { 0 };
	struct strata_index idx;
	uint8_t *buf;
	size_t len;
	int rc;

	strata_hex_encode(hex, id, 32);
	snprintf(path, sizeof(path), "%s/layers/%s.idx", dir, hex);
	if (access(path, F_OK) != 0)
		return STRATA_ENOENT;
	if (read_file(path, GC_INDEX_MAX, &buf, &len))
		return STRATA_EREPORTED;
	rc = strata_layer_open(&idx, id, buf, len, &diag);
	if (rc)
		rc = errorf("%s: %s at byte %llu: nothing collected; restore the file, or move "
			    "it away if no layer needs it", path, diag.msg,
			    (unsigned long long)diag.where);
	else
		rc = add_chunks(&idx, a, b);
	free(buf);
	return rc;
}

/* Remove (unless dry) the file path of st's size, counting it.  0 or STRATA_EREPORTED. */
static int drop_file(struct gc *g, const char *path, const struct stat *st, int public,
		     int index)
{
	if (!g->res->dry_run && unlink(path) < 0 && errno != ENOENT)
		return errorf("%s: cannot remove it: %s", path, strerror(errno));
	g->res->files++;
	g->res->bytes += (uint64_t)st->st_size;
	g->res->public_files += (uint64_t)public;
	g->res->public_bytes += public ? (uint64_t)st->st_size : 0;
	g->res->indexes += (uint64_t)index;
	return 0;
}

/* Whether a regular file at path is past the cutoff: 1 old, 0 recent or not a file. */
static int old_file(const struct gc *g, const char *path, struct stat *st)
{
	if (lstat(path, st) < 0 || !S_ISREG(st->st_mode))
		return 0;
	return st->st_mtime < g->cutoff;
}

/* Sweep the chunk files of one chunks/HH folder sub that keep does not hold. */
static int sweep_sub(struct gc *g, const char *sub, const struct digest_set *keep,
		     int public)
{
	char path[PRIVATE_DIR_MAX + 200];
	uint8_t digest[32];
	struct dirent *e;
	struct stat st;
	DIR *dir = opendir(sub);
	int rc = 0;

	while (dir && rc == 0 && (e = readdir(dir))) {
		if (name_digest(e->d_name, "", digest) || digest_set_has(keep, digest))
			continue;
		if (join(path, sizeof(path), sub, e->d_name))
			continue;
		if (old_file(g, path, &st))
			rc = drop_file(g, path, &st, public, 0);
		else
			g->res->kept_recent++;
	}
	if (dir)
		closedir(dir);
	return rc;
}

/* Sweep store root's chunks/ of what keep (sealed) does not hold. */
static int sweep_chunks(struct gc *g, const char *root, const struct digest_set *keep,
			int public)
{
	char chunks[PRIVATE_DIR_MAX + 16], sub[PRIVATE_DIR_MAX + 32];
	struct dirent *e;
	DIR *dir;
	int rc = 0;

	snprintf(chunks, sizeof(chunks), "%s/chunks", root);
	if (!(dir = opendir(chunks)))
		return 0;
	while (rc == 0 && (e = readdir(dir))) {
		if (strlen(e->d_name) != 2 || e->d_name[0] == '.')
			continue;
		if (join(sub, sizeof(sub), chunks, e->d_name))
			continue;
		rc = sweep_sub(g, sub, keep, public);
	}
	closedir(dir);
	return rc;
}

/* Every index of the public store is referenced: add what each names to g->pub. */
static int public_roots(struct gc *g)
{
	char layers[PRIVATE_DIR_MAX + 16];
	const char *store = g->s->cfg.store_dir;
	uint8_t id[32];
	struct dirent *e;
	DIR *dir;
	int rc = 0;

	snprintf(layers, sizeof(layers), "%s/layers", store);
	if (!(dir = opendir(layers)))
		return 0;
	while (rc == 0 && (e = readdir(dir)))
		if (name_digest(e->d_name, ".idx", id) == 0)
			rc = layer_chunks(store, id, &g->pub, NULL);
	closedir(dir);
	return rc == STRATA_ENOENT ? 0 : rc;
}

/* The layers a machine's store must keep: its generations' and its machine layer.
 * *busy is set when its machine layer is being made (the store is left alone). */
static int machine_roots(struct gc *g, const uint8_t mac[6], struct digest_set *roots,
			 int *busy)
{
	struct server *s = g->s;
	sqlite3_stmt *st;
	char smac[18];
	int rc = 0;

	*busy = 0;
	pthread_rwlock_rdlock(&s->lock);
	pthread_mutex_lock(&s->cat->extra_lock);
	for (size_t i = 0; i < s->cat->n; i++)
		if (!memcmp(s->cat->p[i].m->mac, mac, 6))
			rc |= digest_set_add(roots, s->cat->p[i].layer);
	for (size_t i = 0; i < s->cat->nextra; i++)
		if (!memcmp(s->cat->extra[i].m->mac, mac, 6) &&
		    s->cat->extra[i].state != PRODUCT_FAILED)
			rc |= s->cat->extra[i].state == PRODUCT_READY
				? digest_set_add(roots, s->cat->extra[i].layer) : (*busy = 1, 0);
	pthread_mutex_unlock(&s->cat->extra_lock);
	pthread_rwlock_unlock(&s->lock);
	if (rc)
		return errorf("out of memory");
	strata_mac_format(smac, mac);
	rc = db_prepare(s->state->db, "SELECT layer FROM generations WHERE mac = ?", "t", &st,
			smac);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == 32)
			rc = digest_set_add(roots, sqlite3_column_blob(st, 0)) ? errorf("out of memory")
				: 0;
	if (st)
		sqlite3_finalize(st);
	return rc;
}

/** A private store between the two passes. */
struct gc_store {
	char *dir;                 /**< owned */
	struct digest_set roots;   /**< layers its machine references */
	struct digest_set own;     /**< chunks its referenced and recent layers name */
	int whole;                 /**< its machine layer is being made: every index of it
				        counts in pass 1 (so the public chunks it names stay)
				        and nothing of it is swept */
};

/* Whether the index file name of store st is kept (referenced, or recent): 1 or 0; its id
 * into id and its stat into fst.  -1 for a name that is not an index's. */
static int index_kept(const struct gc *g, const struct gc_store *st, const char *name,
		      uint8_t id[32], char *path, size_t cap, struct stat *fst)
{
	if (name_digest(name, ".idx", id))
		return -1;
	if (join(path, cap, st->dir, "layers") || strlen(path) + strlen(name) + 2 > cap)
		return -1;
	strcat(strcat(path, "/"), name);
	return st->whole || digest_set_has(&st->roots, id) || !old_file(g, path, fst);
}

/* A walk of a store's indexes: in pass 1 (sweep 0) the kept ones add their chunks to
 * st->own and g->pub; in pass 2 (sweep 1) the others go. */
static int read_indexes(struct gc *g, struct gc_store *st, int sweep)
{
	char layers[PRIVATE_DIR_MAX + 16], path[PRIVATE_DIR_MAX + 100];
	uint8_t id[32];
	struct dirent *e;
	struct stat fst;
	DIR *d;
	int kept, rc = 0;

	snprintf(layers, sizeof(layers), "%s/layers", st->dir);
	if (!(d = opendir(layers)))
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		kept = index_kept(g, st, e->d_name, id, path, sizeof(path), &fst);
		if (kept == 1 && !sweep)
			rc = layer_chunks(st->dir, id, &st->own, &g->pub);
		else if (kept == 0 && sweep)
			rc = drop_file(g, path, &fst, 0, 1);
		rc = rc == STRATA_ENOENT ? 0 : rc;
	}
	closedir(d);
	return rc;
}

/* Pass 1 over the private store named name (12 hex digits): into *out (the caller's,
 * dir NULL when it is no store).  A store whose machine layer is being made is read
 * whole: its roots are not known yet, and the public chunks its indexes name must stay. */
static int private_read(struct gc *g, const char *name, struct gc_store *out)
{
	char dir[PRIVATE_DIR_MAX];
	uint8_t mac[6];
	int busy, rc;

	memset(out, 0, sizeof(*out));
	if (strlen(name) != 12 || strata_hex_decode(mac, name, 6) ||
	    private_store_dir(dir, sizeof(dir), g->s->cfg.private_dir, mac) ||
	    strcmp(strrchr(dir, '/') + 1, name))
		return 0;
	rc = machine_roots(g, mac, &out->roots, &busy);
	digest_set_seal(&out->roots);
	if (rc == 0 && !busy)
		busy = replace_folder_pending(g->s->state->db, mac);   /* 1, 0 or an rc */
	if (rc || busy < 0)
		return rc ? rc : busy;
	out->whole = busy;
	if (!(out->dir = strdup(dir)))
		return errorf("out of memory");
	rc = read_indexes(g, out, 0);
	digest_set_seal(&out->own);
	return rc;
}

/* Pass 1 over every private store, into *stores (*n of them, the caller frees). */
static int private_pass1(struct gc *g, struct gc_store **stores, size_t *n)
{
	struct gc_store *grown;
	struct dirent *e;
	DIR *dir = opendir(g->s->cfg.private_dir);
	int rc = 0;

	while (dir && rc == 0 && (e = readdir(dir))) {
		if (!(grown = realloc(*stores, (*n + 1) * sizeof(**stores)))) {
			rc = errorf("out of memory");
			break;
		}
		*stores = grown;
		rc = private_read(g, e->d_name, &grown[*n]);
		(*n)++;
	}
	if (dir)
		closedir(dir);
	return rc;
}

/* Pass 2 over the private stores: their unkept indexes and chunks go. */
static int private_pass2(struct gc *g, struct gc_store *stores, size_t n)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++)
		if (stores[i].dir && !stores[i].whole && (rc = read_indexes(g, &stores[i], 1)) == 0)
			rc = sweep_chunks(g, stores[i].dir, &stores[i].own, 0);
	return rc;
}

static void stores_free(struct gc_store *stores, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(stores[i].dir);
		digest_set_free(&stores[i].roots);
		digest_set_free(&stores[i].own);
	}
	free(stores);
}

/* Audit the collection's result for by, in its own transaction. */
static int audit(struct server *s, const struct who *by, const struct gc_result *r)
{
	char action[160];
	int rc = db_begin(s->state->db);

	if (rc)
		return rc;
	snprintf(action, sizeof(action), "gc%s %s %llu files, %llu bytes", r->dry_run
		 ? " dry-run:" : ":", r->dry_run ? "would free" : "freed",
		 (unsigned long long)r->files, (unsigned long long)r->bytes);
	rc = audit_order(s->state->db, by, "stores", action, NULL, 0);
	return db_end(s->state->db, rc);
}

/* The collection itself.  Pass 1 reads every kept index (the public store's, then each
 * private store's, which add what they name of the public store), so a bad one stops it
 * before anything goes; pass 2 removes the rest of the private stores, then the public
 * store's chunks. */
static int collect(struct gc *g)
{
	struct gc_store *stores = NULL;
	size_t n = 0;
	int rc = cutoff_of(g->s, &g->cutoff);

	if (rc == 0)
		rc = public_roots(g);
	if (rc == 0)
		rc = private_pass1(g, &stores, &n);
	digest_set_seal(&g->pub);
	if (rc == 0)
		rc = private_pass2(g, stores, n);
	if (rc == 0)
		rc = sweep_chunks(g, g->s->cfg.store_dir, &g->pub, 1);
	stores_free(stores, n);
	return rc;
}

int gc_run(struct server *s, int dry_run, const struct who *by, struct gc_result *out)
{
	struct gc g = { .s = s, .res = out };
	int rc;

	memset(out, 0, sizeof(*out));
	out->dry_run = dry_run;
	if (pthread_mutex_trylock(&running))
		return STRATA_ESTALE;
	pthread_rwlock_wrlock(&commits);
	rc = collect(&g);
	digest_set_free(&g.pub);
	if (!dry_run)
		quota_forget();
	pthread_rwlock_unlock(&commits);
	pthread_mutex_unlock(&running);
	if (audit(s, by, out) && rc == 0)
		rc = STRATA_EREPORTED;
	fprintf(stderr, "gc: %s %llu files, %llu bytes (%llu layer indexes; %llu files of the "
		"public store), for %s%s\n", dry_run ? "would free" : "freed",
		(unsigned long long)out->files, (unsigned long long)out->bytes,
		(unsigned long long)out->indexes, (unsigned long long)out->public_files, by->name,
		rc ? " (stopped by an error above)" : "");
	return rc;
}

void gc_json(const struct gc_result *r, char *out, size_t cap)
{
	snprintf(out, cap, "{\"dry_run\": %s, \"files\": %llu, \"bytes\": %llu, \"indexes\": "
		 "%llu, \"public_files\": %llu, \"public_bytes\": %llu, \"kept_recent\": %llu}\n",
		 r->dry_run ? "true" : "false", (unsigned long long)r->files,
		 (unsigned long long)r->bytes, (unsigned long long)r->indexes,
		 (unsigned long long)r->public_files, (unsigned long long)r->public_bytes,
		 (unsigned long long)r->kept_recent);
}
