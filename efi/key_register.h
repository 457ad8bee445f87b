/*
 * The machine key's registration with the server (docs/security.md, "Machine keys"):
 * GET /key/MAC/nonce, then GET /key/MAC?pub=&nonce=&sig=, and the server's verdict.  Only
 * the protocol: agent.c decides what a verdict means for the run.
 */
#ifndef STRATA_EFI_KEY_REGISTER_H
#define STRATA_EFI_KEY_REGISTER_H

#include <stddef.h>
#include <stdint.h>
#include "fetch.h"
#include "key_reg.h"

/** The server's verdict on a registration. */
enum key_verdict {
	KEY_PINNED = 0,    /**< first key, pinned now */
	KEY_KNOWN,         /**< the pinned key */
	KEY_UNPINNED,      /**< no key pinned and no pending order: nothing stored */
	KEY_DIFFERS,       /**< another key is pinned: an admin must accept this one */
};

/**
 * Register pub (borrowed; the loaded machine key's) for mac ("52:54:..") with the server
 * at server (a base URL) through f.  The verdict into *v and the machine's name into name
 * (cap bytes).  0, or an rc when the server refused or answered nonsense (logged).
 */
int key_register(struct fetcher *f, const char *server, const char *mac,
		 const uint8_t pub[STRATA_KEY_PUB_LEN], enum key_verdict *v, char *name,
		 size_t cap);

#endif /* STRATA_EFI_KEY_REGISTER_H */
