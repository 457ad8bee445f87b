/*
 * The core's view of compression (inflate one zlib stream into a bounded buffer, deflate a
 * chunk into one) and of the CRC-32 the GPT code needs.
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

/** Bytes of scratch strata_inflate_in needs: zlib's inflate state (about 7 KiB) and its
 *  32 KiB window, with room to spare. */
#define STRATA_INFLATE_WORK (48u << 10)

/**
 * strata_inflate with zlib's state carved out of work[0..STRATA_INFLATE_WORK) (the
 * caller's, 16-byte aligned) instead of strata_alloc.  Why: a UEFI application processor
 * may not call boot services, so the deploy engine's workers (deploy.h) inflate in a
 * scratch area each core owns.  Same results and rcs as strata_inflate.
 */
int strata_inflate_in(void *work, void *dst, size_t dst_len, const void *src, size_t src_len);

/**
 * The zlib level chunk files are written at, by strata-image build (its --level default)
 * and by the capture engine (capture.h), measured in docs/capture.md.  One level for both,
 * because an index records each chunk file's size: a chunk a store already holds at another
 * level has another size, and an index captured against it would not match the store.
 */
#define STRATA_DEFLATE_LEVEL 6

/**
 * Deflate src[0..src_len) into one zlib stream (RFC 1950) at level (1..9), with zlib's
 * defaults otherwise (32 KiB window, memLevel 8: the stream compress2() writes), into
 * dst[0..*dst_len).  0 with *dst_len set to the stream's bytes; STRATA_ENOSPC when the
 * stream would not fit (a caller that keeps a chunk only when it shrinks passes the chunk's
 * length - 1), STRATA_ENOMEM, STRATA_ERANGE for a length over 4 GiB or a bad level.
 * Borrows both buffers; allocates only zlib's own state, freed before it returns.
 */
int strata_deflate(void *dst, size_t *dst_len, const void *src, size_t src_len, int level);

/**
 * Update a CRC-32 with buf[0..len): the zlib/IEEE 802.3 CRC (reflected polynomial
 * 0xEDB88320, initial and final XOR with ~0 done inside) that GPT uses for its header and
 * entry array.  Start with crc = 0; feed the result back in to continue over more bytes.
 * Implemented with zlib's crc32 (present in strata.efi's Z_SOLO zlib too).  Borrows buf.
 */
uint32_t strata_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* STRATA_CODEC_H */
