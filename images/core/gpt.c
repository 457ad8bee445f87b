/* GPT planning, encoding, parsing and the preserve rules (see gpt.h and format.h). */
#include "gpt.h"
#include "chunk.h"
#include "codec.h"
#include "le.h"
#include "mem.h"

/* Byte offsets of header and entry fields, for diag->where. */
#define H_REVISION 8
#define H_SIZE 12
#define H_CRC 16
#define H_RESERVED 20
#define H_MY_LBA 24
#define H_ALT_LBA 32
#define H_FIRST 40
#define H_LAST 48
#define H_DISK_GUID 56
#define H_ARRAY_LBA 72
#define H_COUNT 80
#define H_ENTRY_SIZE 84
#define E_PART_GUID 16
#define E_FIRST 32
#define E_LAST 40

_Static_assert(STRATA_GPT_HEADER_SIZE == sizeof(struct strata_gpt_header), "header size");
_Static_assert(STRATA_GPT_ENTRY_SIZE == sizeof(struct strata_gpt_entry), "entry size");
_Static_assert(offsetof(struct strata_gpt_header, entries_lba) == H_ARRAY_LBA, "array lba");
_Static_assert(offsetof(struct strata_gpt_entry, first_lba) == E_FIRST, "first_lba");

/* Powers of two from 512 to 4096: the block sizes gpt.h promises to handle. */
static int block_size_ok(uint32_t bs)
{
	return bs >= STRATA_GPT_BLOCK_MIN && bs <= STRATA_GPT_BLOCK_MAX && !(bs & (bs - 1));
}

/* Inclusive extents [a0, a1] and [b0, b1] share a block. */
static int overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 <= b1 && b0 <= a1;
}

/* Lay the geometry of a disk of n blocks into plan; n must be checked big enough. */
static void plan_geometry(struct strata_gpt_plan *plan, uint32_t bs, uint64_t n)
{
	plan->block_size = bs;
	plan->array_blocks = STRATA_GPT_ARRAY_BYTES / bs;
	plan->disk_blocks = n;
	plan->backup_lba = n - 1;
	plan->backup_array_lba = n - 1 - plan->array_blocks;
	plan->first_usable = 2 + (uint64_t)plan->array_blocks;
	plan->last_usable = plan->backup_array_lba - 1;
}

/* Turn a NUL-terminated ASCII label into a UTF-16LE entry name.  0 or -1 when it is not
 * 0..36 printable ASCII characters (the read stops at the array's end, never past it). */
static int label_to_name(uint8_t name[72], const char label[STRATA_LABEL_MAX + 1])
{
	unsigned int i;

	strata_memset(name, 0, 72);
	for (i = 0; i <= STRATA_LABEL_MAX && label[i]; i++) {
		unsigned char c = (unsigned char)label[i];

		if (i == STRATA_LABEL_MAX || c < 0x20 || c > 0x7E)
			return -1;
		le16_put(name + 2 * i, c);
	}
	return 0;
}

/* Check partition p's identity (number, policy, GUIDs, label) and copy it into g. */
static int plan_ident(struct strata_gpt_plan *plan, unsigned int idx, const struct strata_part *p,
		      struct strata_diag *diag)
{
	struct strata_gpt_part *g = &plan->parts[idx];
	uint64_t where = p->num;

	if (p->num < 1 || p->num > STRATA_GPT_ENTRIES)
		return strata_fail(diag, STRATA_EINVAL, "partition number outside 1..128", where);
	if (idx && p->num <= plan->parts[idx - 1].num)
		return strata_fail(diag, STRATA_EINVAL, "partition numbers must ascend", where);
	if (p->policy != STRATA_POLICY_WRITE && p->policy != STRATA_POLICY_PRESERVE &&
	    p->policy != STRATA_POLICY_RESTORE)
		return strata_fail(diag, STRATA_EINVAL, "unknown partition policy", where);
	if (strata_is_zero(p->type_guid, 16))
		return strata_fail(diag, STRATA_EINVAL, "type GUID is zero (it marks an entry unused)",
				   where);
	if (strata_is_zero(p->part_guid, 16))
		return strata_fail(diag, STRATA_EINVAL, "partition GUID is zero", where);
	for (unsigned int j = 0; j < idx; j++)
		if (!strata_memcmp(plan->parts[j].part_guid, p->part_guid, 16))
			return strata_fail(diag, STRATA_EINVAL, "partition GUID used twice", where);
	if (label_to_name(g->name, p->label))
		return strata_fail(diag, STRATA_EINVAL,
				   "label is not 0..36 printable ASCII characters", where);
	g->num = p->num;
	g->policy = p->policy;
	strata_memcpy(g->type_guid, p->type_guid, 16);
	strata_memcpy(g->part_guid, p->part_guid, 16);
	g->attributes = 0;
	return 0;
}

/* Turn partition p's byte extent into LBAs in plan->parts[idx]; is_last allows "rest". */
static int plan_extent(struct strata_gpt_plan *plan, unsigned int idx, const struct strata_part *p,
		       int is_last, struct strata_diag *diag)
{
	struct strata_gpt_part *g = &plan->parts[idx];
	uint32_t bs = plan->block_size;
	uint64_t where = p->num, first, blocks;

	if (p->start % bs)
		return strata_fail(diag, STRATA_EINVAL, "start is not a multiple of the block size",
				   where);
	if (p->size % bs)
		return strata_fail(diag, STRATA_EINVAL, "size is not a multiple of the block size",
				   where);
	first = p->start / bs;
	if (first < plan->first_usable)
		return strata_fail(diag, STRATA_ERANGE, "partition starts inside the GPT's own blocks",
				   where);
	if (first > plan->last_usable)
		return strata_fail(diag, STRATA_ENOSPC,
				   "partition starts past the disk's last usable block", where);
	g->first_lba = first;
	if (p->size == 0) {
		if (!is_last)
			return strata_fail(diag, STRATA_EINVAL,
					   "only the last partition may have size=rest", where);
		g->last_lba = plan->last_usable;
	} else {
		blocks = p->size / bs;   /* >= 1: size is a non-zero multiple of bs */
		if (blocks - 1 > plan->last_usable - first)
			return strata_fail(diag, STRATA_ENOSPC,
					   "partition ends past the disk's last usable block", where);
		g->last_lba = first + (blocks - 1);
	}
	if (idx && first <= plan->parts[idx - 1].last_lba)
		return strata_fail(diag, STRATA_EINVAL,
				   "partition overlaps or comes before the one before it", where);
	return 0;
}

int strata_gpt_plan(const struct strata_manifest *m, uint64_t disk_bytes, uint32_t block_size,
		    struct strata_gpt_plan *plan, struct strata_diag *diag)
{
	uint64_t n;
	int rc;

	strata_memset(plan, 0, sizeof(*plan));
	if (!block_size_ok(block_size))
		return strata_fail(diag, STRATA_ENOTSUP,
				   "block size is not a power of two from 512 to 4096", 0);
	if (disk_bytes % block_size)
		return strata_fail(diag, STRATA_EINVAL, "disk size is not a whole number of blocks", 0);
	if (m->min_disk && disk_bytes < m->min_disk)
		return strata_fail(diag, STRATA_ENOSPC, "disk is smaller than the manifest's min-size",
				   0);
	if (m->nparts > STRATA_MAX_PARTS)
		return strata_fail(diag, STRATA_EINVAL, "manifest claims more than 16 partitions", 0);
	if (strata_is_zero(m->disk_guid, 16))
		return strata_fail(diag, STRATA_EINVAL, "disk GUID is zero", 0);
	n = disk_bytes / block_size;
	/* MBR, two headers, two arrays and at least one usable block. */
	if (n < 2 * (uint64_t)(STRATA_GPT_ARRAY_BYTES / block_size) + 4)
		return strata_fail(diag, STRATA_ENOSPC, "disk is too small to hold a GPT", 0);
	plan_geometry(plan, block_size, n);
	strata_memcpy(plan->disk_guid, m->disk_guid, 16);
	for (unsigned int i = 0; i < m->nparts; i++) {
		rc = plan_ident(plan, i, &m->parts[i], diag);
		if (!rc)
			rc = plan_extent(plan, i, &m->parts[i], i + 1 == m->nparts, diag);
		if (rc)
			return rc;
	}
	plan->nparts = m->nparts;
	return 0;
}

/* A plan as strata_gpt_plan makes them: what encode relies on to stay in its buffers. */
static int plan_sane(const struct strata_gpt_plan *p)
{
	struct strata_gpt_plan g;

	if (!block_size_ok(p->block_size) || p->nparts > STRATA_MAX_PARTS ||
	    p->disk_blocks < 2 * (uint64_t)(STRATA_GPT_ARRAY_BYTES / p->block_size) + 4)
		return 0;
	plan_geometry(&g, p->block_size, p->disk_blocks);
	if (g.array_blocks != p->array_blocks || g.backup_lba != p->backup_lba ||
	    g.backup_array_lba != p->backup_array_lba || g.first_usable != p->first_usable ||
	    g.last_usable != p->last_usable)
		return 0;
	for (unsigned int i = 0; i < p->nparts; i++) {
		const struct strata_gpt_part *q = &p->parts[i];

		if (q->num < 1 || q->num > STRATA_GPT_ENTRIES || (i && q->num <= p->parts[i - 1].num))
			return 0;
		if (q->first_lba < p->first_usable || q->first_lba > q->last_lba ||
		    q->last_lba > p->last_usable)
			return 0;
	}
	return 1;
}

/* Write one header copy into a zeroed block, CRC last. */
static void header_encode(uint8_t *block, const struct strata_gpt_plan *plan,
			  const uint8_t disk_guid[16], uint64_t my, uint64_t alt,
			  uint64_t array_lba, uint32_t array_crc)
{
	struct strata_gpt_header *h = (void *)block;

	strata_memset(block, 0, plan->block_size);
	strata_memcpy(h->signature, STRATA_GPT_SIGNATURE, 8);
	le32_put(h->revision, STRATA_GPT_REVISION);
	le32_put(h->header_size, STRATA_GPT_HEADER_SIZE);
	le64_put(h->my_lba, my);
	le64_put(h->alternate_lba, alt);
	le64_put(h->first_usable_lba, plan->first_usable);
	le64_put(h->last_usable_lba, plan->last_usable);
	strata_memcpy(h->disk_guid, disk_guid, 16);
	le64_put(h->entries_lba, array_lba);
	le32_put(h->entry_count, STRATA_GPT_ENTRIES);
	le32_put(h->entry_size, STRATA_GPT_ENTRY_SIZE);
	le32_put(h->entries_crc32, array_crc);
	le32_put(h->header_crc32, strata_crc32(0, block, STRATA_GPT_HEADER_SIZE));
}

int strata_gpt_encode(const struct strata_gpt_plan *plan, const uint8_t disk_guid[16],
		      uint8_t *entries, uint8_t *primary_hdr_block, uint8_t *backup_hdr_block,
		      uint32_t block_size)
{
	uint32_t crc;

	if (block_size != plan->block_size || !plan_sane(plan))
		return STRATA_EINVAL;
	strata_memset(entries, 0, STRATA_GPT_ARRAY_BYTES);
	for (unsigned int i = 0; i < plan->nparts; i++) {
		const struct strata_gpt_part *p = &plan->parts[i];
		struct strata_gpt_entry *e = (void *)(entries + (p->num - 1) * STRATA_GPT_ENTRY_SIZE);

		strata_memcpy(e->type_guid, p->type_guid, 16);
		strata_memcpy(e->part_guid, p->part_guid, 16);
		le64_put(e->first_lba, p->first_lba);
		le64_put(e->last_lba, p->last_lba);
		le64_put(e->attributes, p->attributes);
		strata_memcpy(e->name, p->name, 72);
	}
	crc = strata_crc32(0, entries, STRATA_GPT_ARRAY_BYTES);
	header_encode(primary_hdr_block, plan, disk_guid, 1, plan->backup_lba, 2, crc);
	header_encode(backup_hdr_block, plan, disk_guid, plan->backup_lba, 1,
		      plan->backup_array_lba, crc);
	return 0;
}

/* Pack LBA into an MBR CHS triple on the 255-head, 63-sector geometry every tool assumes;
 * 0xFFFFFF when it does not fit (UEFI 2.10 table 5-4). */
static void chs_put(uint8_t chs[3], uint64_t lba)
{
	uint64_t cyl = lba / (255 * 63), head = lba / 63 % 255, sec = lba % 63 + 1;

	if (cyl > 1023) {
		chs[0] = chs[1] = chs[2] = 0xFF;
		return;
	}
	chs[0] = (uint8_t)head;
	chs[1] = (uint8_t)(sec | ((cyl >> 2) & 0xC0));
	chs[2] = (uint8_t)cyl;
}

void strata_gpt_protective_mbr(uint8_t block0[512], uint64_t disk_blocks)
{
	uint8_t *r = block0 + 446;   /* the first of the four partition records */
	uint64_t size = disk_blocks > 1 ? disk_blocks - 1 : 0;

	strata_memset(block0, 0, 512);
	chs_put(r + 1, 1);           /* 0x000200: cylinder 0, head 0, sector 2 */
	r[4] = 0xEE;                 /* GPT protective */
	chs_put(r + 5, size);        /* the disk's last block */
	le32_put(r + 8, 1);
	le32_put(r + 12, size > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)size);
	block0[510] = 0x55;
	block0[511] = 0xAA;
}

/* Check where the entry array of a header lies: past LBA 1, wholly before the usable
 * range or wholly after it and before the last block. */
static int check_array_place(const struct strata_gpt_hdr *h, struct strata_diag *diag)
{
	uint64_t a = h->array_lba, n = h->disk_blocks;

	if (a < 2)
		return strata_fail(diag, STRATA_ERANGE,
				   "entry array overlaps the MBR or the primary header", H_ARRAY_LBA);
	if (a < h->first_usable) {
		if (h->array_blocks > h->first_usable - a)
			return strata_fail(diag, STRATA_ERANGE,
					   "entry array runs into the usable range", H_ARRAY_LBA);
		return 0;
	}
	if (a <= h->last_usable)
		return strata_fail(diag, STRATA_ERANGE, "entry array starts inside the usable range",
				   H_ARRAY_LBA);
	/* a > last_usable, and last_usable <= n - 2 was checked, so n - 1 - a cannot wrap. */
	if (a > n - 2 || h->array_blocks > n - 1 - a)
		return strata_fail(diag, STRATA_ERANGE,
				   "entry array runs into the backup header or off the disk",
				   H_ARRAY_LBA);
	return 0;
}

/* The fields a header's CRC protects, checked in offset order. */
static int check_header_fields(const struct strata_gpt_header *g, uint64_t lba,
			       struct strata_gpt_hdr *h, struct strata_diag *diag)
{
	uint64_t n = h->disk_blocks;

	if (le32_get(g->reserved) != 0)
		return strata_fail(diag, STRATA_EINVAL, "reserved GPT header field is not zero",
				   H_RESERVED);
	h->my_lba = le64_get(g->my_lba);
	if (h->my_lba != lba)
		return strata_fail(diag, STRATA_EINVAL,
				   "GPT header's own LBA is not the block it was read from", H_MY_LBA);
	h->alternate_lba = le64_get(g->alternate_lba);
	if (h->alternate_lba != (lba == 1 ? n - 1 : 1))
		return strata_fail(diag, STRATA_ERANGE,
				   "other GPT header is not at the other end of the disk (resized?)",
				   H_ALT_LBA);
	h->first_usable = le64_get(g->first_usable_lba);
	if (h->first_usable < 2)
		return strata_fail(diag, STRATA_ERANGE,
				   "first usable LBA overlaps the MBR or the primary header", H_FIRST);
	h->last_usable = le64_get(g->last_usable_lba);
	if (h->last_usable > n - 2)
		return strata_fail(diag, STRATA_ERANGE,
				   "last usable LBA reaches the backup header or past the disk", H_LAST);
	if (h->last_usable < h->first_usable)
		return strata_fail(diag, STRATA_ERANGE, "last usable LBA is before the first", H_LAST);
	strata_memcpy(h->disk_guid, g->disk_guid, 16);
	if (strata_is_zero(h->disk_guid, 16))
		return strata_fail(diag, STRATA_EINVAL, "disk GUID is zero", H_DISK_GUID);
	h->entry_count = le32_get(g->entry_count);
	if (h->entry_count == 0)
		return strata_fail(diag, STRATA_EINVAL, "GPT has no partition entries", H_COUNT);
	if (h->entry_count > STRATA_GPT_ENTRIES)
		return strata_fail(diag, STRATA_ENOTSUP, "GPT has more than 128 partition entries",
				   H_COUNT);
	if (le32_get(g->entry_size) != STRATA_GPT_ENTRY_SIZE)
		return strata_fail(diag, STRATA_EINVAL, "GPT entry size is not 128", H_ENTRY_SIZE);
	h->array_bytes = h->entry_count * STRATA_GPT_ENTRY_SIZE;
	h->array_blocks = (h->array_bytes + h->block_size - 1) / h->block_size;
	h->array_lba = le64_get(g->entries_lba);
	h->array_crc = le32_get(g->entries_crc32);
	return check_array_place(h, diag);
}

int strata_gpt_header_parse(const uint8_t *hdr_block, uint32_t block_size,
			    uint64_t disk_blocks, uint64_t lba, struct strata_gpt_hdr *h,
			    struct strata_diag *diag)
{
	const struct strata_gpt_header *g = (const void *)hdr_block;
	uint8_t copy[STRATA_GPT_HEADER_SIZE];

	strata_memset(h, 0, sizeof(*h));
	if (!block_size_ok(block_size))
		return strata_fail(diag, STRATA_ENOTSUP,
				   "block size is not a power of two from 512 to 4096", 0);
	/* MBR, two headers, one block of array and one usable block at the least. */
	if (disk_blocks < 5)
		return strata_fail(diag, STRATA_ERANGE, "disk is too small to hold a GPT", 0);
	if (lba != 1 && lba != disk_blocks - 1)
		return strata_fail(diag, STRATA_EINVAL,
				   "a GPT header is read from LBA 1 or the disk's last block", 0);
	h->block_size = block_size;
	h->disk_blocks = disk_blocks;
	if (strata_memcmp(g->signature, STRATA_GPT_SIGNATURE, 8) != 0)
		return strata_fail(diag, STRATA_ENOENT, "no GPT header here (no EFI PART signature)",
				   0);
	if (le32_get(g->revision) != STRATA_GPT_REVISION)
		return strata_fail(diag, STRATA_ENOTSUP, "unknown GPT revision", H_REVISION);
	if (le32_get(g->header_size) != STRATA_GPT_HEADER_SIZE)
		return strata_fail(diag, STRATA_EINVAL, "GPT header size is not 92", H_SIZE);
	strata_memcpy(copy, hdr_block, sizeof(copy));
	strata_memset(copy + H_CRC, 0, 4);
	if (strata_crc32(0, copy, sizeof(copy)) != le32_get(g->header_crc32))
		return strata_fail(diag, STRATA_ECORRUPT, "GPT header CRC mismatch", H_CRC);
	return check_header_fields(g, lba, h, diag);
}

/* Check used entry p (at byte `at` of the array) against the header and the entries
 * before it, out->parts[0..out->nparts). */
static int check_entry(const struct strata_gpt_table *out, const struct strata_gpt_part *p,
		       uint64_t at, struct strata_diag *diag)
{
	if (strata_is_zero(p->part_guid, 16))
		return strata_fail(diag, STRATA_EINVAL, "used entry has a zero partition GUID",
				   at + E_PART_GUID);
	if (p->first_lba > p->last_lba)
		return strata_fail(diag, STRATA_EINVAL, "partition ends before it starts",
				   at + E_FIRST);
	if (p->first_lba < out->hdr.first_usable)
		return strata_fail(diag, STRATA_ERANGE, "partition starts before the first usable LBA",
				   at + E_FIRST);
	if (p->last_lba > out->hdr.last_usable)
		return strata_fail(diag, STRATA_ERANGE, "partition ends after the last usable LBA",
				   at + E_LAST);
	for (unsigned int j = 0; j < out->nparts; j++) {
		const struct strata_gpt_part *q = &out->parts[j];

		if (!strata_memcmp(q->part_guid, p->part_guid, 16))
			return strata_fail(diag, STRATA_EINVAL, "partition GUID used twice",
					   at + E_PART_GUID);
		if (overlaps(p->first_lba, p->last_lba, q->first_lba, q->last_lba))
			return strata_fail(diag, STRATA_EINVAL, "partition overlaps an earlier entry's",
					   at + E_FIRST);
	}
	return 0;
}

int strata_gpt_entries_parse(const struct strata_gpt_hdr *h, const uint8_t *entries,
			     size_t entries_len, struct strata_gpt_table *out,
			     struct strata_diag *diag)
{
	int rc;

	out->nparts = 0;
	if (h->entry_count == 0 || h->entry_count > STRATA_GPT_ENTRIES ||
	    h->array_bytes != h->entry_count * STRATA_GPT_ENTRY_SIZE)
		return strata_fail(diag, STRATA_EINVAL, "GPT header was not validated", 0);
	if (entries_len < h->array_bytes)
		return strata_fail(diag, STRATA_ETRUNC, "entry array shorter than its header says",
				   entries_len);
	if (strata_crc32(0, entries, h->array_bytes) != h->array_crc)
		return strata_fail(diag, STRATA_ECORRUPT, "GPT entry array CRC mismatch", 0);
	out->hdr = *h;
	for (uint32_t i = 0; i < h->entry_count; i++) {
		const struct strata_gpt_entry *e = (const void *)(entries + i * STRATA_GPT_ENTRY_SIZE);
		struct strata_gpt_part *p = &out->parts[out->nparts];

		if (strata_is_zero(e->type_guid, 16))
			continue;   /* unused; its other bytes mean nothing */
		p->num = i + 1;
		p->policy = 0;
		strata_memcpy(p->type_guid, e->type_guid, 16);
		strata_memcpy(p->part_guid, e->part_guid, 16);
		p->first_lba = le64_get(e->first_lba);
		p->last_lba = le64_get(e->last_lba);
		p->attributes = le64_get(e->attributes);
		strata_memcpy(p->name, e->name, 72);
		rc = check_entry(out, p, (uint64_t)i * STRATA_GPT_ENTRY_SIZE, diag);
		if (rc)
			return rc;
		out->nparts++;
	}
	return 0;
}

int strata_gpt_parse(const uint8_t *hdr_block, uint64_t lba, const uint8_t *entries,
		     size_t entries_len, uint32_t block_size, uint64_t disk_blocks,
		     struct strata_gpt_table *out, struct strata_diag *diag)
{
	struct strata_gpt_hdr h;
	int rc;

	out->nparts = 0;
	rc = strata_gpt_header_parse(hdr_block, block_size, disk_blocks, lba, &h, diag);
	if (rc)
		return rc;
	return strata_gpt_entries_parse(&h, entries, entries_len, out, diag);
}

/* The entry of have with this partition GUID, or NULL. */
static const struct strata_gpt_part *find_guid(const struct strata_gpt_table *have,
					       const uint8_t guid[16])
{
	for (unsigned int i = 0; i < have->nparts; i++)
		if (!strata_memcmp(have->parts[i].part_guid, guid, 16))
			return &have->parts[i];
	return NULL;
}

/* No write or restore partition of want may overlap the current extent `old` of a
 * preserved partition. */
static int check_no_overwrite(const struct strata_gpt_plan *want,
			      const struct strata_gpt_part *old, struct strata_diag *diag)
{
	for (unsigned int i = 0; i < want->nparts; i++) {
		const struct strata_gpt_part *w = &want->parts[i];

		if (w->policy == STRATA_POLICY_PRESERVE)
			continue;
		if (overlaps(w->first_lba, w->last_lba, old->first_lba, old->last_lba))
			return strata_fail(diag, STRATA_EINVAL,
					   "partition to be written overlaps a preserved partition's data",
					   w->num);
	}
	return 0;
}

/* A preserved partition w found on the disk as old must keep its exact extent. */
static int check_same_place(const struct strata_gpt_part *w, const struct strata_gpt_part *old,
			    struct strata_diag *diag)
{
	if (w->first_lba != old->first_lba)
		return strata_fail(diag, STRATA_EINVAL,
				   "preserved partition would move (its start differs from the disk's)",
				   w->num);
	if (w->last_lba < old->last_lba)
		return strata_fail(diag, STRATA_EINVAL,
				   "preserved partition would shrink (it ends earlier than on the disk)",
				   w->num);
	if (w->last_lba > old->last_lba)
		return strata_fail(diag, STRATA_EINVAL,
				   "preserved partition would grow (it ends later than on the disk)",
				   w->num);
	return 0;
}

int strata_gpt_check_preserve(const struct strata_gpt_table *have,
			      const struct strata_gpt_plan *want, struct strata_diag *diag)
{
	const struct strata_gpt_part *old;
	int rc;

	if (want->nparts > STRATA_MAX_PARTS || have->nparts > STRATA_GPT_ENTRIES)
		return strata_fail(diag, STRATA_EINVAL, "plan or table holds too many partitions", 0);
	/* Overlaps first: "partition 2 would overwrite preserved data" is the root cause when
	 * a layout grew into a preserved partition and pushed it along. */
	for (unsigned int i = 0; i < want->nparts; i++) {
		if (want->parts[i].policy != STRATA_POLICY_PRESERVE)
			continue;
		old = find_guid(have, want->parts[i].part_guid);
		if (old && (rc = check_no_overwrite(want, old, diag)) != 0)
			return rc;
	}
	for (unsigned int i = 0; i < want->nparts; i++) {
		if (want->parts[i].policy != STRATA_POLICY_PRESERVE)
			continue;
		old = find_guid(have, want->parts[i].part_guid);
		if (old && (rc = check_same_place(&want->parts[i], old, diag)) != 0)
			return rc;
	}
	return 0;
}

int strata_gpt_part_exists(const struct strata_gpt_table *have,
			   const struct strata_gpt_part *part)
{
	const struct strata_gpt_part *old;

	if (have->nparts > STRATA_GPT_ENTRIES)
		return 0;
	old = find_guid(have, part->part_guid);
	return old && old->first_lba == part->first_lba && old->last_lba == part->last_lba;
}

void strata_gpt_name_ascii(char out[STRATA_GPT_NAME_UNITS + 1], const uint8_t name[72])
{
	unsigned int i;

	for (i = 0; i < STRATA_GPT_NAME_UNITS; i++) {
		uint16_t u = le16_get(name + 2 * i);

		if (u == 0)
			break;
		out[i] = u >= 0x20 && u < 0x7F ? (char)u : '?';
	}
	out[i] = '\0';
}

_Static_assert(STRATA_GPT_NAME_UNITS == STRATA_LABEL_MAX, "a GPT name holds a whole label");

int strata_gpt_label(char out[STRATA_LABEL_MAX + 1], const uint8_t name[72])
{
	strata_gpt_name_ascii(out, name);
	return strata_label_ok(out, strata_strlen(out)) ? 0 : STRATA_EINVAL;
}
