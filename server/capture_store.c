/* Where a capture task's chunks are held and kept (see capture_store.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include "capture_store.h"
#include "host.h"
#include "private_store.h"
#include "quota.h"
#include "server.h"
#include "store_path.h"
#include "text.h"

/* Whether dir holds the chunk file of digest (a regular file). */
static int has_chunk(const char *dir, const uint8_t digest[32])
{
	char rel[STRATA_STORE_FILE_MAX], path[PRIVATE_DIR_MAX + STRATA_STORE_FILE_MAX + 2];
	struct stat st;

	strata_store_chunk_rel(rel, digest);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
		return 0;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int capture_need(const struct server *s, const struct capture_task *t,
		 const uint8_t (*d)[32], size_t n, uint8_t *missing)
{
	char own[PRIVATE_DIR_MAX];
	uint8_t mac[6];
	int mine = t->kind == CAPTURE_MACHINE;

	if (mine && strata_mac_parse(mac, t->mac, strlen(t->mac)))
		return STRATA_EINVAL;
	if (mine && private_store_dir(own, sizeof(own), s->cfg.private_dir, mac))
		return STRATA_ERANGE;
	for (size_t i = 0; i < n; i++)
		missing[i] = !has_chunk(s->cfg.store_dir, d[i]) && !(mine && has_chunk(own, d[i]));
	return 0;
}

/* Open the store task t's chunks go to: *out is the caller's (store_close). */
static int target_store(const struct server *s, const struct capture_task *t,
			struct store **out)
{
	uint8_t mac[6];

	if (t->kind == CAPTURE_GOLD)
		return store_open(s->cfg.store_dir, 1, out) ? STRATA_EREPORTED : 0;
	if (strata_mac_parse(mac, t->mac, strlen(t->mac)))
		return errorf("capture task of %s: not a MAC", t->mac);
	return private_store_open(s->cfg.private_dir, mac, out);
}

/* Whether writing len bytes under dir leaves at least reserve bytes free there: 0, or
 * STRATA_ENOSPC (also when the free space cannot be read). */
static int within_reserve(const char *dir, uint64_t reserve, size_t len)
{
	struct statvfs v;
	uint64_t avail;

	if (statvfs(dir, &v) != 0)
		return STRATA_ENOSPC;
	avail = (uint64_t)v.f_bavail * v.f_frsize;
	return avail >= reserve && avail - reserve >= len ? 0 : STRATA_ENOSPC;
}

int capture_keep_chunk(struct server *s, const struct capture_task *t,
		       const uint8_t digest[32], const void *stored, size_t len)
{
	const char *dir = t->kind == CAPTURE_GOLD ? s->cfg.store_dir : s->cfg.private_dir;
	struct store *st;
	uint64_t size;
	int rc = target_store(s, t, &st);

	if (rc)
		return rc;
	rc = store_chunk_size(st, digest, &size);
	if (rc == 0)
		rc = 1;                         /* there already: never rewritten */
	else if (rc != STRATA_ENOENT)
		rc = errorf("%s: cannot look up a chunk", store_name(st));
	else if (within_reserve(dir, s->cfg.capture_reserve, len))
		rc = STRATA_ENOSPC;
	else if ((rc = quota_check(s, t, len)) == 0 && store_put_chunk(st, digest, stored, len))
		rc = STRATA_EREPORTED;
	if (rc == 0 && t->kind == CAPTURE_MACHINE)
		quota_add(t, len);              /* the machine's counted use (quota.h) */
	store_close(st);
	return rc;
}
