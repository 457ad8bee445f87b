/*
 * The live state of strata-server's multicast sessions, shared by mcast.c (sessions,
 * statuses, JSON) and mcast_send.c (the carousel on the main loop).  Internal to those
 * two files; everything here is guarded by struct mcast's lock unless it says otherwise.
 */
#ifndef STRATA_MCAST_LIVE_H
#define STRATA_MCAST_LIVE_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include "index.h"
#include "inventory.h"
#include "loop.h"
#include "manifest.h"
#include "mcast_plan.h"
#include "mcast_status.h"
#include "reuse.h"

/** One client of a session: a machine receiving one part. */
struct mcast_client {
	uint8_t mac[6];
	unsigned int part_ix;            /**< index into the session's parts */
	struct strata_mc_range_mem *r;   /**< its need ranges (owned) */
	uint32_t n;
	int partial;
	uint64_t need_chunks, bytes_mc, bytes_http;
	uint64_t seen_ms;                /**< its last status (loop_now) */
	uint64_t join_pos;               /**< the carousel's position when it joined */
	uint64_t seen, lost;             /**< datagrams its statuses counted since the join */
};

/** One session: what the catalog announces, its clients and its carousel. */
struct mcast_session {
	char profile[INV_NAME_MAX + 1];
	struct strata_multicast ann;     /**< as the manifests say it */
	uint8_t layers[STRATA_MAX_PARTS][32];
	const struct strata_index *idx[STRATA_MAX_PARTS]; /**< the layer cache's, never freed */
	uint64_t chunks[STRATA_MAX_PARTS];   /**< chunk count per part index */
	uint64_t offset[STRATA_MAX_PARTS];   /**< chunks of the parts before it */
	uint64_t data_chunks[STRATA_MAX_PARTS];
	/** Per part, the digests sent in this pass (a chunk index with each): the carousel
	 *  sends a digest once a pass, under the first chunk a client needs that has it;
	 *  receivers take it for every chunk with that digest (docs/multicast.md). */
	struct strata_reuse sent[STRATA_MAX_PARTS];
	uint64_t lap;                    /**< chunks in one pass */
	uint64_t avg_stored;             /**< store bytes per data chunk, for eta_ms */
	uint64_t byte_stored;            /**< the store size of the chunk an average stored
					      byte is in, for mcast_frags */
	uint32_t frags;                  /**< mcast_frags of it: fixed for the session, so
					      made once with it, for every verdict */
	int sock;                        /**< bound to --addr:port, sending to the group */
	struct sockaddr_in dst;
	struct mcast_client *c;          /**< owned */
	size_t nc, cap;
	/** Distinct MACs with a client whose need_chunks is not 0 (a machine has a client
	 *  per partition): kept by mcast_client_need, so a verdict's "alone" is O(1). */
	size_t machines_needing;
	/* The carousel: the loop's thread only, except what the JSON and answers read. */
	unsigned int cur_part;           /**< part index of the cursor */
	uint64_t cur_chunk;              /**< the chunk being sent, or the next to consider */
	uint32_t cycle;                  /**< passes over the session */
	int have_chunk;                  /**< buf holds cur_chunk's store file */
	uint8_t *buf;                    /**< STRATA_MC_STORED_MAX bytes (owned) */
	uint32_t stored, next_frag, nfrags;
	double tokens;                   /**< the bucket, in wire bytes */
	uint64_t last_ms;
	uint32_t seq;
	uint64_t sent_dgrams, sent_bytes, sent_wire, chunks_sent;
	uint64_t cycle_ms, cycle_bytes;  /**< when this cycle began, payload sent in it */
	uint64_t send_errors;
	/** Gathering (STRATA_MC_GATHER_*): running is set once a pass starts and cleared when
	 *  nobody needs anything; a join while it is clear starts (gather_ms) or extends
	 *  (last_join_ms) the wait before the first pass. */
	int running;
	uint64_t gather_ms, last_join_ms;
};

/** The multicast side of the server. */
struct mcast {
	struct server *s;
	struct loop *loop;
	pthread_mutex_t lock;
	struct mcast_session **v;        /**< owned */
	size_t n;
	int wake_fd;                     /**< eventfd: a status was taken */
	struct loop_timer tick;
};

/** The session's position now (mcast_plan.h). */
uint64_t mcast_pos(const struct mcast_session *ss);

/** Open ss's socket (ss->ann and dst filled) for the server's --addr.  0 or
 *  STRATA_EREPORTED (logged). */
int mcast_socket_open(struct mcast_session *ss, const char *addr);

/** Arm the carousel's tick now: a status changed some needs.  Loop thread only. */
void mcast_kick(struct mcast *mc);

/** The loop's tick (mcast_send.c): send what the buckets allow, drop silent clients. */
void mcast_tick(struct loop *loop, struct loop_timer *t);

/** A client of ss joined at now: if the carousel is at rest, its first pass waits for
 *  joins to settle (mcast_send.c).  Under the lock. */
void mcast_gather_join(struct mcast_session *ss, uint64_t now);

/** Remove client i of ss (its ranges freed; its need, if any, taken out of
 *  machines_needing).  Under the lock. */
void mcast_client_drop(struct mcast_session *ss, size_t i);

/**
 * Set client c's (one of ss's) need_chunks, keeping ss->machines_needing: the only way
 * need_chunks changes, with mcast_client_drop going through it with 0.  O(1), but when c
 * starts or stops needing: then O(clients), to learn whether another client of its
 * machine needs chunks.  Under the lock.
 */
void mcast_client_need(struct mcast_session *ss, struct mcast_client *c, uint64_t need_chunks);

/**
 * Whether no client of ss on a machine other than c's needs chunks (mcast_verdict's
 * alone), from machines_needing: O(1), but when exactly one machine needs chunks and c
 * does not, then O(clients) to learn whether that machine is c's.
 */
int mcast_alone(const struct mcast_session *ss, const struct mcast_client *c);

#endif /* STRATA_MCAST_LIVE_H */
