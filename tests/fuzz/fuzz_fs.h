/*
 * The body the filesystem fuzzers share (fuzz_fs_ext4.c, fuzz_fs_fat.c, fuzz_fs_ntfs.c,
 * fuzz_fs_swap.c): the input is a sparse partition image (fs_seed.h), scanned once as the
 * target's type and once with detection.  Invariants on success: the map has one bit per
 * 4 KiB of the partition, a verdict other than OK always carries its message, log ranges
 * lie inside the partition in ascending order, a fallback map is fully used with no log,
 * and every chunk has a class.  ASan and UBSan catch the rest (overreads, overflow).
 */
#ifndef STRATA_FUZZ_FS_H
#define STRATA_FUZZ_FS_H

#include <stdlib.h>
#include "fs_seed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fs_seed fuzz_img;

/* Abort unless m keeps fsmap.h's promises. */
static void fuzz_fs_check(const struct strata_fsmap *m, uint64_t size)
{
	uint64_t end = 0;

	if (m->units != (size + 4095) / 4096 || !m->used)
		abort();
	if ((m->verdict != STRATA_FS_OK) != (m->state != NULL))
		abort();
	for (unsigned int i = 0; i < m->nzero; i++) {
		if (m->zero[i].off < end || m->zero[i].len == 0 ||
		    m->zero[i].len > size - m->zero[i].off)
			abort();
		end = m->zero[i].off + m->zero[i].len;
	}
	if (m->fallback && (m->nzero || strata_fsmap_chunk_class(m, 0, size) != STRATA_FS_USED))
		abort();
	for (uint64_t off = 0; off < size; off += 65536)
		if (strata_fsmap_chunk_class(m, off, 65536) > STRATA_FS_ZERO_LOG)
			abort();
}

static int fuzz_fs_run(const uint8_t *data, size_t size, enum strata_fs_type type)
{
	struct strata_fs_reader r = { fs_seed_read, &fuzz_img, 0 };
	struct strata_diag diag;
	struct strata_fsmap m;

	fs_seed_parse(&fuzz_img, data, size);
	if (!fuzz_img.size)
		return 0;
	r.size = fuzz_img.size;
	if (strata_fsmap_scan_as(&r, type, 12, &m, &diag) == 0) {
		fuzz_fs_check(&m, r.size);
		strata_fsmap_done(&m);
	}
	if (strata_fsmap_scan(&r, 12, &m, &diag) == 0) {
		fuzz_fs_check(&m, r.size);
		strata_fsmap_done(&m);
	}
	return 0;
}

#endif /* STRATA_FUZZ_FS_H */
