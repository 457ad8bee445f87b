/*
 * The core's view of decompression: inflate one zlib stream into a bounded buffer.
 * Implemented by images/lib/inflate_zlib.c with zlib (Z_SOLO on UEFI), chosen at link time.
 */
#ifndef STRATA_CODEC_H
#define STRATA_CODEC_H

#include <stddef.h>

/**
 * Inflate the whole zlib stream src[0..src_len) into dst, which must end up holding exactly
 * dst_len bytes.  Fails (STRATA_ECORRUPT) on a bad stream, on output that would exceed
 * dst_len (a decompression bomb stops at the bound), on short output and on bytes after the
 * stream's end.  Borrows both buffers; allocates only zlib's own state.
 */
int strata_inflate(void *dst, size_t dst_len, const void *src, size_t src_len);

#endif /* STRATA_CODEC_H */
