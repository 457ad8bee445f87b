/* Per-machine quotas (see quota.h). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "capture_task.h"
#include "host.h"
#include "private_store.h"
#include "quota.h"
#include "retention.h"
#include "server.h"
#include "text.h"

/** Most machines whose use is remembered; past it the table starts again empty. */
#define QUOTA_SLOTS 4096

/** One machine's counted use. */
struct usage {
	char mac[18];
	uint64_t bytes;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct usage table[QUOTA_SLOTS];
static size_t used;
/* nftw's callback has no context: the walk's sum, per thread. */
static __thread uint64_t walk_sum;

/* nftw's callback: add a regular file's size. */
static int add_file(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		walk_sum += (uint64_t)st->st_size;
	return 0;
}

int quota_tree_bytes(const char *dir, uint64_t *out)
{
	struct stat st;

	*out = 0;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	walk_sum = 0;
	if (nftw(dir, add_file, 16, FTW_PHYS))
		return errorf("%s: cannot sum its files: %s", dir, strerror(errno));
	*out = walk_sum;
	return 0;
}

/* The table's slot of mac, or NULL.  Call with lock. */
static struct usage *slot(const char *mac)
{
	for (size_t i = 0; i < used; i++)
		if (!strcmp(table[i].mac, mac))
			return &table[i];
	return NULL;
}

/* The use of t's machine: counted, or walked and remembered.  0 or STRATA_EREPORTED. */
static int use_of(struct server *s, const struct capture_task *t, uint64_t *out)
{
	char dir[PRIVATE_DIR_MAX];
	struct usage *u;
	uint8_t mac[6];
	int rc = 0;

	pthread_mutex_lock(&lock);
	if ((u = slot(t->mac)))
		*out = u->bytes;
	pthread_mutex_unlock(&lock);
	if (u)
		return 0;
	if (strata_mac_parse(mac, t->mac, strlen(t->mac)) ||
	    private_store_dir(dir, sizeof(dir), s->cfg.private_dir, mac))
		return errorf("capture task of %s: cannot name its store", t->mac);
	rc = quota_tree_bytes(dir, out);
	pthread_mutex_lock(&lock);
	if (rc == 0 && !slot(t->mac)) {
		used = used == QUOTA_SLOTS ? 0 : used;
		snprintf(table[used].mac, sizeof(table[used].mac), "%s", t->mac);
		table[used++].bytes = *out;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

/* The quota of t's machine (0: none) and its name (INV_NAME_MAX + 1 bytes). */
static uint64_t quota_of(struct server *s, const struct capture_task *t, char *name)
{
	struct keep_policy p;
	uint8_t mac[6];

	snprintf(name, INV_NAME_MAX + 1, "%s", t->mac);
	if (strata_mac_parse(mac, t->mac, strlen(t->mac)))
		return 0;
	retention_policy(s, mac, &p, name);
	return p.quota;
}

int quota_check(struct server *s, const struct capture_task *t, size_t len)
{
	char name[INV_NAME_MAX + 1];
	uint64_t quota, use;

	if (t->kind != CAPTURE_MACHINE || !(quota = quota_of(s, t, name)))
		return 0;
	if (use_of(s, t, &use))
		return STRATA_EREPORTED;
	return use + len > quota ? STRATA_EQUOTA : 0;
}

void quota_add(const struct capture_task *t, size_t len)
{
	struct usage *u;

	pthread_mutex_lock(&lock);
	if ((u = slot(t->mac)))
		u->bytes += len;
	pthread_mutex_unlock(&lock);
}

void quota_forget(void)
{
	pthread_mutex_lock(&lock);
	used = 0;
	pthread_mutex_unlock(&lock);
}

void quota_why(struct server *s, const struct capture_task *t, size_t len, char *out,
	       size_t cap)
{
	char name[INV_NAME_MAX + 1];
	uint64_t quota = quota_of(s, t, name), use = 0;

	(void)use_of(s, t, &use);
	snprintf(out, cap, "machine %s is over its quota=%llu bytes: its store holds %llu, "
		 "this chunk needs %zu more; nothing stored, the previous generation is kept: "
		 "raise quota=, or lower keep= and POST /api/gc", name,
		 (unsigned long long)quota, (unsigned long long)use, len);
}
