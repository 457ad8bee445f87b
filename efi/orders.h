/*
 * The server's orders line (GET /agent/MAC, docs/capture.md "Orders and the PXE script"),
 * read into what the run does: deploy, capture, or nothing.
 *
 * Why a file of its own: it is the one place strata.efi turns the server's words into a
 * decision (overwrite the disk, upload it, or leave it), and it calls no firmware, so it
 * is unit-tested on the host (tests/unit/test_efi_orders.c).
 */
#ifndef STRATA_EFI_ORDERS_H
#define STRATA_EFI_ORDERS_H

#include "manifest.h"

/** What an orders line asks of this run.  The caller's; filled by orders_parse. */
struct orders {
	int capture;                 /**< action=capture */
	int gold;                    /**< kind=gold (else kind=machine) */
	int then_local;              /**< then=local: after the capture, boot the disk (an
					  interval capture); else reboot */
	int force;                   /**< force=yes: an unsafe filesystem is captured whole,
					  forced, and its commit says force=yes */
	char profile[64];            /**< gold: profile=NAME */
	char labels[STRATA_MAX_PARTS * (STRATA_LABEL_MAX + 1)]; /**< machine: parts=, gold:
					  private= (comma-separated labels) */
};

/**
 * Read the orders line (NUL-terminated, or ended by its first '\n'; borrowed) into *o,
 * cleared first.  Words are key=value separated by single spaces; unknown keys are
 * ignored, and values are only copied (cut to their field) or compared.  0 for a
 * deployment (action=deploy) or a capture (o->capture), 1 when there is nothing to do
 * (action=none, or any other action), STRATA_ENOTSUP (logged) for a capture of a kind
 * this strata.efi does not know.
 */
int orders_parse(struct orders *o, const char *line);

#endif /* STRATA_EFI_ORDERS_H */
