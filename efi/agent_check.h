/*
 * The layout check (check=yes, docs/restore.md "Same PC, new disk"): at a boot with
 * nothing pending, before the PC goes to its disk, is the disk still the machine's?  A
 * blank disk, or the machine's own table lacking a partition, is restored by the normal
 * deployment; any other disk is handed to the firmware as it is.  The rule is the core's
 * (images/core/layout_check.h); this file is its I/O and its words.
 */
#ifndef STRATA_EFI_AGENT_CHECK_H
#define STRATA_EFI_AGENT_CHECK_H

#include <stdint.h>
#include <efi.h>
#include "agent.h"

/**
 * a->m holds the verified manifest.  Find the disk the deployment would use (disk_find
 * with min_bytes, as agent.c's table step does), read its table and, when it has none,
 * its first MiB, and decide.  Returns 0 when the deployment must run (logged, and
 * reported as "the disk lacks NAME's layout (blank, or a partition missing): restoring"),
 * 1 when the PC goes to its disk as it is (its layout, or another one: logged), or an rc
 * (logged) when the disk could not be read.  Writes nothing.  have is the caller's room for
 * the table read (about 17 KiB: agent.c's, which its table step reads again); a->plan is
 * overwritten.
 */
int agent_check(struct agent *a, EFI_HANDLE image, uint64_t min_bytes,
		struct strata_gpt_table *have);

#endif /* STRATA_EFI_AGENT_CHECK_H */
