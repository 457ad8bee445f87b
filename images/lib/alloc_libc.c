/* strata_alloc on Linux: calloc and free (see core/alloc.h). */
#include <stdlib.h>
#include "alloc.h"

void *strata_alloc(size_t n)
{
	return calloc(1, n);
}

void strata_free(void *p)
{
	free(p);
}
