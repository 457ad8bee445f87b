/*
 * FAT12/16/32 on-disk structures that fs_fat.c reads (Microsoft's "FAT: General Overview
 * of On-Disk Format", 2000, is the reference for every rule here).
 *
 * Layout, in sectors of bytes_per_sector:
 *
 *     0 .. reserved-1            boot sector (this struct), FAT32's FSInfo and backup
 *     reserved ..                num_fats copies of the allocation table, fat_size each
 *     then (FAT12/16 only)       the root directory, root_entries * 32 bytes
 *     data_start ..              clusters 2 .. count + 1, sectors_per_cluster each
 *
 * The type is settled by the cluster count alone: < 4085 FAT12, < 65525 FAT16, else
 * FAT32.  Table entry c (12, 16 or 28 bits) is 0 exactly when cluster c is free.
 */
#ifndef STRATA_FS_FAT_H
#define STRATA_FS_FAT_H

#include <stddef.h>
#include <stdint.h>

#define FAT12_MAX_CLUSTERS 4084u
#define FAT16_MAX_CLUSTERS 65524u
/** The clean-shutdown bits in table entry 1 (FAT16, FAT32): clear means dirty. */
#define FAT16_CLEAN_BIT 0x8000u
#define FAT32_CLEAN_BIT 0x08000000u
/** Bit 0 of the boot sector's state byte: set by Linux and Windows while mounted. */
#define FAT_STATE_DIRTY 0x01u
/** ext_flags: bit 7 set means only FAT number (ext_flags & 0xF) is active. */
#define FAT32_NO_MIRROR 0x0080u

/** The BIOS parameter block every FAT shares: bytes 0..35 of the boot sector. */
struct fat_bpb {
	uint8_t jump[3];              /**< 0xEB xx 0x90 or 0xE9 xx xx */
	uint8_t oem[8];
	uint8_t bytes_per_sector[2];  /**< 512 .. 4096, a power of two */
	uint8_t sectors_per_cluster;  /**< 1 .. 128, a power of two */
	uint8_t reserved_sectors[2];  /**< at least 1 (the boot sector) */
	uint8_t num_fats;
	uint8_t root_entries[2];      /**< 0 on FAT32 */
	uint8_t total_sectors16[2];   /**< 0: see total_sectors32 */
	uint8_t media;
	uint8_t fat_size16[2];        /**< sectors per table; 0 on FAT32 */
	uint8_t sectors_per_track[2];
	uint8_t heads[2];
	uint8_t hidden_sectors[4];
	uint8_t total_sectors32[4];
};

/** The drive and volume fields every type has, after its own fields. */
struct fat_ext_tail {
	uint8_t drive;
	uint8_t state;                /**< FAT_STATE_DIRTY */
	uint8_t boot_sig;
	uint8_t volume_id[4];
	uint8_t label[11];
	uint8_t fs_type[8];
};

/** Bytes 36.. of a FAT12/16 boot sector. */
struct fat16_ext {
	struct fat_ext_tail t;
};

/** Bytes 36.. of a FAT32 boot sector. */
struct fat32_ext {
	uint8_t fat_size32[4];
	uint8_t ext_flags[2];         /**< FAT32_NO_MIRROR */
	uint8_t version[2];
	uint8_t root_cluster[4];
	uint8_t fsinfo_sector[2];
	uint8_t backup_boot[2];
	uint8_t reserved[12];
	struct fat_ext_tail t;
};

/** The boot sector's first 512 bytes. */
struct fat_boot {
	struct fat_bpb bpb;
	union {
		struct fat16_ext f16;
		struct fat32_ext f32;
	} ext;
	uint8_t pad_5a[420];
	uint8_t signature[2];         /**< 0x55 0xAA */
};

_Static_assert(sizeof(struct fat_bpb) == 36, "BPB is 36 bytes");
_Static_assert(offsetof(struct fat_bpb, total_sectors32) == 32, "total_sectors32 at 32");
_Static_assert(sizeof(struct fat16_ext) == 26, "FAT16 extension is 26 bytes");
_Static_assert(sizeof(struct fat32_ext) == 54, "FAT32 extension is 54 bytes");
_Static_assert(offsetof(struct fat_boot, ext.f16.t.state) == 37, "FAT16 state at 37");
_Static_assert(offsetof(struct fat_boot, ext.f32.t.state) == 65, "FAT32 state at 65");
_Static_assert(offsetof(struct fat_boot, signature) == 510, "signature at 510");
_Static_assert(sizeof(struct fat_boot) == 512, "boot sector is 512 bytes");

#endif /* STRATA_FS_FAT_H */
