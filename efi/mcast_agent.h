/*
 * The multicast phase of a deployment (docs/multicast.md, "The agent"): the deploy
 * engine's `between` hook of the session's first partition, run after the scan of every
 * partition of the session and before the HTTP fetch of any.  One phase receives every
 * partition at once, because the server's carousel passes over them all: a PC that took
 * one partition at a time would wait a pass for each.
 *
 * Why a phase and not a second engine: the engine keeps one algorithm.  The phase hands
 * reassembled store files to strata_deploy_put (decoded and verified like fetched ones)
 * and shrinks the need list; the engine's fetch phase then repairs what is left by HTTP.
 * Multicast never fails a deployment: any failure of the firmware's UDP4, of a status
 * report or of the session is logged, and the rest comes by HTTP.  Only the disk failing
 * stops it.
 */
#ifndef STRATA_EFI_MCAST_AGENT_H
#define STRATA_EFI_MCAST_AGENT_H

#include <stdint.h>
#include "agent.h"
#include "deploy.h"

/** One partition of the phase: filled by layer.c, the counters by the phase. */
struct mcast_job {
	struct agent *a;
	const struct strata_part *part;  /**< the manifest's partition, borrowed */
	const char *label;               /**< for messages */
	int priv;                        /**< a private layer: never multicast */
	int used;                        /**< the phase received (joined the group) */
	uint64_t chunks_mc;              /**< chunks it delivered */
	/** The partition's engine, scanned, and its need list (the engine's, borrowed). */
	struct strata_deploy *d;
	uint64_t *need, *n_need;
};

/**
 * The between hook's work for jobs[0..n) (layer.c's; each scanned, d, need and n_need
 * set): receive the session's datagrams for all of them at once until nothing is needed,
 * the server says repair or gone for each, or the local rules give up (10 s without a
 * datagram, a failed status), then drop the delivered chunks from each need list.  A job
 * with nothing to do (a private layer, a partition not in the session) is left alone.
 * Returns 0 whenever the disk did not fail (the fetch phases get the rest), else the
 * target's rc.
 */
int mcast_phase(struct mcast_job **jobs, unsigned int n);

#endif /* STRATA_EFI_MCAST_AGENT_H */
