/*
 * NTFS consistency: is the volume safe to copy as it is on disk?  Three states make it
 * not so, each read the way ntfs-3g and the kernel's ntfs driver read it:
 *   - $Volume's dirty flag: Windows must run chkdsk before it trusts the volume;
 *   - $LogFile's restart area: a client still holds the log and the volume was not closed
 *     cleanly, so the log holds operations to replay;
 *   - hiberfil.sys starting with "hibr": Windows hibernated, or shut down with Fast
 *     Startup, and will resume with its own cached view of the volume.
 * Structures are in fs_ntfs.h; the reader in fs_ntfs_vol.h.
 */
#include "fs_ntfs_vol.h"
#include "le.h"
#include "mem.h"

int ntfs_check_volume(struct ntfs *nt)
{
	const struct ntfs_volume_info *vi;
	const uint8_t *v;
	uint32_t vlen;
	int rc;

	rc = ntfs_resident_attr(nt, NTFS_REC_VOLUME, NTFS_AT_VOLUME_INFO, &v, &vlen);
	if (rc)
		return rc;
	if (vlen < sizeof(*vi))
		return strata_fail(nt->s->diag, STRATA_ETRUNC, "NTFS volume information", vlen);
	vi = (const void *)v;
	nt->vol_dirty = !!(le16_get(vi->flags) & NTFS_VOLUME_DIRTY);
	return 0;
}

/* One restart page at p (p[0..avail) is ours to fix up): 1 when valid, with its LSN and
 * whether it says the log is clean; 0 when it is not a restart page we can read. */
static int restart_page(struct ntfs *nt, uint8_t *p, uint32_t avail, uint64_t *lsn, int *clean)
{
	const struct ntfs_restart_page *h = (const void *)p;
	const struct ntfs_restart_area *ra;
	uint32_t page = le32_get(h->system_page_size), off = le16_get(h->restart_area_offset);
	struct strata_diag *keep = nt->s->diag, ignore;

	if (page < 512 || page > avail || (page & (page - 1)) || off < sizeof(*h) || off % 8 ||
	    off + sizeof(*ra) > page)
		return 0;
	nt->s->diag = &ignore;
	if (ntfs_fixup(nt, p, page, "RSTR")) {
		nt->s->diag = keep;
		return 0;
	}
	nt->s->diag = keep;
	ra = (const void *)(p + off);
	*lsn = le64_get(ra->current_lsn);
	*clean = le16_get(ra->client_in_use_list) == NTFS_LOG_NO_CLIENT ||
		 (le16_get(ra->flags) & NTFS_LOG_VOLUME_CLEAN);
	return 1;
}

/* 1 when all n bytes at p are 0xFF: a log emptied by ntfs-3g or never used. */
static int all_ff(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0xFF)
			return 0;
	return 1;
}

int ntfs_check_log(struct ntfs *nt)
{
	uint64_t size, lsn0 = 0, lsn1 = 0;
	int ok0, ok1, clean0 = 0, clean1 = 0, rc;
	const uint8_t *v;
	uint32_t vlen, page;

	rc = ntfs_record_data(nt, NTFS_REC_LOGFILE, &size, &v, &vlen);
	if (rc)
		return rc;
	if (v || size < NTFS_LOG_HEAD)
		return strata_fail(nt->s->diag, STRATA_ETRUNC, "NTFS $LogFile too small", size);
	rc = ntfs_stream_read(nt, &nt->tmp, 0, nt->buf, NTFS_LOG_HEAD);
	if (rc)
		return rc;
	if (all_ff(nt->buf, NTFS_LOG_HEAD))
		return 0;
	ok0 = restart_page(nt, nt->buf, NTFS_LOG_HEAD, &lsn0, &clean0);
	/* The second copy is one system page in: as the first says, or 4 KiB if it is torn. */
	page = ok0 ? le32_get(nt->buf + offsetof(struct ntfs_restart_page, system_page_size))
		   : 4096;
	ok1 = page <= NTFS_LOG_HEAD / 2 &&
	      restart_page(nt, nt->buf + page, NTFS_LOG_HEAD - page, &lsn1, &clean1);
	/* The newer copy wins, as in the kernel's driver; no readable copy is not clean. */
	if (ok0 && ok1)
		nt->log_dirty = !(lsn1 > lsn0 ? clean1 : clean0);
	else
		nt->log_dirty = ok0 ? !clean0 : ok1 ? !clean1 : 1;
	return 0;
}

/* 1 when the UTF-16LE name[0..units) is "hiberfil.sys", in any case. */
static int is_hiberfil(const uint8_t *name, unsigned int units)
{
	static const char want[] = "hiberfil.sys";

	if (units != sizeof(want) - 1)
		return 0;
	for (unsigned int i = 0; i < units; i++) {
		uint16_t c = le16_get(name + 2 * i);

		if (c >= 'A' && c <= 'Z')
			c = (uint16_t)(c + 32);
		if (c != (uint8_t)want[i])
			return 0;
	}
	return 1;
}

/* Look for hiberfil.sys among the entries of the index header at h (len bytes from h are
 * ours to read); its file reference in *ref.  1 found, 0 not, <0 bad bounds. */
static int find_in_index(struct ntfs *nt, const uint8_t *h, uint32_t len, uint64_t *ref)
{
	const struct ntfs_index_header *ih = (const void *)h;
	uint32_t off = le32_get(ih->entries_offset), end = le32_get(ih->index_length);

	if (len < sizeof(*ih) || end > len || off < sizeof(*ih) || off > end)
		return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS index header bounds", off);
	while (end - off >= sizeof(struct ntfs_index_entry)) {
		const struct ntfs_index_entry *e = (const void *)(h + off);
		const struct ntfs_file_name *fn = (const void *)(e + 1);
		uint32_t elen = le16_get(e->length), klen = le16_get(e->key_length);

		if (elen < sizeof(*e) || elen % 8 || elen > end - off || klen > elen - sizeof(*e))
			return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS index entry bounds", off);
		if (le16_get(e->flags) & NTFS_IE_LAST)
			return 0;
		if (klen >= sizeof(*fn) && fn->name_length * 2u <= klen - sizeof(*fn) &&
		    is_hiberfil((const uint8_t *)(fn + 1), fn->name_length)) {
			*ref = le64_get(e->file_ref);
			return 1;
		}
		off += elen;
	}
	return 0;
}

/* Search the root directory's index blocks; nt->rec holds the root's record. */
static int find_in_blocks(struct ntfs *nt, uint32_t block, uint64_t *ref)
{
	const uint8_t *a;
	uint32_t alen;
	uint64_t size;
	int rc;

	rc = ntfs_find_attr(nt, NTFS_AT_INDEX_ALLOC, 0, &a, &alen);
	if (rc == STRATA_ENOTSUP)
		return 0;   /* a small root: all of it is in the index root */
	if (!rc)
		rc = ntfs_attr_runs(nt, a, alen, &nt->tmp, &size);
	if (rc)
		return rc;
	if (size > NTFS_ROOT_INDEX_MAX)
		return strata_fail(nt->s->diag, STRATA_ENOTSUP, "NTFS root directory too large", size);
	for (uint64_t off = 0; off + block <= size; off += block) {
		rc = ntfs_stream_read(nt, &nt->tmp, off, nt->buf, block);
		if (rc)
			return rc;
		if (strata_memcmp(nt->buf, "INDX", 4))
			continue;   /* a block not in use */
		rc = ntfs_fixup(nt, nt->buf, block, "INDX");
		if (!rc)
			rc = find_in_index(nt, nt->buf + offsetof(struct ntfs_index_block, hdr),
					   block - offsetof(struct ntfs_index_block, hdr), ref);
		if (rc)
			return rc;
	}
	return 0;
}

/* hiberfil.sys's file reference from the root directory: 1 found, 0 not, <0 error. */
static int find_hiberfil(struct ntfs *nt, uint64_t *ref)
{
	const struct ntfs_index_root *root;
	const uint8_t *v;
	uint32_t vlen, block;
	int rc;

	rc = ntfs_resident_attr(nt, NTFS_REC_ROOT, NTFS_AT_INDEX_ROOT, &v, &vlen);
	if (rc)
		return rc;
	if (vlen < sizeof(*root))
		return strata_fail(nt->s->diag, STRATA_ETRUNC, "NTFS index root", vlen);
	root = (const void *)v;
	block = le32_get(root->block_size);
	rc = find_in_index(nt, v + offsetof(struct ntfs_index_root, hdr),
			   vlen - offsetof(struct ntfs_index_root, hdr), ref);
	if (rc)
		return rc;
	if (block < 512 || block > NTFS_BITMAP_PIECE || (block & (block - 1)))
		return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS index block size", block);
	return find_in_blocks(nt, block, ref);
}

/* 1 when the 4 bytes at p are "hibr" in any case. */
static int is_hibr(const uint8_t *p)
{
	static const char want[4] = { 'h', 'i', 'b', 'r' };

	for (unsigned int i = 0; i < 4; i++)
		if ((p[i] | 0x20) != want[i])
			return 0;
	return 1;
}

int ntfs_check_hiberfile(struct ntfs *nt)
{
	const uint8_t *v;
	uint64_t ref, size;
	uint32_t vlen;
	int rc;

	rc = find_hiberfil(nt, &ref);
	if (rc <= 0)
		return rc;
	rc = ntfs_record_data(nt, ref & 0xFFFFFFFFFFFFull, &size, &v, &vlen);
	if (rc)
		return rc;
	if (le16_get(((const struct ntfs_record *)(const void *)nt->rec)->sequence) != ref >> 48)
		return 0;   /* a stale entry: the record now holds another file */
	if (size < 4)
		return 0;
	if (!v) {
		rc = ntfs_stream_read(nt, &nt->tmp, 0, nt->buf, 4);
		v = nt->buf;
	}
	if (!rc)
		nt->hibernated = is_hibr(v);
	return rc;
}
