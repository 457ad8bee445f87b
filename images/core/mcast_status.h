/*
 * The multicast status exchange (docs/multicast.md): what a client in a session tells the
 * server every few seconds, and the server's answer.
 *
 * Why in core: strata-server parses the status (hostile input) and writes the answer;
 * strata.efi writes the status and parses the answer (hostile too); one file keeps the
 * sides on one format.  The transport is a signed POST (/mcast/status/MAC?part=N, its
 * body covered by the signature's b=), never a datagram: control is in batches, never per
 * packet.
 *
 * ## The status body
 * A 96-byte header (struct strata_mc_status), then range_count 12-byte ranges (struct
 * strata_mc_range), nothing after.  Every field is little-endian.  The ranges are the
 * client's need set for its part, chunk indices [first, first + count): ascending,
 * non-empty, neither overlapping nor touching (so one need set has one encoding; a range
 * of 2^32 - 1 chunks, the most one holds, may be touched by the next), and ending by the
 * layer's chunk count.  need_chunks counts every chunk still needed, listed
 * or not: without PARTIAL the ranges hold exactly need_chunks chunks; a need set of more
 * than STRATA_MC_RANGES_MAX ranges sends the first ones with PARTIAL, and the server
 * counts every chunk after the last range as needed too (it errs toward sending more).
 * DONE says the need set is empty and the client leaves; UNICAST that it leaves to fetch
 * the rest by HTTP; JOIN that it starts.  At most one of the three.
 *
 * ## The answer
 * 32 bytes (struct strata_mc_answer): the verdict (stay, repair by HTTP now, or the
 * session is gone), the session's live clients, the carousel's pass and position, the
 * time until it reaches this client's first need again, and when to report next, which
 * the client obeys within STRATA_MC_REPORT_MS_MIN..MAX.
 */
#ifndef STRATA_MCAST_STATUS_H
#define STRATA_MCAST_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include "mcast.h"
#include "rc.h"

#define STRATA_MC_STATUS_MAGIC "STMS"
#define STRATA_MC_ANSWER_MAGIC "STMA"
#define STRATA_MC_STATUS_VERSION 1
/** Most ranges one status lists: the body stays under STRATA_NEED_BODY_MAX (need.h). */
#define STRATA_MC_RANGES_MAX 5000
/** Bytes of a status header, of one range, of a whole body at most, of an answer. */
#define STRATA_MC_STATUS_HDR 96
#define STRATA_MC_RANGE_LEN 12
#define STRATA_MC_STATUS_MAX (STRATA_MC_STATUS_HDR + STRATA_MC_RANGES_MAX * STRATA_MC_RANGE_LEN)
#define STRATA_MC_ANSWER_LEN 32
/** The report interval an answer may ask for: never a storm, never silence. */
#define STRATA_MC_REPORT_MS_MIN 500
#define STRATA_MC_REPORT_MS_MAX 60000
/** A receiver that gets no datagram of its session for this long leaves for HTTP: the
 *  session is not being sent, or not to it (strata.efi). */
#define STRATA_MC_SILENT_MS 10000
/** A session at rest starts its first pass once no client has joined for SETTLE ms, and
 *  at most MAX ms after the first joined: PCs powered on together join over a few seconds
 *  (their firmware's DHCP alone varies by several), and each that joins after the pass
 *  began costs the server the part it missed again.  The wait stays well under the
 *  receivers' silence limit, so nobody leaves for HTTP while it waits. */
#define STRATA_MC_GATHER_SETTLE_MS 3000
#define STRATA_MC_GATHER_MAX_MS 6000
/* 2 s to spare: the server's tick and a datagram's way. */
_Static_assert(STRATA_MC_GATHER_MAX_MS + 2000 < STRATA_MC_SILENT_MS,
	       "a gathering session never looks silent to a receiver");

/** Status flags. */
#define STRATA_MCS_JOIN 0x1u     /**< the client starts (or starts again) */
#define STRATA_MCS_DONE 0x2u     /**< nothing left to need: it leaves */
#define STRATA_MCS_UNICAST 0x4u  /**< it leaves to fetch the rest by HTTP */
#define STRATA_MCS_PARTIAL 0x8u  /**< more ranges than listed: the rest follows the last */
#define STRATA_MCS_KNOWN 0xfu

/** The status header. */
struct strata_mc_status {
	uint8_t magic[4];          /**<  0: STRATA_MC_STATUS_MAGIC */
	uint8_t version;           /**<  4: STRATA_MC_STATUS_VERSION */
	uint8_t flags;             /**<  5: STRATA_MCS_* */
	uint8_t part;              /**<  6: the partition's number (`part N`), 1..128 */
	uint8_t reserved0;         /**<  7: 0 */
	uint8_t session[8];        /**<  8: the manifest's session id */
	uint8_t layer[32];         /**< 16: the part's layer id, checked against the session */
	uint8_t need_chunks[8];    /**< 48: le64, chunks still needed (all, not only listed) */
	uint8_t bytes_mc[8];       /**< 56: le64, store bytes written from multicast */
	uint8_t bytes_http[8];     /**< 64: le64, store bytes fetched by repair */
	uint8_t seen[4];           /**< 72: le32, datagrams seen since the last status */
	uint8_t lost[4];           /**< 76: le32, datagrams missing by seq since the last */
	uint8_t range_count[4];    /**< 80: le32, ranges after the header, 0..5000 */
	uint8_t reserved[12];      /**< 84: 0 */
};

/** One range of needed chunks. */
struct strata_mc_range {
	uint8_t first[8];          /**< le64: first chunk */
	uint8_t count[4];          /**< le32: chunks, at least 1 */
};

/** Verdicts of an answer. */
enum strata_mc_verdict {
	STRATA_MC_STAY = 0,        /**< keep receiving */
	STRATA_MC_REPAIR = 1,      /**< fetch the rest by HTTP now */
	STRATA_MC_GONE = 2,        /**< no such session (any more): fetch by HTTP */
};

/** The answer to a status. */
struct strata_mc_answer {
	uint8_t magic[4];          /**<  0: STRATA_MC_ANSWER_MAGIC */
	uint8_t verdict;           /**<  4: enum strata_mc_verdict */
	uint8_t reserved[3];       /**<  5: 0 */
	uint8_t clients[4];        /**<  8: le32, live clients of the session */
	uint8_t cycle[4];          /**< 12: le32, the carousel's pass over this part */
	uint8_t cursor[8];         /**< 16: le64, the chunk it is sending now */
	uint8_t eta_ms[4];         /**< 24: le32, until it reaches this client's first need */
	uint8_t report_ms[4];      /**< 28: le32, when to report next, 500..60000 */
};

_Static_assert(sizeof(struct strata_mc_status) == STRATA_MC_STATUS_HDR, "status is 96 bytes");
_Static_assert(offsetof(struct strata_mc_status, session) == 8, "session at 8");
_Static_assert(offsetof(struct strata_mc_status, layer) == 16, "layer at 16");
_Static_assert(offsetof(struct strata_mc_status, need_chunks) == 48, "need_chunks at 48");
_Static_assert(offsetof(struct strata_mc_status, seen) == 72, "seen at 72");
_Static_assert(offsetof(struct strata_mc_status, range_count) == 80, "range_count at 80");
_Static_assert(sizeof(struct strata_mc_range) == STRATA_MC_RANGE_LEN, "range is 12 bytes");
_Static_assert(offsetof(struct strata_mc_range, count) == 8, "count at 8");
_Static_assert(sizeof(struct strata_mc_answer) == STRATA_MC_ANSWER_LEN, "answer is 32 bytes");
_Static_assert(offsetof(struct strata_mc_answer, cursor) == 16, "cursor at 16");
_Static_assert(offsetof(struct strata_mc_answer, report_ms) == 28, "report_ms at 28");
_Static_assert(STRATA_MC_STATUS_MAX == 60096, "a full status body is 60,096 bytes");

/** A range, decoded: chunks [first, first + count). */
struct strata_mc_range_mem {
	uint64_t first;
	uint32_t count;
};

/** A status header, decoded. */
struct strata_mc_status_info {
	uint8_t flags;             /**< STRATA_MCS_* */
	uint8_t part;
	uint8_t session[STRATA_MC_SESSION_LEN];
	uint8_t layer[32];
	uint64_t need_chunks;
	uint64_t bytes_mc, bytes_http;
	uint32_t seen, lost;
	uint32_t range_count;
};

/**
 * Read a status body (the server's side; hostile, body[0..len) borrowed) for a layer of
 * chunk_count chunks into *st and ranges[0..st->range_count) (cap entries, the caller's;
 * STRATA_MC_RANGES_MAX always suffices).  Enforces every rule at the top: magic, version,
 * zero reserved bytes, known flags with at most one of JOIN/DONE/UNICAST, a part in 1..128,
 * the ranges' order and bounds, need_chunks against them (DONE: none), PARTIAL exactly
 * with STRATA_MC_RANGES_MAX ranges, the exact length.  Whether the session, part and layer
 * are this machine's is the caller's check.  0, or the rc with diag->where the byte offset
 * at fault (diag may be NULL).
 */
int strata_mc_status_parse(const void *body, size_t len, uint64_t chunk_count,
			   struct strata_mc_status_info *st, struct strata_mc_range_mem *ranges,
			   uint32_t cap, struct strata_diag *diag);

/**
 * Write a status body (the client's side) from *st (its range_count is ignored: n is
 * used) and ranges[0..n) into out (cap bytes, the caller's; STRATA_MC_STATUS_MAX always
 * suffices); *len gets its length.  Nothing is checked beyond n <= STRATA_MC_RANGES_MAX:
 * write what strata_mc_ranges_from_need or _from_bits made.  0 or STRATA_ERANGE.
 */
int strata_mc_status_write(uint8_t *out, size_t cap, size_t *len,
			   const struct strata_mc_status_info *st,
			   const struct strata_mc_range_mem *ranges, uint32_t n);

/**
 * The ranges of a need list need[0..n_need) (ascending chunk indices, borrowed) into
 * out[0..cap) (cap <= STRATA_MC_RANGES_MAX, the caller's); *n_out gets their number.
 * Returns 1 when the list needs more than cap ranges (the status then says PARTIAL and
 * out holds the first cap), else 0.
 */
int strata_mc_ranges_from_need(const uint64_t *need, uint64_t n_need,
			       struct strata_mc_range_mem *out, uint32_t cap, uint32_t *n_out);

/** The same from a bitmap of nbits chunks (bit i of byte i / 8, LSB first: chunk i is
 *  needed), as mcast_rx.h keeps it.  Borrows bits. */
int strata_mc_ranges_from_bits(const uint8_t *bits, uint64_t nbits,
			       struct strata_mc_range_mem *out, uint32_t cap, uint32_t *n_out);

/** An answer, decoded. */
struct strata_mc_answer_info {
	uint8_t verdict;           /**< enum strata_mc_verdict */
	uint32_t clients, cycle;
	uint64_t cursor;
	uint32_t eta_ms, report_ms;
};

/** Write an answer (the server's side) into out.  report_ms is clamped to 500..60000. */
void strata_mc_answer_write(uint8_t out[STRATA_MC_ANSWER_LEN],
			    const struct strata_mc_answer_info *a);

/**
 * Read an answer (the client's side; hostile, borrowed): exactly 32 bytes, the magic, a
 * known verdict, zero reserved bytes and report_ms within 500..60000.  0, or the rc with
 * diag->where the byte offset at fault (diag may be NULL).
 */
int strata_mc_answer_parse(const void *body, size_t len, struct strata_mc_answer_info *a,
			   struct strata_diag *diag);

#endif /* STRATA_MCAST_STATUS_H */
