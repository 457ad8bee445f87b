/* Opened layers, kept for the server's life (see layer_cache.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host.h"
#include "layer_cache.h"
#include "rc.h"
#include "store_path.h"

/** Largest index read: 1 GiB, a 1 PiB image in 64 KiB chunks is 640 MiB. */
#define INDEX_MAX ((size_t)1 << 30)

void layer_cache_init(struct layer_cache *c, const char *dir0, const char *dir1)
{
	pthread_mutex_init(&c->lock, NULL);
	c->dirs[0] = dir0;
	c->dirs[1] = dir1;
	c->n = 0;
}

static void entry_free(struct layer_entry *e)
{
	free(e->buf);
	free(e->dir);
	free(e);
}

void layer_cache_free(struct layer_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		entry_free(c->e[i]);
	c->n = 0;
	pthread_mutex_destroy(&c->lock);
}

/* The cached entry for id (from folder dir unless NULL), or NULL.  Call with the lock. */
static const struct layer_entry *find(const struct layer_cache *c, const char *dir,
				      const uint8_t id[32])
{
	for (size_t i = 0; i < c->n; i++)
		if (!memcmp(c->e[i]->id, id, 32) && (!dir || !strcmp(c->e[i]->dir, dir)))
			return c->e[i];
	return NULL;
}

/* Read dir's index file of id into *buf (caller's), *len bytes.  STRATA_ENOENT if absent;
 * a file that is there but unreadable is logged by read_file. */
static int read_index(const char *dir, const uint8_t id[32], uint8_t **buf, size_t *len)
{
	char path[4096], rel[STRATA_STORE_FILE_MAX];

	strata_store_index_rel(rel, id);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path) ||
	    access(path, F_OK) != 0)
		return STRATA_ENOENT;
	return read_file(path, INDEX_MAX, buf, len) ? STRATA_EIO : 0;
}

/* Open layer id from the first of dirs[0..n) that has it into a new entry *out (caller's). */
static int open_entry(const char *const *dirs, size_t n, const uint8_t id[32],
		      struct layer_entry **out)
{
	struct layer_entry *e = calloc(1, sizeof(*e));
	int rc = STRATA_ENOENT;
	size_t i;

	if (!e)
		return STRATA_ENOMEM;
	memcpy(e->id, id, 32);
	for (i = 0; i < n && dirs[i] && rc == STRATA_ENOENT; i++)
		rc = read_index(dirs[i], id, &e->buf, &e->len);
	if (rc)
		goto err_read;
	rc = STRATA_ENOMEM;
	if (!(e->dir = strdup(dirs[i - 1])))
		goto err_dir;
	rc = strata_layer_open(&e->idx, id, e->buf, e->len, NULL);
	if (rc)
		goto err_open;
	*out = e;
	return 0;
err_open:
	free(e->dir);
err_dir:
	free(e->buf);
err_read:
	free(e);
	return rc;
}

/* Publish e unless another thread got there first; *out is the entry that stays. */
static int publish(struct layer_cache *c, struct layer_entry *e,
		   const struct layer_entry **out)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	*out = find(c, e->dir, e->id);
	if (!*out && c->n == LAYER_CACHE_MAX)
		rc = STRATA_ENOSPC;
	else if (!*out)
		*out = c->e[c->n++] = e;
	pthread_mutex_unlock(&c->lock);
	if (*out != e)
		entry_free(e);
	return rc;
}

/* The entry of id from dirs[0..n); dir is the one folder to match, or NULL for any. */
static int get(struct layer_cache *c, const char *dir, const char *const *dirs, size_t n,
	       const uint8_t id[32], const struct layer_entry **out)
{
	struct layer_entry *e;
	int rc;

	pthread_mutex_lock(&c->lock);
	*out = find(c, dir, id);
	pthread_mutex_unlock(&c->lock);
	if (*out)
		return 0;
	/* Opened outside the lock: hashing a large index must not stall other layers. */
	rc = open_entry(dirs, n, id, &e);
	return rc ? rc : publish(c, e, out);
}

int layer_cache_get(struct layer_cache *c, const uint8_t id[32],
		    const struct layer_entry **out)
{
	return get(c, NULL, c->dirs, 2, id, out);
}

int layer_cache_get_in(struct layer_cache *c, const char *dir, const uint8_t id[32],
		       const struct layer_entry **out)
{
	return get(c, dir, &dir, 1, id, out);
}
