/* Filesystem detection, the scan's life cycle and chunk classes (see fsmap.h). */
#include "fsmap.h"
#include "alloc.h"
#include "fs_scan.h"
#include "mem.h"

/** Bytes of the partition detection looks at: every signature we know lies in them. */
#define PROBE_BYTES 4096u
/** Upper bound on a partition (1 PiB), as for a layer: keeps offset products small. */
#define PART_SIZE_MAX (1ULL << 50)

/* BitLocker's OEM id at offset 3 of the volume's first sector. */
static const char bitlocker_sig[8] = { '-', 'F', 'V', 'E', '-', 'F', 'S', '-' };

const char *strata_fs_name(enum strata_fs_type type)
{
	switch (type) {
	case STRATA_FS_EXT: return "ext4";
	case STRATA_FS_FAT12: return "FAT12";
	case STRATA_FS_FAT16: return "FAT16";
	case STRATA_FS_FAT32: return "FAT32";
	case STRATA_FS_NTFS: return "NTFS";
	case STRATA_FS_SWAP: return "swap";
	case STRATA_FS_BITLOCKER: return "BitLocker";
	default: return "unknown";
	}
}

/* The type of the partition whose first bytes are page[0..len); needs s for swap, whose
 * signature may sit at the end of a page larger than PROBE_BYTES. */
static int detect(struct fs_scan *s, const uint8_t *page, size_t len,
		  enum strata_fs_type *type)
{
	int rc;

	*type = STRATA_FS_UNKNOWN;
	if (len >= 11 && !strata_memcmp(page + 3, bitlocker_sig, 8))
		*type = STRATA_FS_BITLOCKER;
	else if (fs_ntfs_probe(page, len))
		*type = STRATA_FS_NTFS;
	else if (fs_ext4_probe(page, len))
		*type = STRATA_FS_EXT;
	else if ((rc = fs_swap_probe(s, page, len)) < 0)
		return rc;
	else if (rc)
		*type = STRATA_FS_SWAP;
	else if (fs_fat_probe(page, len))
		*type = STRATA_FS_FAT16;   /* fs_fat_scan settles 12, 16 or 32 */
	return 0;
}

/* Allocate the map for r's partition at 2^shift bytes per bit, all free. */
static int map_init(struct strata_fsmap *m, const struct strata_fs_reader *r,
		    unsigned int shift, struct strata_diag *diag)
{
	strata_memset(m, 0, sizeof(*m));
	if (shift < STRATA_FSMAP_SHIFT_MIN || shift > STRATA_FSMAP_SHIFT_MAX)
		return strata_fail(diag, STRATA_ERANGE, "map unit outside 512 bytes..1 MiB", shift);
	if (r->size == 0 || r->size > PART_SIZE_MAX)
		return strata_fail(diag, STRATA_ERANGE, "partition size out of range", r->size);
	m->size = r->size;
	m->unit_shift = shift;
	m->units = (r->size + (1ULL << shift) - 1) >> shift;
	m->used = strata_alloc((size_t)((m->units + 7) / 8));
	if (!m->used)
		return strata_fail(diag, STRATA_ENOMEM, "no memory for the used-block map", 0);
	return 0;
}

/* The parser for type; NULL for types that are fully used by definition. */
static int (*parser_of(enum strata_fs_type type))(struct fs_scan *)
{
	switch (type) {
	case STRATA_FS_EXT: return fs_ext4_scan;
	case STRATA_FS_FAT12:
	case STRATA_FS_FAT16:
	case STRATA_FS_FAT32: return fs_fat_scan;
	case STRATA_FS_NTFS: return fs_ntfs_scan;
	case STRATA_FS_SWAP: return fs_swap_scan;
	default: return NULL;
	}
}

/* Make the map fully used, with no log ranges; why says what did not check out. */
static void map_all_used(struct strata_fsmap *m, int rc, const char *why)
{
	strata_memset(m->used, 0xFF, (size_t)((m->units + 7) / 8));
	m->nzero = 0;
	m->fallback_rc = rc;
	m->fallback = why;
}

/* Clear the used bits of units that lie wholly inside a log range. */
static void map_clear_logs(struct strata_fsmap *m)
{
	uint64_t unit = 1ULL << m->unit_shift, u, end;

	for (unsigned int i = 0; i < m->nzero; i++) {
		u = (m->zero[i].off + unit - 1) >> m->unit_shift;
		end = (m->zero[i].off + m->zero[i].len) >> m->unit_shift;
		for (; u < end; u++)
			m->used[u >> 3] &= (uint8_t)~(1u << (u & 7));
	}
}

/* Run type's parser over the map; only EIO and ENOMEM escape, the rest mean fully used. */
static int run_parser(struct fs_scan *s, enum strata_fs_type type)
{
	int (*parse)(struct fs_scan *) = parser_of(type);
	struct strata_diag why = { 0, 0 };
	int rc;

	s->m->type = type;
	if (type == STRATA_FS_BITLOCKER)
		fs_verdict(s->m, STRATA_FS_WARN,
			   "BitLocker volume: copied raw, every block (unlock and suspend BitLocker "
			   "before capture for a smaller layer)");
	if (!parse) {
		map_all_used(s->m, 0, NULL);
		return 0;
	}
	s->diag = &why;
	rc = parse(s);
	if (rc == STRATA_EIO || rc == STRATA_ENOMEM)
		return rc;
	if (rc)
		map_all_used(s->m, rc, why.msg);
	else
		map_clear_logs(s->m);
	return 0;
}

/* Run the parser of `type` over the map map_init made; on an error, free the map. */
static int scan_type(struct fs_scan *s, enum strata_fs_type type, struct strata_diag *diag)
{
	int rc = run_parser(s, type);

	if (rc)
		goto err_parse;
	return 0;

err_parse:
	strata_fsmap_done(s->m);
	return strata_fail(diag, rc, rc == STRATA_ENOMEM ? "out of memory" : "read failed", 0);
}

int strata_fsmap_scan_as(const struct strata_fs_reader *r, enum strata_fs_type type,
			 unsigned int unit_shift, struct strata_fsmap *m,
			 struct strata_diag *diag)
{
	struct fs_scan s = { r, m, diag, FS_BUDGET_START };
	int rc;

	rc = map_init(m, r, unit_shift, diag);
	return rc ? rc : scan_type(&s, type, diag);
}

int strata_fsmap_scan(const struct strata_fs_reader *r, unsigned int unit_shift,
		      struct strata_fsmap *m, struct strata_diag *diag)
{
	struct fs_scan s = { r, m, diag, FS_BUDGET_START };
	enum strata_fs_type type = STRATA_FS_UNKNOWN;
	uint8_t page[PROBE_BYTES];
	size_t len;
	int rc;

	rc = map_init(m, r, unit_shift, diag);
	if (rc)
		return rc;
	len = r->size < PROBE_BYTES ? (size_t)r->size : PROBE_BYTES;
	rc = fs_read(&s, 0, page, len);
	if (!rc)
		rc = detect(&s, page, len, &type);
	if (rc)
		goto err_detect;
	return scan_type(&s, type, diag);

err_detect:
	strata_fsmap_done(m);
	return rc;   /* fs_read set diag */
}

void strata_fsmap_done(struct strata_fsmap *m)
{
	strata_free(m->used);
	strata_memset(m, 0, sizeof(*m));
}

int strata_fsmap_unit_used(const struct strata_fsmap *m, uint64_t u)
{
	return u >= m->units || (m->used[u >> 3] >> (u & 7) & 1);
}

/* 1 when [off, off + len) overlaps one of m's log ranges. */
static int touches_log(const struct strata_fsmap *m, uint64_t off, uint64_t len)
{
	for (unsigned int i = 0; i < m->nzero; i++)
		if (off < m->zero[i].off + m->zero[i].len && m->zero[i].off < off + len)
			return 1;
	return 0;
}

enum strata_fs_class strata_fsmap_chunk_class(const struct strata_fsmap *m, uint64_t off,
					      uint64_t len)
{
	uint64_t u, last;

	if (len == 0)
		return STRATA_FS_FREE;
	if (off >= m->size || len > m->size - off)
		return STRATA_FS_USED;
	last = (off + len - 1) >> m->unit_shift;
	for (u = off >> m->unit_shift; u <= last; u++)
		if (strata_fsmap_unit_used(m, u))
			return STRATA_FS_USED;
	return touches_log(m, off, len) ? STRATA_FS_ZERO_LOG : STRATA_FS_FREE;
}
