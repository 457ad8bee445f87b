/*
 * Secure Boot as strata-server sees it: the PC's state its agent reports (sb= of
 * /report/MAC: enforcing, setup, off), and the PC whose firmware refused the agent.
 *
 * Why the second: firmware that refuses an image (Secure Boot, a db without the lab's
 * key) says so only on the PC's screen, and iPXE says "Exec format error".  The server
 * does see the PC fetch strata.efi (its MAC from the kernel's neighbour table: the lab is
 * one Ethernet segment), and then never hears from the agent (no /key/ registration, no
 * report).  After BOOT_WATCH_SILENT_S the JSON view says so, naming the time and the
 * likely cause.  Kept in memory only: a restart forgets what was in flight.
 */
#ifndef STRATA_BOOT_WATCH_H
#define STRATA_BOOT_WATCH_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include "server.h"
#include "state.h"

/** Seconds of silence after the fetch before the note appears: a started agent registers
 *  within a few seconds, even under emulation. */
#define BOOT_WATCH_SILENT_S 30

/** The MAC of IPv4 peer addr from /proc/net/arp (a complete entry).  0 or STRATA_ENOENT. */
int neigh_mac(const struct sockaddr *addr, uint8_t mac[6]);

/** peer fetched boot file name over HTTP: when it is strata.efi and the peer a served
 *  machine, remember when.  Takes the catalog and state locks. */
void boot_watch_fetched(struct server *s, const struct sockaddr *peer, const char *name);

/** mac's agent spoke (a key registration or a report): it started.  Takes the state lock. */
void boot_watch_agent(struct server *s, const uint8_t mac[6]);

/**
 * Record the Secure Boot state mac's agent reported.  0, or STRATA_EINVAL for a word other
 * than enforcing, setup or off.  Takes the state lock.
 */
int boot_watch_secure_boot(struct server *s, const uint8_t mac[6], const char *word);

/** The JSON members for st (", \"secure_boot\": ..." and, when due, ", \"note\": ...") of
 *  machine name, at time now.  Call with the state lock. */
void boot_watch_json(FILE *f, const char *name, const struct mstate *st, time_t now);

#endif /* STRATA_BOOT_WATCH_H */
