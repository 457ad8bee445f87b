/*
 * strata_alloc/strata_free on UEFI (see core/alloc.h): boot-services pool memory.
 *
 * Why the pool: it is the firmware's general-purpose heap, 8-byte aligned, enough for zlib's
 * state and mbedTLS's bignums.  EfiLoaderData is the type for an application's own data; the
 * firmware reclaims it if strata.efi exits without freeing.  Page-aligned I/O buffers for
 * BlockIo are a different need and will get their own allocator.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include <string.h>
#include "alloc.h"

void *strata_alloc(size_t n)
{
	void *p = NULL;

	/* Some pools refuse 0 bytes; callers may ask for 0 (calloc(0, x)) and free it later. */
	if (BS->AllocatePool(EfiLoaderData, n ? n : 1, &p) != EFI_SUCCESS)
		return NULL;
	/* The pool hands out dirty memory; the interface promises zeroed memory. */
	memset(p, 0, n);
	return p;
}

void strata_free(void *p)
{
	if (p)
		BS->FreePool(p);
}
