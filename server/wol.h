/*
 * Wake-on-LAN: the magic packets that switch a room's PCs on before an order reaches them
 * (docs/wol.md).
 *
 * Who runs what.  HTTP threads (POST /api/wake, an order's action=wake, a scheduled order's
 * "wake first") only enqueue MACs with wol_wake; the main loop sends, from one UDP socket
 * with SO_BROADCAST bound to --addr, to port 9 of each target: the directed broadcast of
 * --addr's interface (getifaddrs, at start), or every address of --wol-broadcast.  Each
 * MAC's packet goes WOL_REPEAT times, WOL_REPEAT_MS apart (a switch port waking up, or a
 * NIC in a low-power state, drops the first), at most WOL_RATE_PER_S packets a second, so
 * a lab of a thousand PCs never floods its segment.  An eventfd wakes the loop; its timer
 * runs only while packets wait.
 *
 * Why a directed broadcast, not the limited one (255.255.255.255): the socket is bound to
 * --addr, so the kernel picks that interface's route, and a site behind a router is
 * reached through its own broadcast address (the site's wol=), which its router must
 * forward
 * (docs/wol.md says how).  No SO_BINDTODEVICE: the server is unprivileged by then.
 *
 * Lock order: the catalog's read lock (to find each machine's site) is released before
 * wol's own lock is taken; wol's lock is held alone.
 */
#ifndef STRATA_WOL_H
#define STRATA_WOL_H

#include <stddef.h>
#include <stdint.h>
#include "who.h"

struct server;
struct loop;
struct wol;

/** A magic packet: 6 bytes of FF, then the MAC 16 times. */
#define WOL_PACKET_LEN 102
/** Times each MAC's packet is sent, and the gap between two. */
#define WOL_REPEAT 3
#define WOL_REPEAT_MS 100
/** Packets sent a second at most (all targets counted). */
#define WOL_RATE_PER_S 1000
/** MACs waiting at most; a wake beyond it is refused (STRATA_ELIMIT), not dropped. */
#define WOL_QUEUE_MAX 4096
/** Broadcast addresses of --wol-broadcast at most. */
#define WOL_TARGETS_MAX 16
/** The UDP port magic packets go to (the "discard" port every WoL tool uses). */
#define WOL_PORT 9

/** mac's magic packet into out (the caller's).  Pure. */
void wol_packet(uint8_t out[WOL_PACKET_LEN], const uint8_t mac[6]);

/**
 * Parse --wol-broadcast's "A.B.C.D[,...]" into out (IPv4, host byte order, cap entries):
 * single addresses only, no /N.  0 with *n set; STRATA_EINVAL when malformed,
 * STRATA_ERANGE when more than cap.  Pure.
 */
int wol_targets_parse(const char *s, uint32_t *out, size_t cap, size_t *n);

/**
 * Open the sender on loop (the main loop, before privileges drop): the socket, the eventfd
 * and the targets (--wol-broadcast, else --addr's directed broadcast).  A server whose
 * --addr has no broadcast address (loopback) starts without targets, says so, and refuses
 * wakes.  *out is the caller's (wol_close).  0 or STRATA_EREPORTED.
 */
int wol_open(struct server *s, struct loop *loop, struct wol **out);

/** Stop sending and free everything (waiting packets are dropped).  NULL is fine. */
void wol_close(struct wol *w);

/**
 * Queue the magic packets of the n MACs of macs (borrowed; copied) on s's sender; they go
 * out from the main loop within milliseconds: a machine at a site with `wol=A.B.C.D`
 * (inventory_site.h) to that address, any other to the server's targets.  Why only a
 * queue: the HTTP thread that asks must not sleep 100 ms between repeats, nor send a
 * thousand packets itself.  Writes no audit row: the caller's order has its own
 * (wol_order is this plus the row).  Any thread; takes the catalog's read lock (which
 * prefers readers, so a caller may hold it too), then wol's own.  0; STRATA_ENOTSUP when
 * a machine has nowhere to go (no site wol=, no --wol-broadcast, a loopback --addr) or
 * the server has no sender; STRATA_ELIMIT when WOL_QUEUE_MAX MACs already wait;
 * STRATA_ENOMEM.
 */
int wol_wake(struct server *s, const uint8_t (*macs)[6], size_t n);

/**
 * An admin's wake of target (a machine name, "room:R", borrowed): one audit row, action
 * "wake", naming the n machines of macs, then wol_wake.  0 or wol_wake's or the
 * database's rc (STRATA_EREPORTED).
 */
int wol_order(struct server *s, const struct who *by, const char *target,
	      const uint8_t (*macs)[6], size_t n);

/** Why wol_wake refused with rc, for an answer's body: a static string. */
const char *wol_why(int rc);

#endif /* STRATA_WOL_H */
