/* A gold capture's layout of a reference disk, and its checks (see capture_layout.h). */
#include "capture_layout.h"
#include "mem.h"

/* order[0..t->nparts) = t's entries by first LBA: an insertion sort, as a table holds at
 * most 16 entries by the time it is called (the GPT parser refuses overlaps, so no two
 * share a first LBA). */
static void disk_order(const struct strata_gpt_table *t, const struct strata_gpt_part **order)
{
	for (unsigned int i = 0; i < t->nparts; i++) {
		unsigned int j = i;

		for (; j > 0 && order[j - 1]->first_lba > t->parts[i].first_lba; j--)
			order[j] = order[j - 1];
		order[j] = &t->parts[i];
	}
}

/* Entry p of t as the layout's partition num, into *mp (zeroed first): preserve, no
 * layer.  0, or the rc with diag naming p's entry number and the fix. */
static int layout_part(const struct strata_gpt_table *t, const struct strata_gpt_part *p,
		       unsigned int num, struct strata_part *mp, struct strata_diag *diag)
{
	uint64_t bs = t->hdr.block_size;

	strata_memset(mp, 0, sizeof(*mp));
	if (strata_gpt_label(mp->label, p->name))
		return strata_fail(diag, STRATA_EINVAL, "its GPT name is not a label (1 to 36 of "
				   "A-Z a-z 0-9 . _ -): rename it with sgdisk -c N:NAME (N this "
				   "number), then capture again", p->num);
	if (p->last_lba >= STRATA_PART_BYTES_MAX / bs)
		return strata_fail(diag, STRATA_ERANGE, "it ends past 1 EiB, where a profile's "
				   "partitions end", p->num);
	mp->num = num;
	mp->start = p->first_lba * bs;
	mp->size = (p->last_lba - p->first_lba + 1) * bs;
	if (mp->start < STRATA_PART_START_MIN || mp->start % STRATA_PART_GRAIN ||
	    mp->size % STRATA_PART_GRAIN)
		return strata_fail(diag, STRATA_ERANGE, "a profile's partitions start at 1 MiB or "
				   "later on 4 KiB and last whole 4 KiB: move or resize it (parted), "
				   "then capture again", p->num);
	strata_memcpy(mp->type_guid, p->type_guid, 16);
	strata_memcpy(mp->part_guid, p->part_guid, 16);
	mp->policy = STRATA_POLICY_PRESERVE;
	return 0;
}

int strata_capture_layout(const struct strata_gpt_table *t, struct strata_manifest *m,
			  const struct strata_gpt_part *order[STRATA_MAX_PARTS],
			  struct strata_diag *diag)
{
	const struct strata_part *last;
	unsigned int again;
	int rc;

	strata_memset(m, 0, sizeof(*m));
	if (t->nparts == 0 || t->nparts > STRATA_MAX_PARTS)
		return strata_fail(diag, STRATA_ERANGE, "the disk has no partition, or more than "
				   "16: a profile holds 1 to 16", 0);
	disk_order(t, order);
	for (unsigned int i = 0; i < t->nparts; i++) {
		rc = layout_part(t, order[i], i + 1, &m->parts[i], diag);
		if (rc)
			return rc;
		m->nparts++;
	}
	for (unsigned int i = 0; i < m->nparts; i++)
		if ((again = strata_layout_label_again(m, i)))
			return strata_fail(diag, STRATA_EINVAL, "its GPT name is another partition's "
					   "too, and a profile names partitions by label: rename "
					   "one with sgdisk -c N:NAME, then capture again",
					   order[again]->num);
	last = &m->parts[m->nparts - 1];
	m->min_disk = last->start + last->size;
	strata_memcpy(m->disk_guid, t->hdr.disk_guid, 16);
	return 0;
}

int strata_capture_layout_write(const struct strata_manifest *m, char *out, size_t cap,
				size_t *len, struct strata_diag *diag)
{
	struct strata_manifest back;

	if (strata_manifest_write(m, out, cap, len))
		return strata_fail(diag, STRATA_ERANGE, "the layout is larger than its buffer", 0);
	return strata_layout_parse(&back, out, *len, diag);
}
