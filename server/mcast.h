/*
 * strata-server's multicast sessions (docs/multicast.md, "The server"): one per inventory
 * profile with multicast=yes, carrying its public layers to a group at a fixed rate,
 * chunk by chunk, only the chunks some live client still needs.
 *
 * Who runs what.  The carousel (mcast_send.c) runs on the main loop: a 1 ms tick while a
 * session has work, nothing while none has (an eventfd written by a status wakes it).
 * Clients' statuses arrive on HTTP threads (mcast_status).  Both meet under mc->lock,
 * which is taken alone, never with another of the server's locks held (server.h's order
 * is unchanged).  Sessions are made from the catalog at start and after each reload
 * (mcast_sync, on the loop); a session whose id the new catalog still announces keeps its
 * clients and counters.
 *
 * Trust.  A status is a POST signed by a session of its machine, its body covered by b=
 * (http_mcast.c checks both); this file checks the status against the machine's own
 * signed manifest: its session id, its parts, its layers.  Nothing a client says can make
 * the carousel send anything but the session's own chunks, at the admin's rate.
 */
#ifndef STRATA_MCAST_SERVER_H
#define STRATA_MCAST_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "manifest.h"
#include "mcast_status.h"

struct server;
struct loop;
struct mcast;

/** A client silent this long is dropped (its needs no longer count). */
#define MCAST_CLIENT_TIMEOUT_MS 30000
/** Shortest time between two statuses of one client (a faster one gets 503). */
#define MCAST_STATUS_MIN_MS 500
/** The report interval answers ask for. */
#define MCAST_REPORT_MS 2000

/**
 * Start the multicast side of s on loop (the main loop): the wake eventfd and the tick,
 * then the sessions of s's catalog (mcast_sync).  *out is owned by the caller
 * (mcast_close).  0 or STRATA_EREPORTED.
 */
int mcast_open(struct server *s, struct loop *loop, struct mcast **out);

/** Stop sending, close every session's socket and free everything.  NULL is fine. */
void mcast_close(struct mcast *mc);

/**
 * Make the sessions the server's catalog announces (one per multicast profile, from
 * mcast_plan_session), keeping live ones whose id is unchanged and closing the others.
 * On the loop's thread; takes the catalog's read lock, then (after releasing it)
 * mc->lock.  A session whose socket or layers cannot be opened is logged and left out:
 * its clients are told GONE and fetch by HTTP.
 */
void mcast_sync(struct mcast *mc);

/** Outcomes of mcast_status besides 0 (an answer written). */
enum mcast_refusal {
	MCAST_BAD_BODY = 1,        /**< the body does not parse: 400 */
	MCAST_NOT_YOURS = 2,       /**< another profile's session, a part or layer not in
				        the machine's session: 409 */
	MCAST_TOO_SOON = 3,        /**< under MCAST_STATUS_MIN_MS since the last: 503 */
};

/**
 * A status of machine mac (body[0..len), hostile, borrowed), whose signed manifest is mf
 * (parsed by the caller from the catalog's copy).  Updates the client's needs (JOIN or any
 * status adds it; DONE or UNICAST removes it) and writes the answer into answer: STAY,
 * REPAIR (fetch the rest by HTTP now), or GONE (no such session any more, or none for
 * this machine).  0, or an enum mcast_refusal with *why (static, or diag's message in
 * why_buf of cap bytes) for the answer's body.
 */
int mcast_status(struct mcast *mc, const uint8_t mac[6], const struct strata_manifest *mf,
		 const void *body, size_t len, uint8_t answer[STRATA_MC_ANSWER_LEN],
		 char *why_buf, size_t cap);

/** The sessions' state as JSON (a new string, the caller's; NULL without memory):
 *  per session its profile, group, port, id, rate, cycle, cursor, bytes and datagrams
 *  sent, and its clients with their needs. */
char *mcast_json(struct mcast *mc);

#endif /* STRATA_MCAST_SERVER_H */
