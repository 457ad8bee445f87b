/*
 * The deployment agent: the state one run of strata.efi carries from step to step
 * (agent.c lists the steps; layer.c deploys one partition).
 */
#ifndef STRATA_EFI_AGENT_H
#define STRATA_EFI_AGENT_H

#include <stdint.h>
#include <efi.h>
#include "args.h"
#include "disk.h"
#include "fetch.h"
#include "gpt.h"
#include "manifest.h"
#include "progress.h"

struct agent {
	struct args args;
	struct fetcher *f;
	char mac[ARGS_MAC_MAX];
	char uuid[40];               /**< SMBIOS system UUID, or "" when the firmware has none */
	char token[ARGS_TOKEN_MAX];
	struct strata_manifest m;
	struct disk disk;
	struct strata_gpt_plan plan;
	struct progress bar;
	uint64_t last_report_ms;
	uint64_t bytes_fetched;      /**< over every partition, for the final line */
	uint64_t chunks_fetched, chunks_kept;
	uint64_t start_ms;           /**< when the deployment began (clock_ms), for the summary */
	char why[160];               /**< what failed, for the screen and the report */
};

/**
 * Deploy the machine's manifest.  Returns 0 when the disk holds it all, 1 when the server
 * has nothing pending for this machine, or an rc with a->why set.  Reports to the server.
 */
int agent_run(struct agent *a, EFI_HANDLE image);

/** Record why the run failed, for the screen and the report (the first reason recorded
 *  wins: it is the closest to the cause).  Returns rc. */
int agent_fail(struct agent *a, int rc, const char *why);

/** Tell the server how far we are: phase is "progress", "ok" or "failed". */
void agent_report(struct agent *a, const char *phase, uint64_t done, uint64_t total,
		  const char *msg);

/** Deploy the layer of manifest partition i onto its place on the disk. */
int layer_deploy(struct agent *a, unsigned int i);

#endif /* STRATA_EFI_AGENT_H */
