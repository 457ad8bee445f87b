/*
 * The machine layer's filesystem: a small FAT12 volume labelled CIDATA holding cloud-init
 * NoCloud `meta-data` and `user-data`, so any OS with cloud-init names itself on first boot.
 *
 * Why our own writer rather than mkfs.vfat + mcopy: the bytes must be a pure function of
 * the machine's data (no timestamps, no random volume id), so an unchanged machine yields
 * the same layer id and its redeploy moves nothing.
 */
#ifndef STRATA_CIDATA_H
#define STRATA_CIDATA_H

#include <stddef.h>
#include <stdint.h>

/** Size of the volume: 1 MiB, plenty for two small text files. */
#define CIDATA_SIZE (1u << 20)
/** Largest file accepted, so both fit in the data area. */
#define CIDATA_FILE_MAX (400u * 1024)

/** A file to put in the volume; borrowed. */
struct cidata_file {
	const char *name;      /**< long name, ASCII, 1..26 characters */
	const void *data;
	size_t len;
};

/**
 * Write a CIDATA volume of CIDATA_SIZE bytes into img (caller's buffer) holding the
 * given files in the root folder; vol_id is the FAT volume serial.  0, or -1 (printed)
 * when a file is too large or a name unusable.
 */
int cidata_build(uint8_t *img, const struct cidata_file *files, unsigned int n,
		 uint32_t vol_id);

#endif /* STRATA_CIDATA_H */
