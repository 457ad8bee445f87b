/*
 * The core's view of decompression (inflate one zlib stream into a bounded buffer) and of
 * the CRC-32 the GPT code needs.
 * Implemented by images/lib/inflate_zlib.c with zlib (Z_SOLO on UEFI), chosen at link time.
 */
#ifndef STRATA_CODEC_H
#define STRATA_CODEC_H

#include <stddef.h>
#include <stdint.h>

/**
 * Inflate the whole zlib stream src[0..src_len) into dst, which must end up holding exactly
 * dst_len bytes.  Fails (STRATA_ECORRUPT) on a bad stream, on output that would exceed
 * dst_len (a decompression bomb stops at the bound), on short output and on bytes after the
 * stream's end.  Borrows both buffers; allocates only zlib's own state.
 */
int strata_inflate(void *dst, size_t dst_len, const void *src, size_t src_len);

/**
 * Update a CRC-32 with buf[0..len): the zlib/IEEE 802.3 CRC (reflected polynomial
 * 0xEDB88320, initial and final XOR with ~0 done inside) that GPT uses for its header and
 * entry array.  Start with crc = 0; feed the result back in to continue over more bytes.
 * Implemented with zlib's crc32 (present in strata.efi's Z_SOLO zlib too).  Borrows buf.
 */
uint32_t strata_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* STRATA_CODEC_H */
