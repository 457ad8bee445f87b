/*
 * strata.efi's arguments: what the server tells the agent before it starts.
 *
 * Three ways in, because three things can start strata.efi:
 *   - iPXE runs `chain SERVER/boot/strata.efi server=SERVER mac=MAC then=reboot`
 *     (pxe/deploy.ipxe) and hands the app the rest of that line as its LoadOptions, in UCS-2:
 *     "<image name> key=value key=value ...".
 *   - UEFI HTTP Boot starts the app with no options at all.  The one thing it does say is
 *     the URI the app came from, in a URI node (MSG_URI_DP) of the image's device path; the
 *     server's base URL is that URI minus its final "/boot/<file>".
 *
 * Keys: server (base URL), mac (this machine, as the server names it), then (reboot,
 * poweroff or exit after the work), check (yes: with nothing pending, restore a disk that lacks
 * the machine's layout before handing the PC to it, efi/agent_check.h), and for the network self-test (efi/fetch_selftest.h) selftest-fetch and expect-sha256.
 * A key this build does not know is logged and ignored, so a newer server does not stop an
 * older agent; anything malformed is an error, because a half-understood command line must
 * not deploy.
 *
 * This header and args.c are the parsing, with no firmware in them; args_load.h reads the
 * options and the boot URI from the firmware and hands them here.
 */
#ifndef STRATA_EFI_ARGS_H
#define STRATA_EFI_ARGS_H

#include <stddef.h>
#include <stdint.h>

/** Room for a URL, with its NUL. */
#define ARGS_URL_MAX 256
/** Room for "aa:bb:cc:dd:ee:ff", with its NUL. */
#define ARGS_MAC_MAX 18
/** Room for a SHA-256 in hex, with its NUL. */
#define ARGS_SHA256_HEX_MAX 65

/** What to do when the work is done (then=). */
enum args_then {
	ARGS_THEN_UNSET = 0,  /**< not given: the caller's default */
	ARGS_THEN_REBOOT,     /**< cold reset, so the machine boots what was written */
	ARGS_THEN_POWEROFF,   /**< shut down (labs, tests) */
	ARGS_THEN_EXIT,       /**< return to the caller: iPXE's script or the boot manager */
};

/** The parsed arguments.  Strings are NUL-terminated ASCII; "" means not given. */
struct args {
	char server[ARGS_URL_MAX];        /**< base URL, no trailing '/' */
	const char *server_from;          /**< "options", "boot URI" or NULL: for the log */
	char mac[ARGS_MAC_MAX];           /**< lowercase, colon-separated */
	enum args_then then;
	int check;                        /**< check=yes: the layout check (agent_check.h) */
	char selftest_fetch[ARGS_URL_MAX];       /**< URL or server-relative path to fetch */
	char expect_sha256[ARGS_SHA256_HEX_MAX]; /**< its digest, lowercase hex */
};

/**
 * Parse ASCII options text[0..len): words separated by spaces, the first one the image
 * name unless it holds '='.  a must be zeroed by the caller; it is filled key by key.
 * Returns 0 or STRATA_EINVAL / STRATA_ERANGE, logged with the offending word.
 */
int args_parse(struct args *a, const char *text, size_t len);

/**
 * Derive a->server from a boot URI such as "http://10.0.0.1:8080/boot/strata.efi": the
 * part before the final "/boot/<file>" (a query or fragment is dropped first).
 * Returns 0, or STRATA_EINVAL when the URI does not have that shape.
 */
int args_server_from_uri(struct args *a, const char *uri, size_t len);

/**
 * Resolve ref against the server: a ref with "://" is used as it is, anything else is a
 * path under a->server.  Writes a NUL-terminated URL into out (cap bytes).
 * Returns 0, STRATA_EINVAL (relative ref and no server) or STRATA_ERANGE (too long).
 */
int args_url(const struct args *a, const char *ref, char *out, size_t cap);

/** The DHCP option of strata-server's proxyDHCP that carries the options text (a
 *  site-specific code, RFC 3942; server/dhcp_wire.h DHCP_OPT_STRATA_ARGS). */
#define ARGS_DHCP_OPTION 224

/**
 * Find option code in a DHCPv4 packet pkt[0..len) (hostile bytes: every length is
 * checked): *val points into pkt, *vlen its length.  0, STRATA_ENOENT when absent,
 * STRATA_EINVAL when the packet is not a DHCP packet or an option runs past its end.
 */
int args_dhcp_option(const uint8_t *pkt, size_t len, uint8_t code, const uint8_t **val,
		     size_t *vlen);

/** args_parse of the ARGS_DHCP_OPTION in a DHCPv4 packet: 0, STRATA_ENOENT, STRATA_EINVAL
 *  for an option that is not printable text, or args_parse's rc. */
int args_from_dhcp(struct args *a, const uint8_t *pkt, size_t len);

#endif /* STRATA_EFI_ARGS_H */
