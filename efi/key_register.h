/*
 * The machine key's registration with the server, which opens this boot's session
 * (images/core/session.h has the handshake; docs/security.md, "Machine keys"):
 * GET /key/MAC/nonce, then GET /key/MAC?pub=&eph=&nonce=&sig=, the server's verdict and,
 * for a pinned or known key, the session it signed.  Only the protocol: agent.c decides
 * what a verdict means for the run.
 */
#ifndef STRATA_EFI_KEY_REGISTER_H
#define STRATA_EFI_KEY_REGISTER_H

#include <stddef.h>
#include <stdint.h>
#include "fetch.h"
#include "key_answer.h"
#include "key_reg.h"
#include "session.h"

/**
 * Register pub (borrowed; the loaded machine key's, which signs) for mac ("52:54:..") with
 * the server at server (a base URL) through f.  The verdict into *v and the machine's name
 * into name (cap bytes).  For a pinned or known key, the session's keys into *keys (the
 * caller's; it wipes them when done) once the server's signature over them verified with
 * the built-in manifest key, and *has_session = 1; else *has_session = 0.  The ephemeral
 * private scalar and the ECDH secret are wiped before this returns.  0, or an rc when the
 * server refused, answered nonsense or did not prove itself (logged).
 */
int key_register(struct fetcher *f, const char *server, const char *mac,
		 const uint8_t pub[STRATA_KEY_PUB_LEN], enum key_verdict *v, char *name,
		 size_t cap, struct strata_session_keys *keys, int *has_session);

#endif /* STRATA_EFI_KEY_REGISTER_H */
