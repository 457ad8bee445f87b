/*
 * NTFS: the used-block map from $Bitmap, and the consistency verdict from $Volume's dirty
 * flag, $LogFile's restart area and hiberfil.sys's first bytes (structures in fs_ntfs.h).
 *
 * Records are found through $MFT's own runlist (record 0), so a fragmented MFT is read
 * right.  What we do not follow (an attribute list, a runlist longer than NTFS_RUNS_MAX
 * runs) fails the scan, which makes the volume fully used.  $LogFile stays used: see
 * docs/filesystems.md for why it is not treated as a stale log.
 */
#include "fs_ntfs_vol.h"
#include "alloc.h"
#include "fs_scan.h"
#include "le.h"
#include "mem.h"

static const char ntfs_oem[8] = { 'N', 'T', 'F', 'S', ' ', ' ', ' ', ' ' };

int fs_ntfs_probe(const uint8_t *page, size_t len)
{
	return len >= 512 && !strata_memcmp(page + 3, ntfs_oem, 8);
}

/* Bytes of a record or index block from the boot sector's signed size field. */
static uint32_t unit_size(uint8_t v, uint32_t cluster)
{
	int8_t sv = (int8_t)v;

	if (sv < 0)
		return sv >= -20 && sv <= -9 ? 1u << -sv : 0;
	return sv > 0 && cluster <= 65536 / (uint32_t)sv ? (uint32_t)sv * cluster : 0;
}

/* Sectors per cluster: 1..128 as is, or 2^(256 - v) for v >= 0xF4; 0 when invalid. */
static uint32_t sectors_per_cluster(uint8_t v)
{
	if (v <= 0x80)
		return v && !(v & (v - 1)) ? v : 0;
	return v >= 0xF4 ? 1u << (256 - v) : 0;
}

/* Validate the boot sector into nt. */
static int load_boot(struct ntfs *nt)
{
	struct strata_diag *d = nt->s->diag;
	struct ntfs_boot b;
	uint64_t sectors, bytes;
	uint32_t spc;
	int rc;

	rc = fs_read(nt->s, 0, &b, sizeof(b));
	if (rc)
		return rc;
	if (strata_memcmp(b.oem, ntfs_oem, 8))
		return strata_fail(d, STRATA_EINVAL, "no NTFS signature", 3);
	nt->bps = le16_get(b.bytes_per_sector);
	spc = sectors_per_cluster(b.sectors_per_cluster);
	if (nt->bps < 256 || nt->bps > 4096 || (nt->bps & (nt->bps - 1)) || spc == 0 ||
	    (uint64_t)spc * nt->bps > (2u << 20))
		return strata_fail(d, STRATA_ERANGE, "NTFS sector or cluster size", 11);
	nt->cluster = spc * nt->bps;
	sectors = le64_get(b.total_sectors);
	if (fs_mul(sectors, nt->bps, &bytes) || bytes > nt->s->r->size || sectors < spc)
		return strata_fail(d, STRATA_ERANGE, "NTFS larger than its partition", 0x28);
	nt->clusters = sectors / spc;
	nt->s->m->fs_bytes = bytes;
	nt->s->m->block_size = nt->cluster;
	nt->mft_lcn = le64_get(b.mft_lcn);
	nt->rec_size = unit_size(b.clusters_per_record, nt->cluster);
	nt->index_size = unit_size(b.clusters_per_index, nt->cluster);
	if (nt->mft_lcn >= nt->clusters || nt->rec_size < 512 || nt->rec_size > 65536 ||
	    nt->index_size < 512 || nt->index_size > 65536)
		return strata_fail(d, STRATA_ERANGE, "NTFS MFT place or record size", 0x30);
	return 0;
}

/* Undo the update sequence of a size-byte structure in buf that starts with magic. */
int ntfs_fixup(struct ntfs *nt, uint8_t *buf, uint32_t size, const char magic[4])
{
	uint32_t ofs = le16_get(buf + 4), count = le16_get(buf + 6);

	if (strata_memcmp(buf, magic, 4))
		return strata_fail(nt->s->diag, STRATA_EINVAL, "NTFS structure has a bad magic", 0);
	if (size % NTFS_FIXUP_STRIDE || count != size / NTFS_FIXUP_STRIDE + 1 || ofs & 1 ||
	    ofs < 8 || ofs + 2 * count > size)
		return strata_fail(nt->s->diag, STRATA_EINVAL, "NTFS update sequence bounds", 4);
	for (uint32_t i = 1; i < count; i++) {
		uint8_t *end = buf + i * NTFS_FIXUP_STRIDE - 2;

		if (end[0] != buf[ofs] || end[1] != buf[ofs + 1])
			return strata_fail(nt->s->diag, STRATA_ECORRUPT,
					   "NTFS torn write (update sequence mismatch)", i);
		end[0] = buf[ofs + 2 * i];
		end[1] = buf[ofs + 2 * i + 1];
	}
	return 0;
}

/* Byte offset on disk of byte `off` of the stream with runs r, or 1 in *sparse. */
static int stream_place(const struct ntfs *nt, const struct ntfs_runs *r, uint64_t off,
			uint64_t *disk, uint64_t *left, int *sparse)
{
	uint64_t vcn = off / nt->cluster;

	for (unsigned int i = 0; i < r->n; i++) {
		const struct ntfs_run *x = &r->run[i];

		if (vcn < x->vcn || vcn - x->vcn >= x->len)
			continue;
		*sparse = x->sparse;
		*disk = (x->lcn + (vcn - x->vcn)) * nt->cluster + off % nt->cluster;
		*left = (x->vcn + x->len) * nt->cluster - off;
		return 0;
	}
	return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS stream offset not mapped", off);
}

/* Read len bytes at byte off of the stream with runs r into buf (the caller's). */
int ntfs_stream_read(struct ntfs *nt, const struct ntfs_runs *r, uint64_t off, uint8_t *buf,
		       size_t len)
{
	uint64_t disk = 0, left = 0;
	int sparse = 0, rc;

	while (len) {
		rc = stream_place(nt, r, off, &disk, &left, &sparse);
		if (rc)
			return rc;
		size_t n = left < len ? (size_t)left : len;

		if (sparse)
			strata_memset(buf, 0, n);
		else if ((rc = fs_read(nt->s, disk, buf, n)) != 0)
			return rc;
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Check a file record read into rec: magic, fixups, in use, sizes. */
static int check_record(struct ntfs *nt, uint8_t *rec)
{
	const struct ntfs_record *h = (const void *)rec;
	uint32_t used, attrs;
	int rc;

	rc = ntfs_fixup(nt, rec, nt->rec_size, "FILE");
	if (rc)
		return rc;
	used = le32_get(h->bytes_in_use);
	attrs = le16_get(h->attrs_offset);
	if (!(le16_get(h->flags) & NTFS_REC_IN_USE))
		return strata_fail(nt->s->diag, STRATA_EINVAL, "NTFS file record not in use", 22);
	if (used > nt->rec_size || attrs < sizeof(*h) || attrs >= used || attrs % 8)
		return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS file record sizes", 20);
	return 0;
}

/* Read file record n into nt->rec and check it. */
int ntfs_read_record(struct ntfs *nt, uint64_t n)
{
	uint64_t off;
	int rc;

	if (fs_mul(n, nt->rec_size, &off))
		return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS record number", n);
	if (nt->mft.n)
		rc = ntfs_stream_read(nt, &nt->mft, off, nt->rec, nt->rec_size);
	else
		rc = fs_read(nt->s, nt->mft_lcn * nt->cluster + off, nt->rec, nt->rec_size);
	return rc ? rc : check_record(nt, nt->rec);
}

/* The first attribute of `type` in nt->rec (unnamed only, when unnamed is set): *a and its
 * length, checked to lie inside the record's used bytes. */
int ntfs_find_attr(struct ntfs *nt, uint32_t type, int unnamed, const uint8_t **a,
		     uint32_t *alen)
{
	const struct ntfs_record *h = (const void *)nt->rec;
	uint32_t used = le32_get(h->bytes_in_use), off = le16_get(h->attrs_offset);

	while (off + 8 <= used) {
		const struct ntfs_attr *x = (const void *)(nt->rec + off);
		uint32_t t = le32_get(x->type), len = le32_get(x->length);

		if (t == NTFS_AT_END)
			break;
		if (len < 24 || len % 8 || len > used - off ||
		    (x->non_resident && len < sizeof(*x)))
			return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS attribute length", off);
		if (t == type && (!unnamed || x->name_length == 0)) {
			*a = nt->rec + off;
			*alen = len;
			return 0;
		}
		off += len;
	}
	return strata_fail(nt->s->diag, STRATA_ENOTSUP, "NTFS attribute not in the base record",
			   type);
}

/* The value of resident attribute a (alen bytes): *v, *vlen inside it. */
int ntfs_resident_value(struct ntfs *nt, const uint8_t *a, uint32_t alen, const uint8_t **v,
			  uint32_t *vlen)
{
	const struct ntfs_attr *x = (const void *)a;
	uint32_t off = le16_get(x->u.r.value_offset), len = le32_get(x->u.r.value_length);

	if (x->non_resident || off > alen || len > alen - off)
		return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS resident value bounds", off);
	*v = a + off;
	*vlen = len;
	return 0;
}

/* Read a little-endian field of n (0..8) bytes, sign-extended when sign is set. */
static uint64_t run_field(const uint8_t *p, unsigned int n, int sign)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (sign && n && n < 8 && (p[n - 1] & 0x80))
		v |= ~0ULL << (8 * n);
	return v;
}

/* Append one decoded run to r, checked against the volume. */
static int add_run(struct ntfs *nt, struct ntfs_runs *r, uint64_t vcn, uint64_t len,
		   uint64_t lcn, int sparse)
{
	if (r->n == NTFS_RUNS_MAX)
		return strata_fail(nt->s->diag, STRATA_ENOTSUP, "NTFS runlist too fragmented", vcn);
	if (len == 0 || (!sparse && (lcn >= nt->clusters || len > nt->clusters - lcn)))
		return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS run outside the volume", vcn);
	r->run[r->n] = (struct ntfs_run){ vcn, lcn, len, sparse };
	r->n++;
	return 0;
}

/* Decode the mapping pairs p[0..len) into r, starting at VCN 0. */
static int decode_runs(struct ntfs *nt, const uint8_t *p, uint32_t len, struct ntfs_runs *r)
{
	uint64_t vcn = 0, lcn = 0, n;
	uint32_t i = 0;
	int rc;

	r->n = 0;
	while (i < len && p[i]) {
		unsigned int ln = p[i] & 0xF, on = p[i] >> 4;

		if (ln == 0 || ln > 8 || on > 8 || 1 + ln + on > len - i)
			return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS mapping pair", i);
		n = run_field(p + i + 1, ln, 0);
		lcn += run_field(p + i + 1 + ln, on, 1);
		rc = add_run(nt, r, vcn, n, lcn, on == 0);
		if (rc)
			return rc;
		if (n > nt->clusters - vcn)   /* no stream is longer than the volume */
			return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS run too long", i);
		vcn += n;
		i += 1 + ln + on;
	}
	return 0;
}

/* The runlist of non-resident attribute a (alen bytes), which must start at VCN 0, into
 * r; its data size into *size. */
int ntfs_attr_runs(struct ntfs *nt, const uint8_t *a, uint32_t alen, struct ntfs_runs *r,
		     uint64_t *size)
{
	const struct ntfs_attr *x = (const void *)a;
	uint32_t off = le16_get(x->u.nr.runs_offset);

	if (!x->non_resident || le64_get(x->u.nr.lowest_vcn) != 0 || off < sizeof(*x) ||
	    off >= alen)
		return strata_fail(nt->s->diag, STRATA_EINVAL, "NTFS non-resident attribute", 32);
	*size = le64_get(x->u.nr.data_size);
	return decode_runs(nt, a + off, alen - off, r);
}

/* Read record n into nt->rec and find its first attribute of `type` there. */
static int record_attr(struct ntfs *nt, uint64_t n, uint32_t type, int unnamed,
		       const uint8_t **a, uint32_t *alen)
{
	int rc = ntfs_read_record(nt, n);

	return rc ? rc : ntfs_find_attr(nt, type, unnamed, a, alen);
}

int ntfs_record_data(struct ntfs *nt, uint64_t n, uint64_t *size, const uint8_t **v,
		     uint32_t *vlen)
{
	const uint8_t *a;
	uint32_t alen;
	int rc;

	*v = NULL;
	rc = record_attr(nt, n, NTFS_AT_DATA, 1, &a, &alen);
	if (rc)
		return rc;
	if (((const struct ntfs_attr *)(const void *)a)->non_resident)
		return ntfs_attr_runs(nt, a, alen, &nt->tmp, size);
	rc = ntfs_resident_value(nt, a, alen, v, vlen);
	*size = *vlen;
	return rc;
}

int ntfs_resident_attr(struct ntfs *nt, uint64_t n, uint32_t type, const uint8_t **v,
		       uint32_t *vlen)
{
	const uint8_t *a;
	uint32_t alen;
	int rc = record_attr(nt, n, type, 0, &a, &alen);

	return rc ? rc : ntfs_resident_value(nt, a, alen, v, vlen);
}

/* The runlist of record n's unnamed, non-resident $DATA into nt->tmp, and its size. */
static int data_runs(struct ntfs *nt, uint64_t n, uint64_t *size)
{
	const uint8_t *v;
	uint32_t vlen;
	int rc;

	rc = ntfs_record_data(nt, n, size, &v, &vlen);
	if (!rc && v)
		return strata_fail(nt->s->diag, STRATA_EINVAL, "NTFS system file is resident", n);
	return rc;
}

/* Load $MFT's runlist from record 0, read at the boot sector's MFT place. */
static int load_mft(struct ntfs *nt)
{
	uint64_t size;
	int rc;

	rc = data_runs(nt, NTFS_REC_MFT, &size);
	if (rc)
		return rc;
	if (size < 16ull * nt->rec_size)
		return strata_fail(nt->s->diag, STRATA_ERANGE, "NTFS MFT too small", 0);
	nt->mft = nt->tmp;
	return 0;
}

/* Mark the clusters $Bitmap says are used, piece by piece through its runlist. */
static int scan_bitmap(struct ntfs *nt)
{
	uint64_t size, need = (nt->clusters + 7) / 8;
	int rc;

	rc = data_runs(nt, NTFS_REC_BITMAP, &size);
	if (rc)
		return rc;
	if (size < need)
		return strata_fail(nt->s->diag, STRATA_ETRUNC, "NTFS $Bitmap shorter than the volume",
				   size);
	fs_budget(nt->s, need);
	for (uint64_t off = 0; off < need; off += NTFS_BITMAP_PIECE) {
		uint64_t n = need - off < NTFS_BITMAP_PIECE ? need - off : NTFS_BITMAP_PIECE;
		uint64_t bits = nt->clusters - off * 8 < n * 8 ? nt->clusters - off * 8 : n * 8;

		rc = ntfs_stream_read(nt, &nt->tmp, off, nt->buf, (size_t)n);
		if (rc)
			return rc;
		fs_mark_bitmap(nt->s->m, nt->buf, bits, 0, off * 8, nt->cluster);
	}
	return 0;
}

/* The verdict from the three checks, most specific first. */
static void set_verdict(struct ntfs *nt)
{
	if (nt->hibernated)
		fs_verdict(nt->s->m, STRATA_FS_REFUSE,
			   "Windows was hibernated or shut down with Fast Startup; boot Windows "
			   "and choose Restart, or disable Fast Startup");
	if (nt->log_dirty)
		fs_verdict(nt->s->m, STRATA_FS_REFUSE,
			   "the NTFS log is not clean (Windows did not shut down cleanly); boot "
			   "Windows and choose Restart, then capture again");
	if (nt->vol_dirty)
		fs_verdict(nt->s->m, STRATA_FS_REFUSE,
			   "the volume's dirty flag is set (a disk check is pending); boot Windows "
			   "and let chkdsk finish (or run chkdsk /f), then capture again");
}

/* Checks, then the map; the verdict stands even when the map fails. */
static int scan(struct ntfs *nt)
{
	int rc;

	fs_budget(nt->s, 64ull * nt->rec_size + NTFS_ROOT_INDEX_MAX + NTFS_LOG_HEAD +
			 FS_BUDGET_SLACK);
	rc = load_mft(nt);
	if (!rc)
		rc = ntfs_check_volume(nt);
	if (!rc)
		rc = ntfs_check_log(nt);
	if (!rc)
		rc = ntfs_check_hiberfile(nt);
	set_verdict(nt);
	if (!rc)
		rc = scan_bitmap(nt);
	fs_mark_tail(nt->s->m, nt->s->m->fs_bytes);
	return rc;
}

int fs_ntfs_scan(struct fs_scan *s)
{
	struct ntfs *nt = strata_alloc(sizeof(*nt));
	int rc = STRATA_ENOMEM;

	if (!nt)
		goto err_nt;
	nt->s = s;
	rc = load_boot(nt);
	if (rc)
		goto err_boot;
	rc = STRATA_ENOMEM;
	nt->rec = strata_alloc(nt->rec_size);
	if (!nt->rec)
		goto err_rec;
	nt->buf = strata_alloc(NTFS_BITMAP_PIECE);
	if (!nt->buf)
		goto err_buf;
	rc = scan(nt);

	strata_free(nt->buf);
err_buf:
	strata_free(nt->rec);
err_rec:
err_boot:
	strata_free(nt);
err_nt:
	return rc;
}
