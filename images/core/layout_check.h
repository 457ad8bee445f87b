/*
 * Does the disk hold this machine's layout?  Asked by strata.efi at a boot with nothing
 * pending (check=yes, efi/agent_check.c) before it hands the PC to its disk: a blank disk,
 * or the machine's own table missing a partition, is restored by the normal deployment
 * (docs/restore.md, "Same PC, new disk"); any other disk goes to the firmware untouched.
 *
 * Why a rule of its own, and a strict one: this runs at every boot of the machine, with no
 * admin in the loop, so a wrong "restore" would write a table over a disk that holds
 * someone's data.  Only two kinds of disk are restored automatically:
 *   - blank: no GPT at all (neither copy has the signature) and its first MiB all zero,
 *     so no MBR, no boot sector, no superfloppy filesystem, no other OS's start;
 *   - this machine's own table (the manifest's disk GUID) whose every used entry is one of
 *     the manifest's partitions at its planned extent, lacking a write or restore
 *     partition: nothing on it lies outside the layout, so writing the layout creates the
 *     missing partitions in space no partition holds, and the deployment never overwrites
 *     a present restore partition.
 * Everything else (another GUID, an MBR or foreign OS, a GPT that does not parse, an
 * entry the layout does not have) is foreign: an admin's deploy order decides.
 */
#ifndef STRATA_LAYOUT_CHECK_H
#define STRATA_LAYOUT_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "gpt.h"
#include "manifest.h"

/** Bytes from the disk's start that must be zero for a disk without a GPT to be blank. */
#define STRATA_BLANK_HEAD_BYTES (1u << 20)

/** What the check found. */
enum strata_layout {
	STRATA_LAYOUT_HELD = 0,  /**< the machine's layout: boot the disk */
	STRATA_LAYOUT_BLANK,     /**< no GPT, first MiB zero: restore */
	STRATA_LAYOUT_MISSING,   /**< the machine's own table lacking a partition: restore */
	STRATA_LAYOUT_FOREIGN,   /**< anything else: never written without an admin's order */
};

/**
 * Decide for manifest m on a disk.  have_rc is what reading the disk's table gave: 0 with
 * *have the table, STRATA_ENOENT when neither copy has a GPT signature, another rc when a
 * table is there but unreadable.  plan is m's plan on this disk, or NULL when the layout
 * does not fit it (then no partition is at its planned extent).  head is the disk's first
 * head_len bytes (hostile: only compared with zero), needed only when have_rc is
 * STRATA_ENOENT; a head shorter than STRATA_BLANK_HEAD_BYTES is not blank.  Borrows all.
 */
enum strata_layout strata_layout_check(const struct strata_manifest *m,
				       const struct strata_gpt_plan *plan,
				       const struct strata_gpt_table *have, int have_rc,
				       const uint8_t *head, size_t head_len);

/** "holds its layout", "is blank", "lacks a partition", "holds another layout": for logs. */
const char *strata_layout_name(enum strata_layout l);

#endif /* STRATA_LAYOUT_CHECK_H */
