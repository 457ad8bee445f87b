/*
 * The sparse partition images the filesystem fuzzers and tests/unit/test_fsmap.c read:
 *
 *     le32 partition size in 512-byte sectors (clamped to 1 .. FS_SEED_SECTORS_MAX)
 *     then segments: le32 first sector, le16 byte count, the bytes
 *
 * Every byte no segment covers reads as zero; later segments win where they overlap; a
 * segment cut short by the end of the input keeps what is there.  Why: filesystem metadata
 * is spread over megabytes of zeros, and this keeps seeds small (tests/tools/fsmap_tool
 * seed writes them) while the fuzzer can still move, grow and rewrite any piece.
 * Host test code: header-only, uses libc.
 */
#ifndef STRATA_FS_SEED_H
#define STRATA_FS_SEED_H

#include <stdint.h>
#include <string.h>
#include "fsmap.h"
#include "le.h"

/** 1 GiB: a map of 32 KiB at 4 KiB per bit, whatever the input claims. */
#define FS_SEED_SECTORS_MAX (1u << 21)
#define FS_SEED_SEGMENTS_MAX 256u

/** One run of bytes at a byte offset of the partition; borrows the input. */
struct fs_seed_seg {
	uint64_t off;
	const uint8_t *p;
	size_t len;
};

/** A decoded seed: the partition's size and its non-zero pieces. */
struct fs_seed {
	uint64_t size;
	unsigned int n;
	struct fs_seed_seg seg[FS_SEED_SEGMENTS_MAX];
};

/* Decode d[0..n) into *im (which borrows d); im->size 0 when too short. */
static inline void fs_seed_parse(struct fs_seed *im, const uint8_t *d, size_t n)
{
	uint64_t sectors;
	size_t i = 4;

	im->n = 0;
	im->size = 0;
	if (n < 4)
		return;
	sectors = le32_get(d);
	sectors = sectors == 0 ? 1 : sectors > FS_SEED_SECTORS_MAX ? FS_SEED_SECTORS_MAX : sectors;
	im->size = sectors * 512;
	while (i + 6 <= n && im->n < FS_SEED_SEGMENTS_MAX) {
		struct fs_seed_seg *s = &im->seg[im->n++];
		size_t len = le16_get(d + i + 4);

		s->off = (uint64_t)le32_get(d + i) * 512;
		s->p = d + i + 6;
		s->len = len < n - i - 6 ? len : n - i - 6;
		i += 6 + s->len;
	}
}

/* strata_fs_reader.read over a decoded seed (ctx is the struct fs_seed). */
static inline int fs_seed_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct fs_seed *im = ctx;

	memset(buf, 0, len);
	for (unsigned int i = 0; i < im->n; i++) {
		const struct fs_seed_seg *s = &im->seg[i];
		uint64_t a = s->off > off ? s->off : off;
		uint64_t e = s->off + s->len < off + len ? s->off + s->len : off + len;

		if (a < e)
			memcpy((uint8_t *)buf + (a - off), s->p + (a - s->off), (size_t)(e - a));
	}
	return 0;
}

#endif /* STRATA_FS_SEED_H */
