/* Layer index parsing and encoding (see index.h and format.h). */
#include "index.h"
#include "le.h"
#include "mem.h"
#include "chunk.h"
#include "crypto.h"

#define HDR_SIZE sizeof(struct strata_index_header)
#define ENT_SIZE sizeof(struct strata_index_entry)        /* versions 1, 2, per-chunk form */
#define RUN_SIZE sizeof(struct strata_index_run)
#define RUN_MAX 0xffffffffu
#define V3_SIZE_AT offsetof(struct strata_index_entry_v3, stored_less_one)

_Static_assert(STRATA_INDEX_VERSION == 3, "the newer-version message below names version 3");

uint64_t strata_chunk_count(uint64_t image_size, unsigned int shift)
{
	return (image_size + (1ULL << shift) - 1) >> shift;
}

uint64_t strata_index_size(uint64_t chunk_count)
{
	return HDR_SIZE + chunk_count * ENT_SIZE;
}

unsigned int strata_index_entry_size(unsigned int version, unsigned int shift)
{
	if (version < STRATA_INDEX_VERSION)
		return ENT_SIZE;
	return V3_SIZE_AT + STRATA_ENTRY_V3_SIZE_BYTES(shift);
}

static int all_zero(const uint8_t *p, size_t n)
{
	return strata_is_zero(p, n);
}

/* A known version, or a message that tells an old reader's user what to do. */
static int check_version(unsigned int v, struct strata_diag *diag)
{
	if (v > STRATA_INDEX_VERSION)
		return strata_fail(diag, STRATA_ENOTSUP, "index version is newer than this reader "
				   "(3): upgrade strata-image and strata.efi", 8);
	if (v < STRATA_INDEX_VERSION_V1)
		return strata_fail(diag, STRATA_ENOTSUP, "unknown index version 0", 8);
	return 0;
}

/* The header fields that differ by version: flags, run count, reserved bytes. */
static int parse_header_v(struct strata_index *idx, const struct strata_index_header *hd,
			  struct strata_diag *diag)
{
	idx->flags = le32_get(hd->flags);
	idx->run_count = le64_get(hd->run_count);
	if (idx->flags & ~(idx->version == STRATA_INDEX_VERSION_V1 ? 0 : STRATA_INDEX_KNOWN))
		return strata_fail(diag, STRATA_ENOTSUP, "unknown index flags", 32);
	if (idx->version == STRATA_INDEX_VERSION_V1 && idx->run_count)
		return strata_fail(diag, STRATA_EINVAL, "reserved header bytes are not zero", 36);
	if (idx->run_count > idx->chunk_count)
		return strata_fail(diag, STRATA_ERANGE, "more runs than chunks", 36);
	if (!all_zero(hd->reserved, sizeof(hd->reserved)))
		return strata_fail(diag, STRATA_EINVAL, "reserved header bytes are not zero", 44);
	return 0;
}

/* Check the fixed header fields; fills version, shift, sizes, count and runs into idx. */
static int parse_header(struct strata_index *idx, const uint8_t *h, struct strata_diag *diag)
{
	const struct strata_index_header *hd = (const void *)h;
	uint64_t size, count;
	int rc;

	if (strata_memcmp(hd->magic, STRATA_INDEX_MAGIC, 8) != 0)
		return strata_fail(diag, STRATA_EINVAL, "not a Strata layer index (bad magic)", 0);
	rc = check_version(le16_get(hd->version), diag);
	if (rc)
		return rc;
	if (le16_get(hd->header_size) != HDR_SIZE)
		return strata_fail(diag, STRATA_EINVAL, "header size is not 64", 10);
	if (hd->chunk_shift < STRATA_CHUNK_SHIFT_MIN || hd->chunk_shift > STRATA_CHUNK_SHIFT_MAX)
		return strata_fail(diag, STRATA_ERANGE, "chunk size outside 4 KiB..4 MiB", 14);
	idx->version = le16_get(hd->version);
	idx->entry_size = (uint8_t)strata_index_entry_size(idx->version, hd->chunk_shift);
	if (le16_get(hd->entry_size) != idx->entry_size)
		return strata_fail(diag, STRATA_EINVAL, idx->entry_size == ENT_SIZE ?
				   "entry size is not 40" : "entry size does not fit the chunk size "
				   "(34 up to 64 KiB chunks, 35 above)", 12);
	if (hd->compression != STRATA_COMP_ZLIB)
		return strata_fail(diag, STRATA_ENOTSUP, "unknown chunk compression", 15);
	size = le64_get(hd->image_size);
	if (size == 0 || size > STRATA_IMAGE_SIZE_MAX)
		return strata_fail(diag, STRATA_ERANGE, "image size out of range", 16);
	count = le64_get(hd->chunk_count);
	if (count != strata_chunk_count(size, hd->chunk_shift))
		return strata_fail(diag, STRATA_EINVAL, "chunk count does not match image size", 24);
	idx->chunk_shift = hd->chunk_shift;
	idx->chunk_size = 1u << hd->chunk_shift;
	idx->image_size = size;
	idx->chunk_count = count;
	return parse_header_v(idx, hd, diag);
}

/* Check one decoded entry against the rules in format.h; at is its offset in the file. */
static int check_entry(const struct strata_index *idx, const struct strata_chunk *c, uint64_t at,
		       struct strata_diag *diag)
{
	if (idx->version != STRATA_INDEX_VERSION_V1 && (c->flags & STRATA_ENTRY_NOFILE))
		return strata_fail(diag, STRATA_EINVAL, "zero or free chunk outside a run", at + 36);
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

/* Where chunk i starts and how long it is. */
static void place(const struct strata_index *idx, uint64_t i, struct strata_chunk *c)
{
	uint64_t left;

	c->index = i;
	c->offset = i << idx->chunk_shift;
	left = idx->image_size - c->offset;
	c->length = left < idx->chunk_size ? (uint32_t)left : idx->chunk_size;
}

/* Decode data entry n, which describes chunk i.  A version 3 entry has no flags: ZLIB
 * follows from the stored size, as the format rules. */
static void entry_chunk(const struct strata_index *idx, uint64_t n, uint64_t i,
			struct strata_chunk *c)
{
	const uint8_t *e = idx->entries + n * idx->entry_size;

	place(idx, i, c);
	strata_memcpy(c->digest, e, sizeof(c->digest));
	if (idx->version < STRATA_INDEX_VERSION) {
		const struct strata_index_entry *old = (const void *)e;

		c->stored_size = le32_get(old->stored_size);
		c->flags = le32_get(old->flags);
		return;
	}
	c->stored_size = le_n_get(e + V3_SIZE_AT, idx->entry_size - V3_SIZE_AT) + 1;
	c->flags = c->stored_size < c->length ? STRATA_ENTRY_ZLIB : 0;
}

/* Check the data entries of chunks [from, to); *n is the first one's entry number. */
static int check_data(const struct strata_index *idx, uint64_t from, uint64_t to, uint64_t *n,
		      struct strata_diag *diag)
{
	uint64_t base = HDR_SIZE + idx->run_count * RUN_SIZE;
	struct strata_chunk c;
	int rc;

	for (uint64_t i = from; i < to; i++, (*n)++) {
		entry_chunk(idx, *n, i, &c);
		rc = check_entry(idx, &c, base + *n * idx->entry_size, diag);
		if (rc)
			return rc;
	}
	return 0;
}

/** Where the runs checked so far end, and how many data entries precede that point. */
struct run_walk {
	uint64_t end, data;
	uint32_t flags, count;
};

/* Check run k against the runs before it (w) and advance w past it. */
static int check_run(const struct strata_index *idx, uint64_t k, struct run_walk *w,
		     struct strata_diag *diag)
{
	const struct strata_index_run *r = (const void *)(idx->runs + k * RUN_SIZE);
	uint64_t at = HDR_SIZE + k * RUN_SIZE, first = le64_get(r->first);
	uint32_t count = le32_get(r->count), flags = le32_get(r->flags);

	if (flags != STRATA_ENTRY_ZERO && flags != STRATA_ENTRY_FREE)
		return strata_fail(diag, STRATA_EINVAL, "run is neither zero nor free", at + 20);
	if (count == 0)
		return strata_fail(diag, STRATA_EINVAL, "empty run", at + 16);
	if (first < w->end || first >= idx->chunk_count)
		return strata_fail(diag, STRATA_EINVAL, "run out of order or past the end", at);
	if (k && first == w->end && flags == w->flags && w->count != RUN_MAX)
		return strata_fail(diag, STRATA_EINVAL, "run continues the run before it", at);
	if (count > idx->chunk_count - first)
		return strata_fail(diag, STRATA_ERANGE, "run ends past the last chunk", at + 16);
	w->data += first - w->end;
	if (le64_get(r->data_before) != w->data)
		return strata_fail(diag, STRATA_EINVAL, "run's data count is wrong", at + 8);
	w->end = first + count;
	w->flags = flags;
	w->count = count;
	return 0;
}

/* Check the runs; the data entries, and so the file's length, follow from them. */
static int parse_runs(struct strata_index *idx, const uint8_t *buf, size_t len,
		      struct strata_diag *diag)
{
	struct run_walk w = { 0 };
	uint64_t want = HDR_SIZE + idx->run_count * RUN_SIZE;
	int rc;

	if (len < want)
		return strata_fail(diag, STRATA_ETRUNC, "index truncated", len);
	idx->runs = buf + HDR_SIZE;
	idx->entries = buf + want;
	for (uint64_t k = 0; k < idx->run_count; k++) {
		rc = check_run(idx, k, &w, diag);
		if (rc)
			return rc;
	}
	want += (w.data + idx->chunk_count - w.end) * idx->entry_size;
	if (len < want)
		return strata_fail(diag, STRATA_ETRUNC, "index truncated", len);
	if (len > want)
		return strata_fail(diag, STRATA_ETRAIL, "bytes after the last index entry", want);
	return 0;
}

/* Check every data entry, walking the gaps between the (already checked) runs. */
static int parse_entries(const struct strata_index *idx, struct strata_diag *diag)
{
	uint64_t n = 0, end = 0;
	int rc;

	for (uint64_t k = 0; k < idx->run_count; k++) {
		const struct strata_index_run *r = (const void *)(idx->runs + k * RUN_SIZE);

		rc = check_data(idx, end, le64_get(r->first), &n, diag);
		if (rc)
			return rc;
		end = le64_get(r->first) + le32_get(r->count);
	}
	return check_data(idx, end, idx->chunk_count, &n, diag);
}

int strata_index_parse(struct strata_index *idx, const void *buf, size_t len,
		       struct strata_diag *diag)
{
	int rc;

	if (len < HDR_SIZE)
		return strata_fail(diag, STRATA_ETRUNC, "index shorter than its header", len);
	rc = parse_header(idx, buf, diag);
	if (rc == 0)
		rc = parse_runs(idx, buf, len, diag);
	return rc ? rc : parse_entries(idx, diag);
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

/* How many runs start at or before chunk i (the last of them is the one i may be in). */
static uint64_t runs_upto(const struct strata_index *idx, uint64_t i)
{
	uint64_t lo = 0, hi = idx->run_count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (le64_get(idx->runs + mid * RUN_SIZE) <= i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether chunk i has a data entry (no run covers it): 1 with its entry number in *n, else
 * 0 with the run's record in *run. */
static int data_entry(const struct strata_index *idx, uint64_t i, uint64_t *n,
		      const struct strata_index_run **run)
{
	const struct strata_index_run *r;
	uint64_t k = runs_upto(idx, i), first, count;

	if (k == 0) {
		*n = i;
		return 1;
	}
	r = (const void *)(idx->runs + (k - 1) * RUN_SIZE);
	first = le64_get(r->first);
	count = le32_get(r->count);
	*run = r;
	if (i < first + count)
		return 0;
	*n = le64_get(r->data_before) + (i - first - count);
	return 1;
}

uint64_t strata_index_next_data(const struct strata_index *idx, uint64_t i)
{
	const struct strata_index_run *r;
	uint64_t k, end;

	while (i < idx->chunk_count && (k = runs_upto(idx, i)) > 0) {
		r = (const void *)(idx->runs + (k - 1) * RUN_SIZE);
		end = le64_get(r->first) + le32_get(r->count);
		if (i >= end)
			break;
		i = end;                /* past the run i is in; the next may start there */
	}
	return i < idx->chunk_count ? i : idx->chunk_count;
}

void strata_index_chunk(const struct strata_index *idx, uint64_t i, struct strata_chunk *c)
{
	const struct strata_index_run *r = NULL;
	uint64_t n;

	if (data_entry(idx, i, &n, &r)) {
		entry_chunk(idx, n, i, c);
		return;
	}
	place(idx, i, c);
	c->stored_size = 0;
	c->flags = le32_get(r->flags);
	strata_memset(c->digest, 0, sizeof(c->digest));
}

/* Write a data entry's stored size (1..length of its chunk) in place; in versions 1 and 2
 * its ZLIB flag follows, in version 3 the size alone says it. */
static void put_stored(const struct strata_index *idx, uint8_t *e, uint32_t stored,
		       uint32_t length)
{
	struct strata_index_entry *old = (void *)e;

	if (idx->version == STRATA_INDEX_VERSION) {
		le_n_put(e + V3_SIZE_AT, idx->entry_size - V3_SIZE_AT, stored - 1);
		return;
	}
	le32_put(old->stored_size, stored);
	le32_put(old->flags, (le32_get(old->flags) & ~STRATA_ENTRY_ZLIB) |
		 (stored < length ? STRATA_ENTRY_ZLIB : 0));
}

int strata_index_set_stored(const struct strata_index *idx, void *buf, uint64_t i,
			    uint32_t stored)
{
	const struct strata_index_run *r;
	struct strata_chunk c;
	uint64_t n;

	strata_index_chunk(idx, i, &c);
	if (c.stored_size == 0 || stored == 0 || stored > c.length || !data_entry(idx, i, &n, &r))
		return STRATA_EINVAL;
	put_stored(idx, (uint8_t *)buf + (idx->entries - (const uint8_t *)buf) +
		   n * idx->entry_size, stored, c.length);
	return 0;
}

/* The 64-byte header of any version. */
static void put_header(uint8_t out[64], unsigned int version, uint64_t image_size,
		       unsigned int shift, uint32_t flags, uint64_t runs)
{
	struct strata_index_header *h = (void *)out;

	strata_memset(out, 0, HDR_SIZE);
	strata_memcpy(h->magic, STRATA_INDEX_MAGIC, 8);
	le16_put(h->version, (uint16_t)version);
	le16_put(h->header_size, HDR_SIZE);
	le16_put(h->entry_size, (uint16_t)strata_index_entry_size(version, shift));
	h->chunk_shift = (uint8_t)shift;
	h->compression = STRATA_COMP_ZLIB;
	le64_put(h->image_size, image_size);
	le64_put(h->chunk_count, strata_chunk_count(image_size, shift));
	le32_put(h->flags, flags);
	le64_put(h->run_count, runs);
}

static int check_geometry(uint64_t image_size, unsigned int shift)
{
	if (shift < STRATA_CHUNK_SHIFT_MIN || shift > STRATA_CHUNK_SHIFT_MAX)
		return STRATA_ERANGE;
	if (image_size == 0 || image_size > STRATA_IMAGE_SIZE_MAX)
		return STRATA_ERANGE;
	return 0;
}

int strata_index_header_encode(uint8_t out[64], uint64_t image_size, unsigned int shift)
{
	int rc = check_geometry(image_size, shift);

	if (rc == 0)
		put_header(out, STRATA_INDEX_VERSION_V1, image_size, shift, 0, 0);
	return rc;
}

void strata_index_entry_encode(uint8_t out[40], const struct strata_chunk *c)
{
	struct strata_index_entry *e = (void *)out;

	strata_memcpy(e->digest, c->digest, sizeof(e->digest));
	le32_put(e->stored_size, c->stored_size);
	le32_put(e->flags, c->flags);
}

/** Where strata_index_encode writes (NULL while it only counts), what it has written, and
 *  the version and entry size it writes. */
struct enc {
	uint8_t *runs, *data;
	uint64_t n_runs, n_data;
	unsigned int version, ent;
	uint64_t image_size;
	unsigned int shift;
};

/* The class of per-chunk entry i: STRATA_ENTRY_FREE, STRATA_ENTRY_ZERO or 0 for data. */
static uint32_t entry_class(const uint8_t *entries, uint64_t i)
{
	uint32_t f = le32_get(entries + i * ENT_SIZE + 32 + 4);

	return f & STRATA_ENTRY_FREE ? STRATA_ENTRY_FREE : f & STRATA_ENTRY_ZERO;
}

/* Append one run record (only counted while e->runs is NULL: no pointer is formed then,
 * since arithmetic on a null pointer is undefined). */
static void put_run(struct enc *e, uint64_t first, uint32_t count, uint32_t flags)
{
	if (e->runs) {
		struct strata_index_run *r = (void *)(e->runs + e->n_runs * RUN_SIZE);

		le64_put(r->first, first);
		le64_put(r->data_before, e->n_data);
		le32_put(r->count, count);
		le32_put(r->flags, flags);
	}
	e->n_runs++;
}

/* Append the data entry of chunk i, per-chunk entry src (only counted and checked while
 * e->data is NULL): version 2 copies it, version 3 keeps its digest and stored size less
 * one.  STRATA_EINVAL for a stored size outside 1..the chunk's length, which a reader
 * rejects (version 3 would wrap 0 to a valid-looking size, and cut a larger one). */
static int put_data(struct enc *e, uint64_t i, const uint8_t *src)
{
	const struct strata_index_entry *in = (const void *)src;
	uint64_t left = e->image_size - (i << e->shift);
	uint32_t stored = le32_get(in->stored_size);
	uint8_t *out;

	if (stored == 0 || stored > (left < (1ull << e->shift) ? left : 1ull << e->shift))
		return STRATA_EINVAL;
	if (e->data) {
		out = e->data + e->n_data * e->ent;
		if (e->version == STRATA_INDEX_VERSION_V2) {
			strata_memcpy(out, src, ENT_SIZE);
		} else {
			strata_memcpy(out, in->digest, sizeof(in->digest));
			le_n_put(out + V3_SIZE_AT, e->ent - V3_SIZE_AT, stored - 1);
		}
	}
	e->n_data++;
	return 0;
}

/* Encode (or, with e's pointers NULL, count and check) the runs and data entries of count
 * chunks.  0, or put_data's STRATA_EINVAL. */
static int encode_body(struct enc *e, const uint8_t *entries, uint64_t count)
{
	int rc;

	for (uint64_t i = 0, first; i < count;) {
		uint32_t cls = entry_class(entries, i);

		if (!cls) {
			if ((rc = put_data(e, i, entries + i * ENT_SIZE)))
				return rc;
			i++;
			continue;
		}
		for (first = i; i < count && entry_class(entries, i) == cls && i - first < RUN_MAX;)
			i++;
		put_run(e, first, (uint32_t)(i - first), cls);
	}
	return 0;
}

int strata_index_encode_as(unsigned int version, uint8_t *out, size_t *len,
			   const uint8_t *entries, uint64_t image_size, unsigned int shift,
			   uint32_t flags)
{
	uint64_t count = strata_chunk_count(image_size, shift);
	struct enc e = { .version = version, .ent = strata_index_entry_size(version, shift),
			 .image_size = image_size, .shift = shift };
	int rc = check_geometry(image_size, shift);

	if (rc)
		return rc;
	if ((flags & ~STRATA_INDEX_KNOWN) ||
	    (version != STRATA_INDEX_VERSION && version != STRATA_INDEX_VERSION_V2))
		return STRATA_EINVAL;
	if ((rc = encode_body(&e, entries, count)))
		return rc;
	*len = (size_t)(HDR_SIZE + e.n_runs * RUN_SIZE + e.n_data * e.ent);
	if (!out)
		return 0;
	put_header(out, version, image_size, shift, flags, e.n_runs);
	e.data = out + HDR_SIZE + e.n_runs * RUN_SIZE;
	e.runs = out + HDR_SIZE;
	e.n_runs = e.n_data = 0;
	return encode_body(&e, entries, count);
}

int strata_index_encode(uint8_t *out, size_t *len, const uint8_t *entries, uint64_t image_size,
			unsigned int shift, uint32_t flags)
{
	return strata_index_encode_as(STRATA_INDEX_VERSION, out, len, entries, image_size, shift,
				      flags);
}
