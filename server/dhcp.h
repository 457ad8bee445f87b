/*
 * proxyDHCP service on the event loop of loop.h.
 *
 * What it does (rules of the answer in dhcp_reply.h, of the parser in dhcp_parse.h):
 *  - listens on UDP port 67 (configurable) bound to 0.0.0.0, because booting clients have
 *    no address yet and broadcast from 0.0.0.0:68 to 255.255.255.255:67.  SO_BROADCAST
 *    lets us answer them; IP_PKTINFO tells which interface a request came in on, and the
 *    reply is sent out of that same interface with our address as source;
 *    SO_BINDTODEVICE (cfg.iface) restricts the socket to one interface when asked;
 *  - replies to port-67 requests are broadcast to 255.255.255.255:68 (a client without
 *    an address cannot receive unicast, and we assign none), or unicast to the relay
 *    (giaddr) on our own port when the request was relayed;
 *  - listens on UDP port 4011 (configurable, 0 = not at all) bound to our address, for
 *    the PXE boot server requests that UEFI firmware and iPXE send once they have a
 *    lease; those are answered unicast to their source address and port;
 *  - never assigns an address, keeps no per-client state, and needs no timer: every
 *    request is answered (or not) on its own;
 *  - logs one line per boot decision on stderr: client MAC, message, port, arch, class,
 *    user class, options present, and what it was told.  Requests that get no reply are
 *    logged only with cfg.verbose, except boot clients we identified but have no boot
 *    file for, which are always logged; anyone can send those, so their lines are
 *    rate-limited (5 per 10 s, the rest counted at the next line or at stop).
 *
 * Errors are negative errno values; each failure site logs its own message.
 *
 * Independent of any main(): strata-dhcpd (dhcp_main.c) is a test daemon around it, and
 * strata-server proper starts it next to TFTP and HTTP on the same loop.
 */
#ifndef STRATA_DHCP_H
#define STRATA_DHCP_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp_reply.h"
#include "loop.h"

struct dhcp_server;

/** What dhcp_server_start needs; fill with dhcp_config_init, then override. */
struct dhcp_config {
	/**
	 * Where clients are sent.  policy.server is also the address port 4011 binds to
	 * and the source of every reply.  The strings are copied at start.
	 */
	struct dhcp_policy policy;
	uint16_t port;         /**< DHCP server port (default 67); 0 lets the kernel choose */
	uint16_t alt_port;     /**< PXE port (default 4011); 0 = do not listen on it */
	uint16_t client_port;  /**< where broadcast replies go (default 68) */
	const char *iface;     /**< NULL, or the only interface to serve; used during start */
	bool verbose;          /**< also log requests that get no reply, and why */
	/**
	 * NULL, or whether the machine whose chaddr is mac gets policy.agent_file (rule 5,
	 * dhcp_decide_agent): strata-server's open capture tasks.  Called on the loop's
	 * thread with agent_ctx; 1 or 0.
	 */
	int (*agent_wanted)(void *ctx, const uint8_t mac[6]);
	/**
	 * NULL, or whether the machine whose chaddr is mac gets policy.enroll_url (rule 6,
	 * dhcp_decide_enroll): strata-server's enroll orders.  Called like agent_wanted, with
	 * agent_ctx; 1 or 0.
	 */
	int (*enroll_wanted)(void *ctx, const uint8_t mac[6]);
	/**
	 * NULL, or told of every request from a boot client (one the rules answer, or refuse
	 * for want of a file) with a 6-byte chaddr: its MAC, its address (ciaddr, else the
	 * source address; host order, 0 when it has none yet), and whether it is an
	 * HTTPClient and runs iPXE.  strata-server's unknown PCs (unknown.h).  Called like
	 * agent_wanted, with agent_ctx.
	 */
	void (*boot_client)(void *ctx, const uint8_t mac[6], uint32_t addr, bool http,
			    bool ipxe);
	void *agent_ctx;
};

/**
 * Defaults: ports 67, 4011 and 68, no interface restriction, boot files "undionly.kpxe"
 * and "snponly.efi", no URLs, server address 0.0.0.0 (must be set).
 */
void dhcp_config_init(struct dhcp_config *cfg);

/**
 * Check the policy, copy it, open and bind both sockets and register them on loop.
 * *out belongs to the caller until dhcp_server_stop.  Fails with -EINVAL on a bad
 * policy, -ENOMEM, or the errno of the failing socket call.
 */
int dhcp_server_start(struct loop *loop, const struct dhcp_config *cfg,
		      struct dhcp_server **out);

/** The DHCP server port actually bound, to report it when the config asked for 0. */
uint16_t dhcp_server_port(const struct dhcp_server *srv);

/** The PXE port actually bound, 0 when not listening there. */
uint16_t dhcp_server_alt_port(const struct dhcp_server *srv);

/** Replies sent so far, for tests and status. */
unsigned long dhcp_server_replies(const struct dhcp_server *srv);

/** Unregister and close both sockets and free srv.  Call before loop_free; NULL is fine. */
void dhcp_server_stop(struct dhcp_server *srv);

#endif /* STRATA_DHCP_H */
