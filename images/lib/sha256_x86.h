/*
 * SHA-256 with the x86 SHA extensions (SHA-NI), for strata.efi.
 *
 * Why: every chunk strata.efi writes is hashed after inflating, and every chunk already on
 * the disk is hashed to learn whether it must be fetched, so on an unchanged redeploy
 * hashing is nearly all the work.  mbedTLS's portable SHA-256 does a few hundred MB/s; the
 * SHA extensions (Intel since Goldmont and Ice Lake, AMD since Zen) do several times that.
 * The glue (sha256_mbedtls.c) asks sha256_x86_available() once and uses this code only on
 * a CPU that has the extensions; anywhere else mbedTLS runs as before.
 */
#ifndef STRATA_SHA256_X86_H
#define STRATA_SHA256_X86_H

#include <stddef.h>
#include <stdint.h>

/** Streaming state.  Owned by the caller; no heap. */
struct sha256_x86 {
	uint32_t h[8];        /**< the chaining value, A..H */
	uint64_t bytes;       /**< message bytes hashed so far */
	uint8_t buf[64];      /**< a partial block, bytes % 64 of them */
};

/** Nonzero when this CPU has the SHA extensions and the SSSE3/SSE4.1 they need. */
int sha256_x86_available(void);

/** Hash nblocks whole 64-byte blocks from p into h.  Only on an available CPU. */
void sha256_x86_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks);

void sha256_x86_init(struct sha256_x86 *s);
void sha256_x86_update(struct sha256_x86 *s, const void *data, size_t len);
/** Pad, finish and write the digest; s must be initialised again before reuse. */
void sha256_x86_final(struct sha256_x86 *s, uint8_t out[32]);

#endif /* STRATA_SHA256_X86_H */
