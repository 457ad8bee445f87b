/*
 * Capture orders and their task tokens (docs/capture.md).
 *
 * An admin orders a capture of one machine (POST /api/capture/NAME); the server opens a
 * capture task for it and answers the task's token: 32 random bytes, as hex.  The token is
 * the authority of one task only: a machine that never network-boots hands it to
 * strata-image.  It is void once the task ends, and an admin ends a task at will (POST
 * /api/capture-cancel/NAME).  The database keeps only its SHA-256 (capture_tasks.token),
 * so a copy of the database or a backup gives no live token away; the token is never
 * logged.  A machine has at most one open task, so an order never silently replaces
 * another.  Every order and cancellation is audited (audit.h) in the transaction that
 * opens or ends the task.
 */
#ifndef STRATA_CAPTURE_H
#define STRATA_CAPTURE_H

#include "capture_parse.h"

struct server;

/** Bytes of a task's token, and room for its hex with the NUL. */
#define CAPTURE_TOKEN_LEN 32
#define CAPTURE_TOKEN_HEX (2 * CAPTURE_TOKEN_LEN + 1)

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
			 const char *by, struct capture_ticket *out, const char **why);

/**
 * End the open capture task of the machine who names, as cancelled, for by: its token is
 * void from then on.  0; STRATA_ENOENT when who names no machine or it has no open task;
 * STRATA_EINVAL when who names several; STRATA_EREPORTED.
 */
int server_capture_cancel(struct server *s, const char *who, const char *by);

#endif /* STRATA_CAPTURE_H */
