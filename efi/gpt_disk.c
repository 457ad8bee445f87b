/* GPT reading and writing on the target disk (see gpt_disk.h). */
#include <string.h>
#include "gpt_disk.h"
#include "log.h"
#include "rc.h"

/* Read one copy: the header at lba, then the array it names. */
static int read_copy(struct disk *d, uint64_t lba, struct strata_gpt_table *t)
{
	struct strata_diag diag = { 0 };
	struct strata_gpt_hdr h;
	uint64_t blocks = d->bytes / d->block_size;
	uint8_t *hb = disk_buf_alloc(d->block_size), *ab = NULL;
	size_t alen = 0;
	int rc = hb ? disk_read(d, lba * d->block_size, hb, d->block_size) : STRATA_ENOMEM;

	if (rc == 0)
		rc = strata_gpt_header_parse(hb, d->block_size, blocks, lba, &h, &diag);
	if (rc == 0) {
		alen = (size_t)h.array_blocks * d->block_size;
		ab = disk_buf_alloc(alen);
		rc = ab ? disk_read(d, h.array_lba * d->block_size, ab, alen) : STRATA_ENOMEM;
	}
	if (rc == 0)
		rc = strata_gpt_entries_parse(&h, ab, alen, t, &diag);
	if (rc && rc != STRATA_ENOENT && diag.msg)
		log_msg("gpt: the copy at LBA %llu is not valid: %s (byte %llu)",
			(unsigned long long)lba, diag.msg, (unsigned long long)diag.where);
	disk_buf_free(ab, alen);
	disk_buf_free(hb, d->block_size);
	return rc;
}

int gpt_disk_read(struct disk *d, struct strata_gpt_table *have)
{
	int p = read_copy(d, 1, have), b;

	if (p == 0)
		return 0;
	b = read_copy(d, d->bytes / d->block_size - 1, have);
	if (b == 0) {
		log_msg("gpt: primary table damaged; using the backup");
		return 0;
	}
	return p == STRATA_ENOENT && b == STRATA_ENOENT ? STRATA_ENOENT : p;
}

/** The bytes of the planned table. */
struct encoded {
	uint8_t *array, *primary, *backup, *mbr;
};

static int encode(struct disk *d, const struct strata_gpt_plan *plan, struct encoded *e)
{
	e->array = disk_buf_alloc(STRATA_GPT_ARRAY_BYTES);
	e->primary = disk_buf_alloc(d->block_size);
	e->backup = disk_buf_alloc(d->block_size);
	e->mbr = disk_buf_alloc(d->block_size);
	if (!e->array || !e->primary || !e->backup || !e->mbr)
		return STRATA_ENOMEM;
	strata_gpt_protective_mbr(e->mbr, plan->disk_blocks);
	return strata_gpt_encode(plan, plan->disk_guid, e->array, e->primary, e->backup,
				 d->block_size);
}

static void encoded_free(struct disk *d, struct encoded *e)
{
	disk_buf_free(e->array, STRATA_GPT_ARRAY_BYTES);
	disk_buf_free(e->primary, d->block_size);
	disk_buf_free(e->backup, d->block_size);
	disk_buf_free(e->mbr, d->block_size);
}

/* 1 when the disk holds exactly len bytes of want at off. */
static int same(struct disk *d, uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t *have = disk_buf_alloc(len);
	int eq = have && disk_read(d, off, have, len) == 0 && memcmp(have, want, len) == 0;

	disk_buf_free(have, len);
	return eq;
}

static int write_all(struct disk *d, const struct strata_gpt_plan *plan, struct encoded *e)
{
	uint64_t bs = d->block_size;
	int rc;

	if ((rc = disk_write(d, 2 * bs, e->array, STRATA_GPT_ARRAY_BYTES)) ||
	    (rc = disk_write(d, bs, e->primary, bs)) ||
	    (rc = disk_write(d, plan->backup_array_lba * bs, e->array, STRATA_GPT_ARRAY_BYTES)) ||
	    (rc = disk_write(d, plan->backup_lba * bs, e->backup, bs)) ||
	    (rc = disk_write(d, 0, e->mbr, bs)))
		return rc;
	return disk_flush(d);
}

static int preserves(const struct strata_manifest *m)
{
	for (unsigned int i = 0; i < m->nparts; i++)
		if (m->parts[i].policy != STRATA_POLICY_WRITE)
			return 1;
	return 0;
}

int gpt_disk_apply(struct disk *d, const struct strata_manifest *m,
		   const struct strata_gpt_plan *plan, const struct strata_gpt_table *have,
		   int have_rc)
{
	struct strata_diag diag = { 0 };
	struct encoded e = { 0 };
	uint64_t bs = d->block_size;
	int rc;

	if (have_rc && have_rc != STRATA_ENOENT && preserves(m))
		return log_fail(have_rc, "gpt: the disk's partition table cannot be read, and the "
				"manifest preserves data: refusing to write anything");
	if (have_rc == 0 && (rc = strata_gpt_check_preserve(have, plan, &diag)))
		return log_fail(rc, "gpt: partition %llu: %s; nothing was written",
				(unsigned long long)diag.where, diag.msg);
	rc = encode(d, plan, &e);
	if (rc == 0 && same(d, bs, e.primary, bs) && same(d, 2 * bs, e.array, STRATA_GPT_ARRAY_BYTES) &&
	    same(d, plan->backup_lba * bs, e.backup, bs)) {
		log_msg("gpt: the disk already has the planned table");
	} else if (rc == 0) {
		log_msg("gpt: writing the partition table (%u partitions)", plan->nparts);
		rc = write_all(d, plan, &e);
	}
	encoded_free(d, &e);
	return rc;
}
