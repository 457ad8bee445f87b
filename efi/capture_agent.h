/* The agent's capture (efi/capture_agent.c; docs/capture.md).  Not capture.h: that name is the core engine's (images/core/capture.h). */
#ifndef STRATA_EFI_CAPTURE_AGENT_H
#define STRATA_EFI_CAPTURE_AGENT_H

#include <efi.h>

struct agent;

/**
 * Run the capture the orders named (a->capture_gold, a->capture_profile) on the disk the
 * image's firmware shows, every request signed by this boot's machine session.  Only
 * reads the disk.  0 when the capture completed, or an rc with a->why set (reported by the
 * caller as a failure).
 */
int capture_run(struct agent *a, EFI_HANDLE image);

#endif /* STRATA_EFI_CAPTURE_AGENT_H */
