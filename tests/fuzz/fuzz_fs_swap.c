/* libFuzzer target for the swap parser (images/core/fs_swap.c): see fuzz_fs.h. */
#include "fuzz_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_fs_run(data, size, STRATA_FS_SWAP);
}
