/*
 * Parser of the DHCP requests a proxyDHCP server receives (DISCOVER, REQUEST, INFORM, and
 * whatever else reaches port 67 or 4011).
 *
 * Why a separate, pure module: these bytes come from anyone on the segment.  The parser
 * does no I/O and allocates nothing, so a libFuzzer target (tests/fuzz/fuzz_dhcp.c) drives
 * it directly, and the reply builder (dhcp_reply.c) only ever sees validated values.
 *
 * Policy decided here, once:
 *  - shorter than the 240-byte header, longer than DHCP_PKT_MAX, op other than
 *    BOOTREQUEST, hlen above 16, or a wrong magic cookie: malformed (-EINVAL/-EMSGSIZE);
 *  - every option must fit in its area; an option area must end with END, and only PAD
 *    may follow END (trailing garbage is refused, not skipped);
 *  - option overload (52) is honoured as RFC 2131 orders it: options area, then file,
 *    then sname; each overloaded field must hold its own END.  Option 52 anywhere but the
 *    options area, or given twice, is malformed;
 *  - options this parser extracts must appear once.  RFC 3396 lets a client split a long
 *    option into several with the same code, to be concatenated; none of the options we
 *    read is ever longer than 255 bytes from a boot client, so a repeat is refused
 *    (-EINVAL) rather than guessed at.  Repeats of options we do not read are ignored;
 *  - fixed-size options with the wrong length are malformed: 53 (1), 54 (4), 57 (2, and
 *    at least 576), 93 (a non-empty multiple of 2), 97 (17 bytes, type 0);
 *  - a DHCP message type (53) is required: plain BOOTP is not served.
 */
#ifndef STRATA_DHCP_PARSE_H
#define STRATA_DHCP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp_wire.h"

/** An option value, borrowed from the packet buffer; data is NULL when absent. */
struct dhcp_bytes {
	const uint8_t *data; /**< borrowed; not NUL-terminated */
	size_t len;          /**< 0..255 */
};

/**
 * A parsed request.  Fixed fields are copied; option values point into the packet the
 * caller passed, so *req lives only as long as that buffer.
 */
struct dhcp_request {
	uint8_t op;                       /**< always DHCP_BOOTREQUEST after a parse */
	uint8_t htype;                    /**< hardware type, as sent */
	uint8_t hlen;                     /**< 0..16: bytes of chaddr in use */
	uint8_t hops;                     /**< relay hops, as sent */
	uint32_t xid;                     /**< transaction ID */
	uint16_t secs;                    /**< seconds elapsed, as sent */
	uint16_t flags;                   /**< DHCP_FLAG_BROADCAST and reserved bits */
	uint8_t ciaddr[4];                /**< network order */
	uint8_t giaddr[4];                /**< network order; non-zero when relayed */
	uint8_t chaddr[DHCP_CHADDR_LEN];  /**< all 16 bytes, hlen of them meaningful */
	uint8_t msg_type;                 /**< option 53: enum dhcp_msg_type or any value */
	uint8_t overload;                 /**< option 52, 0 when absent */
	bool has_arch;                    /**< option 93 present */
	uint16_t arch;                    /**< first entry of option 93 (enum dhcp_arch) */
	uint16_t max_msg_size;            /**< option 57, 0 when absent */
	struct dhcp_bytes server_id;      /**< option 54, 4 bytes when present */
	struct dhcp_bytes params;         /**< option 55 */
	struct dhcp_bytes vendor_class;   /**< option 60 */
	struct dhcp_bytes user_class;     /**< option 77, raw (iPXE does not use RFC 3004) */
	struct dhcp_bytes arch_list;      /**< option 93, all entries */
	struct dhcp_bytes uuid;           /**< option 97: type byte and 16 UUID bytes */
	uint8_t present[32];              /**< bitmap of every option code seen, for the log */
};

/**
 * Parse pkt (len bytes, borrowed; must outlive *req).  Returns 0, or a negative errno
 * with *why (if why is non-NULL) set to a static string naming the failed check.  On
 * failure *req is unspecified.
 */
int dhcp_parse(const uint8_t *pkt, size_t len, struct dhcp_request *req, const char **why);

/** Whether option code appeared anywhere in the parsed request. */
bool dhcp_has_option(const struct dhcp_request *req, uint8_t code);

/** Whether an option value begins with the NUL-free string prefix. */
bool dhcp_bytes_prefix(const struct dhcp_bytes *b, const char *prefix);

/** Whether an option value contains the NUL-free string needle anywhere. */
bool dhcp_bytes_contains(const struct dhcp_bytes *b, const char *needle);

#endif /* STRATA_DHCP_PARSE_H */
