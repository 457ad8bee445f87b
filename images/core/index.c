/* Layer index parsing and encoding (see index.h and format.h). */
#include "index.h"
#include "le.h"
#include "mem.h"
#include "chunk.h"
#include "crypto.h"

#define HDR_SIZE sizeof(struct strata_index_header)
#define ENT_SIZE sizeof(struct strata_index_entry)

uint64_t strata_chunk_count(uint64_t image_size, unsigned int shift)
{
	return (image_size + (1ULL << shift) - 1) >> shift;
}

uint64_t strata_index_size(uint64_t chunk_count)
{
	return HDR_SIZE + chunk_count * ENT_SIZE;
}

static int all_zero(const uint8_t *p, size_t n)
{
	return strata_is_zero(p, n);
}

/* Check the fixed header fields; fills shift, image size and count into idx. */
static int parse_header(struct strata_index *idx, const uint8_t *h, struct strata_diag *diag)
{
	const struct strata_index_header *hd = (const void *)h;
	uint64_t size, count;

	if (strata_memcmp(hd->magic, STRATA_INDEX_MAGIC, 8) != 0)
		return strata_fail(diag, STRATA_EINVAL, "not a Strata layer index (bad magic)", 0);
	if (le16_get(hd->version) != STRATA_INDEX_VERSION)
		return strata_fail(diag, STRATA_ENOTSUP, "unknown index version", 8);
	if (le16_get(hd->header_size) != HDR_SIZE)
		return strata_fail(diag, STRATA_EINVAL, "header size is not 64", 10);
	if (le16_get(hd->entry_size) != ENT_SIZE)
		return strata_fail(diag, STRATA_EINVAL, "entry size is not 40", 12);
	if (hd->chunk_shift < STRATA_CHUNK_SHIFT_MIN || hd->chunk_shift > STRATA_CHUNK_SHIFT_MAX)
		return strata_fail(diag, STRATA_ERANGE, "chunk size outside 4 KiB..4 MiB", 14);
	if (hd->compression != STRATA_COMP_ZLIB)
		return strata_fail(diag, STRATA_ENOTSUP, "unknown chunk compression", 15);
	size = le64_get(hd->image_size);
	if (size == 0 || size > STRATA_IMAGE_SIZE_MAX)
		return strata_fail(diag, STRATA_ERANGE, "image size out of range", 16);
	count = le64_get(hd->chunk_count);
	if (count != strata_chunk_count(size, hd->chunk_shift))
		return strata_fail(diag, STRATA_EINVAL, "chunk count does not match image size", 24);
	if (le32_get(hd->flags) != 0)
		return strata_fail(diag, STRATA_ENOTSUP, "unknown index flags", 32);
	if (!all_zero(hd->reserved, sizeof(hd->reserved)))
		return strata_fail(diag, STRATA_EINVAL, "reserved header bytes are not zero", 36);
	idx->chunk_shift = hd->chunk_shift;
	idx->chunk_size = 1u << hd->chunk_shift;
	idx->image_size = size;
	idx->chunk_count = count;
	return 0;
}

/* Check one entry against the rules in format.h. */
static int check_entry(const struct strata_chunk *c, uint64_t at, struct strata_diag *diag)
{
	if (c->flags & ~STRATA_ENTRY_KNOWN)
		return strata_fail(diag, STRATA_EINVAL, "unknown chunk flags", at + 36);
	if (c->flags & STRATA_ENTRY_ZERO) {
		if (c->flags != STRATA_ENTRY_ZERO)
			return strata_fail(diag, STRATA_EINVAL, "zero chunk with other flags", at + 36);
		if (c->stored_size != 0)
			return strata_fail(diag, STRATA_EINVAL, "zero chunk with a stored size", at + 32);
		if (!all_zero(c->digest, sizeof(c->digest)))
			return strata_fail(diag, STRATA_EINVAL, "zero chunk with a digest", at);
		return 0;
	}
	if (c->stored_size == 0 || c->stored_size > c->length)
		return strata_fail(diag, STRATA_ERANGE, "stored size out of range", at + 32);
	if (!!(c->flags & STRATA_ENTRY_ZLIB) != (c->stored_size < c->length))
		return strata_fail(diag, STRATA_EINVAL, "zlib flag disagrees with stored size", at + 36);
	if (all_zero(c->digest, sizeof(c->digest)))
		return strata_fail(diag, STRATA_EINVAL, "data chunk without a digest", at);
	return 0;
}

int strata_index_parse(struct strata_index *idx, const void *buf, size_t len,
		       struct strata_diag *diag)
{
	struct strata_chunk c;
	uint64_t i, want;
	int rc;

	if (len < HDR_SIZE)
		return strata_fail(diag, STRATA_ETRUNC, "index shorter than its header", len);
	rc = parse_header(idx, buf, diag);
	if (rc)
		return rc;
	want = strata_index_size(idx->chunk_count);
	if (len < want)
		return strata_fail(diag, STRATA_ETRUNC, "index truncated", len);
	if (len > want)
		return strata_fail(diag, STRATA_ETRAIL, "bytes after the last index entry", want);
	idx->entries = (const uint8_t *)buf + HDR_SIZE;
	for (i = 0; i < idx->chunk_count; i++) {
		strata_index_chunk(idx, i, &c);
		rc = check_entry(&c, HDR_SIZE + i * ENT_SIZE, diag);
		if (rc)
			return rc;
	}
	return 0;
}

int strata_layer_open(struct strata_index *idx, const uint8_t id[32], const void *buf,
		      size_t len, struct strata_diag *diag)
{
	uint8_t got[STRATA_SHA256_LEN];

	strata_sha256(buf, len, got);
	if (strata_memcmp(got, id, sizeof(got)) != 0)
		return strata_fail(diag, STRATA_ECORRUPT, "index does not hash to its layer id", 0);
	return strata_index_parse(idx, buf, len, diag);
}

void strata_index_chunk(const struct strata_index *idx, uint64_t i, struct strata_chunk *c)
{
	const struct strata_index_entry *e = (const void *)(idx->entries + i * ENT_SIZE);
	uint64_t left;

	c->index = i;
	c->offset = i << idx->chunk_shift;
	left = idx->image_size - c->offset;
	c->length = left < idx->chunk_size ? (uint32_t)left : idx->chunk_size;
	c->stored_size = le32_get(e->stored_size);
	c->flags = le32_get(e->flags);
	strata_memcpy(c->digest, e->digest, sizeof(c->digest));
}

int strata_index_header_encode(uint8_t out[64], uint64_t image_size, unsigned int shift)
{
	struct strata_index_header *h = (void *)out;

	if (shift < STRATA_CHUNK_SHIFT_MIN || shift > STRATA_CHUNK_SHIFT_MAX)
		return STRATA_ERANGE;
	if (image_size == 0 || image_size > STRATA_IMAGE_SIZE_MAX)
		return STRATA_ERANGE;
	strata_memset(out, 0, HDR_SIZE);
	strata_memcpy(h->magic, STRATA_INDEX_MAGIC, 8);
	le16_put(h->version, STRATA_INDEX_VERSION);
	le16_put(h->header_size, HDR_SIZE);
	le16_put(h->entry_size, ENT_SIZE);
	h->chunk_shift = (uint8_t)shift;
	h->compression = STRATA_COMP_ZLIB;
	le64_put(h->image_size, image_size);
	le64_put(h->chunk_count, strata_chunk_count(image_size, shift));
	return 0;
}

void strata_index_entry_encode(uint8_t out[40], const struct strata_chunk *c)
{
	struct strata_index_entry *e = (void *)out;

	strata_memcpy(e->digest, c->digest, sizeof(e->digest));
	le32_put(e->stored_size, c->stored_size);
	le32_put(e->flags, c->flags);
}
