/*
 * ext2/3/4: the used-block map from the group block bitmaps, the consistency verdict from
 * the superblock, and the journal's stale log area (structures in fs_ext4.h).
 *
 * A group marked BLOCK_UNINIT (honoured only with group descriptor checksums, as the
 * kernel does) has no bitmap on disk; its used blocks are its own metadata, which we mark
 * from the layout.  Every group's bitmaps and inode table are marked used wherever they are
 * (flex_bg packs them into other groups), whatever the bitmaps say.
 */
#include "fs_ext4.h"
#include "alloc.h"
#include "fs_scan.h"
#include "le.h"
#include "mem.h"

/** Depth of extent tree we follow; the kernel's limit is 5. */
#define EXT4_EXTENT_DEPTH_MAX 5

/** The geometry of one filesystem, validated, and the buffers of its scan. */
struct ext4 {
	struct fs_scan *s;
	uint32_t bs;            /**< block size, 1 KiB .. 64 KiB */
	uint64_t blocks;        /**< blocks in the filesystem */
	uint32_t fdb;           /**< first data block: 0 or 1 */
	uint32_t bpg, ipg;      /**< blocks and inodes per group */
	uint32_t inode_size;
	uint32_t desc_size;     /**< 32, or 64.. with 64bit */
	uint32_t rgdt;          /**< reserved table blocks after each table copy */
	uint64_t groups;
	uint64_t gdt_blocks;    /**< blocks of one descriptor table copy */
	uint32_t compat, incompat, ro;
	uint32_t backup_bgs[2];
	uint32_t journal_ino;   /**< 0: no journal inode */
	uint8_t *blk;           /**< one block: descriptor table or bitmap; owned here */
};

/** One run of the journal: logical blocks lblk .. lblk + len - 1 at physical pblk. */
struct ext4_run {
	uint64_t lblk, pblk, len;
};

/** The journal's runs, in logical order. */
struct ext4_runs {
	unsigned int n;
	struct ext4_run run[STRATA_FSMAP_ZERO_MAX];
};

int fs_ext4_probe(const uint8_t *page, size_t len)
{
	const struct ext4_super *sb = (const void *)(page + EXT4_SB_OFFSET);

	return len >= EXT4_SB_OFFSET + sizeof(*sb) && le16_get(sb->magic) == EXT4_MAGIC;
}

/* The consistency verdict from the superblock's state and features. */
static void check_state(struct strata_fsmap *m, const struct ext4_super *sb)
{
	uint16_t state = le16_get(sb->state);

	if (le32_get(sb->feature_incompat) & EXT4_INCOMPAT_RECOVER)
		fs_verdict(m, STRATA_FS_REFUSE,
			   "the journal needs recovery (not cleanly unmounted); mount and "
			   "unmount it, or run e2fsck, then capture again");
	else if (state & EXT4_STATE_ERROR)
		fs_verdict(m, STRATA_FS_REFUSE,
			   "the filesystem has recorded errors; run e2fsck -f, then capture again");
	else if (!(state & EXT4_STATE_VALID))
		fs_verdict(m, STRATA_FS_REFUSE,
			   "the filesystem state is not clean (not cleanly unmounted); run "
			   "e2fsck -f, then capture again");
}

/* Block size, count and first data block, checked against each other and the partition. */
static int load_size(struct ext4 *e, const struct ext4_super *sb)
{
	struct strata_diag *d = e->s->diag;
	uint32_t log = le32_get(sb->log_block_size);
	uint64_t bytes;

	if (log > 6)
		return strata_fail(d, STRATA_ERANGE, "ext4 block size above 64 KiB", 0x18);
	e->bs = 1024u << log;
	e->blocks = le32_get(sb->blocks_count_lo);
	if (e->incompat & EXT4_INCOMPAT_64BIT)
		e->blocks |= (uint64_t)le32_get(sb->blocks_count_hi) << 32;
	e->fdb = le32_get(sb->first_data_block);
	if (e->fdb != (e->bs == 1024 ? 1u : 0u) || e->blocks <= e->fdb)
		return strata_fail(d, STRATA_ERANGE, "ext4 first data block or block count", 0x14);
	if (fs_mul(e->blocks, e->bs, &bytes) || bytes > e->s->r->size)
		return strata_fail(d, STRATA_ERANGE, "ext4 is larger than its partition", 0x04);
	e->s->m->fs_bytes = bytes;
	e->s->m->block_size = e->bs;
	return 0;
}

/* Features we cannot map (the volume is then fully used). */
static int check_features(struct ext4 *e)
{
	struct strata_diag *d = e->s->diag;

	if (e->incompat & EXT4_INCOMPAT_JOURNAL_DEV)
		return strata_fail(d, STRATA_ENOTSUP, "an external ext4 journal device", 0x60);
	if (e->incompat & EXT4_INCOMPAT_META_BG)
		return strata_fail(d, STRATA_ENOTSUP, "ext4 meta_bg layout is not read", 0x60);
	if (e->ro & EXT4_RO_COMPAT_BIGALLOC)
		return strata_fail(d, STRATA_ENOTSUP, "ext4 bigalloc is not read", 0x64);
	return 0;
}

/* Groups, inodes and descriptors: every size the scan multiplies by. */
static int load_groups(struct ext4 *e, const struct ext4_super *sb)
{
	struct strata_diag *d = e->s->diag;

	e->bpg = le32_get(sb->blocks_per_group);
	if (e->bpg < 8 || e->bpg > 8 * e->bs || e->bpg % 8)
		return strata_fail(d, STRATA_ERANGE, "ext4 blocks per group", 0x20);
	e->ipg = le32_get(sb->inodes_per_group);
	if (e->ipg == 0 || e->ipg > 8 * e->bs)
		return strata_fail(d, STRATA_ERANGE, "ext4 inodes per group", 0x28);
	e->inode_size = le32_get(sb->rev_level) == 0 ? 128u : le16_get(sb->inode_size);
	if (e->inode_size < 128 || e->inode_size > e->bs || (e->inode_size & (e->inode_size - 1)))
		return strata_fail(d, STRATA_ERANGE, "ext4 inode size", 0x58);
	e->desc_size = (e->incompat & EXT4_INCOMPAT_64BIT) ? le16_get(sb->desc_size) : 32u;
	if (e->desc_size < 32 || e->desc_size > 1024 || (e->desc_size & (e->desc_size - 1)) ||
	    ((e->incompat & EXT4_INCOMPAT_64BIT) && e->desc_size < 64))
		return strata_fail(d, STRATA_ERANGE, "ext4 group descriptor size", 0xFE);
	e->groups = (e->blocks - e->fdb + e->bpg - 1) / e->bpg;
	e->gdt_blocks = (e->groups * e->desc_size + e->bs - 1) / e->bs;
	e->rgdt = le16_get(sb->reserved_gdt_blocks);
	if (1 + e->gdt_blocks + e->rgdt > e->bpg)
		return strata_fail(d, STRATA_ERANGE, "ext4 descriptor table larger than a group",
				   0xCE);
	return 0;
}

/* Read and check the superblock into e; sets the verdict first, whatever follows. */
static int load_super(struct ext4 *e)
{
	struct ext4_super sb;
	int rc;

	rc = fs_read(e->s, EXT4_SB_OFFSET, &sb, sizeof(sb));
	if (rc)
		return rc;
	if (le16_get(sb.magic) != EXT4_MAGIC)
		return strata_fail(e->s->diag, STRATA_EINVAL, "no ext4 superblock magic", 0x38);
	check_state(e->s->m, &sb);
	e->compat = le32_get(sb.feature_compat);
	e->incompat = le32_get(sb.feature_incompat);
	e->ro = le32_get(sb.feature_ro_compat);
	e->backup_bgs[0] = le32_get(sb.backup_bgs[0]);
	e->backup_bgs[1] = le32_get(sb.backup_bgs[1]);
	e->journal_ino = le32_get(sb.journal_inum);
	rc = check_features(e);
	if (!rc)
		rc = load_size(e, &sb);
	if (!rc)
		rc = load_groups(e, &sb);
	return rc;
}

/* 1 when n is a power of b (1 included). */
static int is_power_of(uint64_t n, uint64_t b)
{
	while (n > 1 && n % b == 0)
		n /= b;
	return n == 1;
}

/* Does group g hold a superblock backup (and a descriptor table copy)? */
static int has_super(const struct ext4 *e, uint64_t g)
{
	if (g == 0)
		return 1;
	if (e->compat & EXT4_COMPAT_SPARSE_SUPER2)
		return g == e->backup_bgs[0] || g == e->backup_bgs[1];
	if (!(e->ro & EXT4_RO_COMPAT_SPARSE_SUPER))
		return 1;
	return g == 1 || is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

/* Mark blocks [b, b + n) used, after checking they lie inside the filesystem. */
static int mark_blocks(struct ext4 *e, uint64_t b, uint64_t n, const char *what)
{
	if (b < e->fdb || b >= e->blocks || n > e->blocks - b)
		return strata_fail(e->s->diag, STRATA_ERANGE, what, b);
	fs_mark(e->s->m, b * e->bs, n * e->bs);
	return 0;
}

/* First block of group g and its block count (the last group may be short). */
static void group_extent(const struct ext4 *e, uint64_t g, uint64_t *first, uint64_t *n)
{
	*first = e->fdb + g * e->bpg;
	*n = e->blocks - *first < e->bpg ? e->blocks - *first : e->bpg;
}

/* A 32- or 64-bit block number from a descriptor's lo and hi halves. */
static uint64_t desc_block(const struct ext4 *e, const uint8_t *lo, const uint8_t *hi)
{
	uint64_t b = le32_get(lo);

	if (e->desc_size >= 64)
		b |= (uint64_t)le32_get(hi) << 32;
	return b;
}

/* Mark the group's bitmaps and inode table, wherever flex_bg put them. */
static int mark_group_meta(struct ext4 *e, const struct ext4_group_desc *gd)
{
	uint64_t itable = ((uint64_t)e->ipg * e->inode_size + e->bs - 1) / e->bs;
	int rc;

	rc = mark_blocks(e, desc_block(e, gd->block_bitmap_lo, gd->block_bitmap_hi), 1,
			 "ext4 block bitmap outside the filesystem");
	if (!rc)
		rc = mark_blocks(e, desc_block(e, gd->inode_bitmap_lo, gd->inode_bitmap_hi), 1,
				 "ext4 inode bitmap outside the filesystem");
	if (!rc)
		rc = mark_blocks(e, desc_block(e, gd->inode_table_lo, gd->inode_table_hi), itable,
				 "ext4 inode table outside the filesystem");
	return rc;
}

/* A group without a bitmap on disk: its superblock backup and tables are its used blocks. */
static int mark_uninit_group(struct ext4 *e, uint64_t g)
{
	uint64_t first, n;

	group_extent(e, g, &first, &n);
	if (!has_super(e, g))
		return 0;
	return mark_blocks(e, first, 1 + e->gdt_blocks + e->rgdt,
			   "ext4 group too small for its superblock backup");
}

/* Read group g's block bitmap and mark what it says is used. */
static int scan_bitmap(struct ext4 *e, uint64_t g, const struct ext4_group_desc *gd)
{
	uint64_t first, n, b = desc_block(e, gd->block_bitmap_lo, gd->block_bitmap_hi);
	int rc;

	group_extent(e, g, &first, &n);
	rc = fs_read(e->s, b * e->bs, e->blk, e->bs);
	if (rc)
		return rc;
	fs_mark_bitmap(e->s->m, e->blk, n, 0, first, e->bs);
	return 0;
}

/* One group: its metadata, then its bitmap or, uninitialised, its layout. */
static int scan_group(struct ext4 *e, uint64_t g, const struct ext4_group_desc *gd)
{
	int csum = e->ro & (EXT4_RO_COMPAT_GDT_CSUM | EXT4_RO_COMPAT_METADATA_CSUM);
	int rc;

	rc = mark_group_meta(e, gd);
	if (rc)
		return rc;
	if (csum && (le16_get(gd->flags) & EXT4_BG_BLOCK_UNINIT))
		return mark_uninit_group(e, g);
	return scan_bitmap(e, g, gd);
}

/* Copy descriptor i of the table block in e->blk into gd (zero-padded to 64 bytes). */
static void desc_copy(const struct ext4 *e, uint64_t i, struct ext4_group_desc *gd)
{
	size_t n = e->desc_size < sizeof(*gd) ? e->desc_size : sizeof(*gd);

	strata_memset(gd, 0, sizeof(*gd));
	strata_memcpy(gd, e->blk + i * e->desc_size, n);
}

/* Walk the primary descriptor table block by block; each block is copied out before the
 * bitmaps reuse e->blk. */
static int scan_groups(struct ext4 *e)
{
	uint64_t per = e->bs / e->desc_size, g = 0;
	struct ext4_group_desc gd[64];
	int rc;

	for (uint64_t t = 0; t < e->gdt_blocks; t++) {
		uint64_t n = e->groups - g < per ? e->groups - g : per;

		for (uint64_t done = 0; done < n; done += 64) {
			uint64_t k = n - done < 64 ? n - done : 64;

			rc = fs_read(e->s, (e->fdb + 1 + t) * e->bs, e->blk, e->bs);
			if (rc)
				return rc;
			for (uint64_t i = 0; i < k; i++)
				desc_copy(e, done + i, &gd[i]);
			for (uint64_t i = 0; i < k; i++)
				if ((rc = scan_group(e, g + done + i, &gd[i])) != 0)
					return rc;
		}
		g += n;
	}
	return 0;
}

/* Read inode ino's first 128 bytes into *ino_out. */
static int read_inode(struct ext4 *e, uint32_t ino, struct ext4_inode *out)
{
	uint64_t g = (ino - 1) / e->ipg, idx = (ino - 1) % e->ipg, table, off;
	struct ext4_group_desc gd;
	int rc;

	if (ino == 0 || g >= e->groups)
		return strata_fail(e->s->diag, STRATA_ERANGE, "ext4 journal inode number", 0xE0);
	strata_memset(&gd, 0, sizeof(gd));
	rc = fs_read(e->s, (e->fdb + 1) * (uint64_t)e->bs + g * e->desc_size, &gd,
		     e->desc_size < sizeof(gd) ? e->desc_size : sizeof(gd));
	if (rc)
		return rc;
	table = desc_block(e, gd.inode_table_lo, gd.inode_table_hi);
	if (table >= e->blocks)
		return strata_fail(e->s->diag, STRATA_ERANGE, "ext4 inode table", table);
	off = table * e->bs + idx * e->inode_size;
	return fs_read(e->s, off, out, sizeof(*out));
}

static int walk_extents(struct ext4 *e, const uint8_t *node, size_t len, unsigned int depth,
			struct ext4_runs *runs);

/* Add the leaf extents of a node to runs; 1 when they do not fit or do not check out. */
static int add_leaves(struct ext4 *e, const uint8_t *ents, unsigned int n, struct ext4_runs *runs)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct ext4_extent *x = (const void *)(ents + 12 * i);
		struct ext4_run *r = &runs->run[runs->n];
		uint32_t len = le16_get(x->len);

		if (runs->n == STRATA_FSMAP_ZERO_MAX || len == 0 || len > EXT4_EXTENT_INIT_MAX)
			return 1;    /* unwritten extents never hold a journal */
		r->lblk = le32_get(x->block);
		r->pblk = (uint64_t)le16_get(x->start_hi) << 32 | le32_get(x->start_lo);
		r->len = len;
		if (r->pblk >= e->blocks || r->len > e->blocks - r->pblk)
			return 1;
		runs->n++;
	}
	return 0;
}

/* Follow the index entries of a node to their children, one block each. */
static int follow_index(struct ext4 *e, const uint8_t *ents, unsigned int n,
			unsigned int depth, struct ext4_runs *runs)
{
	uint8_t *child = strata_alloc(e->bs);
	int rc = 0;

	if (!child)
		return STRATA_ENOMEM;
	for (unsigned int i = 0; i < n && !rc; i++) {
		const struct ext4_extent_idx *x = (const void *)(ents + 12 * i);
		uint64_t b = (uint64_t)le16_get(x->leaf_hi) << 32 | le32_get(x->leaf_lo);

		if (b >= e->blocks)
			rc = 1;
		else if ((rc = fs_read(e->s, b * e->bs, child, e->bs)) == 0)
			rc = walk_extents(e, child, e->bs, depth - 1, runs);
	}
	strata_free(child);
	return rc;
}

/* Collect the runs of the extent tree node node[0..len) whose depth must be `depth`.
 * 0, 1 (the tree does not check out: keep the journal used) or an rc from a read. */
static int walk_extents(struct ext4 *e, const uint8_t *node, size_t len, unsigned int depth,
			struct ext4_runs *runs)
{
	const struct ext4_extent_header *h = (const void *)node;
	unsigned int n = le16_get(h->entries);

	if (le16_get(h->magic) != EXT4_EXTENT_MAGIC || le16_get(h->depth) != depth ||
	    n > (len - sizeof(*h)) / 12)
		return 1;
	if (depth == 0)
		return add_leaves(e, node + sizeof(*h), n, runs);
	return follow_index(e, node + sizeof(*h), n, depth, runs);
}

/* Map the journal's logical block l to a physical one through runs; -1 when unmapped. */
static int64_t run_map(const struct ext4_runs *runs, uint64_t l)
{
	for (unsigned int i = 0; i < runs->n; i++)
		if (l >= runs->run[i].lblk && l - runs->run[i].lblk < runs->run[i].len)
			return (int64_t)(runs->run[i].pblk + (l - runs->run[i].lblk));
	return -1;
}

/* Record the log area, journal blocks [first, maxlen), as zero ranges; all or none. */
static void zero_log(struct ext4 *e, const struct ext4_runs *runs, uint64_t first,
		     uint64_t maxlen)
{
	struct strata_fsmap *m = e->s->m;
	unsigned int keep = m->nzero;

	for (unsigned int i = 0; i < runs->n; i++) {
		const struct ext4_run *r = &runs->run[i];
		uint64_t a = r->lblk > first ? r->lblk : first;
		uint64_t b = r->lblk + r->len < maxlen ? r->lblk + r->len : maxlen;

		if (a < b && fs_zero_add(m, (r->pblk + (a - r->lblk)) * e->bs, (b - a) * e->bs)) {
			m->nzero = keep;   /* out of order or too many: keep the log used */
			return;
		}
	}
}

/* Read the journal superblock at physical block pb; zero the log when it is empty. */
static int check_journal_sb(struct ext4 *e, const struct ext4_runs *runs, uint64_t pb,
			    uint64_t inode_blocks)
{
	struct jbd2_super j;
	uint32_t type, maxlen, first;
	int rc;

	rc = fs_read(e->s, pb * e->bs, &j, sizeof(j));
	if (rc)
		return rc;
	type = be32_get(j.blocktype);
	maxlen = be32_get(j.maxlen);
	first = be32_get(j.first);
	if (be32_get(j.magic) != JBD2_MAGIC || (type != JBD2_SB_V1 && type != JBD2_SB_V2) ||
	    be32_get(j.blocksize) != e->bs || maxlen > inode_blocks || first == 0 ||
	    first >= maxlen)
		return 0;   /* not a journal we understand: it stays used */
	if (be32_get(j.start) != 0)
		return 0;   /* transactions to replay: never a stale log */
	zero_log(e, runs, first, maxlen);
	return 0;
}

/* The journal inode's log area, when the volume is clean and the log empty. */
static int scan_journal(struct ext4 *e)
{
	struct ext4_runs runs = { 0 };
	struct ext4_inode in;
	unsigned int depth;
	uint64_t size;
	int64_t pb;
	int rc;

	if (!(e->compat & EXT4_COMPAT_HAS_JOURNAL) || e->s->m->verdict != STRATA_FS_OK ||
	    e->journal_ino == 0)
		return 0;   /* no journal, a log to replay, or an external journal device */
	rc = read_inode(e, e->journal_ino, &in);
	if (rc)
		return rc;
	depth = le16_get(((const struct ext4_extent_header *)(const void *)in.block)->depth);
	if (!(le32_get(in.flags) & EXT4_INODE_EXTENTS) || depth > EXT4_EXTENT_DEPTH_MAX)
		return 0;   /* an ext3 block-mapped journal, or a tree we do not follow: used */
	rc = walk_extents(e, in.block, sizeof(in.block), depth, &runs);
	if (rc == 1)
		return 0;
	if (rc)
		return rc;
	size = (uint64_t)le32_get(in.size_high) << 32 | le32_get(in.size_lo);
	pb = run_map(&runs, 0);
	return pb < 0 ? 0 : check_journal_sb(e, &runs, (uint64_t)pb, size / e->bs);
}

/* The scan proper once the superblock checked out; owns e->blk. */
static int scan(struct ext4 *e)
{
	struct strata_fsmap *m = e->s->m;
	int rc;

	fs_budget(e->s, e->groups * ((uint64_t)e->desc_size + e->bs) + FS_BUDGET_SLACK);
	e->blk = strata_alloc(e->bs);
	if (!e->blk)
		return STRATA_ENOMEM;
	fs_mark(m, 0, EXT4_SB_OFFSET + sizeof(struct ext4_super));   /* boot block, superblock */
	rc = scan_groups(e);
	if (!rc)
		rc = scan_journal(e);
	fs_mark_tail(m, m->fs_bytes);
	strata_free(e->blk);
	e->blk = NULL;
	return rc;
}

int fs_ext4_scan(struct fs_scan *s)
{
	struct ext4 e;
	int rc;

	strata_memset(&e, 0, sizeof(e));
	e.s = s;
	rc = load_super(&e);
	return rc ? rc : scan(&e);
}
