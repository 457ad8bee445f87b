/* Does the disk hold the machine's layout (see layout_check.h)? */
#include "layout_check.h"
#include "mem.h"

/* 1 when head[0..len) is at least a MiB, all zero. */
static int head_blank(const uint8_t *head, size_t len)
{
	if (!head || len < STRATA_BLANK_HEAD_BYTES)
		return 0;
	for (size_t i = 0; i < STRATA_BLANK_HEAD_BYTES; i++)
		if (head[i])
			return 0;
	return 1;
}

/* 1 when the disk's entry e is one of the plan's partitions at its planned extent. */
static int entry_planned(const struct strata_gpt_part *e, const struct strata_gpt_plan *plan)
{
	for (unsigned int i = 0; i < plan->nparts; i++)
		if (!strata_memcmp(e->part_guid, plan->parts[i].part_guid, 16) &&
		    e->first_lba == plan->parts[i].first_lba && e->last_lba == plan->parts[i].last_lba)
			return 1;
	return 0;
}

/* The machine's own table: the manifest's disk GUID, every entry a planned partition. */
static int own_table(const struct strata_manifest *m, const struct strata_gpt_plan *plan,
		     const struct strata_gpt_table *have)
{
	if (!plan || strata_memcmp(have->hdr.disk_guid, m->disk_guid, 16))
		return 0;
	for (unsigned int i = 0; i < have->nparts; i++)
		if (!entry_planned(&have->parts[i], plan))
			return 0;
	return 1;
}

enum strata_layout strata_layout_check(const struct strata_manifest *m,
				       const struct strata_gpt_plan *plan,
				       const struct strata_gpt_table *have, int have_rc,
				       const uint8_t *head, size_t head_len)
{
	if (have_rc == STRATA_ENOENT)
		return head_blank(head, head_len) ? STRATA_LAYOUT_BLANK : STRATA_LAYOUT_FOREIGN;
	if (have_rc || !have || !own_table(m, plan, have))
		return STRATA_LAYOUT_FOREIGN;
	for (unsigned int i = 0; i < m->nparts; i++)
		if (m->parts[i].policy != STRATA_POLICY_PRESERVE &&
		    !strata_gpt_part_exists(have, &plan->parts[i]))
			return STRATA_LAYOUT_MISSING;
	return STRATA_LAYOUT_HELD;
}

const char *strata_layout_name(enum strata_layout l)
{
	switch (l) {
	case STRATA_LAYOUT_HELD: return "holds its layout";
	case STRATA_LAYOUT_BLANK: return "is blank";
	case STRATA_LAYOUT_MISSING: return "lacks a partition of its layout";
	case STRATA_LAYOUT_FOREIGN: break;
	}
	return "holds another layout";
}
