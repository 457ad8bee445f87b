/*
 * A build's filesystem view (see layer_fsmap.h): scan the image once before the workers
 * start, decide whether it may be built by its used blocks, then answer per chunk.
 *
 * The map has one bit per 4 KiB, the smallest chunk, so a chunk's class is exact.  A
 * filesystem with smaller blocks (FAT's 512-byte clusters, 1 KiB ext4) is scanned again
 * at its own block size while that map stays under FINE_MAP_MAX bytes: otherwise a 4 KiB
 * unit shared by a kept file and a deleted one would carry the deleted bytes to the store.
 */
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "host.h"
#include "image_io.h"
#include "layer_fsmap.h"

#define UNIT_SHIFT 12
#define FINE_MAP_MAX (64u << 20)

/** The reader's context: the image. */
struct image {
	int fd;
	const char *path;
};

static int image_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct image *im = ctx;

	return pread_exact(im->fd, im->path, buf, len, off);
}

/* An unsafe volume: refuse, or with --force keep every block and record it. */
static int unsafe(struct layer_fsmap *f, const char *path, unsigned int flags,
		  uint32_t *index_flags)
{
	const char *name = strata_fs_name(f->map.type);

	if (!(flags & LAYER_BUILD_FORCE)) {
		errorf("%s (%s): %s; or build it anyway with --force (then every block is "
		       "stored, and the layer records it)", path, name, f->map.state);
		layer_fsmap_done(f);
		return STRATA_EREPORTED;
	}
	fprintf(stderr, "%s (%s): %s; built anyway (--force): every block is stored\n", path,
		name, f->map.state);
	*index_flags |= STRATA_INDEX_FORCED;
	layer_fsmap_done(f);
	return 0;
}

/* Scan at unit_shift; on failure print why.  0 or STRATA_EREPORTED. */
static int scan(struct layer_fsmap *f, const struct strata_fs_reader *r, const char *path,
		unsigned int unit_shift)
{
	struct strata_diag diag = { 0 };

	if (strata_fsmap_scan(r, unit_shift, &f->map, &diag))
		return errorf("%s: cannot scan its filesystem: %s", path, diag.msg);
	f->on = 1;
	return 0;
}

/* Scan again at the filesystem's block size when it is below 4 KiB and the map stays
 * small; keep the 4 KiB map otherwise. */
static int refine(struct layer_fsmap *f, const struct strata_fs_reader *r, const char *path)
{
	uint32_t bs = f->map.block_size;
	unsigned int shift;

	if (bs < 512 || bs >= (1u << UNIT_SHIFT) || (bs & (bs - 1)))
		return 0;
	shift = (unsigned int)__builtin_ctz(bs);
	if ((r->size >> shift) / 8 > FINE_MAP_MAX)
		return 0;
	layer_fsmap_done(f);
	return scan(f, r, path, shift);
}

int layer_fsmap_open(struct layer_fsmap *f, int fd, const char *path, uint64_t size,
		     unsigned int flags, uint32_t *index_flags)
{
	struct image im = { fd, path };
	struct strata_fs_reader r = { image_read, &im, size };

	memset(f, 0, sizeof(*f));
	if (!(flags & LAYER_BUILD_FSMAP))
		return 0;
	if (scan(f, &r, path, UNIT_SHIFT) || refine(f, &r, path))
		return STRATA_EREPORTED;
	if (f->map.verdict == STRATA_FS_REFUSE)
		return unsafe(f, path, flags, index_flags);
	if (f->map.verdict == STRATA_FS_WARN)
		fprintf(stderr, "%s (%s): %s\n", path, strata_fs_name(f->map.type), f->map.state);
	if (f->map.fallback)
		fprintf(stderr, "%s (%s): every block is stored: %s\n", path,
			strata_fs_name(f->map.type), f->map.fallback);
	return 0;
}

enum strata_fs_class layer_fsmap_class(const struct layer_fsmap *f, uint64_t off, uint32_t len)
{
	return f->on ? strata_fsmap_chunk_class(&f->map, off, len) : STRATA_FS_USED;
}

void layer_fsmap_clear_free(const struct layer_fsmap *f, uint64_t off, uint8_t *buf,
			    uint32_t len)
{
	unsigned int shift = f->map.unit_shift;
	uint32_t unit = 1u << shift;

	if (!f->on)
		return;
	for (uint32_t at = 0; at < len; at += unit) {
		uint32_t n = len - at < unit ? len - at : unit;

		if (!strata_fsmap_unit_used(&f->map, (off + at) >> shift))
			memset(buf + at, 0, n);
	}
}

void layer_fsmap_done(struct layer_fsmap *f)
{
	strata_fsmap_done(&f->map);
	f->on = 0;
}
