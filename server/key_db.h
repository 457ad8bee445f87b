/*
 * The database rows of machine keys (db.c, schema steps 2 and 3): the single-use nonces a
 * registration signs, and each machine's pinned key with the differing key it presented
 * last, awaiting an admin.  Rows only: what to pin and when is server/machine_keys.c's.
 *
 * Why nonces in the database: a nonce must be usable once even across a restart, and
 * expire; a table with its expiry makes both one DELETE.
 *
 * Ownership: every argument is borrowed for the call; every output buffer is the caller's.
 */
#ifndef STRATA_KEY_DB_H
#define STRATA_KEY_DB_H

#include <stdint.h>
#include "db.h"
#include "key_parse.h"

/** How long a nonce stays valid (s): one registration round trip, with slack for TCG. */
#define KEY_NONCE_TTL 120
/** Most nonces outstanding per machine: a flood of requests for one MAC replaces its own
 *  nonces and cannot grow the table. */
#define KEY_NONCES_PER_MAC 4

/** A machine's key row.  Zeroed (no key) when the machine has none. */
struct key_row {
	int pinned;                      /**< 1 when pub holds the pinned key */
	uint8_t pub[KEY_PUB_LEN];
	int64_t pinned_at;
	int pending;                     /**< 1 when other holds a differing key */
	uint8_t other[KEY_PUB_LEN];
	int64_t pending_at;
	int awaiting;                    /**< 1: a replacement's row (key_await): no key is
					      pinned, and any key presented waits for an admin */
};

/**
 * Make a random nonce for mac (text "52:54:..."), valid until now + KEY_NONCE_TTL, into
 * out; drop expired nonces and mac's oldest beyond KEY_NONCES_PER_MAC.  Runs its own
 * transaction.  0 or STRATA_EREPORTED.
 */
int key_nonce_issue(struct db *d, const char *mac, int64_t now, uint8_t out[KEY_NONCE_LEN]);

/**
 * Use up nonce for mac: 0 when it was issued to mac and has not expired at now,
 * STRATA_EAUTH otherwise (unknown, used, expired or another machine's).  Deleted either way.
 * Call between db_begin and db_end.
 */
int key_nonce_take(struct db *d, const char *mac, const uint8_t nonce[KEY_NONCE_LEN],
		   int64_t now);

/** Read mac's row into *out (zeroed when none).  0 or STRATA_EREPORTED. */
int key_row_get(struct db *d, const char *mac, struct key_row *out);

/**
 * The MACs (text, into macs) of up to cap machines with a differing key awaiting an admin,
 * so an acceptance can reach machines that no inventory line names (those served under
 * the default profile).  The count found, or STRATA_EREPORTED.
 */
int key_pending_macs(struct db *d, char (*macs)[18], int cap);

/** Pin pub as mac's key at now, dropping any pending one.  Between db_begin and db_end. */
int key_pin(struct db *d, const char *mac, const uint8_t pub[KEY_PUB_LEN], int64_t now);

/** Record pub as the differing key mac presented at now.  Between db_begin and db_end. */
int key_set_pending(struct db *d, const char *mac, const uint8_t pub[KEY_PUB_LEN], int64_t now);

/**
 * Make mac's row one that pins no key and awaits one (db.c step 9): a machine replaced by
 * a new PC with this MAC (replace.h).  Why not trust on first use: whoever registers
 * first would get the old PC's private data; the first key presented is kept pending
 * until an admin accepts it (POST /api/accept-key/NAME), and key_pin clears the mark.
 * Drops any key the MAC had before.  Between db_begin and db_end.
 */
int key_await(struct db *d, const char *mac, int64_t now);

/** Drop mac's key row: a MAC retired by a replacement is an unknown machine again, and
 *  the old PC's key opens no session for it.  Between db_begin and db_end. */
int key_forget(struct db *d, const char *mac);

#endif /* STRATA_KEY_DB_H */
