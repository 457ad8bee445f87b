/* A GPT in an image file or block device (see gpt_file.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gpt_file.h"
#include "host.h"
#include "image_io.h"

int gpt_file_read(int fd, const char *path, uint64_t size, uint32_t bs,
		  struct strata_gpt_table *t, struct strata_diag *diag)
{
	uint8_t hdr[STRATA_GPT_BLOCK_MAX], *arr;
	struct strata_gpt_hdr h;
	size_t len;
	int rc;

	if (bs > sizeof(hdr) || size < 2 * (uint64_t)bs)
		return STRATA_ENOENT;
	if (pread_exact(fd, path, hdr, bs, bs))
		return STRATA_EREPORTED;
	rc = strata_gpt_header_parse(hdr, bs, size / bs, 1, &h, diag);
	if (rc)
		return rc;
	len = (size_t)h.array_blocks * bs;
	if (!(arr = malloc(len)))
		return STRATA_ENOMEM;
	rc = pread_exact(fd, path, arr, len, h.array_lba * bs) ? STRATA_EREPORTED
		: strata_gpt_entries_parse(&h, arr, len, t, diag);
	free(arr);
	return rc;
}

int gpt_file_write(int fd, const char *path, const struct strata_gpt_plan *plan)
{
	uint32_t bs = plan->block_size;
	uint8_t *array = calloc(1, STRATA_GPT_ARRAY_BYTES), *hdr = calloc(3, bs);
	int rc = STRATA_EREPORTED;

	if (!array || !hdr) {
		rc = errorf("%s: out of memory for the partition table", path);
		goto err_alloc;
	}
	if (strata_gpt_encode(plan, plan->disk_guid, array, hdr, hdr + bs, bs)) {
		rc = errorf("%s: the partition table plan is not one strata_gpt_plan made", path);
		goto err_alloc;
	}
	strata_gpt_protective_mbr(hdr + 2 * bs, plan->disk_blocks);
	if (pwrite_exact(fd, path, array, STRATA_GPT_ARRAY_BYTES, 2 * (uint64_t)bs) ||
	    pwrite_exact(fd, path, hdr, bs, bs) ||
	    pwrite_exact(fd, path, array, STRATA_GPT_ARRAY_BYTES, plan->backup_array_lba * bs) ||
	    pwrite_exact(fd, path, hdr + bs, bs, plan->backup_lba * bs) ||
	    pwrite_exact(fd, path, hdr + 2 * bs, bs, 0))
		goto err_alloc;
	if (fsync(fd) < 0 && errno != EINVAL) {
		rc = errorf("%s: flush: %s", path, strerror(errno));
		goto err_alloc;
	}
	rc = 0;
err_alloc:
	free(hdr);
	free(array);
	return rc;
}
