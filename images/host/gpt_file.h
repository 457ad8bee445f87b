/*
 * A GPT in a disk image file or on a block device, through the core (images/core/gpt.h):
 * read the primary table, and write a plan in gpt.h's crash-safe order.  Shared by
 * `strata-image capture-disk` (reads a reference disk) and `strata-image apply --manifest`
 * (reads the target's table, then writes the planned one).
 */
#ifndef STRATA_GPT_FILE_H
#define STRATA_GPT_FILE_H

#include <stdint.h>
#include "gpt.h"

/**
 * Read the primary GPT of the disk open as fd (path for messages; size its bytes) in
 * blocks of bs into *t (the caller's).  0; STRATA_ENOENT when LBA 1 holds no GPT
 * signature; another rc with diag (the core's check at fault), or STRATA_EREPORTED when
 * a read failed (printed).
 */
int gpt_file_read(int fd, const char *path, uint64_t size, uint32_t bs,
		  struct strata_gpt_table *t, struct strata_diag *diag);

/**
 * Write plan's table to fd: primary array, primary header, backup array, backup header,
 * then the protective MBR, then fsync (gpt.h: a crash leaves one valid copy).  0 or
 * STRATA_EREPORTED (printed, naming path).
 */
int gpt_file_write(int fd, const char *path, const struct strata_gpt_plan *plan);

#endif /* STRATA_GPT_FILE_H */
