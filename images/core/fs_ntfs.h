/*
 * NTFS on-disk structures that fs_ntfs.c reads.  Microsoft does not publish NTFS's format;
 * the names follow the Linux-NTFS project's documentation (flatcap.github.io/linux-ntfs),
 * which the kernel's and ntfs-3g's drivers implement.
 *
 * Layout: the boot sector (this file's first struct) says where the MFT is.  The MFT is an
 * array of fixed-size file records; record n describes file n:
 *
 *     0 $MFT (its $DATA maps the MFT itself)   2 $LogFile   3 $Volume   5 the root
 *     directory   6 $Bitmap (one bit per cluster, set when used)
 *
 * A record and an index block are protected by an update sequence ("fixups"): the last two
 * bytes of every 512-byte stride hold the sequence number, and the real bytes are in the
 * array at usa_ofs.  Attributes follow the record header; a non-resident one holds a
 * runlist ("mapping pairs") of (length, signed LCN delta) pairs.
 */
#ifndef STRATA_FS_NTFS_H
#define STRATA_FS_NTFS_H

#include <stddef.h>
#include <stdint.h>

/** Stride of the update sequence in records, index blocks and restart pages. */
#define NTFS_FIXUP_STRIDE 512u
/** File records we read by number. */
#define NTFS_REC_MFT 0u
#define NTFS_REC_LOGFILE 2u
#define NTFS_REC_VOLUME 3u
#define NTFS_REC_ROOT 5u
#define NTFS_REC_BITMAP 6u
/** Attribute types. */
#define NTFS_AT_VOLUME_INFO 0x70u
#define NTFS_AT_DATA 0x80u
#define NTFS_AT_INDEX_ROOT 0x90u
#define NTFS_AT_INDEX_ALLOC 0xA0u
#define NTFS_AT_END 0xFFFFFFFFu
/** File record flags. */
#define NTFS_REC_IN_USE 0x0001u
/** $VOLUME_INFORMATION flags: chkdsk must run at the next Windows boot. */
#define NTFS_VOLUME_DIRTY 0x0001u
/** Index entry flags. */
#define NTFS_IE_LAST 0x0002u
/** Restart area: no client is using the log, or the volume was closed cleanly. */
#define NTFS_LOG_NO_CLIENT 0xFFFFu
#define NTFS_LOG_VOLUME_CLEAN 0x0002u

/** The boot sector's first 512 bytes. */
struct ntfs_boot {
	uint8_t jump[3];
	uint8_t oem[8];                    /**< "NTFS    " */
	uint8_t bytes_per_sector[2];       /**< 256 .. 4096, a power of two */
	uint8_t sectors_per_cluster;       /**< 1..128, or 2^(256 - v) for v >= 0xF4 */
	uint8_t pad_0e[26];
	uint8_t total_sectors[8];          /**< the volume's sectors, without the backup */
	uint8_t mft_lcn[8];
	uint8_t mftmirr_lcn[8];
	uint8_t clusters_per_record;       /**< signed: < 0 means 2^-v bytes */
	uint8_t pad_41[3];
	uint8_t clusters_per_index;        /**< signed, as above */
	uint8_t pad_45[3];
	uint8_t serial[8];
	uint8_t pad_50[430];
	uint8_t signature[2];              /**< 0x55 0xAA */
};

/** A file record's header. */
struct ntfs_record {
	uint8_t magic[4];                  /**< "FILE" */
	uint8_t usa_ofs[2];
	uint8_t usa_count[2];              /**< 1 + strides */
	uint8_t lsn[8];
	uint8_t sequence[2];               /**< matches the high 16 bits of a reference */
	uint8_t link_count[2];
	uint8_t attrs_offset[2];
	uint8_t flags[2];                  /**< NTFS_REC_IN_USE */
	uint8_t bytes_in_use[4];
	uint8_t bytes_allocated[4];
	uint8_t base_record[8];
	uint8_t next_instance[2];
	uint8_t pad_2a[6];
};

/** The header every attribute starts with, and its resident or non-resident tail. */
struct ntfs_attr {
	uint8_t type[4];
	uint8_t length[4];                 /**< bytes of the whole attribute, 8-aligned */
	uint8_t non_resident;
	uint8_t name_length;               /**< UTF-16 units; 0 for the unnamed $DATA */
	uint8_t name_offset[2];
	uint8_t flags[2];
	uint8_t instance[2];
	union {
		struct {
			uint8_t value_length[4];
			uint8_t value_offset[2];
			uint8_t pad[2];
		} r;
		struct {
			uint8_t lowest_vcn[8];
			uint8_t highest_vcn[8];
			uint8_t runs_offset[2];    /**< mapping pairs, from the attribute's start */
			uint8_t pad[6];
			uint8_t allocated_size[8];
			uint8_t data_size[8];
			uint8_t initialized_size[8];
		} nr;
	} u;
};

/** $VOLUME_INFORMATION's value. */
struct ntfs_volume_info {
	uint8_t reserved[8];
	uint8_t major;
	uint8_t minor;
	uint8_t flags[2];                  /**< NTFS_VOLUME_DIRTY */
};

/** Index header, in $INDEX_ROOT's value (after 16 bytes) and in every index block. */
struct ntfs_index_header {
	uint8_t entries_offset[4];         /**< from this header */
	uint8_t index_length[4];           /**< bytes used, from this header */
	uint8_t allocated_size[4];
	uint8_t flags;
	uint8_t pad[3];
};

/** $INDEX_ROOT's value. */
struct ntfs_index_root {
	uint8_t type[4];
	uint8_t collation[4];
	uint8_t block_size[4];             /**< bytes of an index block */
	uint8_t clusters_per_block;
	uint8_t pad[3];
	struct ntfs_index_header hdr;
};

/** An index block ("INDX") of $INDEX_ALLOCATION. */
struct ntfs_index_block {
	uint8_t magic[4];                  /**< "INDX" */
	uint8_t usa_ofs[2];
	uint8_t usa_count[2];
	uint8_t lsn[8];
	uint8_t vcn[8];
	struct ntfs_index_header hdr;
};

/** A directory index entry; its key is a $FILE_NAME value. */
struct ntfs_index_entry {
	uint8_t file_ref[8];               /**< record number (48 bits), sequence (16) */
	uint8_t length[2];
	uint8_t key_length[2];
	uint8_t flags[2];                  /**< NTFS_IE_LAST */
	uint8_t pad[2];
};

/** The start of a $FILE_NAME value, up to the name. */
struct ntfs_file_name {
	uint8_t parent[8];
	uint8_t times[32];
	uint8_t allocated_size[8];
	uint8_t data_size[8];
	uint8_t attributes[4];
	uint8_t reparse[4];
	uint8_t name_length;               /**< UTF-16 units that follow */
	uint8_t name_type;
};

/** $LogFile's restart page header ("RSTR"), in its first two pages. */
struct ntfs_restart_page {
	uint8_t magic[4];                  /**< "RSTR" */
	uint8_t usa_ofs[2];
	uint8_t usa_count[2];
	uint8_t chkdsk_lsn[8];
	uint8_t system_page_size[4];
	uint8_t log_page_size[4];
	uint8_t restart_area_offset[2];
	uint8_t minor_ver[2];
	uint8_t major_ver[2];
};

/** The restart area the page header points at. */
struct ntfs_restart_area {
	uint8_t current_lsn[8];
	uint8_t log_clients[2];
	uint8_t client_free_list[2];
	uint8_t client_in_use_list[2];     /**< NTFS_LOG_NO_CLIENT when nobody uses the log */
	uint8_t flags[2];                  /**< NTFS_LOG_VOLUME_CLEAN */
	uint8_t seq_number_bits[4];
	uint8_t restart_area_length[2];
	uint8_t client_array_offset[2];
	uint8_t file_size[8];
	uint8_t pad_20[16];
};

_Static_assert(sizeof(struct ntfs_boot) == 512, "NTFS boot sector is 512 bytes");
_Static_assert(offsetof(struct ntfs_boot, total_sectors) == 0x28, "total_sectors at 0x28");
_Static_assert(offsetof(struct ntfs_boot, mft_lcn) == 0x30, "mft_lcn at 0x30");
_Static_assert(offsetof(struct ntfs_boot, clusters_per_record) == 0x40, "record size at 0x40");
_Static_assert(offsetof(struct ntfs_boot, clusters_per_index) == 0x44, "index size at 0x44");
_Static_assert(sizeof(struct ntfs_record) == 48, "file record header is 48 bytes");
_Static_assert(offsetof(struct ntfs_record, attrs_offset) == 20, "attrs_offset at 20");
_Static_assert(offsetof(struct ntfs_attr, u.r.value_offset) == 20, "value_offset at 20");
_Static_assert(offsetof(struct ntfs_attr, u.nr.runs_offset) == 32, "runs_offset at 32");
_Static_assert(offsetof(struct ntfs_attr, u.nr.data_size) == 48, "data_size at 48");
_Static_assert(sizeof(struct ntfs_attr) == 64, "non-resident header is 64 bytes");
_Static_assert(sizeof(struct ntfs_volume_info) == 12, "volume information is 12 bytes");
_Static_assert(sizeof(struct ntfs_index_root) == 32, "index root is 32 bytes");
_Static_assert(offsetof(struct ntfs_index_block, hdr) == 24, "index block header at 24");
_Static_assert(sizeof(struct ntfs_index_entry) == 16, "index entry header is 16 bytes");
_Static_assert(sizeof(struct ntfs_file_name) == 66, "file name header is 66 bytes");
_Static_assert(sizeof(struct ntfs_restart_page) == 30, "restart page header is 30 bytes");
_Static_assert(offsetof(struct ntfs_restart_area, flags) == 14, "restart flags at 14");
_Static_assert(sizeof(struct ntfs_restart_area) == 48, "restart area is 48 bytes");

#endif /* STRATA_FS_NTFS_H */
