/*
 * Receiving a multicast session's datagrams through the firmware's EFI_UDP4_PROTOCOL
 * (docs/multicast.md, "Boot paths").  Firmware glue only: what the datagrams mean is the
 * core's (mcast_rx.h) and efi/mcast_agent.c's.
 *
 * Why UDP4 and not SNP: the firmware's MNP owns the NIC's receive queue, and EFI_HTTP (the
 * status reports, the repair) runs on the same MNP; a UDP4 child gets its own copy of each
 * datagram of a joined group, and joining sends the IGMP report a snooping switch needs.
 * It exists only where the firmware's network stack is bound to the NIC: after UEFI HTTP
 * Boot, under the iPXE ROM (on iPXE's SNP), when firmware PXE loaded strata.efi itself,
 * and in OVMF also after firmware PXE chained iPXE's snponly.efi (tests/e2e/multicast.sh
 * case 3); elsewhere mcast_udp_find says STRATA_ENOTSUP.
 *
 * The firmware delivers one frame per Poll call, so the caller polls in a tight loop.
 */
#ifndef STRATA_EFI_MCAST_UDP_H
#define STRATA_EFI_MCAST_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <efi.h>
#include "manifest.h"

/** An open, joined UDP4 child with its receive tokens; opaque. */
struct mcast_udp;

/** Takes one datagram pkt[0..len) (borrowed for the call).  0 to go on, else an rc that
 *  stops mcast_udp_poll. */
typedef int mcast_dgram_fn(void *ctx, const void *pkt, size_t len);

/**
 * The NIC whose UDP4 service binding is nearest the image's device (LoadedImage's
 * DeviceHandle of image) by device path, into *nic.  STRATA_ENOTSUP, not logged, when
 * there is none (the firmware's stack is not on this NIC).  Touches nothing.
 */
int mcast_udp_find(EFI_HANDLE image, EFI_HANDLE *nic);

/**
 * Open a UDP4 child on nic for the session mc (the manifest's, borrowed): make sure the
 * interface has an address (ip4_config_dhcp), configure the child on mc->port with the
 * interface's address, accepting only datagrams from server (4 bytes, network order; all
 * zero: any source) at mc->port, join mc->group (IGMP) and post the receive tokens.
 * *out is the caller's until mcast_udp_close.  0 or an rc, logged, with nothing left open.
 */
int mcast_udp_open(struct mcast_udp **out, EFI_HANDLE nic, const struct strata_multicast *mc,
		   const uint8_t server[4]);

/**
 * Poll the firmware up to budget times (one frame each) and hand every datagram that
 * arrived to fn(ctx, ...), requeueing its token.  0, fn's rc when it stopped, or
 * STRATA_ENET when no token could be requeued (logged).  *got counts the datagrams handed.
 */
int mcast_udp_poll(struct mcast_udp *u, mcast_dgram_fn *fn, void *ctx, uint32_t budget,
		   uint32_t *got);

/** Cancel the tokens, leave the group (IGMP), unconfigure and destroy the child, free u.
 *  NULL is allowed. */
void mcast_udp_close(struct mcast_udp *u);

#endif /* STRATA_EFI_MCAST_UDP_H */
