/* libFuzzer target for the fat parser (images/core/fs_fat.c; the type FAT16 stands for all three): see fuzz_fs.h. */
#include "fuzz_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_fs_run(data, size, STRATA_FS_FAT16);
}
