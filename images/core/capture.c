/* The capture engine's scan and per-chunk step (see capture.h). */
#include "capture.h"
#include "chunk.h"
#include "codec.h"
#include "crypto.h"
#include "mem.h"

/* Scan again at the filesystem's block size when it is below 4 KiB and the map stays
 * small; keep the 4 KiB map otherwise (or when the finer scan fails for memory). */
static int refine(const struct strata_fs_reader *r, struct strata_fsmap *m,
		  struct strata_diag *diag)
{
	uint32_t bs = m->block_size;
	unsigned int shift;

	if (bs < 512 || bs >= (1u << STRATA_CAPTURE_UNIT_SHIFT) || (bs & (bs - 1)))
		return 0;
	shift = (unsigned int)__builtin_ctz(bs);
	if ((r->size >> shift) / 8 > STRATA_CAPTURE_FINE_MAP_MAX)
		return 0;
	strata_fsmap_done(m);
	return strata_fsmap_scan(r, shift, m, diag);
}

int strata_capture_scan(const struct strata_fs_reader *r, struct strata_fsmap *m,
			struct strata_diag *diag)
{
	int rc = strata_fsmap_scan(r, STRATA_CAPTURE_UNIT_SHIFT, m, diag);

	if (rc)
		return rc;
	/* A failed second scan leaves *m cleared: nothing for the caller to free. */
	return refine(r, m, diag);
}

int strata_capture_map_open(struct strata_capture_map *cm, const struct strata_fs_reader *r,
			    unsigned int flags, struct strata_diag *diag)
{
	int rc;

	strata_memset(cm, 0, sizeof(*cm));
	if (!(flags & STRATA_CAPTURE_FSMAP))
		return 0;
	rc = strata_capture_scan(r, &cm->m, diag);
	if (rc)
		return rc;
	if (cm->m.verdict != STRATA_FS_REFUSE) {
		cm->use = &cm->m;
		return 0;
	}
	if (!(flags & STRATA_CAPTURE_FORCE))
		return strata_fail(diag, STRATA_EUNSAFE, cm->m.state, 0);
	cm->forced = 1;
	return 0;
}

void strata_capture_map_done(struct strata_capture_map *cm)
{
	strata_fsmap_done(&cm->m);
	cm->use = NULL;
}

/* Zero the units of buf[0..len) (read at partition offset off) that the map marks free:
 * free blocks and stale log blocks.  buf is the caller's. */
static void clear_free(const struct strata_fsmap *m, uint64_t off, uint8_t *buf,
		       uint32_t len)
{
	uint32_t unit = 1u << m->unit_shift;

	for (uint32_t at = 0; at < len; at += unit) {
		uint32_t n = len - at < unit ? len - at : unit;

		if (!strata_fsmap_unit_used(m, (off + at) >> m->unit_shift))
			strata_memset(buf + at, 0, n);
	}
}

/* Read used chunk c into buf, zero its free blocks, and make it a zero or a data chunk. */
static int read_used(const struct strata_capture_src *src, uint8_t *buf,
		     struct strata_chunk *c, struct strata_diag *diag)
{
	if (src->r->read(src->r->ctx, c->offset, buf, c->length))
		return strata_fail(diag, STRATA_EIO, "cannot read the chunk", c->index);
	if (src->map)
		clear_free(src->map, c->offset, buf, c->length);
	if (strata_is_zero(buf, c->length)) {
		c->flags = STRATA_ENTRY_ZERO;
		return 0;
	}
	strata_sha256(buf, c->length, c->digest);
	return 0;
}

int strata_capture_read(const struct strata_capture_src *src, uint64_t i, uint8_t *buf,
			struct strata_chunk *c, struct strata_diag *diag)
{
	uint64_t size = 1ull << src->shift, left;
	enum strata_fs_class cls = STRATA_FS_USED;

	strata_memset(c, 0, sizeof(*c));
	c->index = i;
	c->offset = i << src->shift;
	left = src->r->size - c->offset;
	c->length = (uint32_t)(left < size ? left : size);
	if (src->map)
		cls = strata_fsmap_chunk_class(src->map, c->offset, c->length);
	if (cls == STRATA_FS_FREE) {
		c->flags = STRATA_ENTRY_FREE;
		return 0;
	}
	if (cls == STRATA_FS_ZERO_LOG) {   /* a stale log must read as zeros on the target */
		c->flags = STRATA_ENTRY_ZERO;
		return 0;
	}
	return read_used(src, buf, c, diag);
}

int strata_capture_pack(struct strata_chunk *c, const uint8_t *in, uint8_t *out, int level,
			const uint8_t **file)
{
	size_t len = c->length - 1;    /* the stream is kept only when it is smaller */
	int rc = strata_deflate(out, &len, in, c->length, level);

	if (rc == STRATA_ENOSPC) {
		c->stored_size = c->length;
		c->flags = 0;
		*file = in;
		return 0;
	}
	if (rc)
		return rc;
	c->stored_size = (uint32_t)len;
	c->flags = STRATA_ENTRY_ZLIB;
	*file = out;
	return 0;
}
