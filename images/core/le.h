/*
 * Little-endian field access for the on-disk formats in format.h.
 *
 * Why byte-by-byte: format fields live in byte arrays at any alignment, and the same code
 * must be right on any host.  Compilers turn these into single loads on x86.
 */
#ifndef STRATA_LE_H
#define STRATA_LE_H

#include <stdint.h>

static inline uint16_t le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t le64_get(const uint8_t *p)
{
	return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

/* An n-byte (1..4) little-endian field, for the version 3 index entry whose stored size
 * takes 2 or 3 bytes by the layer's chunk size (format.h). */
static inline uint32_t le_n_get(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Big-endian, for the few foreign structures the filesystem parsers read (the ext4
 * journal's superblock); kept here so the core has one set of byte-order helpers. */
static inline uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void le32_put(uint8_t *p, uint32_t v)
{
	le16_put(p, (uint16_t)v);
	le16_put(p + 2, (uint16_t)(v >> 16));
}

static inline void le64_put(uint8_t *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put(p + 4, (uint32_t)(v >> 32));
}

/* Write the low n (1..4) bytes of v little-endian: le_n_get's other half. */
static inline void le_n_put(uint8_t *p, unsigned int n, uint32_t v)
{
	for (unsigned int k = 0; k < n; k++, v >>= 8)
		p[k] = (uint8_t)v;
}

#endif /* STRATA_LE_H */
