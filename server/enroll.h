/*
 * The enroll order (INV_ACTION_ENROLL): a machine's next network boot runs
 * strata-enroll.efi instead of strata.efi, once, so a lab enrolls its Secure Boot keys on
 * a room of PCs in setup mode by network boot (docs/secure-boot.md).  Given by
 * `action=enroll` on the machine's inventory line or by POST /api/enroll/NAME (audited
 * like every order).
 *
 * Why the order is used up when the enroller is handed out, not when it reports: the
 * enroller has no machine key and reports nothing, and a PC it enrolled resets at once,
 * so its next boot must already get its usual script (a deployment pending, or its local
 * disk); an enroller that runs again on an enrolled PC only refuses.  Handed out means:
 * the server served the machine's enroll script (iPXE: server_script), or served
 * /boot/strata-enroll.efi to it (UEFI HTTP Boot, which the proxyDHCP sends there while
 * the order is pending; its MAC from the neighbour table, as boot_watch.h).  An
 * enrollment that failed needs a new order.
 */
#ifndef STRATA_ENROLL_H
#define STRATA_ENROLL_H

#include <stdint.h>
#include <sys/socket.h>
#include "server.h"

/** The file the order hands out, in ROOT/boot/. */
#define ENROLL_FILE "strata-enroll.efi"

/**
 * Whether mac has an enroll order pending and no capture task open (a capture comes
 * first, as before a deployment): the proxyDHCP's question for UEFI HTTP Boot clients
 * (dhcp.h, enroll_wanted).  Takes the state lock.
 */
int enroll_pending(struct server *s, const uint8_t mac[6]);

/**
 * Use up mac's enroll order: its pending action becomes none, stored with the outcome
 * how (borrowed: "enroll script served", "strata-enroll.efi fetched") on its open audit
 * rows, in one transaction.  1 when it was pending, 0 when not, or a negative rc from the
 * database (memory is then unchanged).  Takes the state lock.
 */
int enroll_consume(struct server *s, const uint8_t mac[6], const char *how);

/** peer fetched boot file name over HTTP: when it is strata-enroll.efi and the peer's MAC
 *  has an enroll order, use the order up.  Takes the state lock. */
void enroll_fetched(struct server *s, const struct sockaddr *peer, const char *name);

#endif /* STRATA_ENROLL_H */
