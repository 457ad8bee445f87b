/*
 * Multicast reassembly: the receiver's side of mcast.h, portable (strata.efi runs it; the
 * tests and the fuzzer run it on the host).
 *
 * A receiver has the signed manifest's session (id, F, m, the part) and the part's layer
 * index, opened against its signed id.  Each datagram is parsed (strata_mc_parse) and then
 * checked against those: another session, F or m is counted bad; another part is ignored;
 * a chunk past the layer, or whose store file size is not the index's, is counted bad (a
 * forgery or a wrong layer); a chunk this receiver does not need is ignored.  A needed
 * chunk's fragments are copied into one of STRATA_MC_SLOTS slots, each a buffer of the
 * layer's chunk size; a fragment already held is counted a duplicate.  When a new chunk
 * finds every slot busy, the slot touched longest ago is dropped (that chunk stays needed:
 * the carousel's next pass or the HTTP repair brings it).  Memory is bounded: the slots,
 * and one bit per chunk of the layer for the need set.
 *
 * Once every data fragment of a chunk is in, its store file goes to deliver, which must
 * decode and verify it as HTTP's bytes are (strata_deploy_put, which ends in
 * strata_chunk_decode): this file never decides that bytes are good.  deliver's 0 clears
 * the chunk's need bit; STRATA_ECORRUPT counts it rejected and it stays needed (the next
 * clean pass completes it); any other rc stops the receiver (the target failed).
 *
 * Repeats: a layer may hold one chunk's bytes at many indices (runs of one block, copies
 * of a file), and the carousel sends each digest once a pass, under the first index some
 * client needs (docs/multicast.md).  So the receiver knows its needed chunks by digest (a
 * reuse table, reuse.h, with a chain through the chunks of one digest): a datagram naming
 * a needed chunk is taken for it (one bit test), one naming a chunk not needed is taken
 * for a needed chunk of its digest (a table probe), and a slot is found by its digest
 * when its chunk's index does not match, so the fragments of one digest meet in one slot
 * whichever of its chunks each pass names; once
 * deliver took a store file, every other needed chunk of that digest is written too:
 * through repeat when the caller gives one (the bytes deliver decoded, hashed again
 * against the chunk's digest and written: a repeated store file is decoded once), else
 * the same store file goes to deliver for it, verified and written as the first was.  A
 * store file that did not verify goes to none of them.
 *
 * Parity fragments are checked like the others and counted, but not used: the receiver
 * completes a chunk from its data fragments only.
 *
 * Loss is estimated from the session's seq numbers: a jump forward counts the datagrams
 * skipped, a late one takes one back, a jump of a million or more (a restarted server, a
 * forgery) starts counting again from it.  It is an estimate for the status reports.
 */
#ifndef STRATA_MCAST_RX_H
#define STRATA_MCAST_RX_H

#include <stddef.h>
#include <stdint.h>
#include "index.h"
#include "mcast.h"
#include "mcast_status.h"
#include "reuse.h"

/** Chunks reassembled at once. */
#define STRATA_MC_SLOTS 8
/** Most data fragments of one store file: 4 MiB in fragments of 512 bytes. */
#define STRATA_MC_FRAGS_MAX (STRATA_MC_STORED_MAX / STRATA_MC_PAYLOAD_MIN)

/** Called with a complete store file (stored[0..len), the receiver's, valid during the
 *  call) of chunk: decode, verify, write.  0, STRATA_ECORRUPT, or an rc that stops. */
typedef int strata_mc_deliver_fn(void *ctx, uint64_t chunk, const uint8_t *stored, size_t len);

/** Called, when deliver just took first's store file, for chunk, another needed chunk of
 *  its digest: write chunk from the bytes deliver decoded and verified, hashed again
 *  (strata_deploy_put_same), without decoding again.  deliver's rcs, or 1 when it cannot
 *  (then deliver gets the store file for chunk). */
typedef int strata_mc_repeat_fn(void *ctx, uint64_t first, uint64_t chunk);

/** What the receiver has seen.  Datagram counts unless said otherwise. */
struct strata_mc_rx_stats {
	uint64_t seen;             /**< of this session, F and m (any part) */
	uint64_t lost;             /**< missing by seq (the estimate at the top) */
	uint64_t bad;              /**< malformed, another session, F or m, a chunk past the
				        layer, a store file size not the index's */
	uint64_t other_part;       /**< this session's, for another part */
	uint64_t ignored_have;     /**< a chunk not needed (any more) */
	uint64_t by_digest;        /**< a chunk not needed, taken for a needed one of its
				        digest (found by a digest-table probe) */
	uint64_t parity;           /**< parity fragments of needed chunks, unused */
	uint64_t dup;              /**< a fragment already held */
	uint64_t evicted;          /**< chunks dropped half-assembled for a newer one */
	uint64_t chunks_ok;        /**< chunks deliver took (repeats included) */
	uint64_t repeats;          /**< of those, repeats of a chunk taken from datagrams */
	uint64_t chunks_rejected;  /**< chunks deliver refused (STRATA_ECORRUPT) */
	uint64_t bytes_ok;         /**< store bytes of the chunks deliver took from
				        datagrams (a repeat's are not counted again) */
};

/** One chunk being assembled.  Internal. */
struct strata_mc_slot {
	uint64_t chunk;
	uint64_t used;             /**< the receiver's clock at its last fragment; 0 free */
	uint32_t stored, n, got;   /**< S, its data fragments, those held */
	uint8_t digest[32];        /**< the chunk's, so another chunk of it finds the slot */
	uint8_t have[STRATA_MC_FRAGS_MAX / 8];
	uint8_t *buf;              /**< the store file, chunk_size bytes */
};

/** One receiver.  The caller fills the first block; the receiver owns the rest. */
struct strata_mc_rx {
	const struct strata_index *idx;       /**< the part's layer, borrowed */
	uint8_t part;                         /**< the partition it fills (`part N`) */
	uint8_t session[STRATA_MC_SESSION_LEN];
	uint16_t frag_size;                   /**< the manifest's payload= */
	uint8_t parity;                       /**< the manifest's parity= */
	strata_mc_deliver_fn *deliver;
	strata_mc_repeat_fn *repeat;          /**< optional: NULL delivers every repeat */
	void *ctx;                            /**< for deliver and repeat */

	struct strata_mc_rx_stats st;
	/** Bit i of byte i / 8 (LSB first) set while chunk i is needed; read it with
	 *  strata_mc_ranges_from_bits for a status. */
	uint8_t *need;
	uint64_t need_count;                  /**< bits set in need */
	uint64_t need_bytes;                  /**< store bytes of the chunks needed at init,
						   each digest once (what bytes_ok reaches) */
	const char *bad_why;                  /**< why the last bad datagram was bad, static */
	/* internal */
	struct strata_mc_slot slot[STRATA_MC_SLOTS];
	uint8_t *slot_mem;
	struct strata_reuse same;             /**< digest -> the last needed chunk with it */
	uint64_t *list;                       /**< the needed chunks at init, ascending */
	uint64_t *same_prev;                  /**< per chunk of list, at its place: the needed
						   chunk with its digest before it, plus one;
						   0 none */
	uint64_t n_list;
	uint64_t clock;
	uint32_t seq_next;
	int seq_started;
	uint64_t seen_told, lost_told;        /**< st.seen, st.lost at the last status */
};

/**
 * Check the first block and allocate the need bitmap, the slots and the digest table
 * (strata_alloc; rx owns them until strata_mc_rx_done); then mark need[0..n_need) (chunk
 * indices, ascending as the deploy engine's need list is, borrowed) as needed, each that
 * names a chunk of the layer with a store file.  0, STRATA_EINVAL (a part, F or m the
 * manifest could not hold, no deliver, or a chunk of the layer below one before it) or
 * STRATA_ENOMEM.  Memory: 8 slots of the chunk size, one bit per chunk of the layer, and
 * 32 to 48 bytes per entry of need (the list, the chains, the table): a 2 TiB layer of
 * 64 KiB chunks costs 4 MiB of bits, not a word per chunk.
 */
int strata_mc_rx_init(struct strata_mc_rx *rx, const uint64_t *need, uint64_t n_need);

/**
 * Take one datagram pkt[0..len) (hostile, borrowed).  0 whatever the datagram was (it is
 * counted in rx->st); deliver's rc when it is neither 0 nor STRATA_ECORRUPT: then stop.
 */
int strata_mc_rx_datagram(struct strata_mc_rx *rx, const void *pkt, size_t len);

/** Whether chunk i is still needed. */
int strata_mc_rx_needs(const struct strata_mc_rx *rx, uint64_t i);

/**
 * Drop from need[0..*n) (the caller's, ascending) the chunks the receiver has delivered,
 * keeping the order; *n becomes what is left, for the HTTP repair.
 */
void strata_mc_rx_compact(const struct strata_mc_rx *rx, uint64_t *need, uint64_t *n);

/**
 * The status (mcast_status.h) of the receiver's state, for the next report: *st gets
 * flags (the caller's JOIN, DONE or UNICAST; PARTIAL added when the need set has more
 * than STRATA_MC_RANGES_MAX ranges), the part, the session, layer (the part's layer id,
 * 32 bytes, the caller's), the need count, bytes_mc (store bytes delivered), bytes_http,
 * and the datagrams seen and lost since the last call; ranges (STRATA_MC_RANGES_MAX
 * entries, the caller's) the need set's first ranges, st->range_count of them.  What it
 * writes is what strata_mc_status_parse takes (DONE only with nothing needed).
 */
void strata_mc_rx_status(struct strata_mc_rx *rx, uint8_t flags, const uint8_t layer[32],
			 uint64_t bytes_http, struct strata_mc_status_info *st,
			 struct strata_mc_range_mem *ranges);

/** Free what strata_mc_rx_init allocated; safe after a failed init. */
void strata_mc_rx_done(struct strata_mc_rx *rx);

#endif /* STRATA_MCAST_RX_H */
