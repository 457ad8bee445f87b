/*
 * Used-block maps and consistency verdicts for the filesystems a partition may hold.
 *
 * Why: a layer needs to store only the blocks its filesystem uses, and a capture must not
 * copy a volume whose on-disk state is not consistent (a hibernated Windows, an ext4 whose
 * journal needs replaying).  Both answers come from the same metadata, read here by portable
 * parsers that strata-image (build) and, later, the agent's capture share.
 *
 * How a caller uses it:
 *
 *     struct strata_fs_reader r = { my_read, my_ctx, partition_bytes };
 *     struct strata_fsmap m;
 *     rc = strata_fsmap_scan(&r, 12, &m, &diag);       (one bit per 4 KiB)
 *     if (rc) ...                                      (I/O error or no memory: stop)
 *     if (m.verdict == STRATA_FS_REFUSE)
 *         print "partition N (<strata_fs_name(m.type)>): <m.state>" and stop
 *     if (m.verdict == STRATA_FS_WARN) print the same, and go on
 *     per chunk: strata_fsmap_chunk_class(&m, offset, length) -> used / free / zero-log
 *     strata_fsmap_done(&m)
 *
 * What the parsers read is in docs/filesystems.md; the disk structures are in fs_ext4.h,
 * fs_fat.h and fs_ntfs.h.  The rules every parser keeps:
 *   - The disk is untrusted: every field is range-checked before use, every offset product
 *     is checked against overflow, and the bytes read are capped by a budget computed from
 *     the metadata's own size (the whole metadata and a fixed slack), so no field can make
 *     a parser read the whole disk or loop for ever.
 *   - Metadata that does not check out, an unknown filesystem, a feature we do not read
 *     (ext4 bigalloc or meta_bg, an NTFS $Bitmap spread over an attribute list) and BitLocker
 *     all give a fully used map: correct, only not smaller.  Only a failed read or an
 *     allocation failure is an error (rc); everything else is a map plus a verdict.
 *   - Bytes past the filesystem's own end are used: NTFS keeps its backup boot sector there,
 *     and nothing tells us what else may.
 */
#ifndef STRATA_FSMAP_H
#define STRATA_FSMAP_H

#include <stddef.h>
#include <stdint.h>
#include "rc.h"

/**
 * The partition, as the caller can read it.  The parsers never see a file or a disk handle:
 * strata-image reads an image file, the agent a block device, the tests a buffer.
 */
struct strata_fs_reader {
	/** Read exactly len bytes at byte offset off (off + len <= size is guaranteed) into
	 *  buf, which the parser owns.  0, or non-zero for a failure (the scan then fails
	 *  with STRATA_EIO, whatever the code). */
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;      /**< the caller's, passed back to read */
	uint64_t size;  /**< bytes in the partition */
};

/** What the partition holds, as far as the parsers can tell. */
enum strata_fs_type {
	STRATA_FS_UNKNOWN = 0,  /**< nothing we read: fully used */
	STRATA_FS_EXT,          /**< ext2, ext3 or ext4 */
	STRATA_FS_FAT12,
	STRATA_FS_FAT16,
	STRATA_FS_FAT32,
	STRATA_FS_NTFS,
	STRATA_FS_SWAP,         /**< Linux swap: only its header page is used */
	STRATA_FS_BITLOCKER,    /**< "-FVE-FS-": encrypted, copied raw (fully used) */
};

/** May the volume be captured as it is? */
enum strata_fs_verdict {
	STRATA_FS_OK = 0,       /**< consistent, or nothing we can check */
	STRATA_FS_WARN,         /**< capture, but tell the user why it is large (BitLocker) */
	STRATA_FS_REFUSE,       /**< not consistent on disk: refuse, m->state says the fix */
};

/** What a chunk of the partition is, for the layer index. */
enum strata_fs_class {
	STRATA_FS_FREE = 0,     /**< no used byte: its content does not matter */
	STRATA_FS_USED,         /**< holds data: store it */
	STRATA_FS_ZERO_LOG,     /**< only a stale log (and free bytes): never stored or
				     fetched, written as zeros where the target is not zero */
};

/** A byte range of the partition. */
struct strata_fs_range {
	uint64_t off;
	uint64_t len;
};

/** Log ranges a map can hold; a log in more pieces keeps the rest used (still correct). */
#define STRATA_FSMAP_ZERO_MAX 16
/** Unit sizes a caller may choose: 512 bytes to 1 MiB per bit. */
#define STRATA_FSMAP_SHIFT_MIN 9
#define STRATA_FSMAP_SHIFT_MAX 20

/**
 * A partition's used-block map and verdict.  Filled by strata_fsmap_scan; the caller owns
 * it and releases `used` with strata_fsmap_done.
 */
struct strata_fsmap {
	enum strata_fs_type type;
	enum strata_fs_verdict verdict;
	/** Static text: the on-disk state and its fix when verdict is not OK (the caller puts
	 *  "partition N (<name>): " before it); NULL when there is nothing to say. */
	const char *state;
	/** Why the map is fully used although the type is known (metadata that does not check
	 *  out, an unsupported feature); NULL otherwise.  Static text, for logs. */
	const char *fallback;
	int fallback_rc;            /**< the parser's code for `fallback`, else 0 */
	uint64_t size;              /**< the partition's bytes (the reader's size) */
	uint64_t fs_bytes;          /**< bytes the filesystem says it spans (0: unknown) */
	uint32_t block_size;        /**< the filesystem's allocation unit (0: unknown) */
	unsigned int unit_shift;    /**< one bit of `used` covers 2^unit_shift bytes */
	uint64_t units;             /**< bits in `used`: ceil(size / unit) */
	/** Bit u (byte u / 8, bit u % 8) set: unit u holds a used byte.  Owned by the map. */
	uint8_t *used;
	unsigned int nzero;         /**< ranges in zero[] */
	/** Stale log areas, to be written as zeros, never stored: inside the filesystem, in
	 *  ascending order, not overlapping.  Units wholly inside them are clear in `used`. */
	struct strata_fs_range zero[STRATA_FSMAP_ZERO_MAX];
};

/**
 * Detect the filesystem on r's partition and scan it: fill *m (type, map at one bit per
 * 2^unit_shift bytes, log ranges, verdict).  Errors (*m then holds nothing to free):
 * STRATA_ERANGE for a unit_shift outside STRATA_FSMAP_SHIFT_MIN..MAX or an empty or
 * larger-than-1-PiB partition, STRATA_ENOMEM, and STRATA_EIO for a failed read.  diag is set only on those errors.  Borrows r; m owns m->used.
 */
int strata_fsmap_scan(const struct strata_fs_reader *r, unsigned int unit_shift,
		      struct strata_fsmap *m, struct strata_diag *diag);

/**
 * The same, but read the partition as filesystem `type` without detecting it: for fuzzers
 * and tests that aim at one parser, and for a caller that knows better than signatures.
 */
int strata_fsmap_scan_as(const struct strata_fs_reader *r, enum strata_fs_type type,
			 unsigned int unit_shift, struct strata_fsmap *m,
			 struct strata_diag *diag);

/** Free m->used (NULL is fine) and clear *m. */
void strata_fsmap_done(struct strata_fsmap *m);

/** 1 when unit u (< m->units) holds a used byte. */
int strata_fsmap_unit_used(const struct strata_fsmap *m, uint64_t u);

/**
 * The class of bytes [off, off + len) of the partition (a chunk of the layer): USED when
 * any unit in it is used, else ZERO_LOG when it touches a log range, else FREE.  Bytes past
 * the partition's end count as used, so a caller's mistake never drops data.
 */
enum strata_fs_class strata_fsmap_chunk_class(const struct strata_fsmap *m, uint64_t off,
					      uint64_t len);

/** "ext4", "FAT32", "NTFS", "swap", "BitLocker", "unknown": for "partition N (name)". */
const char *strata_fs_name(enum strata_fs_type type);

#endif /* STRATA_FSMAP_H */
