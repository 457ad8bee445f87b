/*
 * The multicast carousel's decisions (docs/multicast.md, "The server"), as pure functions
 * of the clients' need ranges: which session a profile announces, which chunk goes next,
 * and what a client is told.  No I/O, no locks, no clock: tests/unit/test_mcast_plan.c
 * runs them alone, and mcast.c calls them under its lock.
 *
 * Why no per-chunk arrays: a session's need state is each client's range list (at most
 * STRATA_MC_RANGES_MAX ranges), so the next chunk is found by one binary search per
 * client, O(clients x log ranges), at any layer size.
 *
 * Positions.  The carousel walks the session's parts in order and each part's chunks in
 * order; a pass over all of them is one cycle.  A position counts chunks walked since the
 * session began: cycle x lap + the part's offset + the chunk, lap being the session's
 * chunks (every part's chunk count).  The carousel skips what nobody needs, so positions
 * jump, but they only grow: a client's distance from its join position says how many
 * passes it has seen.
 */
#ifndef STRATA_MCAST_PLAN_H
#define STRATA_MCAST_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "inventory.h"
#include "manifest.h"
#include "mcast_status.h"

/**
 * The session a multicast profile announces (pr->mc.on): group, port, rate, payload and
 * parity from the profile; its parts are those with a layer from the store that are not
 * capture=yes (never a private layer), their layer ids into layers[0..out->nparts); the
 * session id by strata_mc_session_id.  Why a function of the profile alone: every machine
 * of the profile gets the same statement, and a reload that changes nothing gives the
 * same bytes.  0, or STRATA_EINVAL for a profile with no such part.
 */
int mcast_plan_session(const struct inv_profile *pr, struct strata_multicast *out,
		       uint8_t layers[STRATA_MAX_PARTS][32]);

/** One client's need, borrowed for a call: ranges of the part at index part_ix of the
 *  session (its parts in order), as strata_mc_status_parse read them. */
struct mcast_need {
	unsigned int part_ix;
	const struct strata_mc_range_mem *r;
	uint32_t n;
	int partial;               /**< every chunk after the last range is needed too */
};

/**
 * The first chunk at or after chunk that need c holds, in a part of chunk_count chunks:
 * 1 with *out set, 0 when it holds none there.
 */
int mcast_need_next(const struct mcast_need *c, uint64_t chunk, uint64_t chunk_count,
		    uint64_t *out);

/**
 * The carousel's next chunk: the first (part index, chunk) at or after the cursor
 * (*part_ix, *chunk), in session order, that some client of c[0..nc) needs; parts[i] is
 * part index i's chunk count (nparts of them).  When none is at or after the cursor it
 * wraps to the session's start.  Returns 0 when nobody needs anything (cursor left
 * alone), 1 with the cursor moved, 2 when it moved and wrapped (a new cycle).
 */
int mcast_next(const struct mcast_need *c, size_t nc, const uint64_t *parts,
	       unsigned int nparts, unsigned int *part_ix, uint64_t *chunk);

/** What the verdict is chosen from, per client. */
struct mcast_verdict_in {
	uint64_t now_pos, join_pos;  /**< the carousel's position now and at the join */
	uint64_t lap;                /**< chunks in one pass over the session */
	uint64_t need_chunks;        /**< what the client still needs */
	uint64_t data_chunks;        /**< its part's data chunks (not zero or free) */
	uint64_t seen, lost;         /**< datagrams its statuses counted since the join */
	uint32_t frags;              /**< fragments of a typical chunk (mcast_frags) */
	int alone;                   /**< no other machine's client needs anything */
};

/** A client whose need is at most this many chunks, or MCAST_SMALL_PERCENT of its
 *  part's data chunks if more, after a full pass, fetches the rest by HTTP. */
#define MCAST_SMALL_CHUNKS 64
#define MCAST_SMALL_PERCENT 2
/** Passes since the join after which a client fetches the rest by HTTP regardless. */
#define MCAST_MAX_PASSES 3
/** Datagrams (seen and lost) a client's statuses must have counted since its join before
 *  its loss can send it to HTTP: at the threshold's 1.5 % that is 15 lost, where the lab's
 *  clean VMs lose none (docs/multicast.md, "Leaving early for HTTP"). */
#define MCAST_LOSS_EVIDENCE 1000
/** The percentage of chunks that must be expected to arrive whole at a client's loss for
 *  it to stay: below it, multicast saves the server less than half a copy for it while
 *  holding it for a whole pass, so it leaves for HTTP at once, pass or not. */
#define MCAST_WHOLE_PERCENT 50

/**
 * STRATA_MC_REPAIR when the client's loss makes multicast pointless (mcast_too_lossy), at
 * any time; or once it has seen a full pass since its join and its need is small or no
 * other machine needs anything (a pass for it alone would cost the server what HTTP does,
 * be slower, and lose the same share again), or MCAST_MAX_PASSES passes went by; else
 * STRATA_MC_STAY.  (GONE is the caller's: an unknown session.)
 */
int mcast_verdict(const struct mcast_verdict_in *in);

/**
 * Whether seen and lost datagrams (a client's since its join) are evidence enough
 * (MCAST_LOSS_EVIDENCE) of a loss at which fewer than MCAST_WHOLE_PERCENT % of chunks of
 * frags fragments would arrive whole: (seen / (seen + lost))^frags.  A chunk needs every
 * data fragment (no parity is sent), so at 2 % loss a 46-fragment chunk arrives whole
 * 39 % of the time; the threshold is 1.5 % for 46 fragments, 3.4 % for 20.
 */
int mcast_too_lossy(uint64_t seen, uint64_t lost, uint32_t frags);

/**
 * The loss, in hundredths of a percent (0..10000), from which mcast_too_lossy sends a
 * client of chunks of frags fragments to HTTP, given the evidence: 150 for 46 fragments.
 * For the session's log line, so that an admin sees the threshold a layer gets.
 */
uint32_t mcast_loss_limit(uint32_t frags);

/**
 * Fragments of payload bytes in a typical chunk: ceil(byte_stored / payload), byte_stored
 * the store size of the chunk an average stored byte is in (sum of squares over sum), so
 * that a layer of large incompressible chunks and a few small ones counts the large.
 * At least 1.
 */
uint32_t mcast_frags(uint64_t byte_stored, uint32_t payload);

/**
 * Milliseconds until the carousel, dist chunks away from a client's first need, reaches
 * it at rate_bps with avg_stored store bytes a chunk (an upper bound: the carousel skips
 * chunks nobody needs).  Saturates at UINT32_MAX.
 */
uint32_t mcast_eta_ms(uint64_t dist, uint64_t avg_stored, uint64_t rate_bps);

#endif /* STRATA_MCAST_PLAN_H */
