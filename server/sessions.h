/*
 * Machines' sessions on strata-server (docs/security.md, "Machine keys"): the keys a
 * registration agreed (images/core/session.h), and the check of every signed request.
 *
 * Why in memory only: a session lives for one boot of a machine.  A restarted server
 * forgets them all; each agent then gets 401 on its next request, registers again (one
 * handshake) and retries.  Nothing secret ever reaches the database.
 *
 * Bounds, so no client grows it: at most SESSIONS_PER_MACHINE per machine (a new one
 * replaces the machine's least recently used), at most the table's cap in all (a full
 * table replaces the least recently used of all, expired ones first), and a session not
 * used for SESSIONS_IDLE_S seconds is gone.  Only a holder of a machine's pinned key can
 * open a session, so only such a holder can make another machine's session be replaced.
 *
 * Replay: each session keeps the highest counter n it accepted and a 64-bit bitmap of the
 * 64 counters below it.  A single-use request (a report: it changes state) is refused when
 * its n was seen or is older than that window.  A read (orders, the manifest, private
 * layers) may repeat an n inside the window: strata.efi's fetch layer retries and resumes
 * with Range on the same URL, and a repeat answers what the same URL already answered.
 *
 * Lookups scan the table (4096 entries, microseconds) under one mutex.
 */
#ifndef STRATA_SESSIONS_H
#define STRATA_SESSIONS_H

#include <stddef.h>
#include <stdint.h>
#include "key_reg.h"
#include "session.h"

struct server;

#define SESSIONS_MAX 4096          /**< sessions in all (about 200 bytes each) */
#define SESSIONS_PER_MACHINE 4     /**< a few boots' worth of one machine */
#define SESSIONS_IDLE_S 3600       /**< a session unused for an hour is forgotten */

/** What a request does, which decides whether its n may repeat. */
enum session_use {
	SESSION_READ = 0,          /**< answers the same bytes again: n may repeat */
	SESSION_ONCE,              /**< changes state: each n counts once */
};

struct sessions;

/**
 * A table of cap sessions, per_machine for one machine, forgotten idle_s seconds after
 * their last use.  0 with *out (the caller's, freed with sessions_free), or STRATA_ENOMEM.
 */
int sessions_new(size_t cap, unsigned int per_machine, int64_t idle_s, struct sessions **out);

/** Free t and wipe every key in it.  NULL is fine. */
void sessions_free(struct sessions *t);

/**
 * Remember session k (copied) of mac, opened at now for the machine key pub (copied).
 * Evicts as the bounds above say; never fails.
 */
void sessions_add(struct sessions *t, const uint8_t mac[6], const uint8_t pub[STRATA_KEY_PUB_LEN],
		  const struct strata_session_keys *k, int64_t now);

/**
 * Check a request of mac: method and pq[0..len) (its raw path and query, as sent).
 *   0                 signed by a live session of mac: its keys copied into *keys_out and
 *                     its counter into *n_out (either may be NULL), the session's use noted
 *   STRATA_EAUTH      no session parameters, or a session unknown or expired (401: the
 *                     agent registers again)
 *   STRATA_EINVAL     session parameters malformed (400)
 *   STRATA_EACCES     a session of another machine (403)
 *   STRATA_EBADSIG    a wrong tag (403)
 *   STRATA_ESTALE     a single-use n seen before, or n older than the window (409)
 * A failed check changes nothing.  The caller wipes *keys_out when done.
 */
int sessions_check(struct sessions *t, const uint8_t mac[6], const char *method, const char *pq,
		   size_t len, enum session_use use, int64_t now,
		   struct strata_session_keys *keys_out, uint64_t *n_out);

/**
 * sessions_check for a request whose path names no machine (a capture task's routes,
 * docs/capture.md): the session its sid names decides which machine signed, and its MAC
 * goes into mac_out, its keys into *keys_out (the caller wipes them) and the request's
 * counter into *n_out (either may be NULL).  Same returns, but never STRATA_EACCES.
 */
int sessions_check_sid(struct sessions *t, const char *method, const char *pq, size_t len,
		       enum session_use use, int64_t now, uint8_t mac_out[6],
		       struct strata_session_keys *keys_out, uint64_t *n_out);

/** Forget every session of mac: its pinned key changed (an admin accepted a new one). */
void sessions_drop_machine(struct sessions *t, const uint8_t mac[6]);

/** How many sessions t holds that are live at now (for tests and logs). */
size_t sessions_count(struct sessions *t, int64_t now);

/**
 * The server's check of a read request of mac (orders, the manifest, private layers), at
 * the current time: sessions_check with SESSION_READ on s's table.  path_query is the raw
 * path and query, NUL-terminated.  Same returns; *keys_out (the caller's) gets a copy of
 * the session's keys, which the caller wipes (strata_wipe) when done.
 */
int server_session_check(struct server *s, const uint8_t mac[6], const char *method,
			 const char *path_query, struct strata_session_keys *keys_out,
			 uint64_t *n_out);

/** The same for a request that changes state (a report): each n is taken once. */
int server_session_once(struct server *s, const uint8_t mac[6], const char *method,
			const char *path_query, uint64_t *n_out);

/** The kernel's random generator in core/crypto.h's strata_rng_fn shape (ctx unused). */
int server_rng(void *ctx, unsigned char *out, size_t len);

#endif /* STRATA_SESSIONS_H */
