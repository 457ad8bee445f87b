/*
 * core/codec.h on zlib: inflate, deflate, and the CRC-32 GPT uses.  zlib gets its state from
 * strata_alloc so that the same file works with zlib built Z_SOLO (no libc) in strata.efi.
 */
#include <zlib.h>
#include "alloc.h"
#include "codec.h"
#include "rc.h"

static voidpf zalloc_cb(voidpf opaque, uInt items, uInt size)
{
	return strata_alloc((size_t)items * size);
}

static void zfree_cb(voidpf opaque, voidpf p)
{
	strata_free(p);
}

/* strata_inflate_in's allocator: bump pointer over the caller's scratch, never freed. */
struct arena {
	unsigned char *p;
	size_t used;
};

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct arena *a = opaque;
	size_t n = ((size_t)items * size + 15) & ~(size_t)15;
	void *p;

	if (n > STRATA_INFLATE_WORK - a->used)
		return Z_NULL;
	p = a->p + a->used;
	a->used += n;
	return p;
}

static void arena_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	(void)p;
}

/* One zlib stream into dst with zs's allocator (the pool's or an arena). */
static int inflate_with(z_stream *zs, void *dst, size_t dst_len, const void *src,
			size_t src_len)
{
	int zrc, rc = STRATA_ECORRUPT;

	if (dst_len > UINT32_MAX || src_len > UINT32_MAX)
		return STRATA_ERANGE;
	if (inflateInit(zs) != Z_OK)
		return STRATA_ENOMEM;
	zs->next_in = (Bytef *)src;
	zs->avail_in = (uInt)src_len;
	zs->next_out = dst;
	zs->avail_out = (uInt)dst_len;
	zrc = inflate(zs, Z_FINISH);
	/* Whole stream, exactly dst_len bytes, nothing after it. */
	if (zrc == Z_STREAM_END && zs->avail_out == 0 && zs->avail_in == 0)
		rc = 0;
	inflateEnd(zs);
	return rc;
}

int strata_inflate(void *dst, size_t dst_len, const void *src, size_t src_len)
{
	z_stream zs = { .zalloc = zalloc_cb, .zfree = zfree_cb };

	return inflate_with(&zs, dst, dst_len, src, src_len);
}

int strata_inflate_in(void *work, void *dst, size_t dst_len, const void *src, size_t src_len)
{
	struct arena a = { work, 0 };
	z_stream zs = { .zalloc = arena_alloc, .zfree = arena_free, .opaque = &a };

	return inflate_with(&zs, dst, dst_len, src, src_len);
}

uint32_t strata_crc32(uint32_t crc, const void *buf, size_t len)
{
	const Bytef *p = buf;

	/* zlib's crc32 takes a uInt length: feed it in pieces so any size_t length works. */
	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

int strata_deflate(void *dst, size_t *dst_len, const void *src, size_t src_len, int level)
{
	z_stream zs = { .zalloc = zalloc_cb, .zfree = zfree_cb };
	int zrc;

	if (*dst_len > UINT32_MAX || src_len > UINT32_MAX || level < 1 || level > 9)
		return STRATA_ERANGE;
	if (deflateInit(&zs, level) != Z_OK)
		return STRATA_ENOMEM;
	zs.next_in = (Bytef *)src;
	zs.avail_in = (uInt)src_len;
	zs.next_out = dst;
	zs.avail_out = (uInt)*dst_len;
	/* All input at once with Z_FINISH: the same stream compress2() writes.  Anything but
	 * the stream's end means the output did not fit. */
	zrc = deflate(&zs, Z_FINISH);
	*dst_len -= zs.avail_out;
	deflateEnd(&zs);
	return zrc == Z_STREAM_END ? 0 : STRATA_ENOSPC;
}
