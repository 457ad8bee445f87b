/*
 * The target disk: found among the firmware's block devices, read and written through
 * EFI_BLOCK_IO_PROTOCOL.  Offsets and lengths here are bytes, multiples of the block size;
 * buffers come from disk_buf_alloc so they meet the device's IoAlign.
 */
#ifndef STRATA_EFI_DISK_H
#define STRATA_EFI_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <efi.h>

struct disk {
	EFI_HANDLE handle;
	EFI_BLOCK_IO *bio;
	uint32_t media_id;
	uint32_t block_size;
	uint32_t io_align;         /**< buffer alignment the device needs; 0 or 1: none */
	uint64_t bytes;            /**< whole disk */
	char name[96];             /**< device path as text, for messages */
};

/**
 * Connect every controller but the NIC image was loaded from (firmware that boots from the
 * network connects only the boot devices) and take the first fixed, writable, whole disk
 * of at least min_bytes; when none is that large, the largest one, so that the deployment's
 * plan (disk_fit.h) can say by how much it falls short, per partition, before writing
 * anything.  Skips partitions, read-only and removable media, block sizes under 512, and
 * iPXE's dummy disk.  STRATA_ENOENT when there is no fixed writable disk at all.
 */
int disk_find(struct disk *d, uint64_t min_bytes, EFI_HANDLE image);

/** Read len bytes at off into buf (any buffer: a misaligned one is bounced). */
int disk_read(struct disk *d, uint64_t off, void *buf, size_t len);
/** Write len bytes at off from buf (any buffer: a misaligned one is bounced). */
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len);
/** Ask the device to make written data durable. */
int disk_flush(struct disk *d);

/** A zeroed, page-aligned buffer of len bytes the caller owns; free with disk_buf_free. */
void *disk_buf_alloc(size_t len);
void disk_buf_free(void *buf, size_t len);

#endif /* STRATA_EFI_DISK_H */
