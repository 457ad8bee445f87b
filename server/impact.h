/*
 * What a deployment costs each machine: the stored bytes and chunks of a new layer that
 * the machine's disk does not already hold, judged from the layer it last deployed to the
 * same partition (the deployed table, lab_snapshot.h).  Pure: two parsed indexes in, two
 * numbers out, no I/O, so it is unit-tested alone.
 *
 * Why position by position: strata.efi writes a layer chunk by chunk at the chunk's
 * offset, and skips a chunk whose digest the disk's old layer already had at that offset
 * (images/core/reuse.h).  So the cost is the new chunks whose digest differs from the old
 * chunk at the same index.  It is an estimate and is shown as one: the agent also copies
 * repeated chunks from elsewhere on the disk, and a disk changed since its last deploy
 * costs more.
 */
#ifndef STRATA_IMPACT_H
#define STRATA_IMPACT_H

#include <stdint.h>
#include "index.h"

/** A cost: what an order makes machines fetch. */
struct impact {
	uint64_t bytes;   /**< stored (compressed) bytes of the chunks to fetch */
	uint64_t chunks;  /**< how many chunks */
};

/**
 * Add to *out the chunks of new_idx whose digest differs from old_idx's chunk at the same
 * position.  old_idx NULL (never deployed), or cut at another chunk size: every data chunk
 * of new_idx counts.  Zero and free chunks of new_idx cost nothing (no file to fetch).
 * Walks new_idx's data entries only (strata_index_next_data), so a huge declared run of
 * zeros costs nothing.  Both indexes are borrowed.
 */
void impact_part(const struct strata_index *old_idx, const struct strata_index *new_idx,
		 struct impact *out);

/** Add every data chunk of idx to *out: a layer the machine fetches whole (its machine
 *  layer, a restore's generation). */
void impact_whole(const struct strata_index *idx, struct impact *out);

#endif /* STRATA_IMPACT_H */
