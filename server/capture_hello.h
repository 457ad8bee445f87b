/*
 * The server's side of a capture task's hello (docs/capture.md, "Sealed uploads";
 * images/core/session.h has the handshake): the upload keys the hellos agreed, one per
 * task, in memory only.
 *
 * Why in memory: a key lives for one client's run.  A restarted server forgets them all;
 * a sealed upload then gets 403 saying to send a hello again, and strata-image does so.
 * Nothing of the key reaches the database.  A new hello of a task replaces its key, so one
 * client uploads for a task at a time.
 *
 * Replay: each task keeps the SHA-256 of the last HELLOS_SEEN client points it answered,
 * and a hello with one of them is refused (STRATA_ESTALE: 409), so a recorded hello
 * replayed cannot replace the key of the client that sent it.  (Nor could the replayer use
 * the key: it lacks the client's ephemeral secret.)
 *
 * Bounds: HELLOS_MAX tasks in all; a full table replaces the least recently used.  One
 * mutex; lookups scan the table (1024 entries, microseconds).
 */
#ifndef STRATA_CAPTURE_HELLO_H
#define STRATA_CAPTURE_HELLO_H

#include <stddef.h>
#include <stdint.h>
#include "key_reg.h"
#include "session.h"

struct server;

#define HELLOS_MAX 1024     /**< tasks with an upload key at once */
#define HELLOS_SEEN 16      /**< client points remembered per task, against replays */

struct capture_hellos;

/** A table of cap tasks' upload keys.  0 with *out (freed with capture_hellos_free), or
 *  STRATA_ENOMEM. */
int capture_hellos_new(size_t cap, struct capture_hellos **out);

/** Free t, wiping every key in it.  NULL is fine. */
void capture_hellos_free(struct capture_hellos *t);

/** What the server answers a hello: its ephemeral point and its signature. */
struct capture_hello_answer {
	uint8_t eph[STRATA_KEY_PUB_LEN];
	uint8_t sig[STRATA_KEY_SIG_MAX];      /**< DER, over strata_session_hello_digest */
	size_t sig_len;
};

/**
 * Answer the hello of the task whose session is task (borrowed) with the client's point
 * client: a fresh ephemeral key, its ECDH with client, the upload key
 * (strata_session_hello_derive) remembered for the task, and the manifest key's signature
 * into *out.  0; STRATA_EINVAL a point off the curve; STRATA_ESTALE a client point this
 * task's hello had before (a replay: nothing changes); STRATA_EREPORTED.
 */
int capture_hello(struct server *s, const struct strata_session_keys *task,
		  const uint8_t client[STRATA_KEY_PUB_LEN], struct capture_hello_answer *out);

/**
 * Remember key (copied) as the upload key of the task named sid, agreed with the client
 * point client: replaces the task's key, or takes a slot (a full table's least recently
 * used).  0, or STRATA_ESTALE, changing nothing, when one of the task's last HELLOS_SEEN
 * hellos had that point.  capture_hello's last step; apart so the table is tested alone.
 */
int capture_hellos_put(struct capture_hellos *t, const uint8_t sid[STRATA_SESSION_SID_LEN],
		       const uint8_t client[STRATA_KEY_PUB_LEN], const uint8_t key[32]);

/** The upload key of the task named sid into key (the caller's; it wipes it).  0, or
 *  STRATA_ENOENT when the task said no hello since the server started. */
int capture_hello_key(struct capture_hellos *t, const uint8_t sid[STRATA_SESSION_SID_LEN],
		      uint8_t key[32]);

#endif /* STRATA_CAPTURE_HELLO_H */
