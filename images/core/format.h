/*
 * Strata on-disk formats: the layer index and the GPT structures strata.efi writes.
 *
 * Every multi-byte field is little-endian on disk, whatever the host; the structs here
 * describe bytes, and code reads them only through the le*_get helpers in le.h, so a
 * struct is never used to "cast" an unaligned buffer.  The static asserts pin every size
 * and offset: changing a layout is a format version change, not an accident.
 *
 * ## The store
 * A store is a folder of immutable files that any static HTTP server can serve (their
 * names are built and parsed in store_path.h, nowhere else):
 *
 *     layers/<hex>.idx        a layer index; <hex> is the SHA-256 of the file's bytes,
 *                             and "sha256:<hex>" is the layer's id
 *     chunks/<hh>/<hex>       one chunk; <hex> is the SHA-256 of its *uncompressed*
 *                             bytes and <hh> the first two hex digits (a 256-way fan-out)
 *
 * A chunk file holds a zlib stream (RFC 1950) when that is smaller than the chunk, and the
 * raw bytes otherwise; its size says which (stored size < chunk length means zlib), so two
 * layers that share a chunk can never disagree about its encoding.  All-zero chunks have no
 * file at all.  Files are written under a temporary name and renamed into place, so a crash
 * never leaves a half chunk under a real name.
 *
 * ## The index
 * A layer is a block image (a whole disk or one partition) cut into chunks of 2^chunk_shift
 * bytes at fixed offsets; the last chunk may be short.  Every chunk is in one of three
 * classes: a *data* chunk has a store file; a *zero* chunk is all zeros, has no file, and
 * is written only where the target is not already zero; a *free* chunk (versions 2 and 3)
 * holds only blocks the layer's own filesystem marks free, so it has no file and is
 * neither read, hashed nor written on deployment.
 *
 * Version 3 (written today) is a 64-byte header, then run_count 24-byte run records, then
 * exactly one data entry per chunk that no run covers, in chunk order.  A run record says
 * that chunks [first, first + count) are all zero or all free; it also carries
 * data_before, the number of data entries before it, so a reader finds chunk i's entry by
 * a binary search over the runs, in place, without allocating.  A data entry is the
 * chunk's digest and its stored size less one, in the fewest whole bytes the chunk size
 * needs: 2 up to 64 KiB chunks (a 34-byte entry), 3 above (35); the header's entry_size
 * says which.  It has no flags: a data chunk's file is zlib exactly when its stored size
 * is less than the chunk's length, which the store's rule already makes so.  The encoding
 * is canonical, so one image always gives one layer id: every zero and free chunk is in a
 * run, runs are in chunk order and do not overlap, and two runs of one class touch only
 * when the first is full (count 2^32 - 1).  A mostly empty layer's index shrinks to the
 * size of its data.
 *
 * Version 2 (read, never written now) is version 3 with 40-byte entries (struct
 * strata_index_entry: the stored size in 4 bytes and 4 bytes of flags, only ZLIB, set
 * exactly when stored size < length).  Version 1 (read, never written) is the header with
 * flags and run count 0 followed by exactly chunk_count 40-byte entries, entry i
 * describing chunk i; zero chunks are entries flagged STRATA_ENTRY_ZERO, and there is no
 * free class and no run.
 *
 * Chunk i covers bytes [i << chunk_shift, min((i+1) << chunk_shift, image_size)).  Nothing
 * may follow the last entry: the layer id covers the whole file, and trailing bytes would
 * be unsigned data.  A reader refuses a version newer than its own with a message that
 * names its version and asks for an upgrade, instead of misreading a layer.
 */
#ifndef STRATA_FORMAT_H
#define STRATA_FORMAT_H

#include <stdint.h>
#include <stddef.h>

/** "STRATAIX": identifies a layer index and its byte order at a glance in a hex dump. */
#define STRATA_INDEX_MAGIC "STRATAIX"
/** Bumped on any incompatible change; readers reject versions they do not know.  This is
 *  the version written; readers also accept every older one (V2, V1): stores and captured
 *  generations outlive releases. */
#define STRATA_INDEX_VERSION 3
/** Runs and the free class, with 40-byte entries.  Still read (and written for tests). */
#define STRATA_INDEX_VERSION_V2 2
/** The first format: one entry per chunk, no runs, no free class.  Still read. */
#define STRATA_INDEX_VERSION_V1 1

/** Chunk sizes a layer may use: 4 KiB (one filesystem block) to 4 MiB. */
#define STRATA_CHUNK_SHIFT_MIN 12
#define STRATA_CHUNK_SHIFT_MAX 22
/** Default chunk size (64 KiB); docs/chunk-size.md records the measurement behind it. */
#define STRATA_CHUNK_SHIFT_DEFAULT 16
/** Upper bound on a layer's size (1 PiB): keeps every offset product far from overflow. */
#define STRATA_IMAGE_SIZE_MAX (1ULL << 50)

/** The index header.  64 bytes so entries start cache-line aligned in a mapped file. */
struct strata_index_header {
	uint8_t magic[8];         /**< STRATA_INDEX_MAGIC, not NUL-terminated */
	uint8_t version[2];       /**< le16: STRATA_INDEX_VERSION */
	uint8_t header_size[2];   /**< le16: 64; lets a reader check it parsed the right struct */
	uint8_t entry_size[2];    /**< le16: 40 (versions 1, 2); in version 3 34 or 35, as
				       strata_index_entry_size says for the chunk shift */
	uint8_t chunk_shift;      /**< log2 of the chunk size, 12..22 */
	uint8_t compression;      /**< STRATA_COMP_ZLIB: how non-raw chunk files are encoded */
	uint8_t image_size[8];    /**< le64: bytes in the layer's image, 1..STRATA_IMAGE_SIZE_MAX */
	uint8_t chunk_count[8];   /**< le64: ceil(image_size / chunk size), checked by readers */
	uint8_t flags[4];         /**< le32: STRATA_INDEX_* (versions 2, 3); 0 in version 1 */
	uint8_t run_count[8];     /**< le64: run records after the header (0 in version 1) */
	uint8_t reserved[20];     /**< must be 0 */
};

/** The image's filesystem was unsafe to read by its used blocks (hibernated, dirty) and the
 *  layer was built anyway with --force: recorded so inspect and audits can tell. */
#define STRATA_INDEX_FORCED 0x1u
#define STRATA_INDEX_KNOWN STRATA_INDEX_FORCED

/** Compression of chunk files in the store.  Only zlib exists; the field makes room. */
#define STRATA_COMP_ZLIB 1

/** One chunk in versions 1 and 2, and the per-chunk form a build fills before it encodes
 *  the index.  40 bytes: 0.06 % of a 64 KiB chunk, under the 0.1 % index budget. */
struct strata_index_entry {
	uint8_t digest[32];       /**< SHA-256 of the uncompressed bytes; all zero for a zero chunk */
	uint8_t stored_size[4];   /**< le32: chunk file size; 0 for a zero chunk, else 1..length */
	uint8_t flags[4];         /**< le32: STRATA_ENTRY_* */
};

/**
 * A data entry of version 3: what a data chunk needs beyond its place, and no more.  Why:
 * the digest cannot shrink (a truncated digest would let a chosen collision pass), so the
 * per-entry overhead must; 34 bytes at 64 KiB chunks, 0.05 % of the chunk.  stored_less_one
 * is the stored size (1..chunk length) less one, little-endian, in
 * STRATA_ENTRY_V3_SIZE_BYTES(shift) bytes: 2 for shifts up to 16, where the entry ends
 * after its first two bytes (34), else all 3 (35).
 */
struct strata_index_entry_v3 {
	uint8_t digest[32];          /**< SHA-256 of the uncompressed bytes, never all zero */
	uint8_t stored_less_one[3];  /**< le16 or le24: the chunk file's size less one */
};

/** The chunk shifts whose stored size less one fits in 2 bytes (a 34-byte entry). */
#define STRATA_ENTRY_V3_SHORT_SHIFT_MAX 16
/** Bytes of a version 3 entry's stored size for chunks of 2^shift bytes. */
#define STRATA_ENTRY_V3_SIZE_BYTES(shift) ((shift) <= STRATA_ENTRY_V3_SHORT_SHIFT_MAX ? 2u : 3u)

/** A run of zero or free chunks (versions 2 and 3).  24 bytes, whatever its length. */
struct strata_index_run {
	uint8_t first[8];         /**< le64: first chunk of the run */
	uint8_t data_before[8];   /**< le64: data entries before the run: lets a reader index
				       the entries with one binary search and no running sum */
	uint8_t count[4];         /**< le32: chunks in the run, at least 1 */
	uint8_t flags[4];         /**< le32: exactly STRATA_ENTRY_ZERO or STRATA_ENTRY_FREE */
};

/** The chunk is all zeros: it has no file, is never fetched, and is written only where the
 *  target is not already zero. */
#define STRATA_ENTRY_ZERO 0x1u
/** The chunk file is a zlib stream (set exactly when stored_size < chunk length; implied by
 *  the stored size in version 3, whose entries have no flags). */
#define STRATA_ENTRY_ZLIB 0x2u
/** The layer's filesystem marks every block of the chunk free: no file, and deployment
 *  neither reads, hashes nor writes it (versions 2 and 3, in runs only). */
#define STRATA_ENTRY_FREE 0x4u
/** Flags a version 1 entry may carry. */
#define STRATA_ENTRY_KNOWN (STRATA_ENTRY_ZERO | STRATA_ENTRY_ZLIB)
/** Chunks that have no store file: never fetched, never offered for reuse. */
#define STRATA_ENTRY_NOFILE (STRATA_ENTRY_ZERO | STRATA_ENTRY_FREE)

_Static_assert(sizeof(struct strata_index_header) == 64, "index header is 64 bytes");
_Static_assert(offsetof(struct strata_index_header, chunk_shift) == 14, "chunk_shift at 14");
_Static_assert(offsetof(struct strata_index_header, image_size) == 16, "image_size at 16");
_Static_assert(offsetof(struct strata_index_header, chunk_count) == 24, "chunk_count at 24");
_Static_assert(offsetof(struct strata_index_header, flags) == 32, "flags at 32");
_Static_assert(offsetof(struct strata_index_header, run_count) == 36, "run_count at 36");
_Static_assert(sizeof(struct strata_index_run) == 24, "run record is 24 bytes");
_Static_assert(offsetof(struct strata_index_run, count) == 16, "run count at 16");
_Static_assert(offsetof(struct strata_index_run, flags) == 20, "run flags at 20");
_Static_assert(sizeof(struct strata_index_entry) == 40, "index entry is 40 bytes");
_Static_assert(offsetof(struct strata_index_entry, stored_size) == 32, "stored_size at 32");
_Static_assert(sizeof(struct strata_index_entry_v3) == 35, "a long version 3 entry is 35 bytes");
_Static_assert(offsetof(struct strata_index_entry_v3, stored_less_one) == 32,
	       "version 3 stored size at 32");
_Static_assert(STRATA_ENTRY_V3_SIZE_BYTES(STRATA_CHUNK_SHIFT_MAX) == 3 &&
	       (1ULL << STRATA_CHUNK_SHIFT_MAX) - 1 < (1ULL << 24), "3 bytes hold every stored size");
_Static_assert((1ULL << STRATA_ENTRY_V3_SHORT_SHIFT_MAX) - 1 < (1ULL << 16),
	       "2 bytes hold every stored size of a short entry");

/*
 * GPT (UEFI spec 2.10, chapter 5).  strata.efi writes these to make a disk's layout match a
 * manifest; strata-image reads them in tests.  LBAs are in units of the disk's block size.
 */

/** "EFI PART" */
#define STRATA_GPT_SIGNATURE "EFI PART"
#define STRATA_GPT_REVISION 0x00010000u
/** Partition entries we write: 128, the minimum the spec requires the array to hold. */
#define STRATA_GPT_ENTRIES 128

/** GPT header, at LBA 1 (primary) and the disk's last LBA (backup). */
struct strata_gpt_header {
	uint8_t signature[8];       /**< STRATA_GPT_SIGNATURE */
	uint8_t revision[4];        /**< le32: STRATA_GPT_REVISION */
	uint8_t header_size[4];     /**< le32: 92 */
	uint8_t header_crc32[4];    /**< le32: CRC32 of the 92 bytes with this field zero */
	uint8_t reserved[4];        /**< must be 0 */
	uint8_t my_lba[8];          /**< le64: where this copy lives */
	uint8_t alternate_lba[8];   /**< le64: where the other copy lives */
	uint8_t first_usable_lba[8];/**< le64 */
	uint8_t last_usable_lba[8]; /**< le64 */
	uint8_t disk_guid[16];      /**< mixed-endian GUID, as stored */
	uint8_t entries_lba[8];     /**< le64: first LBA of the entry array */
	uint8_t entry_count[4];     /**< le32 */
	uint8_t entry_size[4];      /**< le32: 128 */
	uint8_t entries_crc32[4];   /**< le32: CRC32 of entry_count * entry_size bytes */
};

/** One GPT partition entry (128 bytes). */
struct strata_gpt_entry {
	uint8_t type_guid[16];      /**< all zero: unused entry */
	uint8_t part_guid[16];
	uint8_t first_lba[8];       /**< le64 */
	uint8_t last_lba[8];        /**< le64, inclusive */
	uint8_t attributes[8];      /**< le64 */
	uint8_t name[72];           /**< 36 UTF-16LE code units, NUL padded */
};

_Static_assert(sizeof(struct strata_gpt_header) == 92, "GPT header is 92 bytes");
_Static_assert(offsetof(struct strata_gpt_header, disk_guid) == 56, "disk_guid at 56");
_Static_assert(offsetof(struct strata_gpt_header, entries_crc32) == 88, "entries_crc32 at 88");
_Static_assert(sizeof(struct strata_gpt_entry) == 128, "GPT entry is 128 bytes");
_Static_assert(offsetof(struct strata_gpt_entry, name) == 56, "name at 56");

#endif /* STRATA_FORMAT_H */
