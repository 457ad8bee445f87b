/*
 * Parser of the TFTP packets a server receives: requests (RRQ/WRQ with options), ACK and
 * ERROR.
 *
 * Why a separate, pure module: these bytes come from anyone on the network.  The parser
 * does no I/O and allocates nothing, so a libFuzzer target (tests/fuzz/fuzz_tftp.c) can
 * drive it directly, and the server (tftp.c) only ever sees validated values.
 *
 * Policy decided here, once:
 *  - a request longer than 512 bytes, a field without its NUL, a field longer than its
 *    bound, an empty filename, an option name without a value, or any byte after the last
 *    NUL is malformed (-EINVAL, -EMSGSIZE, -ENAMETOOLONG);
 *  - modes "octet" and "netascii" parse (case-insensitive); anything else is -EINVAL;
 *  - a known option given twice is refused (-ENOPROTOOPT): which one would the client
 *    mean?  A known option whose value is not a decimal number, or longer than 20 digits,
 *    is refused the same way;
 *  - known options with a value outside the RFC range are ignored, as RFC 2347 lets a
 *    server ignore options it will not honour (blksize < 8, timeout 0 or > 255,
 *    windowsize 0); too-large blksize and windowsize are clamped to the RFC maximum, since
 *    the server may always answer less than asked; unknown options are ignored.
 */
#ifndef STRATA_TFTP_PARSE_H
#define STRATA_TFTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tftp_wire.h"

/** Bits of tftp_request.opts: which options the client asked for with usable values. */
enum tftp_opt_bit {
	TFTP_OPT_BLKSIZE = 1u << 0,
	TFTP_OPT_TSIZE = 1u << 1,
	TFTP_OPT_TIMEOUT = 1u << 2,
	TFTP_OPT_WINDOWSIZE = 1u << 3,
};

/**
 * An option as the client sent it, for the log.  Borrowed from the packet like the
 * filename; the server escapes it before it prints it.
 */
struct tftp_opt_text {
	const char *name;  /**< NULL when there is nothing to note */
	size_t name_len;
	const char *value; /**< NUL-terminated in the packet, may be empty */
	size_t value_len;
};

/**
 * A parsed RRQ or WRQ.  The strings are borrowed: they point into the packet buffer the
 * caller passed, where each is NUL-terminated, so they live as long as that buffer.
 */
struct tftp_request {
	uint16_t opcode;        /**< TFTP_RRQ or TFTP_WRQ */
	const char *filename;   /**< borrowed; 1..TFTP_FILENAME_MAX bytes, no NUL inside */
	size_t filename_len;    /**< strlen(filename) */
	bool netascii;          /**< mode was "netascii" rather than "octet" */
	unsigned int opts;      /**< TFTP_OPT_* present with a usable value */
	unsigned int ignored;   /**< options ignored (unknown or out of range), for the log */
	uint32_t blksize;       /**< if TFTP_OPT_BLKSIZE: 8..65464 */
	uint64_t tsize;         /**< if TFTP_OPT_TSIZE: as sent (0 in a read request) */
	uint32_t timeout;       /**< if TFTP_OPT_TIMEOUT: 1..255 seconds */
	uint32_t windowsize;    /**< if TFTP_OPT_WINDOWSIZE: 1..65535 blocks */
	struct tftp_opt_text noted; /**< the first option ignored, or the one refused */
};

/** A parsed ERROR packet; msg is borrowed from the packet buffer like the request's. */
struct tftp_error_pkt {
	uint16_t code;   /**< enum tftp_error_code, or any value a peer sent */
	const char *msg; /**< borrowed, NUL-terminated, may be empty */
	size_t msg_len;  /**< strlen(msg) */
};

/**
 * Opcode of a packet, so a dispatcher can pick the parser without touching the body.
 * Returns the opcode (any 16-bit value, known or not) or -EINVAL when len < 2.
 */
int tftp_opcode(const uint8_t *pkt, size_t len);

/**
 * Parse a read or write request.  pkt/len are borrowed and must outlive *req (its strings
 * point into pkt).  On failure *why (if why is non-NULL) is a static string naming the
 * check that failed, rc is a negative errno whose class tftp.c maps to a TFTP error code,
 * and *req keeps what was parsed before the failing check (zero before the filename), so
 * the refusal can be logged with the filename and, for -ENOPROTOOPT, the option in noted.
 */
int tftp_parse_request(const uint8_t *pkt, size_t len, struct tftp_request *req,
		       const char **why);

/**
 * Parse an ACK: exactly 4 bytes, opcode TFTP_ACK.  Stores the (wrapped) block number.
 * The server decides elsewhere whether that block is new, old or bogus.
 */
int tftp_parse_ack(const uint8_t *pkt, size_t len, uint16_t *block, const char **why);

/**
 * Parse an ERROR packet: code, then a message that must be NUL-terminated at the end of
 * the packet.  pkt must outlive *err.
 */
int tftp_parse_error(const uint8_t *pkt, size_t len, struct tftp_error_pkt *err,
		     const char **why);

#endif /* STRATA_TFTP_PARSE_H */
