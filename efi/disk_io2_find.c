/*
 * Which Block I/O 2 the target disk's started writes go through (disk_io2.c): the disk's
 * own, where it offers one.  Its own file so that a build can link another answer:
 * strata-blkio1.efi links disk_io2_none.c, which writes through Block I/O only on the same
 * disk (tests/bench/blkio2.sh compares the two).
 */
#include <efi.h>
#include <efilib.h>
#include "disk.h"

EFI_BLOCK_IO2_PROTOCOL *disk_io2_find(struct disk *d, const char **why)
{
	EFI_BLOCK_IO2_PROTOCOL *bio2 = NULL;

	*why = "no Block I/O 2 on this disk";
	if (EFI_ERROR(BS->HandleProtocol(d->handle, &BlockIo2Protocol, (void **)&bio2)))
		return NULL;
	return bio2;
}
