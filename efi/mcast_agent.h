/*
 * The multicast phase of one partition's deployment (docs/multicast.md, "The agent"): the
 * deploy engine's `between` hook, run after the scan and before the HTTP fetch.
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

/** One partition's phase: filled by layer.c, the counters by the phase. */
struct mcast_job {
	struct agent *a;
	const struct strata_part *part;  /**< the manifest's partition, borrowed */
	const char *label;               /**< for messages */
	int priv;                        /**< a private layer: never multicast */
	int used;                        /**< the phase received (joined the group) */
	uint64_t chunks_mc;              /**< chunks it delivered */
};

/**
 * The engine's between hook's work for job j (layer.c's hook passes it): receive the session's datagrams for j's
 * partition until nothing is needed, the server says repair or gone, or the local rules
 * give up (10 s without a datagram, a failed status), then drop the delivered chunks
 * from need[0..*n_need) (the engine's).  Returns 0 whenever the disk did not fail (the
 * fetch phase gets the rest), else the target's rc.
 */
int mcast_phase(struct mcast_job *j, struct strata_deploy *d, uint64_t *need, uint64_t *n_need);

#endif /* STRATA_EFI_MCAST_AGENT_H */
