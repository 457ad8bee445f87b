/*
 * A build's filesystem view (see layer_fsmap.h): the capture engine scans the image once
 * before the workers start and decides whether it may be built by its used blocks
 * (strata_capture_map_open: 4 KiB per bit, finer for smaller blocks); this file says so on
 * stderr in the build's words.
 */
#include <stdio.h>
#include "format.h"
#include "host.h"
#include "layer_fsmap.h"

int layer_fsmap_open(struct strata_capture_map *cm, const struct strata_fs_reader *r,
		     const char *path, unsigned int flags, uint32_t *index_flags)
{
	struct strata_diag diag = { 0 };
	int rc = strata_capture_map_open(cm, r, flags, &diag);
	const char *name = strata_fs_name(cm->m.type);

	if (rc == STRATA_EUNSAFE)
		return errorf("%s (%s): %s; or build it anyway with --force (then every block "
			      "is stored, and the layer records it)", path, name, cm->m.state);
	if (rc)
		return errorf("%s: cannot scan its filesystem: %s", path, diag.msg);
	if (cm->forced) {
		fprintf(stderr, "%s (%s): %s; built anyway (--force): every block is stored\n",
			path, name, cm->m.state);
		*index_flags |= STRATA_INDEX_FORCED;
	} else if (cm->use && cm->m.verdict == STRATA_FS_WARN) {
		fprintf(stderr, "%s (%s): %s\n", path, name, cm->m.state);
	}
	if (cm->use && cm->m.fallback)
		fprintf(stderr, "%s (%s): every block is stored: %s\n", path, name,
			cm->m.fallback);
	return 0;
}
