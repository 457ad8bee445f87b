/*
 * stdlib.h for strata.efi: only the allocation pair mbedTLS's platform layer calls
 * (MBEDTLS_PLATFORM_CALLOC_MACRO / FREE_MACRO in efi/mbedtls_config.h).
 *
 * Both go to strata_alloc/strata_free (efi/alloc.c, UEFI pool memory), so mbedTLS, zlib and
 * Strata share one allocator and one failure mode (NULL on exhaustion).
 */
#ifndef STRATA_EFI_LIBC_STDLIB_H
#define STRATA_EFI_LIBC_STDLIB_H

#include <stddef.h>

/** Zeroed memory for n objects of size bytes, or NULL (also when n * size overflows).
 *  The caller owns it and releases it with free. */
void *calloc(size_t n, size_t size);
/** Release memory from calloc; NULL is allowed. */
void free(void *p);

#endif /* STRATA_EFI_LIBC_STDLIB_H */
