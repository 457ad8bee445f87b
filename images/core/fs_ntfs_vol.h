/*
 * The NTFS reader shared by fs_ntfs.c (records, attributes, runlists, the $Bitmap scan) and
 * fs_ntfs_state.c (the consistency checks), internal to the core.  Disk structures are in
 * fs_ntfs.h.  Every function returns 0 or a negative code with nt->s->diag set, and reads
 * only through fs_read, so the scan's budget bounds them all.
 */
#ifndef STRATA_FS_NTFS_VOL_H
#define STRATA_FS_NTFS_VOL_H

#include "fs_ntfs.h"
#include "fs_scan.h"

/** Runs of one attribute we follow. */
#define NTFS_RUNS_MAX 128u
/** Bytes of the root directory's index blocks we read looking for hiberfil.sys. */
#define NTFS_ROOT_INDEX_MAX (4u * 1024 * 1024)
/** Bytes of $Bitmap read at a time. */
#define NTFS_BITMAP_PIECE 65536u
/** $LogFile bytes read: both restart pages at the largest page size we accept. */
#define NTFS_LOG_HEAD 8192u

/** One run of an attribute: clusters vcn .. vcn + len - 1 at lcn (sparse: none). */
struct ntfs_run {
	uint64_t vcn, lcn, len;
	int sparse;
};

/** An attribute's runlist. */
struct ntfs_runs {
	unsigned int n;
	struct ntfs_run run[NTFS_RUNS_MAX];
};

/** One volume being scanned.  Allocated by fs_ntfs_scan, with its buffers. */
struct ntfs {
	struct fs_scan *s;
	uint32_t bps;           /**< bytes per sector */
	uint32_t cluster;       /**< bytes per cluster */
	uint32_t rec_size;      /**< bytes per file record */
	uint32_t index_size;    /**< bytes per index block (from the boot sector) */
	uint64_t clusters;      /**< clusters in the volume */
	uint64_t mft_lcn;
	struct ntfs_runs mft;   /**< $MFT's $DATA */
	struct ntfs_runs tmp;   /**< the attribute at hand */
	uint8_t *rec;           /**< one file record */
	uint8_t *buf;           /**< NTFS_BITMAP_PIECE bytes: bitmap, index block, log */
	int vol_dirty, log_dirty, hibernated;
};

/**
 * Undo the update sequence of the size-byte structure in buf (the caller's) that must
 * start with magic ("FILE", "INDX", "RSTR").
 */
int ntfs_fixup(struct ntfs *nt, uint8_t *buf, uint32_t size, const char magic[4]);

/** Read len bytes at byte off of the stream with runs r into buf (the caller's); sparse
 *  runs read as zeros. */
int ntfs_stream_read(struct ntfs *nt, const struct ntfs_runs *r, uint64_t off, uint8_t *buf,
		     size_t len);

/** Read file record n through $MFT's runlist into nt->rec, fixed up and checked in use. */
int ntfs_read_record(struct ntfs *nt, uint64_t n);

/**
 * The first attribute of `type` in nt->rec (only an unnamed one when unnamed is set): *a
 * points into nt->rec, *alen bytes, checked inside the record.  STRATA_ENOTSUP when it is
 * not in this record (it may be in an attribute list's extension record).
 */
int ntfs_find_attr(struct ntfs *nt, uint32_t type, int unnamed, const uint8_t **a,
		   uint32_t *alen);

/** The value of resident attribute a (alen bytes): *v and *vlen, inside a. */
int ntfs_resident_value(struct ntfs *nt, const uint8_t *a, uint32_t alen, const uint8_t **v,
			uint32_t *vlen);

/** The runlist of non-resident attribute a (alen bytes, lowest VCN 0) into r, and its data
 *  size in *size. */
int ntfs_attr_runs(struct ntfs *nt, const uint8_t *a, uint32_t alen, struct ntfs_runs *r,
		   uint64_t *size);

/**
 * Read record n and its unnamed $DATA: non-resident, its runs into nt->tmp and its data
 * size in *size (*v NULL); resident, its value in *v (pointing into nt->rec), *vlen bytes.
 */
int ntfs_record_data(struct ntfs *nt, uint64_t n, uint64_t *size, const uint8_t **v,
		     uint32_t *vlen);

/** Read record n and the value of its first resident attribute of `type` (*v points into
 *  nt->rec, *vlen bytes). */
int ntfs_resident_attr(struct ntfs *nt, uint64_t n, uint32_t type, const uint8_t **v,
		       uint32_t *vlen);

/** Consistency checks (fs_ntfs_state.c): each sets its flag in nt. */
int ntfs_check_volume(struct ntfs *nt);
int ntfs_check_log(struct ntfs *nt);
int ntfs_check_hiberfile(struct ntfs *nt);

#endif /* STRATA_FS_NTFS_VOL_H */
