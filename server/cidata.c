/*
 * A minimal FAT12 writer for the CIDATA volume (see cidata.h).  Layout, 512-byte sectors:
 * boot sector, two FATs of FAT_SECTORS, a 512-entry root folder, then one-sector clusters.
 * Each file gets one VFAT long-name entry (names up to 13 characters need one; up to 26,
 * two) before its 8.3 entry, so Linux and cloud-init see "meta-data", not "META-D~1".
 */
#include <string.h>
#include "cidata.h"
#include "host.h"
#include "le.h"

#define SECTOR 512u
#define SECTORS (CIDATA_SIZE / SECTOR)
#define FAT_SECTORS 6u
#define ROOT_ENTRIES 512u
#define ROOT_SECTORS (ROOT_ENTRIES * 32u / SECTOR)
#define FAT1 1u
#define ROOT (FAT1 + 2 * FAT_SECTORS)
#define DATA (ROOT + ROOT_SECTORS)
#define CLUSTERS (SECTORS - DATA)
/* A fixed timestamp (2024-01-01 00:00) keeps the image a function of its inputs. */
#define FAT_DATE ((44u << 9) | (1u << 5) | 1u)

_Static_assert((CLUSTERS + 2) * 3 / 2 <= FAT_SECTORS * SECTOR, "FAT large enough");

static void boot_sector(uint8_t *b, uint32_t vol_id)
{
	static const uint8_t jump[3] = { 0xeb, 0x3c, 0x90 };

	memcpy(b, jump, 3);
	memcpy(b + 3, "STRATA  ", 8);
	le16_put(b + 11, SECTOR);
	b[13] = 1;                          /* sectors per cluster */
	le16_put(b + 14, 1);                /* reserved sectors */
	b[16] = 2;                          /* FATs */
	le16_put(b + 17, ROOT_ENTRIES);
	le16_put(b + 19, SECTORS);
	b[21] = 0xf8;                       /* media: fixed disk */
	le16_put(b + 22, FAT_SECTORS);
	le16_put(b + 24, 32);               /* sectors per track */
	le16_put(b + 26, 64);               /* heads */
	b[36] = 0x80;                       /* drive number */
	b[38] = 0x29;                       /* extended boot signature */
	le32_put(b + 39, vol_id);
	memcpy(b + 43, "CIDATA     ", 11);
	memcpy(b + 54, "FAT12   ", 8);
	b[510] = 0x55;
	b[511] = 0xaa;
}

static void fat12_set(uint8_t *fat, uint32_t cluster, uint32_t v)
{
	uint8_t *p = fat + cluster * 3 / 2;

	if (cluster & 1) {
		p[0] = (uint8_t)((p[0] & 0x0f) | ((v & 0x0f) << 4));
		p[1] = (uint8_t)(v >> 4);
	} else {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)((p[1] & 0xf0) | ((v >> 8) & 0x0f));
	}
}

static uint8_t short_checksum(const uint8_t name[11])
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
	return sum;
}

/* Character k of a long name as UCS-2: the name, a NUL, then 0xFFFF padding. */
static uint16_t lfn_char(const char *name, size_t len, size_t k)
{
	return k < len ? (uint16_t)(unsigned char)name[k] : k == len ? 0 : 0xffff;
}

/* One long-name entry holding characters [13*(seq-1), 13*seq) of name. */
static void lfn_entry(uint8_t *e, const char *name, size_t len, unsigned int seq, int last,
		      uint8_t sum)
{
	static const uint8_t pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

	memset(e, 0, 32);
	e[0] = (uint8_t)(seq | (last ? 0x40 : 0));
	e[11] = 0x0f;
	e[13] = sum;
	for (int i = 0; i < 13; i++)
		le16_put(e + pos[i], lfn_char(name, len, 13 * (seq - 1) + (size_t)i));
}

static void short_entry(uint8_t *e, const uint8_t name[11], uint8_t attr, uint32_t cluster,
			uint32_t size)
{
	memset(e, 0, 32);
	memcpy(e, name, 11);
	e[11] = attr;
	le16_put(e + 16, FAT_DATE);          /* created */
	le16_put(e + 18, FAT_DATE);          /* accessed */
	le16_put(e + 24, FAT_DATE);          /* written */
	le16_put(e + 26, (uint16_t)cluster);
	le32_put(e + 28, size);
}

/* Directory entries for one file; returns the number of 32-byte entries used. */
static unsigned int dir_entries(uint8_t *dir, const struct cidata_file *f, unsigned int idx,
				uint32_t cluster)
{
	size_t len = strlen(f->name);
	unsigned int nlfn = (unsigned int)((len + 12) / 13);
	uint8_t sname[11];

	/* A unique, valid 8.3 alias: FILE~N with no extension. */
	memset(sname, ' ', 11);
	memcpy(sname, "STRATA", 6);
	sname[6] = '~';
	sname[7] = (uint8_t)('1' + idx);
	for (unsigned int s = nlfn; s >= 1; s--)
		lfn_entry(dir + 32 * (nlfn - s), f->name, len, s, s == nlfn,
			  short_checksum(sname));
	short_entry(dir + 32 * nlfn, sname, 0x20, f->len ? cluster : 0, (uint32_t)f->len);
	return nlfn + 1;
}

/* Copy a file's data into clusters from *next on, chaining them in both FATs. */
static void file_data(uint8_t *img, const struct cidata_file *f, uint32_t *next)
{
	uint32_t n = (uint32_t)((f->len + SECTOR - 1) / SECTOR);

	for (uint32_t k = 0; k < n; k++) {
		uint32_t c = *next + k, v = k + 1 < n ? c + 1 : 0xfff;
		size_t off = (size_t)k * SECTOR, chunk = f->len - off < SECTOR ? f->len - off : SECTOR;

		memcpy(img + (DATA + c - 2) * SECTOR, (const uint8_t *)f->data + off, chunk);
		fat12_set(img + FAT1 * SECTOR, c, v);
		fat12_set(img + (FAT1 + FAT_SECTORS) * SECTOR, c, v);
	}
	*next += n;
}

static int check_files(const struct cidata_file *files, unsigned int n)
{
	size_t clusters = 0;

	if (n > 8)
		return errorf("CIDATA: at most 8 files");
	for (unsigned int i = 0; i < n; i++) {
		size_t len = strlen(files[i].name);

		if (len == 0 || len > 26 || strpbrk(files[i].name, "/\\:*?\"<>|"))
			return errorf("CIDATA: unusable file name '%s'", files[i].name);
		if (files[i].len > CIDATA_FILE_MAX)
			return errorf("CIDATA: %s is larger than %u bytes", files[i].name,
				      CIDATA_FILE_MAX);
		clusters += (files[i].len + SECTOR - 1) / SECTOR;
	}
	return clusters <= CLUSTERS ? 0 : errorf("CIDATA: files do not fit in 1 MiB");
}

int cidata_build(uint8_t *img, const struct cidata_file *files, unsigned int n,
		 uint32_t vol_id)
{
	static const uint8_t label[11] = { 'C', 'I', 'D', 'A', 'T', 'A', ' ', ' ', ' ', ' ', ' ' };
	uint8_t *root = img + ROOT * SECTOR;
	uint32_t next = 2;
	unsigned int ent = 1;

	if (check_files(files, n))
		return -1;
	memset(img, 0, CIDATA_SIZE);
	boot_sector(img, vol_id);
	for (unsigned int f = 0; f < 2; f++) {
		uint8_t *fat = img + (FAT1 + f * FAT_SECTORS) * SECTOR;

		fat12_set(fat, 0, 0xff8);
		fat12_set(fat, 1, 0xfff);
	}
	short_entry(root, label, 0x08, 0, 0);
	for (unsigned int i = 0; i < n; i++) {
		ent += dir_entries(root + 32 * ent, &files[i], i, next);
		file_data(img, &files[i], &next);
	}
	return 0;
}
