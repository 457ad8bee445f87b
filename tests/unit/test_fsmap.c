/*
 * Unit tests for the filesystem maps and verdicts (images/core/fsmap.c, fs_*.c).
 *
 * Why: these parsers read whatever a disk holds, and their answers decide which blocks a
 * layer keeps and whether a capture goes ahead.  A wrong "free" loses data; a missed
 * hibernation makes an unbootable copy.  The tests start from the fuzz seeds (real mkfs
 * images, tests/fuzz/corpus/fs_*), expanded into heap buffers of exactly the partition's
 * size so ASan catches any overread, and then:
 *   - check each seed's type, clean verdict and map (ext4's journal log is a zero range,
 *     swap keeps one page);
 *   - make each unsafe state by patching the bytes that hold it: ext4 needs_recovery,
 *     state not clean, recorded errors; FAT dirty bits (boot sector and table entry 1, for
 *     FAT12/16/32, and the active table of a FAT32 without mirroring); NTFS dirty flag,
 *     an unclean $LogFile restart area, a hibernated hiberfil.sys; swap holding a
 *     hibernation image; BitLocker's signature;
 *   - put fields out of range (block size, counts, table pointers, cluster sizes, MFT
 *     place) and check the volume falls back to fully used with the parser's code;
 *   - cut every seed short at many sizes: never an error, never an overread, and fully
 *     used whenever the filesystem no longer fits;
 *   - check the API's own errors (unit size, empty partition, failed reads) and the
 *     bound on bytes read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsmap.h"
#include "harness.h"
#include "le.h"
#include "fs_seed_load.h"

/** A partition in memory, and what reading it cost. */
struct part {
	uint8_t *b;
	uint64_t size;
	uint64_t bytes_read;
	int fail_at;           /**< fail the n-th read (1-based); 0: never */
	int fail_rc;           /**< what the failed read returns; 0: STRATA_EIO */
	int reads;
};

static int part_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct part *p = ctx;

	if (++p->reads == p->fail_at)
		return p->fail_rc ? p->fail_rc : STRATA_EIO;
	if (off > p->size || len > p->size - off)
		abort();   /* fsmap.h promises never to ask */
	memcpy(buf, p->b + off, len);
	p->bytes_read += len;
	return 0;
}

/* Expand seed tests/fuzz/corpus/<dir>/<name> into a heap buffer of its partition size. */
static struct part load(const char *dir, const char *name)
{
	struct part p = { 0 };

	p.b = fs_seed_load(getenv("STRATA_FS_CORPUS"), dir, name, &p.size);
	return p;
}

/* Scan p (as `type`, or detected when type is -1) at 4 KiB units into *m. */
static int scan(struct part *p, int type, struct strata_fsmap *m)
{
	struct strata_fs_reader r = { part_read, p, p->size };
	struct strata_diag d = { 0, 0 };

	p->reads = 0;
	p->bytes_read = 0;
	if (type < 0)
		return strata_fsmap_scan(&r, 12, m, &d);
	return strata_fsmap_scan_as(&r, (enum strata_fs_type)type, 12, m, &d);
}

/* Scan and return the verdict's message ("" when none); the map is freed. */
static const char *state_of(struct part *p, enum strata_fs_verdict *v)
{
	struct strata_fsmap m;
	const char *s;

	if (scan(p, -1, &m) != 0)
		return "scan failed";
	*v = m.verdict;
	s = m.state ? m.state : "";
	strata_fsmap_done(&m);
	return s;
}

/* The parser's code when the map fell back to fully used, else 0; checks it is full. */
static int fallback_of(struct part *p, int type)
{
	struct strata_fsmap m;
	int rc;

	if (scan(p, type, &m) != 0)
		return 1;
	rc = m.fallback_rc;
	if (rc)
		CHECK_EQ(strata_fsmap_chunk_class(&m, 0, p->size), STRATA_FS_USED);
	CHECK(!rc || (m.fallback && m.nzero == 0));
	for (uint64_t u = 0; rc && u < m.units; u++)
		if (!strata_fsmap_unit_used(&m, u)) {
			CHECK_MSG(0, "unit %llu free in a fallback map", (unsigned long long)u);
			break;
		}
	strata_fsmap_done(&m);
	return rc;
}

/* Count used units of m. */
static uint64_t used_units(const struct strata_fsmap *m)
{
	uint64_t n = 0;

	for (uint64_t u = 0; u < m->units; u++)
		n += (uint64_t)strata_fsmap_unit_used(m, u);
	return n;
}

static void test_seeds_are_clean(void)
{
	static const struct { const char *dir, *name, *type; } seeds[] = {
		{ "fs_ext4", "1k-journal", "ext4" }, { "fs_ext4", "4k-64bit-uninit", "ext4" },
		{ "fs_ext4", "ext2-like", "ext4" }, { "fs_fat", "fat12", "FAT12" },
		{ "fs_fat", "fat16", "FAT16" }, { "fs_fat", "fat32", "FAT32" },
		{ "fs_ntfs", "ntfs-wake", "NTFS" }, { "fs_swap", "swap", "swap" },
	};

	for (unsigned int i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct part p = load(seeds[i].dir, seeds[i].name);
		struct strata_fsmap m;

		CHECK_EQ(scan(&p, -1, &m), 0);
		CHECK_MSG(!strcmp(strata_fs_name(m.type), seeds[i].type), "%s is %s", seeds[i].name,
			  strata_fs_name(m.type));
		CHECK_MSG(m.verdict == STRATA_FS_OK && !m.state, "%s: %s", seeds[i].name, m.state);
		CHECK_MSG(!m.fallback, "%s: %s", seeds[i].name, m.fallback);
		CHECK_MSG(used_units(&m) < m.units / 2, "%s: %llu of %llu used", seeds[i].name,
			  (unsigned long long)used_units(&m), (unsigned long long)m.units);
		CHECK_MSG(p.bytes_read < 1024 * 1024, "%s read %llu bytes", seeds[i].name,
			  (unsigned long long)p.bytes_read);
		strata_fsmap_done(&m);
		free(p.b);
	}
}

static void test_ext4_journal_is_zero_log(void)
{
	struct part p = load("fs_ext4", "1k-journal");
	struct strata_fsmap m;
	uint64_t log, total = 0;

	CHECK_EQ(scan(&p, -1, &m), 0);
	CHECK(m.nzero >= 1);
	log = m.nzero ? m.zero[0].off : 0;
	/* 1 MiB journal in 1 KiB blocks, in pieces around the bitmaps: all but its
	 * superblock is log. */
	for (unsigned int i = 0; i < m.nzero; i++)
		total += m.zero[i].len;
	CHECK_EQ(total, 1023 * 1024);
	CHECK_EQ(strata_fsmap_chunk_class(&m, (log + 4095) & ~4095ull, 4096), STRATA_FS_ZERO_LOG);
	CHECK_EQ(strata_fsmap_chunk_class(&m, log - 1024, 1024), STRATA_FS_USED);
	CHECK_EQ(strata_fsmap_chunk_class(&m, p.size, 1), STRATA_FS_USED);
	CHECK_EQ(strata_fsmap_chunk_class(&m, p.size - 10, 20), STRATA_FS_USED);
	CHECK_EQ(strata_fsmap_chunk_class(&m, 0, 0), STRATA_FS_FREE);
	strata_fsmap_done(&m);
	free(p.b);
}

/* ext4 superblock field offsets (fs_ext4.h). */
#define SB 1024
static void set32(struct part *p, uint64_t at, uint32_t v) { le32_put(p->b + at, v); }
static void set16(struct part *p, uint64_t at, uint16_t v) { le16_put(p->b + at, v); }

static void test_ext4_states(void)
{
	struct part p = load("fs_ext4", "1k-journal");
	enum strata_fs_verdict v;
	struct strata_fsmap m;

	set32(&p, SB + 0x60, le32_get(p.b + SB + 0x60) | 0x4);   /* needs_recovery */
	CHECK(strstr(state_of(&p, &v), "journal needs recovery") != NULL);
	CHECK_EQ(v, STRATA_FS_REFUSE);
	CHECK_EQ(scan(&p, -1, &m), 0);
	CHECK_EQ(m.nzero, 0);     /* a log to replay is never zeroed */
	strata_fsmap_done(&m);
	set32(&p, SB + 0x60, le32_get(p.b + SB + 0x60) & ~0x4u);
	set16(&p, SB + 0x3A, 0);                                 /* state not clean */
	CHECK(strstr(state_of(&p, &v), "state is not clean") != NULL);
	set16(&p, SB + 0x3A, 3);                                 /* errors recorded */
	CHECK(strstr(state_of(&p, &v), "recorded errors") != NULL);
	set16(&p, SB + 0x3A, 1);
	CHECK_EQ(*state_of(&p, &v), '\0');
	CHECK_EQ(v, STRATA_FS_OK);
	free(p.b);
}

static void test_ext4_out_of_range(void)
{
	static const struct { uint32_t at; uint32_t val; int width; int rc; } cases[] = {
		{ SB + 0x18, 7, 4, STRATA_ERANGE },           /* block size 128 KiB */
		{ SB + 0x04, 0xFFFFFFF0u, 4, STRATA_ERANGE }, /* larger than the partition */
		{ SB + 0x04, 1, 4, STRATA_ERANGE },           /* no block after the first */
		{ SB + 0x14, 0, 4, STRATA_ERANGE },           /* 1 KiB blocks start at 1 */
		{ SB + 0x20, 0, 4, STRATA_ERANGE },           /* no blocks per group */
		{ SB + 0x20, 8193 * 8, 4, STRATA_ERANGE },    /* more than a bitmap holds */
		{ SB + 0x28, 0, 4, STRATA_ERANGE },           /* no inodes per group */
		{ SB + 0x58, 100, 2, STRATA_ERANGE },         /* inode size */
		{ SB + 0x60, 0x10 | 0x2, 4, STRATA_ENOTSUP }, /* meta_bg */
		{ SB + 0x64, 0x200, 4, STRATA_ENOTSUP },      /* bigalloc */
		{ SB + 0x38, 0, 2, STRATA_EINVAL },           /* magic */
		{ 2048 + 0, 0x7FFFFFFF, 4, STRATA_ERANGE },   /* group 0's block bitmap */
		{ 2048 + 8, 0x7FFFFFF0, 4, STRATA_ERANGE },   /* group 0's inode table */
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct part p = load("fs_ext4", "1k-journal");

		if (cases[i].width == 4)
			set32(&p, cases[i].at, cases[i].val);
		else
			set16(&p, cases[i].at, (uint16_t)cases[i].val);
		CHECK_MSG(fallback_of(&p, STRATA_FS_EXT) == cases[i].rc, "case %u", i);
		free(p.b);
	}
}

/* A 64-bit ext4 with a descriptor size that is not a power of two, and one below 64. */
static void test_ext4_desc_size(void)
{
	struct part p = load("fs_ext4", "4k-64bit-uninit");

	set16(&p, SB + 0xFE, 48);
	CHECK_EQ(fallback_of(&p, STRATA_FS_EXT), STRATA_ERANGE);
	set16(&p, SB + 0xFE, 32);
	CHECK_EQ(fallback_of(&p, STRATA_FS_EXT), STRATA_ERANGE);
	set16(&p, SB + 0xFE, 64);
	CHECK_EQ(fallback_of(&p, STRATA_FS_EXT), 0);
	free(p.b);
}

/* Set or clear the FAT dirty bits of a FAT seed: boot state byte, table entry 1. */
static void test_fat_dirty(void)
{
	static const struct { const char *name; uint32_t state_at; int bits; } fats[] = {
		{ "fat12", 37, 12 }, { "fat16", 37, 16 }, { "fat32", 65, 32 },
	};

	for (unsigned int i = 0; i < 3; i++) {
		struct part p = load("fs_fat", fats[i].name);
		uint64_t fat = (uint64_t)le16_get(p.b + 14) * le16_get(p.b + 11);
		enum strata_fs_verdict v;

		CHECK_EQ(*state_of(&p, &v), '\0');
		p.b[fats[i].state_at] |= 1;
		CHECK_MSG(strstr(state_of(&p, &v), "dirty bit is set") && v == STRATA_FS_REFUSE,
			  "%s boot state", fats[i].name);
		p.b[fats[i].state_at] &= (uint8_t)~1;
		if (fats[i].bits == 16)
			p.b[fat + 3] &= 0x7F;        /* entry 1, bit 15 */
		if (fats[i].bits == 32)
			p.b[fat + 7] &= 0xF7;        /* entry 1, bit 27 */
		state_of(&p, &v);
		CHECK_MSG(v == (fats[i].bits == 12 ? STRATA_FS_OK : STRATA_FS_REFUSE),
			  "%s entry 1", fats[i].name);
		free(p.b);
	}
}

/* FAT32 with mirroring off reads the table ext_flags names, and only a table that exists. */
static void test_fat32_active_table(void)
{
	struct part p = load("fs_fat", "fat32");
	uint64_t fat = (uint64_t)le16_get(p.b + 14) * 512;
	uint64_t fat2 = fat + (uint64_t)le32_get(p.b + 36) * 512;
	enum strata_fs_verdict v;

	p.b[fat2 + 7] &= 0xF7;                    /* the second table says dirty */
	state_of(&p, &v);
	CHECK_EQ(v, STRATA_FS_OK);                /* mirrored: the first table counts */
	set16(&p, 40, 0x81);                      /* mirroring off, table 1 active */
	state_of(&p, &v);
	CHECK_EQ(v, STRATA_FS_REFUSE);
	set16(&p, 40, 0x85);                      /* table 5 of 2 */
	CHECK_EQ(fallback_of(&p, STRATA_FS_FAT32), STRATA_ERANGE);
	free(p.b);
}

static void test_fat_out_of_range(void)
{
	static const struct { uint32_t at; uint32_t val; int width; int rc; } cases[] = {
		{ 13, 3, 1, STRATA_EINVAL },           /* sectors per cluster not a power of 2 */
		{ 11, 300, 2, STRATA_EINVAL },         /* bytes per sector */
		{ 16, 0, 1, STRATA_EINVAL },           /* no tables */
		{ 14, 0, 2, STRATA_EINVAL },           /* no reserved sector */
		{ 22, 0, 2, STRATA_ERANGE },           /* no table size (FAT32's field is junk) */
		{ 22, 1, 2, STRATA_ERANGE },           /* table too small for the clusters */
		{ 19, 0xFFFF, 2, STRATA_ERANGE },      /* larger than the partition */
		{ 14, 0xFFFF, 2, STRATA_ERANGE },      /* reserved sectors fill the volume */
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct part p = load("fs_fat", "fat16");

		if (cases[i].width == 1)
			p.b[cases[i].at] = (uint8_t)cases[i].val;
		else
			set16(&p, cases[i].at, (uint16_t)cases[i].val);
		if (cases[i].at == 22 && cases[i].val == 0)
			set16(&p, 17, 0);            /* looks like FAT32 but holds no table */
		CHECK_MSG(fallback_of(&p, STRATA_FS_FAT16) == cases[i].rc, "case %u: rc %d", i,
			  fallback_of(&p, STRATA_FS_FAT16));
		free(p.b);
	}
}

/* Byte offset of NTFS file record n in the ntfs seed (its first records are contiguous). */
static uint64_t ntfs_record(const struct part *p, unsigned int n)
{
	uint32_t cluster = le16_get(p->b + 11) * p->b[13];

	return le64_get(p->b + 0x30) * cluster + (uint64_t)n * 1024;
}

/* The attribute of type `type` in record n: its offset in the partition, or 0. */
static uint64_t ntfs_attr_at(const struct part *p, unsigned int n, uint32_t type)
{
	uint64_t rec = ntfs_record(p, n);
	uint32_t off = le16_get(p->b + rec + 20);

	while (off < 1024 && le32_get(p->b + rec + off) != 0xFFFFFFFFu) {
		if (le32_get(p->b + rec + off) == type)
			return rec + off;
		off += le32_get(p->b + rec + off + 4);
	}
	return 0;
}

static void test_ntfs_dirty_flag(void)
{
	struct part p = load("fs_ntfs", "ntfs-wake");
	uint64_t vi = ntfs_attr_at(&p, 3, 0x70);
	enum strata_fs_verdict v;

	CHECK(vi != 0);
	vi += le16_get(p.b + vi + 20);          /* the resident value */
	p.b[vi + 10] |= 1;
	CHECK(strstr(state_of(&p, &v), "dirty flag is set") != NULL);
	CHECK_EQ(v, STRATA_FS_REFUSE);
	free(p.b);
}

static void test_ntfs_hibernated(void)
{
	struct part p = load("fs_ntfs", "ntfs-wake");
	enum strata_fs_verdict v;
	uint8_t *w = memmem(p.b, p.size, "wake0000", 8);

	CHECK(w != NULL);
	if (w)
		memcpy(w, "HIBR", 4);              /* resident $DATA, any case */
	CHECK(strstr(state_of(&p, &v), "Windows was hibernated or shut down with Fast Startup; "
				       "boot Windows and choose Restart, or disable Fast Startup"));
	CHECK_EQ(v, STRATA_FS_REFUSE);
	free(p.b);
}

/* Write a restart page (RSTR, 4 KiB, fixups applied) at p->b + at. */
static void put_restart_page(struct part *p, uint64_t at, uint64_t lsn, uint16_t in_use,
			     uint16_t flags)
{
	uint8_t *pg = p->b + at;

	memset(pg, 0, 4096);
	memcpy(pg, "RSTR", 4);
	set16(p, at + 4, 30);                   /* usa_ofs */
	set16(p, at + 6, 9);                    /* 1 + 4096 / 512 */
	set32(p, at + 16, 4096);                /* system page size */
	set32(p, at + 20, 4096);
	set16(p, at + 24, 48);                  /* restart area offset */
	le64_put(pg + 48, lsn);
	set16(p, at + 48 + 12, in_use);
	set16(p, at + 48 + 14, flags);
	set16(p, at + 30, 0x0007);              /* update sequence number */
	for (unsigned int i = 1; i <= 8; i++) {
		memcpy(pg + 30 + 2 * i, pg + i * 512 - 2, 2);
		set16(p, at + i * 512 - 2, 0x0007);
	}
}

static void test_ntfs_log(void)
{
	struct part p = load("fs_ntfs", "ntfs-wake");
	enum strata_fs_verdict v;
	uint64_t log = 0;
	uint8_t ff[8192];

	memset(ff, 0xFF, sizeof(ff));
	for (uint64_t at = 0; at + sizeof(ff) <= p.size && !log; at += 4096)
		if (!memcmp(p.b + at, ff, sizeof(ff)))
			log = at;                  /* mkntfs leaves $LogFile all 0xFF */
	CHECK(log != 0);
	put_restart_page(&p, log, 100, 0, 0);
	put_restart_page(&p, log + 4096, 90, 0xFFFF, 0);
	CHECK(strstr(state_of(&p, &v), "NTFS log is not clean") != NULL);
	put_restart_page(&p, log + 4096, 110, 0xFFFF, 0);   /* the newer copy is clean */
	CHECK_EQ(*state_of(&p, &v), '\0');
	put_restart_page(&p, log + 4096, 110, 0, 0x0002);   /* volume closed cleanly */
	CHECK_EQ(*state_of(&p, &v), '\0');
	p.b[log + 1000] ^= 1;                 /* not at a stride end: still a valid page */
	CHECK_EQ(*state_of(&p, &v), '\0');
	put_restart_page(&p, log, 120, 0, 0);  /* newest, not clean */
	CHECK(strstr(state_of(&p, &v), "NTFS log is not clean") != NULL);
	p.b[log + 510] ^= 1;                  /* torn: the second copy decides */
	CHECK_EQ(*state_of(&p, &v), '\0');
	put_restart_page(&p, log + 4096, 110, 0, 0);
	CHECK(strstr(state_of(&p, &v), "NTFS log is not clean") != NULL);
	memset(p.b + log, 0x11, 8192);        /* neither copy readable */
	CHECK(strstr(state_of(&p, &v), "NTFS log is not clean") != NULL);
	free(p.b);
}

static void test_ntfs_out_of_range(void)
{
	static const struct { uint32_t at; uint64_t val; int width; int rc; } cases[] = {
		{ 11, 100, 2, STRATA_ERANGE },             /* bytes per sector */
		{ 13, 3, 1, STRATA_ERANGE },               /* sectors per cluster */
		{ 0x28, 1ull << 40, 8, STRATA_ERANGE },    /* larger than the partition */
		{ 0x30, 1ull << 40, 8, STRATA_ERANGE },    /* MFT past the volume */
		{ 0x40, 0x7F, 1, STRATA_ERANGE },          /* record size */
		{ 0x40, 0xE0, 1, STRATA_ERANGE },          /* record size 2^32 bytes */
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct part p = load("fs_ntfs", "ntfs-wake");

		if (cases[i].width == 1)
			p.b[cases[i].at] = (uint8_t)cases[i].val;
		else if (cases[i].width == 2)
			set16(&p, cases[i].at, (uint16_t)cases[i].val);
		else
			le64_put(p.b + cases[i].at, cases[i].val);
		CHECK_MSG(fallback_of(&p, STRATA_FS_NTFS) != 0, "case %u", i);
		free(p.b);
	}
}

/* Damage inside the MFT: a record's fixup, an attribute length, a runlist. */
static void test_ntfs_damaged_records(void)
{
	struct part p = load("fs_ntfs", "ntfs-wake");
	uint64_t bm = ntfs_record(&p, 6), data = ntfs_attr_at(&p, 6, 0x80);

	p.b[bm + 510] ^= 0xFF;                    /* torn write in $Bitmap's record */
	CHECK_EQ(fallback_of(&p, STRATA_FS_NTFS), STRATA_ECORRUPT);
	p.b[bm + 510] ^= 0xFF;
	CHECK(data != 0);
	set32(&p, data + 4, 0x10000);             /* attribute longer than the record */
	CHECK_EQ(fallback_of(&p, STRATA_FS_NTFS), STRATA_ERANGE);
	set32(&p, data + 4, le32_get(p.b + data + 4) & 0xFFFF);
	free(p.b);
	p = load("fs_ntfs", "ntfs-wake");
	data = ntfs_attr_at(&p, 6, 0x80);
	data += le16_get(p.b + data + 32);        /* the mapping pairs */
	p.b[data] = 0x19;                         /* a 9-byte length field */
	CHECK_EQ(fallback_of(&p, STRATA_FS_NTFS), STRATA_ERANGE);
	p.b[data] = 0x11;                         /* 1-byte fields: LCN delta past the end */
	p.b[data + 2] = 0x7F;
	CHECK(fallback_of(&p, STRATA_FS_NTFS) != 0);
	free(p.b);
}

static void test_swap_and_bitlocker(void)
{
	struct part p = load("fs_swap", "swap");
	enum strata_fs_verdict v;
	struct strata_fsmap m;

	CHECK_EQ(scan(&p, -1, &m), 0);
	CHECK_EQ(used_units(&m), 1);
	strata_fsmap_done(&m);
	memcpy(p.b + 4086, "S1SUSPEND\0", 10);
	CHECK(strstr(state_of(&p, &v), "hibernated Linux") != NULL);
	free(p.b);
	p = load("fs_fat", "fat32");
	memcpy(p.b + 3, "-FVE-FS-", 8);
	CHECK_EQ(scan(&p, -1, &m), 0);
	CHECK_EQ(m.type, STRATA_FS_BITLOCKER);
	CHECK_EQ(m.verdict, STRATA_FS_WARN);
	CHECK(m.state && strstr(m.state, "BitLocker volume: copied raw"));
	CHECK_EQ(used_units(&m), m.units);
	strata_fsmap_done(&m);
	memset(p.b, 0, 4096);
	CHECK_EQ(scan(&p, -1, &m), 0);
	CHECK_EQ(m.type, STRATA_FS_UNKNOWN);
	CHECK_EQ(used_units(&m), m.units);
	strata_fsmap_done(&m);
	free(p.b);
}

/* Every seed cut at many sizes, as a partition that is too small for its filesystem. */
static void test_truncation(void)
{
	static const struct { const char *dir, *name; } seeds[] = {
		{ "fs_ext4", "1k-journal" }, { "fs_ext4", "4k-64bit-uninit" },
		{ "fs_fat", "fat12" }, { "fs_fat", "fat32" }, { "fs_ntfs", "ntfs-wake" },
		{ "fs_swap", "swap" },
	};
	static const uint64_t cuts[] = { 1, 511, 512, 1500, 2048, 4095, 4096, 8192, 65536,
					 1 << 20 };

	for (unsigned int i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct part full = load(seeds[i].dir, seeds[i].name);
		struct strata_fsmap fm;
		uint64_t need;

		/* Bytes the filesystem needs: its own size, or swap's header page. */
		CHECK_EQ(scan(&full, -1, &fm), 0);
		need = fm.type == STRATA_FS_SWAP ? 4096 : fm.fs_bytes;
		strata_fsmap_done(&fm);
		for (unsigned int k = 0; k <= sizeof(cuts) / sizeof(cuts[0]); k++) {
			uint64_t n = k < sizeof(cuts) / sizeof(cuts[0]) ? cuts[k] : full.size - 512;
			struct part p = { malloc(n), n, 0, 0, 0, 0 };
			struct strata_fsmap m;

			if (n > full.size)
				continue;
			memcpy(p.b, full.b, n);
			CHECK_MSG(scan(&p, -1, &m) == 0, "%s cut at %llu", seeds[i].name,
				  (unsigned long long)n);
			CHECK_MSG(n >= need || used_units(&m) == m.units,
				  "%s cut at %llu: not fully used", seeds[i].name, (unsigned long long)n);
			strata_fsmap_done(&m);
			free(p.b);
		}
		free(full.b);
	}
}

static void test_api_errors(void)
{
	struct part p = load("fs_ext4", "1k-journal");
	struct strata_fs_reader r = { part_read, &p, p.size };
	struct strata_diag d = { 0, 0 };
	struct strata_fsmap m;

	CHECK_EQ(strata_fsmap_scan(&r, 8, &m, &d), STRATA_ERANGE);
	CHECK_EQ(strata_fsmap_scan(&r, 21, &m, &d), STRATA_ERANGE);
	r.size = 0;
	CHECK_EQ(strata_fsmap_scan(&r, 12, &m, &d), STRATA_ERANGE);
	r.size = p.size;
	for (int n = 1; n <= 4; n++) {
		p.fail_at = n;
		p.reads = 0;
		CHECK_MSG(strata_fsmap_scan(&r, 12, &m, &d) == STRATA_EIO, "read %d fails", n);
		CHECK(m.used == NULL);
	}
	p.fail_at = 3;                          /* any reader code is a read failure */
	p.fail_rc = STRATA_ENOENT;
	p.reads = 0;
	CHECK_EQ(strata_fsmap_scan(&r, 12, &m, &d), STRATA_EIO);
	p.fail_at = 0;
	CHECK_EQ(strata_fsmap_scan(&r, 9, &m, &d), 0);
	CHECK_EQ(m.units, p.size / 512);
	strata_fsmap_done(&m);
	CHECK_EQ(strcmp(strata_fs_name(STRATA_FS_NTFS), "NTFS"), 0);
	CHECK_EQ(strcmp(strata_fs_name((enum strata_fs_type)99), "unknown"), 0);
	free(p.b);
}

int main(void)
{
	RUN(test_seeds_are_clean);
	RUN(test_ext4_journal_is_zero_log);
	RUN(test_ext4_states);
	RUN(test_ext4_out_of_range);
	RUN(test_ext4_desc_size);
	RUN(test_fat_dirty);
	RUN(test_fat32_active_table);
	RUN(test_fat_out_of_range);
	RUN(test_ntfs_dirty_flag);
	RUN(test_ntfs_hibernated);
	RUN(test_ntfs_log);
	RUN(test_ntfs_out_of_range);
	RUN(test_ntfs_damaged_records);
	RUN(test_swap_and_bitlocker);
	RUN(test_truncation);
	RUN(test_api_errors);
	return harness_summary();
}
