/*
 * The core's allocator interface.  The core itself allocates nothing; the glue in lib/
 * (zlib's state) needs memory, and UEFI and Linux provide it differently:
 * lib/alloc_libc.c on Linux, efi/ on UEFI, chosen at link time.
 */
#ifndef STRATA_ALLOC_H
#define STRATA_ALLOC_H

#include <stddef.h>

/** Zeroed memory of n bytes, or NULL.  The caller owns it and frees it with strata_free. */
void *strata_alloc(size_t n);
/** Free memory from strata_alloc; NULL is allowed. */
void strata_free(void *p);

#endif /* STRATA_ALLOC_H */
