/* disk_io2_find for strata-blkio1.efi (mk/efi.mk): no Block I/O 2, every write synchronous. */
#include "disk.h"

EFI_BLOCK_IO2_PROTOCOL *disk_io2_find(struct disk *d, const char **why)
{
	*why = "Block I/O 2 left out of this build";
	return NULL;
}
