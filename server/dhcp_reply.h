/*
 * What a proxyDHCP server tells a network-boot client, decided and encoded without I/O.
 *
 * A proxyDHCP server gives boot information only; the site's DHCP server still assigns
 * addresses (the PXE specification; RFC 4578 for its options).  So every reply has
 * yiaddr = 0, and only clients whose option 60 starts with "PXEClient" or "HTTPClient"
 * get one.
 *
 * The decision (dhcp_decide), in order:
 *  1. Class: option 60 must start with "PXEClient" or "HTTPClient"; other clients are
 *     the site DHCP server's alone.
 *  2. Architecture: option 93's first entry, or else the "Arch:NNNNN" field of option 60.
 *     Unknown: no reply, except to iPXE (rule 4 does not need it).
 *  3. Message type, by the port the request came to.  Port 67: DISCOVER gets an OFFER; a
 *     REQUEST gets an ACK only when its server id (54) is ours, since the REQUEST that
 *     selects the site server's lease is none of our business.  Port 4011: REQUEST and
 *     INFORM get an ACK (the PXE "boot server" request that UEFI firmware and iPXE send
 *     after their lease, to fetch the boot file).  Anything else: no reply.
 *  4. What to boot.  The chainload loop is broken by option 77: a client whose user class
 *     contains "iPXE" is already running iPXE and gets the boot script URL, whatever its
 *     firmware.  Otherwise an HTTPClient of arch 16 gets the HTTP URL of the boot file; a
 *     PXEClient of arch 7 or 9 (x64 UEFI) gets the TFTP name of the UEFI iPXE binary, and
 *     arch 0 (BIOS) that of the BIOS one.  Other architectures, or a choice the policy
 *     left NULL, get no reply, so another server on the segment may answer them.
 *  5. The agent directly (dhcp_decide_agent, asked by the caller, who knows the machines):
 *     a x64 UEFI PXE client (not iPXE) whose machine has an open capture task gets the
 *     TFTP name of strata.efi instead of snponly.efi, and its reply carries strata.efi's
 *     arguments in option DHCP_OPT_STRATA_ARGS (placed before option 67: OVMF's PXE
 *     NUL-terminates the boot file name in place in the packet it keeps, over the byte
 *     after it).  Why: after firmware PXE loaded iPXE,
 *     iPXE holds the NIC and the firmware's HTTP stack (the only way a UEFI app can
 *     upload) is gone; loaded by firmware PXE itself, strata.efi has that stack
 *     (docs/capture.md, "Boot paths").
 *  6. The enroller over HTTP (dhcp_decide_enroll, asked by the caller): a UEFI HTTP Boot
 *     client whose machine has an enroll order gets policy.enroll_url (strata-enroll.efi)
 *     instead of policy.http_url; PXE clients reach it through iPXE's per-machine script.
 *
 * The reply (dhcp_reply_build): op BOOTREPLY, xid, flags, giaddr, htype, hlen and chaddr
 * echoed, except that a relayed request's reply has the broadcast flag set (a relay would
 * unicast a reply without it to yiaddr, and ours is 0); yiaddr 0; siaddr = the TFTP server (the policy's tftp, else our address: a
 * proxyDHCP alone at a site sends PXE clients to the central server's TFTP, docs/sites.md);
 * ciaddr echoed in an ACK; the
 * file field and option 67 both carry the boot file or URL (legacy PXE ROMs read the
 * field, UEFI and iPXE prefer the option; a URL longer than the field goes in 67 only).
 * Options: 53, 54 (our address: edk2 and iPXE both require it of a proxy offer), 60
 * "PXEClient" or "HTTPClient" (as the client asked), 97 echoed when sent (PXE spec), and
 * for BIOS PXE only option 43 with discovery control "bypass, boot this file".  UEFI
 * replies carry no option 43: some UEFI firmware ignores proxy offers that try to bypass
 * boot server discovery (what pixiecore learnt), and the port-4011 ACK carries the file.
 * Replies are padded to 300 bytes, the BOOTP minimum that old relays and ROMs expect.
 */
#ifndef STRATA_DHCP_REPLY_H
#define STRATA_DHCP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp_parse.h"

/**
 * Largest reply dhcp_reply_build writes: fits in the 576 bytes every client accepts, since
 * the longest reply (a 255-byte option 67 and every other option) is 544 bytes.
 */
#define DHCP_REPLY_MAX DHCP_MIN_MAX_MSG

/** TFTP names must fit the file field with its NUL. */
#define DHCP_TFTP_NAME_MAX (DHCP_FILE_LEN - 1)

/** Where boot clients are sent.  Strings are borrowed; NULL means "do not answer those". */
struct dhcp_policy {
	uint8_t server[4];       /**< our IPv4 address, network order: option 54, and siaddr
				      unless tftp is set */
	uint8_t tftp[4];         /**< the TFTP server PXE clients load from (siaddr), network
				      order; 0.0.0.0: server */
	const char *bios_file;   /**< TFTP name for BIOS PXE (arch 0), e.g. undionly.kpxe */
	const char *efi_file;    /**< TFTP name for x64 UEFI PXE (arch 7, 9): snponly.efi */
	const char *script_url;  /**< iPXE boot script URL, absolute http(s):// */
	const char *http_url;    /**< boot file URL for x64 UEFI HTTP Boot (arch 16) */
	const char *agent_file;  /**< TFTP name of strata.efi, for rule 5; NULL: no rule 5 */
	const char *agent_args;  /**< strata.efi's arguments ("server=URL"), for rule 5 */
	const char *enroll_url;  /**< strata-enroll.efi's URL for UEFI HTTP Boot, for rule 6;
				      NULL: no rule 6 */
};

/** The port a request arrived on, which decides what it may be answered with. */
enum dhcp_via {
	DHCP_VIA_BOOTPS,  /**< the DHCP server port, 67: broadcasts from booting clients */
	DHCP_VIA_PXE,     /**< the PXE boot server port, 4011: unicast requests to us */
};

/** What a client is told to boot. */
enum dhcp_boot {
	DHCP_BOOT_NONE,         /**< no reply */
	DHCP_BOOT_BIOS_TFTP,    /**< policy.bios_file over TFTP from siaddr */
	DHCP_BOOT_EFI_TFTP,     /**< policy.efi_file over TFTP from siaddr */
	DHCP_BOOT_IPXE_SCRIPT,  /**< policy.script_url, for a client already running iPXE */
	DHCP_BOOT_HTTP,         /**< policy.http_url, for UEFI HTTP Boot */
	DHCP_BOOT_AGENT_TFTP,   /**< policy.agent_file over TFTP, with policy.agent_args */
};

/** The outcome of dhcp_decide, also what the log line reports. */
struct dhcp_decision {
	enum dhcp_boot boot;   /**< DHCP_BOOT_NONE: send nothing */
	uint8_t reply_type;    /**< DHCP_OFFER or DHCP_ACK; 0 with DHCP_BOOT_NONE */
	bool http_class;       /**< the client is an "HTTPClient" (else "PXEClient") */
	bool ipxe;             /**< option 77 contains "iPXE" */
	bool has_arch;         /**< arch is known */
	uint16_t arch;         /**< from option 93, else from option 60's "Arch:" field */
	const char *file;      /**< file name or URL told; borrowed from the policy */
	const char *why;       /**< for DHCP_BOOT_NONE: the rule that said no (static) */
	bool refused;          /**< NONE for a boot client we have no file for (rule 4) */
};

/**
 * Check a policy before use: server address set, TFTP names 1..127 bytes, URLs absolute
 * http:// or https:// and at most 255 bytes (one option 67).  Returns 0 or -EINVAL with
 * *why naming the problem.
 */
int dhcp_policy_check(const struct dhcp_policy *pol, const char **why);

/** Decide what to tell the client that sent req on via.  Never fails; see the rules above. */
void dhcp_decide(const struct dhcp_request *req, const struct dhcp_policy *pol,
		 enum dhcp_via via, struct dhcp_decision *dec);

/**
 * Rule 5: turn a DHCP_BOOT_EFI_TFTP decision into DHCP_BOOT_AGENT_TFTP (policy.agent_file,
 * the arguments in the reply) for a machine the caller says has an open capture task.
 * No-op for any other decision or a policy without agent_file.
 */
void dhcp_decide_agent(const struct dhcp_policy *pol, struct dhcp_decision *dec);

/**
 * Rule 6: point a DHCP_BOOT_HTTP decision at policy.enroll_url, for a machine the caller
 * says has an enroll order.  No-op for any other decision or a policy without enroll_url.
 */
void dhcp_decide_enroll(const struct dhcp_policy *pol, struct dhcp_decision *dec);

/**
 * Encode the reply for a decision whose boot is not DHCP_BOOT_NONE into buf (size bytes,
 * owned by the caller, at least DHCP_MIN_LEN; DHCP_REPLY_MAX always suffices) and store
 * its length in *len.  Returns 0, -EINVAL for a NONE decision, or -ENOSPC when buf is
 * too small, with *why set.
 */
int dhcp_reply_build(const struct dhcp_request *req, const struct dhcp_policy *pol,
		     const struct dhcp_decision *dec, uint8_t *buf, size_t size, size_t *len,
		     const char **why);

/** Short name of a boot choice, for the log: "bios-tftp", "efi-tftp", ... */
const char *dhcp_boot_name(enum dhcp_boot boot);

#endif /* STRATA_DHCP_REPLY_H */
