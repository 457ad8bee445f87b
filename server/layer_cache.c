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

void layer_cache_free(struct layer_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i]->buf);
		free(c->e[i]);
	}
	c->n = 0;
	pthread_mutex_destroy(&c->lock);
}

/* The cached entry for id, or NULL.  Call with the lock. */
static const struct layer_entry *find(const struct layer_cache *c, const uint8_t id[32])
{
	for (size_t i = 0; i < c->n; i++)
		if (!memcmp(c->e[i]->id, id, 32))
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

/* Open layer id from the first folder that has it into a new entry *out (caller's). */
static int open_entry(const struct layer_cache *c, const uint8_t id[32],
		      struct layer_entry **out)
{
	struct layer_entry *e = calloc(1, sizeof(*e));
	int rc = STRATA_ENOENT;
	size_t len;

	if (!e)
		return STRATA_ENOMEM;
	memcpy(e->id, id, 32);
	for (size_t i = 0; i < 2 && c->dirs[i] && rc == STRATA_ENOENT; i++) {
		rc = read_index(c->dirs[i], id, &e->buf, &len);
		e->dir = c->dirs[i];
	}
	if (rc)
		goto err_read;
	rc = strata_layer_open(&e->idx, id, e->buf, len, NULL);
	if (rc)
		goto err_open;
	*out = e;
	return 0;
err_open:
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
	*out = find(c, e->id);
	if (!*out && c->n == LAYER_CACHE_MAX)
		rc = STRATA_ENOSPC;
	else if (!*out)
		*out = c->e[c->n++] = e;
	pthread_mutex_unlock(&c->lock);
	if (*out != e) {
		free(e->buf);
		free(e);
	}
	return rc;
}

int layer_cache_get(struct layer_cache *c, const uint8_t id[32],
		    const struct layer_entry **out)
{
	struct layer_entry *e;
	int rc;

	pthread_mutex_lock(&c->lock);
	*out = find(c, id);
	pthread_mutex_unlock(&c->lock);
	if (*out)
		return 0;
	/* Opened outside the lock: hashing a large index must not stall other layers. */
	rc = open_entry(c, id, &e);
	return rc ? rc : publish(c, e, out);
}
