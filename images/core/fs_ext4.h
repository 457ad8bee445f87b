/*
 * ext2/3/4 on-disk structures that fs_ext4.c reads (see the kernel's
 * Documentation/filesystems/ext4/ and e2fsprogs' lib/ext2fs/ext2_fs.h for the full layout).
 *
 * Layout, in blocks of 1024 << log_block_size bytes:
 *
 *     byte 1024          the superblock (1024 bytes), in block first_data_block
 *     block fdb + 1      the group descriptor table: one desc_size-byte descriptor per group
 *     per group g        blocks fdb + g * blocks_per_group ..; a group with a superblock
 *                        backup starts with it, the table and reserved_gdt_blocks more;
 *                        each descriptor says where the group's block bitmap, inode bitmap
 *                        and inode table are (anywhere, with flex_bg)
 *     the journal        inode journal_inum (8), usually one extent tree
 *
 * Only the fields read are named; the rest are padding.  Every multi-byte field is
 * little-endian except the journal's (JBD2), which is big-endian.
 */
#ifndef STRATA_FS_EXT4_H
#define STRATA_FS_EXT4_H

#include <stddef.h>
#include <stdint.h>

#define EXT4_SB_OFFSET 1024u
#define EXT4_MAGIC 0xEF53u
/** s_state bits. */
#define EXT4_STATE_VALID 0x0001u     /**< cleanly unmounted */
#define EXT4_STATE_ERROR 0x0002u     /**< errors detected */
/** Feature bits we act on. */
#define EXT4_COMPAT_HAS_JOURNAL 0x0004u
#define EXT4_COMPAT_SPARSE_SUPER2 0x0200u
#define EXT4_INCOMPAT_RECOVER 0x0004u      /**< the journal needs replaying */
#define EXT4_INCOMPAT_JOURNAL_DEV 0x0008u  /**< this is an external journal, not a fs */
#define EXT4_INCOMPAT_META_BG 0x0010u
#define EXT4_INCOMPAT_64BIT 0x0080u
#define EXT4_RO_COMPAT_SPARSE_SUPER 0x0001u
#define EXT4_RO_COMPAT_GDT_CSUM 0x0010u
#define EXT4_RO_COMPAT_BIGALLOC 0x0200u
#define EXT4_RO_COMPAT_METADATA_CSUM 0x0400u
/** bg_flags: the block bitmap was never written; only the group's metadata is used. */
#define EXT4_BG_BLOCK_UNINIT 0x0002u
/** i_flags: i_block holds an extent tree. */
#define EXT4_INODE_EXTENTS 0x00080000u
#define EXT4_EXTENT_MAGIC 0xF30Au
/** An extent longer than this is an unwritten one of (len - 32768) blocks. */
#define EXT4_EXTENT_INIT_MAX 32768u
#define JBD2_MAGIC 0xC03B3998u
#define JBD2_SB_V1 3u
#define JBD2_SB_V2 4u

/** The superblock: 1024 bytes at byte 1024 of the partition. */
struct ext4_super {
	uint8_t inodes_count[4];
	uint8_t blocks_count_lo[4];
	uint8_t pad_08[12];
	uint8_t first_data_block[4];  /**< 1 for 1 KiB blocks, else 0 */
	uint8_t log_block_size[4];    /**< block size = 1024 << this */
	uint8_t pad_1c[4];
	uint8_t blocks_per_group[4];
	uint8_t pad_24[4];
	uint8_t inodes_per_group[4];
	uint8_t pad_2c[12];
	uint8_t magic[2];             /**< EXT4_MAGIC */
	uint8_t state[2];             /**< EXT4_STATE_* */
	uint8_t pad_3c[16];
	uint8_t rev_level[4];         /**< 0: 128-byte inodes, no features */
	uint8_t pad_50[8];
	uint8_t inode_size[2];
	uint8_t pad_5a[2];
	uint8_t feature_compat[4];
	uint8_t feature_incompat[4];
	uint8_t feature_ro_compat[4];
	uint8_t pad_68[102];
	uint8_t reserved_gdt_blocks[2];  /**< table growth room after each table copy */
	uint8_t journal_uuid[16];
	uint8_t journal_inum[4];
	uint8_t journal_dev[4];
	uint8_t pad_e8[22];
	uint8_t desc_size[2];         /**< descriptor bytes with 64bit; else 32 */
	uint8_t pad_100[80];
	uint8_t blocks_count_hi[4];   /**< with 64bit */
	uint8_t pad_154[248];
	uint8_t backup_bgs[2][4];     /**< with sparse_super2: the two backup groups */
	uint8_t pad_254[428];
};

/** A group descriptor: the first 32 bytes, and with 64bit the high halves after them. */
struct ext4_group_desc {
	uint8_t block_bitmap_lo[4];
	uint8_t inode_bitmap_lo[4];
	uint8_t inode_table_lo[4];
	uint8_t pad_0c[6];
	uint8_t flags[2];             /**< EXT4_BG_* */
	uint8_t pad_14[12];
	uint8_t block_bitmap_hi[4];
	uint8_t inode_bitmap_hi[4];
	uint8_t inode_table_hi[4];
	uint8_t pad_2c[20];
};

/** The first 128 bytes of an inode (all of it on revision 0). */
struct ext4_inode {
	uint8_t mode[2];
	uint8_t pad_02[2];
	uint8_t size_lo[4];
	uint8_t pad_08[24];
	uint8_t flags[4];             /**< EXT4_INODE_EXTENTS */
	uint8_t pad_24[4];
	uint8_t block[60];            /**< an extent header and four entries */
	uint8_t pad_64[8];
	uint8_t size_high[4];
	uint8_t pad_70[16];
};

/** Extent tree node header, then `entries` 12-byte entries. */
struct ext4_extent_header {
	uint8_t magic[2];
	uint8_t entries[2];
	uint8_t max[2];
	uint8_t depth[2];             /**< 0: entries are extents; else index entries */
	uint8_t generation[4];
};

/** A leaf entry: logical blocks block .. block + len - 1 at physical start. */
struct ext4_extent {
	uint8_t block[4];
	uint8_t len[2];
	uint8_t start_hi[2];
	uint8_t start_lo[4];
};

/** An index entry: the subtree for logical blocks from block lives in block leaf. */
struct ext4_extent_idx {
	uint8_t block[4];
	uint8_t leaf_lo[4];
	uint8_t leaf_hi[2];
	uint8_t unused[2];
};

/** The journal superblock (JBD2), big-endian, in the journal's first block. */
struct jbd2_super {
	uint8_t magic[4];             /**< JBD2_MAGIC */
	uint8_t blocktype[4];         /**< JBD2_SB_V1 or JBD2_SB_V2 */
	uint8_t sequence_hdr[4];
	uint8_t blocksize[4];         /**< must equal the filesystem's */
	uint8_t maxlen[4];            /**< blocks in the journal */
	uint8_t first[4];             /**< first block of the log area */
	uint8_t sequence[4];
	uint8_t start[4];             /**< first block of the log to replay; 0: log empty */
};

_Static_assert(sizeof(struct ext4_super) == 1024, "ext4 superblock is 1024 bytes");
_Static_assert(offsetof(struct ext4_super, magic) == 0x38, "s_magic at 0x38");
_Static_assert(offsetof(struct ext4_super, feature_compat) == 0x5C, "features at 0x5C");
_Static_assert(offsetof(struct ext4_super, reserved_gdt_blocks) == 0xCE, "reserved_gdt at 0xCE");
_Static_assert(offsetof(struct ext4_super, journal_inum) == 0xE0, "journal_inum at 0xE0");
_Static_assert(offsetof(struct ext4_super, desc_size) == 0xFE, "desc_size at 0xFE");
_Static_assert(offsetof(struct ext4_super, blocks_count_hi) == 0x150, "blocks_hi at 0x150");
_Static_assert(offsetof(struct ext4_super, backup_bgs) == 0x24C, "backup_bgs at 0x24C");
_Static_assert(sizeof(struct ext4_group_desc) == 64, "64-bit group descriptor is 64 bytes");
_Static_assert(offsetof(struct ext4_group_desc, flags) == 0x12, "bg_flags at 0x12");
_Static_assert(offsetof(struct ext4_group_desc, block_bitmap_hi) == 0x20, "bitmap_hi at 0x20");
_Static_assert(sizeof(struct ext4_inode) == 128, "inode core is 128 bytes");
_Static_assert(offsetof(struct ext4_inode, block) == 0x28, "i_block at 0x28");
_Static_assert(offsetof(struct ext4_inode, size_high) == 0x6C, "i_size_high at 0x6C");
_Static_assert(sizeof(struct ext4_extent_header) == 12, "extent header is 12 bytes");
_Static_assert(sizeof(struct ext4_extent) == 12, "extent is 12 bytes");
_Static_assert(sizeof(struct ext4_extent_idx) == 12, "extent index is 12 bytes");
_Static_assert(offsetof(struct jbd2_super, start) == 28, "s_start at 28");

#endif /* STRATA_FS_EXT4_H */
