/*
 * FAT12/16/32: the used-block map from the active allocation table and the dirty bits
 * (structures in fs_fat.h).  Reserved sectors, the tables and the FAT12/16 root directory
 * are used; a cluster is used when its table entry is not 0 (bad clusters included).
 */
#include "fs_fat.h"
#include "alloc.h"
#include "fs_scan.h"
#include "le.h"
#include "mem.h"

/** Table entries read per piece: 64 KiB of FAT32, the whole of any FAT12. */
#define FAT_PIECE_ENTRIES 16384u

/** One volume's geometry, validated. */
struct fat {
	struct fs_scan *s;
	uint32_t bps;           /**< bytes per sector */
	uint32_t cluster;       /**< bytes per cluster */
	uint64_t total;         /**< sectors in the filesystem */
	uint64_t fat_off;       /**< byte offset of the active table */
	uint64_t fat_bytes;     /**< bytes of one table */
	uint64_t data_off;      /**< byte offset of cluster 2 */
	uint64_t clusters;      /**< data clusters */
	unsigned int bits;      /**< 12, 16 or 32 */
};

/* A power of two from lo to hi. */
static int pow2_in(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

int fs_fat_probe(const uint8_t *page, size_t len)
{
	const struct fat_bpb *b = (const void *)page;

	if (len < sizeof(struct fat_boot))
		return 0;
	return (b->jump[0] == 0xEB || b->jump[0] == 0xE9) &&
	       pow2_in(le16_get(b->bytes_per_sector), 512, 4096) &&
	       pow2_in(b->sectors_per_cluster, 1, 128) && le16_get(b->reserved_sectors) &&
	       b->num_fats >= 1 && b->num_fats <= 4 && (b->media == 0xF0 || b->media >= 0xF8);
}

/* Sector counts from the BPB: total, table size, root directory, data start. */
static int load_counts(struct fat *f, const struct fat_boot *bs, uint64_t *data_sec)
{
	const struct fat_bpb *b = &bs->bpb;
	uint64_t fat_sec, root_sec, meta;

	f->total = le16_get(b->total_sectors16) ? le16_get(b->total_sectors16)
						: le32_get(b->total_sectors32);
	fat_sec = le16_get(b->fat_size16) ? le16_get(b->fat_size16)
					  : le32_get(bs->ext.f32.fat_size32);
	root_sec = ((uint64_t)le16_get(b->root_entries) * 32 + f->bps - 1) / f->bps;
	meta = le16_get(b->reserved_sectors) + b->num_fats * fat_sec + root_sec;
	if (fat_sec == 0 || meta >= f->total)
		return strata_fail(f->s->diag, STRATA_ERANGE, "FAT tables fill the volume", 22);
	if (f->total * f->bps > f->s->r->size)
		return strata_fail(f->s->diag, STRATA_ERANGE, "FAT volume larger than its partition",
				   32);
	f->fat_bytes = fat_sec * f->bps;
	*data_sec = meta;
	return 0;
}

/* Type by cluster count, and the fields only one type may have. */
static int settle_type(struct fat *f, const struct fat_boot *bs)
{
	struct strata_fsmap *m = f->s->m;
	int fat32_fields = le16_get(bs->bpb.root_entries) == 0 && le16_get(bs->bpb.fat_size16) == 0;

	if (f->clusters <= FAT12_MAX_CLUSTERS) {
		f->bits = 12;
		m->type = STRATA_FS_FAT12;
	} else if (f->clusters <= FAT16_MAX_CLUSTERS) {
		f->bits = 16;
		m->type = STRATA_FS_FAT16;
	} else {
		f->bits = 32;
		m->type = STRATA_FS_FAT32;
	}
	if ((f->bits == 32) != fat32_fields)
		return strata_fail(f->s->diag, STRATA_EINVAL,
				   "FAT root directory fields disagree with the cluster count", 17);
	if (((f->clusters + 2) * f->bits + 7) / 8 > f->fat_bytes)
		return strata_fail(f->s->diag, STRATA_ERANGE, "FAT too small for its clusters", 22);
	return 0;
}

/* Which table copy is active: the first, unless FAT32 turned mirroring off. */
static int active_fat(struct fat *f, const struct fat_boot *bs)
{
	uint16_t flags = le16_get(bs->ext.f32.ext_flags);
	unsigned int n = 0;

	if (f->bits == 32 && (flags & FAT32_NO_MIRROR))
		n = flags & 0xF;
	if (n >= bs->bpb.num_fats)
		return strata_fail(f->s->diag, STRATA_ERANGE, "active FAT number", 40);
	f->fat_off = (uint64_t)le16_get(bs->bpb.reserved_sectors) * f->bps + n * f->fat_bytes;
	return 0;
}

/* Validate the boot sector into f and settle m->type. */
static int load_boot(struct fat *f, const struct fat_boot *bs)
{
	uint64_t data_sec = 0;
	int rc;

	if (!fs_fat_probe((const uint8_t *)bs, sizeof(*bs)))
		return strata_fail(f->s->diag, STRATA_EINVAL, "not a FAT boot sector", 0);
	f->bps = le16_get(bs->bpb.bytes_per_sector);
	f->cluster = f->bps * bs->bpb.sectors_per_cluster;
	rc = load_counts(f, bs, &data_sec);
	if (rc)
		return rc;
	f->data_off = data_sec * f->bps;
	f->clusters = (f->total - data_sec) / bs->bpb.sectors_per_cluster;
	if (f->clusters == 0)
		return strata_fail(f->s->diag, STRATA_ERANGE, "FAT volume without clusters", 13);
	rc = settle_type(f, bs);
	if (!rc)
		rc = active_fat(f, bs);
	f->s->m->fs_bytes = f->total * f->bps;
	f->s->m->block_size = f->cluster;
	return rc;
}

/* Table entry c, from a piece buf that starts with entry `base` (FAT12: base is 0). */
static uint32_t entry(const struct fat *f, const uint8_t *buf, uint64_t base, uint64_t c)
{
	uint64_t i = c - base;

	if (f->bits == 16)
		return le16_get(buf + 2 * i);
	if (f->bits == 32)
		return le32_get(buf + 4 * i) & 0x0FFFFFFFu;
	return (uint32_t)(c & 1 ? le16_get(buf + c * 3 / 2) >> 4
			       : le16_get(buf + c * 3 / 2) & 0xFFF);
}

/* The dirty bits: the boot sector's state byte, and the clean bit of table entry 1. */
static void check_dirty(struct fat *f, const struct fat_boot *bs, const uint8_t *piece)
{
	uint8_t state = f->bits == 32 ? bs->ext.f32.t.state : bs->ext.f16.t.state;
	uint32_t e1 = entry(f, piece, 0, 1);
	int clean_bit = f->bits == 16 ? !!(e1 & FAT16_CLEAN_BIT)
				      : f->bits == 32 ? !!(e1 & FAT32_CLEAN_BIT) : 1;

	if ((state & FAT_STATE_DIRTY) || !clean_bit)
		fs_verdict(f->s->m, STRATA_FS_REFUSE,
			   "the dirty bit is set (not cleanly unmounted, or a check is pending); "
			   "run fsck.fat -a, or chkdsk /f in Windows, then capture again");
}

/* Mark clusters [first, first + n) used. */
static void mark_clusters(struct fat *f, uint64_t first, uint64_t n)
{
	fs_mark(f->s->m, f->data_off + (first - 2) * f->cluster, n * f->cluster);
}

/* Mark the used clusters among entries [base, end) of the piece buf. */
static void scan_piece(struct fat *f, const uint8_t *buf, uint64_t base, uint64_t end)
{
	uint64_t run = 0, c;

	for (c = base < 2 ? 2 : base; c < end; c++) {
		int used = entry(f, buf, base, c) != 0;

		if (used && !run)
			run = c;
		else if (!used && run) {
			mark_clusters(f, run, c - run);
			run = 0;
		}
	}
	if (run)
		mark_clusters(f, run, end - run);
}

/* Bytes of the table that hold entries [base, end). */
static uint64_t piece_bytes(const struct fat *f, uint64_t base, uint64_t end)
{
	return ((end - base) * f->bits + 7) / 8 + (f->bits == 12);
}

/* Read the active table piece by piece into buf (owned by the caller) and mark clusters;
 * the first piece also gives the dirty bit. */
static int scan_table(struct fat *f, const struct fat_boot *bs, uint8_t *buf, uint64_t per)
{
	uint64_t n = f->clusters + 2, len;
	int rc;

	for (uint64_t base = 0; base < n; base += per) {
		uint64_t end = n - base < per ? n : base + per;

		len = piece_bytes(f, base, end);
		if (len > f->fat_bytes - base * f->bits / 8)
			len = f->fat_bytes - base * f->bits / 8;
		rc = fs_read(f->s, f->fat_off + base * f->bits / 8, buf, len);
		if (rc)
			return rc;
		if (base == 0)
			check_dirty(f, bs, buf);
		scan_piece(f, buf, base, end);
	}
	return 0;
}

int fs_fat_scan(struct fs_scan *s)
{
	struct fat_boot bs;
	struct fat f;
	uint64_t per;
	uint8_t *buf;
	int rc;

	strata_memset(&f, 0, sizeof(f));
	f.s = s;
	rc = fs_read(s, 0, &bs, sizeof(bs));
	if (!rc)
		rc = load_boot(&f, &bs);
	if (rc)
		return rc;
	per = f.bits == 12 ? FAT12_MAX_CLUSTERS + 2 : FAT_PIECE_ENTRIES;
	fs_budget(s, f.fat_bytes + FS_BUDGET_SLACK);
	buf = strata_alloc((size_t)piece_bytes(&f, 0, per));
	if (!buf)
		return STRATA_ENOMEM;
	fs_mark(s->m, 0, f.data_off);
	rc = scan_table(&f, &bs, buf, per);
	fs_mark_tail(s->m, f.data_off + f.clusters * f.cluster);
	strata_free(buf);
	return rc;
}
