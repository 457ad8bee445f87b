/*
 * The server's answer to a registration (images/core/session.h has the handshake), parsed
 * with no firmware in it, so it is fuzzed (tests/fuzz/fuzz_key_answer.c) and unit-tested
 * on the host.  The answer comes off the network: nothing in it is trusted until the
 * session's signature is checked (key_register.c).
 */
#ifndef STRATA_KEY_ANSWER_H
#define STRATA_KEY_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include "key_reg.h"
#include "session.h"

/** The server's verdict on a registration. */
enum key_verdict {
	KEY_PINNED = 0,    /**< first key, pinned now */
	KEY_KNOWN,         /**< the pinned key */
	KEY_UNPINNED,      /**< no key pinned and no pending order: nothing stored */
	KEY_DIFFERS,       /**< another key is pinned: an admin must accept this one */
};

/** Room for the machine's name, with its NUL. */
#define KEY_NAME_MAX 64

/** An answer line's fields.  The session's are set only when has_session. */
struct key_answer {
	enum key_verdict v;
	char name[KEY_NAME_MAX];
	int has_session;
	uint8_t sid[STRATA_SESSION_SID_LEN];
	uint8_t eph[STRATA_KEY_PUB_LEN];      /**< the server's ephemeral point */
	uint8_t ssig[STRATA_KEY_SIG_MAX];     /**< DER, over strata_session_srv_digest */
	size_t ssig_len;
};

/**
 * Parse line[0..len) (one line, its newline optional):
 * "key=VERDICT name=NAME fingerprint=HEX[ session=SID eph=HEX ssig=HEX]", words separated
 * by one space.  Unknown words are skipped (a newer server may add some); the session's
 * three come all or none, and pinned and known must carry them.  0 with out filled, or
 * STRATA_EINVAL.  Borrows line.
 */
int key_answer_parse(const char *line, size_t len, struct key_answer *out);

#endif /* STRATA_KEY_ANSWER_H */
