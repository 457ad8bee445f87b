/* The bounded reader and the map marking the filesystem parsers share (see fs_scan.h). */
#include "fs_scan.h"

int fs_read(struct fs_scan *s, uint64_t off, void *buf, size_t len)
{
	uint64_t size = s->r->size;
	int rc;

	if (len > size || off > size - len)
		return strata_fail(s->diag, STRATA_ETRUNC, "metadata lies past the partition's end",
				   off);
	if (len > s->budget)
		return strata_fail(s->diag, STRATA_ERANGE,
				   "metadata reads exceed what its own size allows", off);
	s->budget -= len;
	rc = s->r->read(s->r->ctx, off, buf, len);
	if (rc)   /* whatever the reader says, it is a read failure, never "bad metadata" */
		return strata_fail(s->diag, STRATA_EIO, "read failed", off);
	return 0;
}

void fs_budget(struct fs_scan *s, uint64_t bytes)
{
	s->budget = bytes > UINT64_MAX - s->budget ? UINT64_MAX : s->budget + bytes;
}

/* Set bits [a, b] (inclusive) of the map. */
static void set_bits(uint8_t *bits, uint64_t a, uint64_t b)
{
	while (a <= b && (a & 7)) {
		bits[a >> 3] |= (uint8_t)(1u << (a & 7));
		a++;
	}
	for (; a + 7 <= b; a += 8)
		bits[a >> 3] = 0xFF;
	for (; a <= b; a++)
		bits[a >> 3] |= (uint8_t)(1u << (a & 7));
}

void fs_mark(struct strata_fsmap *m, uint64_t off, uint64_t len)
{
	uint64_t end;

	if (len == 0 || off >= m->size)
		return;
	end = len > m->size - off ? m->size : off + len;
	set_bits(m->used, off >> m->unit_shift, (end - 1) >> m->unit_shift);
}

void fs_mark_tail(struct strata_fsmap *m, uint64_t off)
{
	if (off < m->size)
		fs_mark(m, off, m->size - off);
}

int fs_zero_add(struct strata_fsmap *m, uint64_t off, uint64_t len)
{
	const struct strata_fs_range *last = m->nzero ? &m->zero[m->nzero - 1] : NULL;

	if (len == 0 || m->nzero == STRATA_FSMAP_ZERO_MAX || off > m->size ||
	    len > m->size - off)
		return -1;
	if (last && off < last->off + last->len)
		return -1;
	m->zero[m->nzero].off = off;
	m->zero[m->nzero].len = len;
	m->nzero++;
	return 0;
}

void fs_verdict(struct strata_fsmap *m, enum strata_fs_verdict v, const char *state)
{
	if (m->verdict == STRATA_FS_REFUSE)
		return;   /* the first reason found is the one to fix first */
	m->verdict = v;
	m->state = state;
}

/* Length of the run of bits equal to bit i, from i, not past nbits. */
static uint64_t run_length(const uint8_t *bits, uint64_t i, uint64_t nbits)
{
	int want = bits[i >> 3] >> (i & 7) & 1;
	uint64_t j = i + 1;

	while (j < nbits) {
		uint8_t byte = bits[j >> 3];

		if (!(j & 7) && j + 8 <= nbits && byte == (want ? 0xFF : 0x00)) {
			j += 8;
			continue;
		}
		if ((byte >> (j & 7) & 1) != want)
			break;
		j++;
	}
	return j - i;
}

void fs_mark_bitmap(struct strata_fsmap *m, const uint8_t *bits, uint64_t nbits,
		    uint64_t base, uint64_t first, uint32_t block_bytes)
{
	uint64_t i = 0, n;

	while (i < nbits) {
		n = run_length(bits, i, nbits);
		if (bits[i >> 3] >> (i & 7) & 1)
			fs_mark(m, base + (first + i) * block_bytes, n * block_bytes);
		i += n;
	}
}
