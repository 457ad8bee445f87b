/*
 * GPT for strata.efi: plan a machine's partition table from its manifest, encode it, read
 * the table a disk already holds, and decide whether applying the plan is safe.
 *
 * The on-disk structures are in format.h.  What strata.efi does with this module, in order:
 *
 *     strata_gpt_plan(manifest, disk size)         -> plan (LBAs for every partition)
 *     read LBA 1, strata_gpt_header_parse(lba 1)   -> where the entry array is
 *     read the array, strata_gpt_entries_parse     -> have (the disk's current table)
 *        (primary invalid: the same from the disk's last block, the backup)
 *     strata_gpt_check_preserve(have, plan)        -> stop, writing nothing, on failure
 *     strata_gpt_encode(plan) + strata_gpt_protective_mbr, then write them
 *     per partition: write, or for restore only when !strata_gpt_part_exists(have, part)
 *
 * No GPT vs. a bad GPT: strata_gpt_header_parse returns STRATA_ENOENT exactly when the
 * block does not start with "EFI PART", and another code when a GPT is there but invalid.
 * Only when both copies give STRATA_ENOENT does the disk "have no GPT": then the agent may
 * plan as if the disk were empty (every preserve partition is new).  Any other failure
 * means a table we cannot read; a manifest with preserve or restore partitions must then
 * stop rather than risk writing over data it cannot see.
 *
 * Write order (so that a crash leaves at least one valid copy): primary entry array, then
 * the primary header (its CRC covers the array, so a torn array makes the header invalid
 * and firmware falls back to the old backup), then backup array, backup header, then the
 * protective MBR, then flush.
 *
 * Geometry: the array holds STRATA_GPT_ENTRIES (128) entries of 128 bytes = 16 KiB, so
 *     primary header  LBA 1, primary array LBA 2 .. 2+A-1, first usable 2+A
 *     backup array    N-1-A .. N-2, backup header N-1, last usable N-2-A
 * for N blocks on the disk and A = 16384 / block size blocks of array (32 at 512 bytes, 4
 * at 4 KiB).
 *
 * Nothing here allocates or uses libc; all LBA arithmetic is checked against overflow.
 * Every failure sets diag (rc.h) with its own message; `where` is documented per function.
 */
#ifndef STRATA_GPT_H
#define STRATA_GPT_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "manifest.h"
#include "rc.h"

/** Bytes of a GPT header and of one entry (the only entry size we accept). */
#define STRATA_GPT_HEADER_SIZE 92u
#define STRATA_GPT_ENTRY_SIZE 128u
/** Bytes of the entry array we write: 128 entries, 16 KiB. */
#define STRATA_GPT_ARRAY_BYTES (STRATA_GPT_ENTRIES * STRATA_GPT_ENTRY_SIZE)
/** Logical block sizes we handle: powers of two, 512 .. 4096.  The manifest's 4 KiB grain
 *  makes every manifest offset a whole number of blocks for each of them. */
#define STRATA_GPT_BLOCK_MIN 512u
#define STRATA_GPT_BLOCK_MAX 4096u
/** UTF-16 code units in an entry's name. */
#define STRATA_GPT_NAME_UNITS 36u

/** One used partition entry, of a plan or of a disk's table. */
struct strata_gpt_part {
	uint32_t num;                    /**< entry number, 1-based (array index + 1) */
	enum strata_policy policy;       /**< plan: the manifest's policy; parsed table: 0 */
	uint8_t type_guid[16];           /**< GPT byte order; never all zero here */
	uint8_t part_guid[16];           /**< GPT byte order */
	uint64_t first_lba;
	uint64_t last_lba;               /**< inclusive */
	uint64_t attributes;
	uint8_t name[72];                /**< UTF-16LE, NUL padded, exactly as on disk */
};

/**
 * The manifest's layout in blocks of one disk, and the geometry of the GPT that holds it.
 * Holds only the manifest's partitions (at most STRATA_MAX_PARTS, in manifest order), each
 * with its entry number; strata_gpt_encode lays them into the 128-entry array.
 */
struct strata_gpt_plan {
	uint32_t block_size;
	uint32_t array_blocks;           /**< blocks of one entry array copy (A above) */
	uint64_t disk_blocks;            /**< N above */
	uint64_t first_usable;
	uint64_t last_usable;
	uint64_t backup_array_lba;       /**< N-1-A */
	uint64_t backup_lba;             /**< N-1 */
	uint8_t disk_guid[16];           /**< the manifest's disk GUID */
	unsigned int nparts;
	struct strata_gpt_part parts[STRATA_MAX_PARTS];
};

/** A validated GPT header: what one copy says about the table and where its array is. */
struct strata_gpt_hdr {
	uint32_t block_size;             /**< as passed to the parser */
	uint64_t disk_blocks;            /**< as passed to the parser */
	uint64_t my_lba;
	uint64_t alternate_lba;
	uint64_t first_usable;
	uint64_t last_usable;
	uint64_t array_lba;              /**< first block of the entry array */
	uint32_t entry_count;            /**< 1 .. 128 */
	uint32_t array_crc;              /**< CRC-32 the array must have */
	uint32_t array_bytes;            /**< entry_count * 128: what the CRC covers */
	uint32_t array_blocks;           /**< blocks to read at array_lba for array_bytes */
	uint8_t disk_guid[16];
};

/**
 * A disk's partition table as read: the header and its used entries in entry order.
 * Large (about 17 KiB): strata.efi should keep it static or in the heap, not on the stack.
 */
struct strata_gpt_table {
	struct strata_gpt_hdr hdr;
	unsigned int nparts;
	struct strata_gpt_part parts[STRATA_GPT_ENTRIES];
};

/**
 * Compute the GPT for manifest m on a disk of disk_bytes in blocks of block_size: every
 * partition's first and last LBA (size 0 = "rest" ends at the last usable LBA), the usable
 * range and where the backup goes.  Checks the block size, that disk_bytes is whole blocks,
 * the manifest's min-size, block alignment of every start and size, entry numbers, GUIDs,
 * labels, policies, overlaps, and that everything fits (STRATA_ENOSPC).  diag->where is the
 * entry number of the partition at fault, or 0 for the disk as a whole.  Borrows m; fills
 * *plan, which holds no pointers.
 */
int strata_gpt_plan(const struct strata_manifest *m, uint64_t disk_bytes, uint32_t block_size,
		    struct strata_gpt_plan *plan, struct strata_diag *diag);

/**
 * Encode plan into what must be written: the entry array (STRATA_GPT_ARRAY_BYTES, for both
 * LBA 2 and plan->backup_array_lba) and the two header blocks (block_size bytes each, for
 * LBA 1 and plan->backup_lba), with names turned into UTF-16LE and both CRCs set.
 * disk_guid is normally plan->disk_guid.  block_size must equal plan->block_size: it is
 * the size of the caller's header buffers.  All buffers are the caller's and fully
 * overwritten; STRATA_EINVAL (nothing written) for a plan that strata_gpt_plan did not make.
 */
int strata_gpt_encode(const struct strata_gpt_plan *plan, const uint8_t disk_guid[16],
		      uint8_t *entries, uint8_t *primary_hdr_block, uint8_t *backup_hdr_block,
		      uint32_t block_size);

/**
 * Write the protective MBR for a GPT disk of disk_blocks blocks into block0 (the first 512
 * bytes of LBA 0; on a larger block the caller zeroes the rest): one partition of type 0xEE
 * from LBA 1 over the whole disk (capped at 0xFFFFFFFF blocks), no boot code, 0x55AA.
 */
void strata_gpt_protective_mbr(uint8_t block0[512], uint64_t disk_blocks);

/**
 * Validate one GPT header read from block lba (1 for the primary, disk_blocks - 1 for the
 * backup) of a disk of disk_blocks blocks of block_size bytes.  hdr_block is the whole
 * block.  Checks signature (STRATA_ENOENT when absent: "no GPT here"), revision 1.0, header
 * size 92, header CRC, reserved field, my_lba == lba, alternate_lba at the other end of the
 * disk, the usable range, the disk GUID, entry size 128, entry count 1..128 and that the
 * array lies outside the usable range and inside the disk.  On success *h says where the
 * array is (h->array_lba, h->array_blocks) for strata_gpt_entries_parse.  diag->where is
 * the byte offset of the field at fault in the header.  Borrows hdr_block.
 */
int strata_gpt_header_parse(const uint8_t *hdr_block, uint32_t block_size,
			    uint64_t disk_blocks, uint64_t lba, struct strata_gpt_hdr *h,
			    struct strata_diag *diag);

/**
 * Validate the entry array of header h (entries[0..entries_len), at least h->array_bytes;
 * bytes past them, the rest of the last block, are ignored) and fill *out with the header
 * and the used entries.  Checks the array CRC and every used entry: non-zero partition
 * GUID, first <= last inside the usable range, no GUID used twice, no two overlapping.
 * diag->where is the byte offset in the array of the field at fault (0 for the CRC).
 * Borrows entries.
 */
int strata_gpt_entries_parse(const struct strata_gpt_hdr *h, const uint8_t *entries,
			     size_t entries_len, struct strata_gpt_table *out,
			     struct strata_diag *diag);

/**
 * Both steps for a caller that has read the header at lba and the array it names:
 * strata_gpt_header_parse, then strata_gpt_entries_parse.
 */
int strata_gpt_parse(const uint8_t *hdr_block, uint64_t lba, const uint8_t *entries,
		     size_t entries_len, uint32_t block_size, uint64_t disk_blocks,
		     struct strata_gpt_table *out, struct strata_diag *diag);

/**
 * Is it safe to make the disk's table `have` into `want`?  For every preserve partition of
 * want whose partition GUID have holds: no write or restore partition of want may overlap
 * its current extent, and it must keep exactly its first and last LBA (never moved, shrunk
 * or grown).  A preserve partition have does not hold is new (created, contents untouched).
 * Fails with STRATA_EINVAL; diag->where is the entry number of the partition at fault (the
 * written one for an overlap, the preserved one otherwise).  The agent must then write
 * nothing.  Borrows both.
 */
int strata_gpt_check_preserve(const struct strata_gpt_table *have,
			      const struct strata_gpt_plan *want, struct strata_diag *diag);

/**
 * 1 when have holds part: an entry with the same partition GUID, first and last LBA (type
 * and name may differ; the new table sets them).  For restore partitions: when 0 the
 * partition is missing and must be restored; when 1 the agent still checks its contents.
 */
int strata_gpt_part_exists(const struct strata_gpt_table *have,
			   const struct strata_gpt_part *part);

/**
 * The name of an entry as ASCII, for logs and tests: up to the first NUL unit, any unit
 * outside printable ASCII shown as '?'.  out gets up to 36 characters and a NUL.
 */
void strata_gpt_name_ascii(char out[STRATA_GPT_NAME_UNITS + 1], const uint8_t name[72]);

/**
 * The name of an entry as a partition label (strata_label_ok): up to its first NUL unit,
 * every unit one of [A-Za-z0-9._-], 1 to 36 of them.  Why: a gold capture labels each
 * partition of the reference disk by its GPT name, and the profile it makes names them so
 * (capture_layout.h).  out gets the name as strata_gpt_name_ascii shows it (a unit outside
 * printable ASCII as '?', which no label holds); 0 when that is a label, else STRATA_EINVAL
 * (an empty name, a space, a '/', any unit outside ASCII).
 */
int strata_gpt_label(char out[STRATA_LABEL_MAX + 1], const uint8_t name[72]);

#endif /* STRATA_GPT_H */
