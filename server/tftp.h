/*
 * Read-only TFTP server on the event loop of loop.h.
 *
 * What it owes network-boot clients (RFC 1350 and the option RFCs below):
 *  - many transfers at once, each from its own new UDP port (the transfer ID), bound to
 *    the address the request came to;
 *  - options: blksize (RFC 2348, capped by max_blksize: the default 1468 fills an
 *    Ethernet frame), tsize and timeout (RFC 2349), windowsize (RFC 7440, capped by
 *    max_windowsize), answered in an OACK (RFC 2347); with no accepted option DATA 1 is
 *    sent at once;
 *  - per-transfer retransmission with backoff (timeout_ms or the client's timeout option,
 *    doubling up to 4x but never past the larger of timeout_ms and max_timeout_s, for
 *    max_tries transmissions of a window); only an ACK that advances causes new DATA, so
 *    duplicate ACKs never double the traffic (the Sorcerer's Apprentice bug);
 *  - block numbers wrap 65535 -> 0; a file whose size is a multiple of the block size
 *    ends with an empty block;
 *  - quietly: OVMF's size probe (ERROR 8 right after the OACK), duplicate RRQs from the
 *    same client address and port while their transfer lives, stale ACKs;
 *  - WRQ is refused with ERROR 2; netascii with ERROR 0 (boot files are binary, and a
 *    converted stream would make tsize and block offsets lie);
 *  - a packet reaching a transfer port from another address or port gets ERROR 5 and
 *    leaves the transfer alone;
 *  - at most max_transfers at once, and at most max_per_addr from one client address
 *    (IPv4) or /64 (IPv6): further requests are dropped without a reply, so a booting
 *    client retries its RRQ later instead of failing;
 *  - limits that bound what a client that vanishes can hold (docs/security.md, "Limits"):
 *    a timeout option above max_timeout_s is not granted (left out of the OACK, RFC 2347),
 *    so a silent client's transfer ends within max(timeout_ms, max_timeout_s) x max_tries;
 *    and a transfer still running max_time_s after its request ends with an ERROR;
 *  - one line per finished or refused transfer on stderr: client, file, bytes, result,
 *    duration.  Client-controlled text (file names, options, ERROR messages) is escaped
 *    (strata_escape); refusal lines, and those of transfers the client ended, are
 *    rate-limited per kind (ratelimit.h) with a count of those held back; a full table
 *    is logged with the addresses that hold it.
 *
 * Errors are negative errno values.  Each failure site has its own message; the mapping
 * from errno class to TFTP error code is one table in tftp.c.
 *
 * Independent of any main(): strata-tftpd (tftp_main.c) is a test daemon around it, and
 * strata-server proper starts it next to HTTP and proxyDHCP on the same loop.
 */
#ifndef STRATA_TFTP_H
#define STRATA_TFTP_H

#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

struct tftp_server;

/** What tftp_server_start needs; fill with tftp_config_init, then override. */
struct tftp_config {
	const char *root;              /**< directory served; borrowed, opened at start */
	struct sockaddr_storage addr;  /**< listen address; port 0 lets the kernel choose */
	socklen_t addr_len;            /**< length of addr */
	uint32_t max_blksize;          /**< cap on blksize, 8..65464 (default 1468) */
	uint32_t max_windowsize;       /**< cap on windowsize, 1..65535 (default 64) */
	uint32_t max_transfers;        /**< live transfers at once, >= 1 (default 64) */
	uint32_t max_per_addr;         /**< live transfers per client address or IPv6 /64,
					    >= 1 (default 8): one host cannot take the table */
	uint32_t timeout_ms;           /**< first retransmission timeout (default 1000) */
	uint32_t max_timeout_s;        /**< largest timeout option granted, 1..255 s (default
					    5): a vanished client holds its slot seconds, not
					    hours */
	uint32_t max_tries;            /**< transmissions of one window (default 6) */
	uint32_t max_time_s;           /**< total deadline of a transfer, >= 1 s (default
					    600): a client that trickles ACKs cannot hold its
					    slot forever */
};

/** Defaults: 127.0.0.1 port 69, the limits above, root NULL (must be set). */
void tftp_config_init(struct tftp_config *cfg);

/**
 * Open the root, bind the listening socket and register it on loop.  cfg is copied (root
 * is only used during this call).  *out belongs to the caller until tftp_server_stop.
 * Fails with -EINVAL on a bad limit, or the errno of the failing open/socket/bind.
 */
int tftp_server_start(struct loop *loop, const struct tftp_config *cfg,
		      struct tftp_server **out);

/** The UDP port actually bound, to report it when the config asked for port 0. */
uint16_t tftp_server_port(const struct tftp_server *srv);

/** Number of live transfers, for tests and status. */
unsigned int tftp_server_active(const struct tftp_server *srv);

/**
 * Abort every live transfer (each client gets ERROR 0 and each is logged), unregister and
 * close everything, free srv.  Call before loop_free.  srv may be NULL.
 */
void tftp_server_stop(struct tftp_server *srv);

#endif /* STRATA_TFTP_H */
