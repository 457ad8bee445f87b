/*
 * Capture orders and their task tokens (docs/capture.md).
 *
 * An admin orders a capture of one machine (POST /api/capture/NAME); the server opens a
 * capture task for it and answers the task's token: 32 random bytes, as hex.  The token is
 * the authority of one task only: a machine that never network-boots hands it to
 * strata-image, which signs its requests with the task's session
 * (strata_session_task_derive), so the token never crosses the wire again.  It is void
 * once the task ends, and an admin ends a task at will (POST /api/capture-cancel/NAME).
 * The token is HMAC-SHA-256(STATE/capture.key, tag || nonce) for a random nonce: the
 * database keeps the nonce and the task session's id, never the token, so a copy of the
 * database or a backup gives no live token away; the token is never logged.  A machine has at most one open task, so an order never silently replaces
 * another.  Every order and cancellation is audited (audit.h) in the transaction that
 * opens or ends the task.
 */
#ifndef STRATA_CAPTURE_TASK_H
#define STRATA_CAPTURE_TASK_H

#include "who.h"
#include "capture_parse.h"
#include "session.h"
#include "sessions.h"

struct server;
struct db;

/** Bytes of a task's token, and room for its hex with the NUL. */
#define CAPTURE_TOKEN_LEN STRATA_SESSION_TOKEN_LEN
#define CAPTURE_TOKEN_HEX (2 * CAPTURE_TOKEN_LEN + 1)
/** Bytes of the random nonce a task's token is made from. */
#define CAPTURE_NONCE_LEN 16
/** Domain separation of the token: HMAC-SHA-256(capture key, tag || nonce). */
#define CAPTURE_TOKEN_TAG "strata-capture-token-v1"

/** A capture task, as a request signed with its token finds it. */
struct capture_task {
	int64_t id;                      /**< its capture_tasks row */
	char mac[18];
	enum capture_kind kind;
	char profile[INV_NAME_MAX + 1];  /**< gold: the profile it becomes, else "" */
	int open;                        /**< 0 once the task ended (cancelled) */
	int force;                       /**< the order said force=yes (its orders line does) */
};

/**
 * Read STATE/capture.key into s->capture_key, making it (32 random bytes, mode 0600) on
 * first start.  Why a key: the token is remade from the task's nonce with it when a
 * request of the task comes, so the database never holds the token, and a copy of the
 * database without this file holds nothing that signs a task's requests.  Called before
 * the server drops its privileges.  0 or STRATA_EREPORTED.
 */
int capture_key_open(struct server *s);

/**
 * The task whose session id is sid (strata_session_task_derive of its token), with its
 * session's keys, remade from its nonce and the capture key.  0 with *task and *keys
 * (the caller's; the caller wipes keys); STRATA_EAUTH when no task has sid;
 * STRATA_EREPORTED.
 */
int capture_task_find(struct server *s, const uint8_t sid[STRATA_SESSION_SID_LEN],
		      struct capture_task *task, struct strata_session_keys *keys);

/**
 * The open task of the machine mac ("52:54:00:12:34:56"), for a request strata.efi signed
 * with that machine's session: the machine acts for its own open task.  0 with *task (the
 * caller's); STRATA_ENOENT when it has none; STRATA_EREPORTED.
 */
int capture_task_of_mac(struct server *s, const char *mac, struct capture_task *task);

/**
 * The labels of mac's profile a capture of kind treats specially, comma-separated into out
 * (cap bytes): for a machine capture the capture=yes parts (what it takes), for a gold
 * capture the private ones it leaves out besides CIDATA (capture=yes and policy=preserve).
 * Why in the orders: the manifest strata.efi verifies says nothing of capture=.  "" when
 * the machine's profile has none (or the machine is served by the default).  0, or
 * STRATA_ERANGE when they do not fit.  Takes the catalog's read lock.
 */
int capture_labels(struct server *s, const uint8_t mac[6], enum capture_kind kind, char *out,
		   size_t cap);
/** Task sessions the server remembers at once (their replay windows), and how many of one
 *  machine's (an old task's is replaced by the machine's next). */
#define CAPTURE_SESSIONS_MAX 1024
#define CAPTURE_SESSIONS_PER_MACHINE 2

/**
 * Check a request of task t signed with its session k (capture_task_find): method and pq
 * (the raw path and query, NUL-terminated) against the tag, and, while the task is open,
 * its counter n against the task session's replay window.  The window is sessions.c's
 * (s->task_sessions: a table of task sessions keyed by the task's machine, added on its
 * first verified request): a write (use SESSION_ONCE: chunk, commit, done) takes each n
 * once, a read (SESSION_READ: task, need) may repeat one inside the window, and an n older
 * than the window is refused.  Like machine sessions it lives in memory only: a restarted
 * server, or a task session idle for SESSIONS_IDLE_S, starts a new window, and what a
 * replay can then do is bounded by the records (a chunk present, a part committed once, a
 * task ended).  0, STRATA_ENOENT / STRATA_EINVAL (no or malformed session parameters),
 * STRATA_EBADSIG, STRATA_ESTALE (a replayed or too old n), STRATA_EREPORTED.
 */
int capture_task_verify(struct server *s, const struct capture_task *t,
			const struct strata_session_keys *k, const char *method, const char *pq,
			enum session_use use);

/** What an accepted order names, for its answer. */
struct capture_ticket {
	char name[INV_NAME_MAX + 1];      /**< the machine */
	char mac[18];
	char token[CAPTURE_TOKEN_HEX];    /**< hex; a secret: the caller wipes it when sent */
};

/**
 * Open a capture task o on the one machine who names (its name or MAC) for the credential
 * by (borrowed).  0 with *out filled (the caller's); STRATA_ENOENT when who names no
 * machine, STRATA_EINVAL when it names several ("all") or, with *why (static) set, when o
 * is a machine capture and the machine's profile marks no part capture=yes;
 * STRATA_ESTALE when the machine already has an open task, STRATA_EREPORTED.
 */
int server_capture_order(struct server *s, const char *who, const struct capture_order *o,
			 const struct who *by, struct capture_ticket *out, const char **why);

/** Why a capture order or cancellation failed with rc, when it gave no why: for an
 *  answer's body or a log line (static). */
const char *capture_order_why(int rc);

/**
 * Open the capture task an inventory line (m, of the inventory at path; both borrowed)
 * orders with action=capture, for the credential "inventory": as server_capture_order,
 * once, when the line's action became capture.  The token is wiped unseen (the agent acts
 * for the task with the machine's own session); a refusal (a task already open, a profile
 * that exists) is logged naming the line, and the line is not tried again until its
 * action changes.
 */
void capture_inventory_order(struct server *s, const struct inv_machine *m,
			     const char *path);

/**
 * End the open capture task of the machine who names, as cancelled, for by: its token is
 * void from then on.  0; STRATA_ENOENT when who names no machine or it has no open task;
 * STRATA_EINVAL when who names several; STRATA_EREPORTED.
 */
int server_capture_cancel(struct server *s, const char *who, const struct who *by);

/**
 * End mac's open capture task, if it has one, as failed with msg (the agent's report,
 * sanitised, borrowed): its agent reported phase=failed.  Run in the transaction that
 * stores the machine's failed state (server_report), so the two agree.  0 (also with no
 * open task) or STRATA_EREPORTED.
 */
int capture_task_fail(struct db *d, const uint8_t mac[6], const char *msg);

#endif /* STRATA_CAPTURE_TASK_H */
