/*
 * The DHCP wire format (RFC 2131, RFC 2132) as far as a proxyDHCP server needs it, with
 * the PXE (RFC 4578, PXE 2.1) and iPXE additions that network-boot clients send.
 *
 * A DHCP message is a BOOTP message (RFC 951) whose 64-byte vendor area became a
 * variable-length option area behind a 4-byte magic cookie:
 *
 *   off  len  field
 *     0    1  op       1 = BOOTREQUEST (client), 2 = BOOTREPLY (server)
 *     1    1  htype    hardware type, 1 = Ethernet
 *     2    1  hlen     hardware address length, 6 for Ethernet, at most 16
 *     3    1  hops     relay hops
 *     4    4  xid      transaction ID chosen by the client; a reply echoes it
 *     8    2  secs     seconds since the client started
 *    10    2  flags    bit 15: broadcast the reply
 *    12    4  ciaddr   client address, when it already has one
 *    16    4  yiaddr   "your" address: the lease.  Always 0 from a proxyDHCP server
 *    20    4  siaddr   next server: where the boot file is (TFTP)
 *    24    4  giaddr   relay agent address, 0 when not relayed
 *    28   16  chaddr   client hardware address, hlen bytes used
 *    44   64  sname    server host name, or more options (overload, option 52)
 *   108  128  file     boot file name, or more options (overload, option 52)
 *   236    4  magic    99.130.83.99
 *   240    -  options  code, length, value ... up to END (255); PAD (0) has no length
 *
 * All multi-byte fields are big-endian.  A receive buffer may hold the header at any
 * alignment, so the struct below is made of byte arrays (alignment 1: it overlays any
 * buffer without UB) and fields are read through the dhcp_be*_get/put helpers.
 */
#ifndef STRATA_DHCP_WIRE_H
#define STRATA_DHCP_WIRE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/** UDP ports.  Clients send from 68 to 67; PXE clients also ask a proxy on 4011. */
enum dhcp_port {
	DHCP_SERVER_PORT = 67,
	DHCP_CLIENT_PORT = 68,
	DHCP_PXE_PORT = 4011,
};

/** Sizes of the fixed part and of the packets this implementation handles. */
enum {
	DHCP_CHADDR_LEN = 16,
	DHCP_SNAME_LEN = 64,
	DHCP_FILE_LEN = 128,
	/** Fixed header without the magic cookie (the BOOTP header). */
	DHCP_BOOTP_HDR_LEN = 236,
	/** Fixed header with the magic cookie: where options start. */
	DHCP_HDR_LEN = 240,
	/**
	 * Smallest message we send.  BOOTP relays and old PXE ROMs drop anything shorter
	 * than a BOOTP message (236 + 64-byte vendor area), so replies are padded to it.
	 */
	DHCP_MIN_LEN = 300,
	/** Every DHCP client must accept a message this long (RFC 2131 section 2). */
	DHCP_MIN_MAX_MSG = 576,
	/**
	 * Largest message we parse: an Ethernet frame less the IPv4 and UDP headers.  Real
	 * boot clients send 300..600 bytes; a longer datagram is not from one.
	 */
	DHCP_PKT_MAX = 1472,
	/** Longest value of one option: its length is a single byte. */
	DHCP_OPT_MAX = 255,
};

/** The magic cookie, 99.130.83.99, as a big-endian 32-bit value. */
#define DHCP_MAGIC 0x63825363u

/** Values of the op field. */
enum dhcp_op {
	DHCP_BOOTREQUEST = 1,
	DHCP_BOOTREPLY = 2,
};

/** Hardware type of Ethernet (ARP hardware type 1). */
#define DHCP_HTYPE_ETHER 1

/** Flags bit 15: the client cannot receive unicast before it has an address. */
#define DHCP_FLAG_BROADCAST 0x8000u

/** DHCP message types: values of option 53 (RFC 2132 section 9.6). */
enum dhcp_msg_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

/** Option codes used here (RFC 2132, RFC 3004, RFC 4578, iPXE). */
enum dhcp_opt {
	DHCP_OPT_PAD = 0,             /**< one byte of padding, no length */
	DHCP_OPT_VENDOR_ENCAP = 43,   /**< vendor-specific; PXE sub-options for "PXEClient" */
	DHCP_OPT_OVERLOAD = 52,       /**< 1: file, 2: sname, 3: both hold more options */
	DHCP_OPT_MSG_TYPE = 53,       /**< enum dhcp_msg_type, 1 byte */
	DHCP_OPT_SERVER_ID = 54,      /**< the answering server's IPv4 address */
	DHCP_OPT_PARAM_LIST = 55,     /**< option codes the client asks for */
	DHCP_OPT_MAX_MSG_SIZE = 57,   /**< largest reply the client accepts, 2 bytes */
	DHCP_OPT_VENDOR_CLASS = 60,   /**< "PXEClient:Arch:...", "HTTPClient:Arch:..." */
	DHCP_OPT_CLIENT_ID = 61,      /**< client identifier */
	DHCP_OPT_TFTP_SERVER = 66,    /**< TFTP server name */
	DHCP_OPT_BOOTFILE = 67,       /**< boot file name or URL */
	DHCP_OPT_USER_CLASS = 77,     /**< "iPXE" from iPXE */
	DHCP_OPT_CLIENT_ARCH = 93,    /**< list of 2-byte architecture types (RFC 4578) */
	DHCP_OPT_CLIENT_NDI = 94,     /**< network interface identifier: type, major, minor */
	DHCP_OPT_CLIENT_UUID = 97,    /**< type 0 and the 16-byte machine UUID */
	DHCP_OPT_IPXE_ENCAP = 175,    /**< iPXE's feature list */
	DHCP_OPT_STRATA_ARGS = 224,   /**< site-specific (RFC 3942): strata.efi's arguments,
					   "server=URL", to a PXE client booted into it directly */
	DHCP_OPT_END = 255,           /**< end of an option area, no length */
};

/** Length of option 97's value: the type byte (0) and a 16-byte UUID. */
#define DHCP_UUID_OPT_LEN 17

/** Values of option 52. */
enum dhcp_overload {
	DHCP_OVERLOAD_FILE = 1,
	DHCP_OVERLOAD_SNAME = 2,
	DHCP_OVERLOAD_BOTH = 3,
};

/** Client architecture types, values of option 93 (IANA "Processor Architecture Types"). */
enum dhcp_arch {
	DHCP_ARCH_BIOS = 0,          /**< x86 BIOS PXE */
	DHCP_ARCH_EFI_IA32 = 6,
	DHCP_ARCH_EFI_X64 = 7,       /**< x64 UEFI PXE: what OVMF sends */
	DHCP_ARCH_EFI_BC = 9,        /**< "EFI byte code", used by some x64 firmware */
	DHCP_ARCH_EFI_ARM64 = 11,
	DHCP_ARCH_EFI_X64_HTTP = 16, /**< x64 UEFI HTTP Boot */
};

/** PXE sub-options carried in option 43 when option 60 is "PXEClient" (PXE 2.1). */
enum dhcp_pxe_subopt {
	/** Discovery control: bit 3 = boot the file in this packet, skip discovery. */
	DHCP_PXE_DISCOVERY_CONTROL = 6,
};
#define DHCP_PXE_DISCOVERY_BYPASS 0x08u

/** Vendor classes of network-boot clients (the prefix of option 60). */
#define DHCP_CLASS_PXE "PXEClient"
#define DHCP_CLASS_HTTP "HTTPClient"

/** The user class iPXE sends in option 77; its presence breaks the chainload loop. */
#define DHCP_USER_CLASS_IPXE "iPXE"

/** The fixed part of every DHCP message, up to and including the magic cookie. */
struct dhcp_hdr {
	uint8_t op;                       /**< enum dhcp_op */
	uint8_t htype;                    /**< hardware type */
	uint8_t hlen;                     /**< bytes of chaddr used */
	uint8_t hops;                     /**< relay hops */
	uint8_t xid[4];                   /**< transaction ID, echoed */
	uint8_t secs[2];                  /**< seconds since the client started */
	uint8_t flags[2];                 /**< DHCP_FLAG_BROADCAST */
	uint8_t ciaddr[4];                /**< client's current address */
	uint8_t yiaddr[4];                /**< address offered: 0 from a proxy */
	uint8_t siaddr[4];                /**< next (TFTP) server */
	uint8_t giaddr[4];                /**< relay agent */
	uint8_t chaddr[DHCP_CHADDR_LEN];  /**< client hardware address */
	uint8_t sname[DHCP_SNAME_LEN];    /**< server name or overloaded options */
	uint8_t file[DHCP_FILE_LEN];      /**< boot file or overloaded options */
	uint8_t magic[4];                 /**< DHCP_MAGIC */
};
static_assert(sizeof(struct dhcp_hdr) == DHCP_HDR_LEN, "DHCP header with cookie is 240 bytes");
static_assert(_Alignof(struct dhcp_hdr) == 1, "header overlays any buffer");
static_assert(offsetof(struct dhcp_hdr, xid) == 4, "xid at 4");
static_assert(offsetof(struct dhcp_hdr, secs) == 8, "secs at 8");
static_assert(offsetof(struct dhcp_hdr, flags) == 10, "flags at 10");
static_assert(offsetof(struct dhcp_hdr, ciaddr) == 12, "ciaddr at 12");
static_assert(offsetof(struct dhcp_hdr, yiaddr) == 16, "yiaddr at 16");
static_assert(offsetof(struct dhcp_hdr, siaddr) == 20, "siaddr at 20");
static_assert(offsetof(struct dhcp_hdr, giaddr) == 24, "giaddr at 24");
static_assert(offsetof(struct dhcp_hdr, chaddr) == 28, "chaddr at 28");
static_assert(offsetof(struct dhcp_hdr, sname) == 44, "sname at 44");
static_assert(offsetof(struct dhcp_hdr, file) == 108, "file at 108");
static_assert(offsetof(struct dhcp_hdr, magic) == DHCP_BOOTP_HDR_LEN, "cookie at 236");

/** Read a big-endian 16-bit field at any alignment. */
static inline uint16_t dhcp_be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/** Read a big-endian 32-bit field at any alignment. */
static inline uint32_t dhcp_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/** Write a big-endian 16-bit field at any alignment. */
static inline void dhcp_be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/** Write a big-endian 32-bit field at any alignment. */
static inline void dhcp_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Failure reporting shared by the DHCP modules, as tftp_fail does for TFTP: functions
 * return 0 or a negative errno and store in *why a static string naming the check that
 * failed, so every failure site has its own message for the log.
 */
static inline int dhcp_fail(const char **why, int rc, const char *msg)
{
	if (why)
		*why = msg;
	return rc;
}

#endif /* STRATA_DHCP_WIRE_H */
