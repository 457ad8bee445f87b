/*
 * The TFTP wire format: RFC 1350 with the option extension (RFC 2347) and the blksize
 * (RFC 2348), tsize and timeout (RFC 2349) and windowsize (RFC 7440) options.
 *
 * Every packet starts with a 16-bit opcode.  All 16-bit fields are big-endian (network
 * order) and sit at even offsets, but a receive buffer may hold them at any alignment, so
 * they are read and written byte by byte through tftp_be16_get/put and the header structs
 * below are made of byte arrays (alignment 1: they overlay any buffer without UB).
 *
 *   RRQ/WRQ  | opcode | filename | 0 | mode | 0 | opt1 | 0 | value1 | 0 | ... |
 *   DATA     | opcode | block    | data (0..blksize bytes; fewer than blksize ends it) |
 *   ACK      | opcode | block    |
 *   ERROR    | opcode | code     | message | 0 |
 *   OACK     | opcode | opt1 | 0 | value1 | 0 | ...
 *
 * Option names and modes compare case-insensitively; option values are decimal ASCII.
 */
#ifndef STRATA_TFTP_WIRE_H
#define STRATA_TFTP_WIRE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/** Opcodes (RFC 1350 section 5, RFC 2347). */
enum tftp_opcode {
	TFTP_RRQ = 1,   /**< read request */
	TFTP_WRQ = 2,   /**< write request (this server refuses it) */
	TFTP_DATA = 3,  /**< one block of the file */
	TFTP_ACK = 4,   /**< acknowledges a block, or block 0 = the OACK */
	TFTP_ERROR = 5, /**< ends the transfer */
	TFTP_OACK = 6,  /**< options accepted by the server */
};

/** Error codes carried by ERROR packets (RFC 1350 appendix, RFC 2347). */
enum tftp_error_code {
	TFTP_ERR_UNDEF = 0,     /**< not defined, see message */
	TFTP_ERR_NOTFOUND = 1,  /**< file not found */
	TFTP_ERR_ACCESS = 2,    /**< access violation */
	TFTP_ERR_DISKFULL = 3,  /**< disk full or allocation exceeded */
	TFTP_ERR_BADOP = 4,     /**< illegal TFTP operation */
	TFTP_ERR_BADTID = 5,    /**< unknown transfer ID (wrong source port) */
	TFTP_ERR_EXISTS = 6,    /**< file already exists */
	TFTP_ERR_NOUSER = 7,    /**< no such user */
	TFTP_ERR_OPTNEG = 8,    /**< option negotiation refused; also OVMF's size probe abort */
};

/** Limits from the RFCs and the ones this implementation chooses. */
enum {
	/** RFC 2347: a request, options included, must fit in 512 octets. */
	TFTP_REQ_MAX = 512,
	/** Block size without the blksize option (RFC 1350). */
	TFTP_BLKSIZE_DEFAULT = 512,
	/** RFC 2348 range of the blksize option. */
	TFTP_BLKSIZE_MIN = 8,
	TFTP_BLKSIZE_MAX = 65464,
	/** RFC 2349 range of the timeout option, in seconds. */
	TFTP_TIMEOUT_MIN = 1,
	TFTP_TIMEOUT_MAX = 255,
	/** RFC 7440 range of the windowsize option, in blocks. */
	TFTP_WINDOWSIZE_MIN = 1,
	TFTP_WINDOWSIZE_MAX = 65535,
	/**
	 * Longest filename accepted.  Our own choice: boot paths are far shorter, and a bound
	 * keeps log lines and the per-transfer copy of the name small.
	 */
	TFTP_FILENAME_MAX = 255,
	/** Longest option value: the 20 digits of UINT64_MAX (tsize is the widest). */
	TFTP_OPTVAL_MAX = 20,
	/** Longest mode string ("netascii"). */
	TFTP_MODE_MAX = 8,
	/** DATA/ACK/ERROR header size: opcode and block number or error code. */
	TFTP_HDR_LEN = 4,
	/** Largest DATA packet: header and the largest block. */
	TFTP_PKT_MAX = TFTP_HDR_LEN + TFTP_BLKSIZE_MAX,
	/** Block numbers are 16 bits; after 65535 comes 0 (what iPXE expects). */
	TFTP_BLOCK_MOD = 65536,
};

/** Option names as they appear on the wire (matched case-insensitively). */
#define TFTP_OPT_NAME_BLKSIZE "blksize"
#define TFTP_OPT_NAME_TSIZE "tsize"
#define TFTP_OPT_NAME_TIMEOUT "timeout"
#define TFTP_OPT_NAME_WINDOWSIZE "windowsize"

/** Transfer modes (RFC 1350); "mail" is obsolete and refused by the parser. */
#define TFTP_MODE_OCTET "octet"
#define TFTP_MODE_NETASCII "netascii"

/** Header of DATA and ACK packets. */
struct tftp_block_hdr {
	uint8_t opcode[2]; /**< TFTP_DATA or TFTP_ACK, big-endian */
	uint8_t block[2];  /**< block number modulo 65536, big-endian */
};
static_assert(sizeof(struct tftp_block_hdr) == TFTP_HDR_LEN, "DATA/ACK header is 4 bytes");
static_assert(offsetof(struct tftp_block_hdr, block) == 2, "block number at offset 2");
static_assert(_Alignof(struct tftp_block_hdr) == 1, "header overlays any buffer");

/** Header of ERROR packets; the NUL-terminated message follows. */
struct tftp_error_hdr {
	uint8_t opcode[2]; /**< TFTP_ERROR, big-endian */
	uint8_t code[2];   /**< enum tftp_error_code, big-endian */
};
static_assert(sizeof(struct tftp_error_hdr) == TFTP_HDR_LEN, "ERROR header is 4 bytes");
static_assert(offsetof(struct tftp_error_hdr, code) == 2, "error code at offset 2");
static_assert(_Alignof(struct tftp_error_hdr) == 1, "header overlays any buffer");

/** Read a big-endian 16-bit field at any alignment. */
static inline uint16_t tftp_be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/** Write a big-endian 16-bit field at any alignment. */
static inline void tftp_be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Failure reporting shared by the TFTP modules.  Not wire format, but every TFTP file
 * includes this header.  Functions return 0 or a negative errno; the static string stored
 * in *why says which check failed, so each failure site has its own message for the log
 * (and for the ERROR packet sent back).
 */
static inline int tftp_fail(const char **why, int rc, const char *msg)
{
	if (why)
		*why = msg;
	return rc;
}

#endif /* STRATA_TFTP_WIRE_H */
