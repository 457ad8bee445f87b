/*
 * Per-machine quotas (docs/retention.md, "Quota"): the inventory's quota=SIZE caps the
 * bytes of a machine's private store (STATE/private/MAC/: its generations' chunks and
 * indexes, its machine layer).  A chunk upload that would pass it is refused (507) and
 * nothing is written, so the machine's previous generation stays whole.
 *
 * Why a cache: summing a store's files walks every chunk, too slow for every upload.
 * The sum is taken once per machine at its first upload after a start or a GC, then each
 * stored chunk adds its bytes.  Uploads running at once may each pass a check the other
 * then fills: the quota holds to within one chunk (4 MiB at most) per concurrent upload.
 */
#ifndef STRATA_QUOTA_H
#define STRATA_QUOTA_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct capture_task;

/**
 * Whether the machine task t may store a new chunk file of len bytes in its private
 * store: 0 when it may (no quota, within it, or a gold task), STRATA_EQUOTA when it
 * would pass the machine's quota, STRATA_EREPORTED when the store's use cannot be read.
 */
int quota_check(struct server *s, const struct capture_task *t, size_t len);

/** Count len bytes stored for t's machine (after a chunk file was written). */
void quota_add(const struct capture_task *t, size_t len);

/** Forget every machine's counted use (after a GC removed files): the next check walks. */
void quota_forget(void);

/**
 * The refusal's text for t and a chunk of len bytes into out (cap bytes): the machine,
 * its quota and use, and what to do.
 */
void quota_why(struct server *s, const struct capture_task *t, size_t len, char *out,
	       size_t cap);

/** The bytes of the files under dir (a private store), into *out.  0 (a missing folder
 *  counts 0) or STRATA_EREPORTED. */
int quota_tree_bytes(const char *dir, uint64_t *out);

#endif /* STRATA_QUOTA_H */
