/*
 * What the filesystem parsers (fs_ext4.c, fs_fat.c, fs_ntfs.c, fs_swap.c) share, internal
 * to the core: a bounded reader over the partition, and the marking of used and log bytes
 * in the map being built.  fsmap.c owns the scan; a parser only reads and marks.
 *
 * A parser returns 0, or a negative code with diag set.  fsmap.c turns every code except
 * STRATA_EIO and STRATA_ENOMEM into a fully used map (the "does not check out" rule), so a
 * parser fails as soon as something is wrong, and need not undo what it marked.
 */
#ifndef STRATA_FS_SCAN_H
#define STRATA_FS_SCAN_H

#include "fsmap.h"

/** Bytes every scan may read before its parser sets a budget (detection, superblocks). */
#define FS_BUDGET_START (256u * 1024)
/** Slack on top of a parser's metadata estimate (inodes, journal, MFT records). */
#define FS_BUDGET_SLACK (4u * 1024 * 1024)

/** One scan in progress. */
struct fs_scan {
	const struct strata_fs_reader *r;  /**< borrowed from the caller */
	struct strata_fsmap *m;            /**< the map being filled */
	struct strata_diag *diag;          /**< the caller's, may be NULL */
	uint64_t budget;                   /**< bytes the parser may still read */
};

/**
 * Read len bytes at off into buf (the caller's).  STRATA_ETRUNC when the range passes the
 * partition's end (or wraps), STRATA_ERANGE when it would pass the budget, STRATA_EIO
 * when the reader fails (whatever its code).  diag->where is off.
 */
int fs_read(struct fs_scan *s, uint64_t off, void *buf, size_t len);

/** Allow the parser to read `bytes` more (saturating): its metadata size plus slack. */
void fs_budget(struct fs_scan *s, uint64_t bytes);

/** Mark bytes [off, off + len) used; the part past the partition's end is ignored. */
void fs_mark(struct strata_fsmap *m, uint64_t off, uint64_t len);

/** Mark the bytes from off to the partition's end used (past the filesystem's end). */
void fs_mark_tail(struct strata_fsmap *m, uint64_t off);

/**
 * Record [off, off + len) as a stale log area to be zeroed.  Returns 0, or -1 (nothing
 * recorded: the area stays used) when the table is full or the range is not ascending.
 */
int fs_zero_add(struct strata_fsmap *m, uint64_t off, uint64_t len);

/** Set the verdict and its static message; once REFUSE, the first reason stays. */
void fs_verdict(struct strata_fsmap *m, enum strata_fs_verdict v, const char *state);

/**
 * Mark the used blocks of an allocation bitmap: bit i (LSB first) of bits[0..nbits / 8)
 * set means block first + i, of block_bytes bytes starting at byte base, is used.
 */
void fs_mark_bitmap(struct strata_fsmap *m, const uint8_t *bits, uint64_t nbits,
		    uint64_t base, uint64_t first, uint32_t block_bytes);

/** Multiply, or return -1 when a * b overflows 64 bits. */
static inline int fs_mul(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

/** The parsers, one per file.  Each reads the partition as its type and fills s->m. */
int fs_ext4_scan(struct fs_scan *s);
int fs_fat_scan(struct fs_scan *s);
int fs_ntfs_scan(struct fs_scan *s);
int fs_swap_scan(struct fs_scan *s);

/** Signature tests on the partition's first 4 KiB (page[0..len)), for detection. */
int fs_ext4_probe(const uint8_t *page, size_t len);
int fs_fat_probe(const uint8_t *page, size_t len);
int fs_ntfs_probe(const uint8_t *page, size_t len);
int fs_swap_probe(struct fs_scan *s, const uint8_t *page, size_t len);

#endif /* STRATA_FS_SCAN_H */
