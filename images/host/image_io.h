/*
 * Reading and writing images and targets (files or block devices) by offset, shared by
 * build, apply and verify.
 */
#ifndef STRATA_IMAGE_IO_H
#define STRATA_IMAGE_IO_H

#include <stddef.h>
#include <stdint.h>

/** Read exactly len bytes at off; a short read is an error naming path. */
int pread_exact(int fd, const char *path, void *buf, size_t len, uint64_t off);
/** Write exactly len bytes at off. */
int pwrite_exact(int fd, const char *path, const void *buf, size_t len, uint64_t off);
/** Size of an open file or block device. */
int fd_size(int fd, const char *path, uint64_t *size);

#endif /* STRATA_IMAGE_IO_H */
