/* calloc and free for mbedTLS, on Strata's allocator (see stdlib.h and core/alloc.h). */
#include <stdint.h>
#include <stdlib.h>
#include "alloc.h"

void *calloc(size_t n, size_t size)
{
	/* A wrapped product would hand back a buffer smaller than the caller indexes. */
	if (size && n > SIZE_MAX / size)
		return NULL;
	return strata_alloc(n * size);
}

void free(void *p)
{
	strata_free(p);
}
