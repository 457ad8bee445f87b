/* The layout check at a boot with nothing pending (see agent_check.h). */
#include <efi.h>
#include <stdio.h>
#include "agent_check.h"
#include "gpt_disk.h"
#include "layout_check.h"
#include "log.h"
#include "rc.h"

/* The disk's first MiB (less on a smaller disk), into a buffer the caller frees with
 * disk_buf_free(*head, *len); NULL with *len 0 when it cannot be had. */
static uint8_t *read_head(struct disk *d, size_t *len)
{
	uint8_t *head;

	*len = d->bytes < STRATA_BLANK_HEAD_BYTES ? (size_t)d->bytes : STRATA_BLANK_HEAD_BYTES;
	head = *len ? disk_buf_alloc(*len) : NULL;
	if (head && disk_read(d, 0, head, *len) == 0)
		return head;
	if (head)
		disk_buf_free(head, *len);
	*len = 0;
	return NULL;
}

/* Decide for the disk d: its table have (have_rc as gpt_disk_read gave it), its head when
 * it has no GPT, and the manifest's plan on it (into a->plan, which the deployment plans
 * again) when the layout fits. */
static enum strata_layout decide(struct agent *a, struct disk *d,
				 const struct strata_gpt_table *have, int have_rc)
{
	struct strata_diag diag = { 0 };
	int planned = strata_gpt_plan(&a->m, d->bytes, d->block_size, &a->plan, &diag) == 0;
	enum strata_layout l;
	uint8_t *head = NULL;
	size_t len = 0;

	if (have_rc == STRATA_ENOENT)
		head = read_head(d, &len);
	l = strata_layout_check(&a->m, planned ? &a->plan : NULL, have_rc ? NULL : have,
				have_rc, head, len);
	if (head)
		disk_buf_free(head, len);
	return l;
}

int agent_check(struct agent *a, EFI_HANDLE image, uint64_t min_bytes,
		struct strata_gpt_table *have)
{
	struct disk d;
	char msg[160];
	int rc = disk_find(&d, min_bytes, image), have_rc;
	enum strata_layout l;

	if (rc)
		return log_fail(rc, "check: no disk to check for %s's layout", a->m.machine);
	have_rc = gpt_disk_read(&d, have);
	if (have_rc && have_rc != STRATA_ENOENT)
		log_msg("check: %s: its partition table cannot be read: not a blank disk", d.name);
	l = decide(a, &d, have, have_rc);
	log_msg("check: %s %s", d.name, strata_layout_name(l));
	if (l == STRATA_LAYOUT_HELD)
		return 1;
	if (l == STRATA_LAYOUT_FOREIGN) {
		log_msg("check: %s holds data that is not %s's layout: left as it is (only an "
			"admin's deploy order writes it: POST /api/deploy/%s)", d.name,
			a->m.machine, a->m.machine);
		return 1;
	}
	snprintf(msg, sizeof(msg), "the disk lacks %s's layout (blank, or a partition missing): "
		 "restoring", a->m.machine);
	log_msg("strata.efi: %s", msg);
	agent_report(a, "progress", 0, 0, msg);
	return 0;
}
