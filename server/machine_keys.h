/*
 * Machines prove who they are: strata-server's side of machine key pinning (docs/security.md,
 * "Machine keys").  An agent asks GET /key/MAC/nonce for a single-use nonce, then registers
 * its public key with a signature over that nonce (key_parse.h has the wire form).  The
 * server pins a machine's first key when the machine has a pending order (trust on first
 * use) and writes it to the audit log; a different key later is refused, kept as pending
 * and shown in /machines.json until an admin accepts it (POST /api/accept-key/NAME).
 * While a differing key awaits acceptance the machine is not served its manifest.  A
 * verified registration of the pinned key opens the boot's session (sessions.h), signed
 * with the server's manifest key (images/core/session.h has the handshake).
 *
 * Locks: the catalog's and the state's are taken and released before the database's.
 * Ownership: every argument is borrowed for the call; every output buffer is the caller's.
 */
#ifndef STRATA_MACHINE_KEYS_H
#define STRATA_MACHINE_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "who.h"
#include "key_parse.h"
#include "server.h"

/** Room for a registration's answer line (see server_key_register). */
#define KEY_ANSWER_MAX 512

/**
 * A fresh nonce for mac as "nonce=HEX expires=SECONDS\n" into out (cap bytes).  0,
 * STRATA_ENOENT for a machine the server does not serve, STRATA_EREPORTED.
 */
int server_key_nonce(struct server *s, const uint8_t mac[6], char *out, size_t cap);

/**
 * Register r (parsed, borrowed) for mac.  On 0, out holds the verdict line the agent reads:
 * "key=pinned|known|differs|unpinned name=NAME fingerprint=HEX", and for pinned and known
 * " session=SID eph=HEX ssig=HEX" (images/core/session.h), then "\n"; the session is
 * remembered in s->sessions.  Every verified
 * registration answers 0, a differing key too, because iPXE's download protocol hands the
 * body of a failed request to nobody; the refusal itself is the manifest's (see
 * server_key_allows).  STRATA_ENOENT unknown machine, STRATA_EINVAL / STRATA_EBADSIG a
 * key, ephemeral point or signature that does not verify, STRATA_EAUTH a nonce not issued to mac, used or
 * expired, STRATA_EREPORTED.
 */
int server_key_register(struct server *s, const uint8_t mac[6], const struct key_reg *r,
			char *out, size_t cap);

/** 0 when mac may be served its manifest; STRATA_EACCES while a differing key of it awaits
 *  an admin; STRATA_EREPORTED when the database cannot say (refused too). */
int server_key_allows(struct server *s, const uint8_t mac[6]);

/**
 * Accept the pending keys of the machines who names (a name, a MAC, "all", or a
 * comma-separated list of those), ordered by the credential named by; each acceptance is
 * audited.  Returns how many keys it accepted, or STRATA_EREPORTED.
 */
int server_accept_keys(struct server *s, const char *who, const struct who *by);

/** mac's key state as a JSON member `, "key": {...}` on f.  Call with no database lock. */
void server_key_json(FILE *f, struct server *s, const uint8_t mac[6]);

#endif /* STRATA_MACHINE_KEYS_H */
