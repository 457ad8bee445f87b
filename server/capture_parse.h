/*
 * The parts of a capture order (docs/capture.md) that see an admin's request bytes, as a
 * pure function with no I/O so it is fuzzed and unit-tested alone.
 *
 * POST /api/capture/NAME?as=PROFILE&prepared=yes orders a gold capture: the machine's
 * disk becomes the profile PROFILE.  A gold image must be generalized first (every PC
 * deployed from it would otherwise share one identity), so the order must say
 * prepared=yes, and that answer is recorded with the task.  POST /api/capture/NAME with
 * neither parameter orders a capture of the machine's own layers.  A task's have/need
 * body is core's format (need.h: strata_need_parse), shared with the clients.
 */
#ifndef STRATA_CAPTURE_PARSE_H
#define STRATA_CAPTURE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "inventory.h"
#include "need.h"
#include "key_reg.h"
#include "manifest.h"

/** What a capture takes and where it goes. */
enum capture_kind {
	CAPTURE_MACHINE = 0,  /**< the machine's own layers, as a new generation (private) */
	CAPTURE_GOLD = 1,     /**< the whole disk as a new profile (public store) */
};

/** A parsed capture order. */
struct capture_order {
	enum capture_kind kind;
	char profile[INV_NAME_MAX + 1];   /**< CAPTURE_GOLD: the profile it becomes, else "" */
	int prepared;                     /**< CAPTURE_GOLD: the admin confirmed it (always 1) */
	int force;                        /**< force=yes: a filesystem the agent cannot map
					       (hibernated, dirty) is captured whole, forced */
};

/**
 * Read an order's parameters: as and prepared are the decoded query values (borrowed,
 * NULL when absent).  0 with *out filled, or STRATA_EINVAL with *why (a static string for
 * the answer's body) when as is not a name the inventory takes, prepared is not "yes"
 * for a gold capture, or prepared comes without as.
 */
int capture_order_parse(const char *as, const char *prepared, struct capture_order *out,
			const char **why);

/**
 * Read an order's force= (decoded, borrowed, NULL when absent) into o->force, after
 * capture_order_parse.  Why an order says it: strata.efi refuses a filesystem it cannot
 * map (a hibernated NTFS, an ext4 needing recovery) unless the admin ordered the capture
 * forced; the task records it and the orders line carries it (docs/capture.md).  0, or
 * STRATA_EINVAL with *why (static) for a value other than "yes".
 */
int capture_order_force(const char *force, struct capture_order *o, const char **why);

/**
 * The order of an inventory line `machine ... action=capture [as=PROFILE prepared=yes]
 * [force=yes]` (m borrowed), under the same rules as the API's query: one rule for both,
 * so the inventory cannot order what POST /api/capture/NAME would refuse.  0 with *o, or
 * STRATA_EINVAL with *why (static).
 */
int capture_order_of_machine(const struct inv_machine *m, struct capture_order *o,
			     const char **why);

/** Largest chunk an upload carries: the store's largest chunk size (format.h). */
#define CAPTURE_CHUNK_MAX (1u << STRATA_CHUNK_SHIFT_MAX)
/** Largest chunk upload body: a chunk, or its zlib stream, which for incompressible bytes
 *  is a little longer (zlib's bound: 5 bytes a 16 KiB block, and 6 of framing). */
#define CAPTURE_CHUNK_BODY_MAX (CAPTURE_CHUNK_MAX + CAPTURE_CHUNK_MAX / 1024 + 64)

/**
 * Read a chunk upload's query values (decoded, borrowed, NULL when absent): z "1" for a
 * zlib stream or absent / "0" for raw bytes, len the chunk's bytes in decimal (required
 * with z=1; when given for raw bytes it must equal body_len).  0 with *zlib and *len
 * set, or STRATA_EINVAL (malformed), STRATA_ERANGE (len 0 or over CAPTURE_CHUNK_MAX),
 * with *why (static) saying which.
 */
int capture_chunk_query(const char *z, const char *len, size_t body_len, int *zlib,
			size_t *out_len, const char **why);

/** Bytes of a hello's body: "eph=", the point's 130 hex digits, '\n'. */
#define CAPTURE_HELLO_BODY (4 + 2 * STRATA_KEY_PUB_LEN + 1)

/**
 * Read a hello's body (POST /capture/hello, docs/capture.md): exactly "eph=" and the
 * client's ephemeral P-256 point (65 bytes, uncompressed) as lowercase hex, then '\n'.
 * body is hostile (len bytes, borrowed); nothing is read past len.  0 with the point in
 * eph, or STRATA_EINVAL.  Whether the point lies on the curve is the ECDH's check.
 */
int capture_hello_parse(const char *body, size_t len, uint8_t eph[STRATA_KEY_PUB_LEN]);

#endif /* STRATA_CAPTURE_PARSE_H */
