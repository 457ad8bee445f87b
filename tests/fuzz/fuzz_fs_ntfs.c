/* libFuzzer target for the NTFS parser (images/core/fs_ntfs.c, fs_ntfs_state.c): see fuzz_fs.h. */
#include "fuzz_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_fs_run(data, size, STRATA_FS_NTFS);
}
