/*
 * The GPT step of a deployment, on the target disk: read what the disk holds, refuse a
 * plan that would move or overwrite a preserved partition, and write the planned table
 * (only when it differs from what is there).  The logic is images/core/gpt.c; this file
 * is its I/O.
 */
#ifndef STRATA_EFI_GPT_DISK_H
#define STRATA_EFI_GPT_DISK_H

#include "disk.h"
#include "gpt.h"

/**
 * Read the disk's table into *have: the primary copy, else the backup.  Returns 0,
 * STRATA_ENOENT when the disk has no GPT at all (both copies lack the signature), or
 * another rc when a table is there but cannot be read (logged).
 */
int gpt_disk_read(struct disk *d, struct strata_gpt_table *have);

/**
 * Make the disk's table equal plan.  have_rc is what gpt_disk_read returned: a table that
 * could not be read is only replaced when the manifest preserves nothing.  Writes in the
 * crash-safe order of gpt.h and flushes; writes nothing when the disk already matches.
 */
int gpt_disk_apply(struct disk *d, const struct strata_manifest *m,
		   const struct strata_gpt_plan *plan, const struct strata_gpt_table *have,
		   int have_rc);

#endif /* STRATA_EFI_GPT_DISK_H */
