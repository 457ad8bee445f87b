/*
 * The target disk: found among the firmware's block devices, read and written through
 * EFI_BLOCK_IO_PROTOCOL, and written asynchronously through EFI_BLOCK_IO2_PROTOCOL where
 * the disk offers it (disk_write_start; disk_io2.c).  Offsets and lengths here are bytes,
 * multiples of the block size; buffers come from disk_buf_alloc so they meet the device's
 * IoAlign.  Transfers are ordered: a read or write waits for the started writes it
 * overlaps, and disk_flush for all of them.
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
	EFI_BLOCK_IO2_PROTOCOL *bio2; /**< NULL: every write is synchronous (Block I/O) */
	struct disk_io2 *io2;      /**< with bio2: the writes in flight (disk_io2.c's) */
	int io2_tried;             /**< disk_io2_open ran: at the first disk_write_start */
	uint64_t failed_at;        /**< after a call failed: the disk byte where the write
				    that failed started (a started one, maybe, also when a
				    read waited for it); DISK_NOT_A_WRITE when a read
				    itself failed */
};

/** disk.failed_at after a read that failed itself, not a started write it waited for. */
#define DISK_NOT_A_WRITE UINT64_MAX

/**
 * Connect every controller but the NIC image was loaded from (firmware that boots from the
 * network connects only the boot devices) and take the first fixed, writable, whole disk
 * of at least min_bytes; when none is that large, the largest one, so that the deployment's
 * plan (disk_fit.h) can say by how much it falls short, per partition, before writing
 * anything.  Skips partitions, read-only and removable media, block sizes under 512, and
 * iPXE's dummy disk.  STRATA_ENOENT when there is no fixed writable disk at all.
 */
int disk_find(struct disk *d, uint64_t min_bytes, EFI_HANDLE image);

/** Read len bytes at off into buf (any buffer: a misaligned one is bounced).  0, or the
 *  read's rc, or that of a started write it overlaps and waited for (d->failed_at). */
int disk_read(struct disk *d, uint64_t off, void *buf, size_t len);
/** Write len bytes at off from buf (any buffer: a misaligned one is bounced). */
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len);
/**
 * Start writing len bytes at off from buf; with Block I/O 2 the write may go on after this
 * returns.  buf is borrowed: the caller neither changes nor frees it until disk_settle
 * returns (the device reads it until the write's token signals).  Without Block I/O 2, or
 * for a buffer that misses IoAlign, this is disk_write.  0, or the rc of this write or of
 * an earlier started one found failed, logged with its LBA; d->failed_at says where.
 */
int disk_write_start(struct disk *d, uint64_t off, const void *buf, size_t len);
/** Wait for every started write: their buffers are the callers' again.  0, or the rc of
 *  the first that failed (d->failed_at). */
int disk_settle(struct disk *d);
/** Settle, then ask the device to make written data durable. */
int disk_flush(struct disk *d);

/** A zeroed, page-aligned buffer of len bytes the caller owns; free with disk_buf_free. */
void *disk_buf_alloc(size_t len);
void disk_buf_free(void *buf, size_t len);

/* Between disk.c and disk_io2.c. */
/** The Block I/O 2 to start d's writes with, or NULL with *why (static) saying why not.
 *  Chosen at link time: disk_io2_find.c asks the disk; disk_io2_none.c never has one. */
EFI_BLOCK_IO2_PROTOCOL *disk_io2_find(struct disk *d, const char **why);
/** Wait for the started writes overlapping off..off+len (len 0: all).  0 or the first
 *  failure's rc. */
int disk_io2_wait(struct disk *d, uint64_t off, size_t len);
/** Log a transfer the device refused, by LBA and length, and return its rc. */
int disk_io_fail(const struct disk *d, EFI_STATUS s, const char *op, uint64_t off, size_t len);
/** 0 when off..off+len is whole blocks inside the disk, else STRATA_ERANGE (logged). */
int disk_check_io(const struct disk *d, uint64_t off, size_t len);
/** True when buf misses the device's IoAlign. */
int disk_misaligned(const struct disk *d, const void *buf);

#endif /* STRATA_EFI_DISK_H */
