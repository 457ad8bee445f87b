/*
 * The multicast fragment datagram (docs/multicast.md): how strata-server's carousel carries
 * a layer's store files to a group, and the one parser every receiver runs on it.
 *
 * Why in core: the server writes these datagrams and strata.efi (and the tests' peers)
 * read them; one header and one file keep both sides on one layout.
 *
 * ## Trust
 * Nothing in a datagram is trusted.  The signed manifest's `multicast` statement
 * (manifest.h) names the group, port, session id, fragment payload size F and parity count
 * m; the layer's index, opened against the signed layer id, gives each chunk's store file
 * size and digest.  A datagram only says where its bytes would go: a receiver checks every
 * field against those (mcast_rx.h), and a reassembled store file reaches a disk only through
 * strata_chunk_decode (inflate, then SHA-256 against the index), exactly as over HTTP.  A
 * forged datagram can cost a repair, never a wrong byte on a disk.  There is no per-datagram
 * MAC: every client of a session would hold its key, so any of them could forge anyway.
 *
 * ## The datagram
 * One UDP datagram is a 40-byte header (struct strata_mc_hdr, every field little-endian,
 * read through le.h) and then exactly one fragment's bytes; nothing follows.  It fits one
 * Ethernet frame: 20 (IP) + 8 (UDP) + 40 + F <= 1500, so F <= STRATA_MC_PAYLOAD_MAX.
 *
 * ## Splitting a store file
 * A chunk's store file (the bytes /store/ serves for it: zlib or raw) of S bytes makes
 * n = ceil(S / F) data fragments; data fragment f holds bytes [f*F, min(S, (f+1)*F)), so
 * only the last one is short.
 *
 * Parity (m > 0; the receiver does not use it yet, the format has it): the n data
 * fragments form B = ceil(n / STRATA_MC_FEC_K) blocks, interleaved so that a burst of
 * losses spreads over blocks: data fragment f is row f / B of block f % B.  Each block has
 * m parity fragments of F bytes over its rows (short rows zero-padded).  Fragment number
 * n + b*m + j is block b's parity row j.  So a fragment number is below n + B*m, which is
 * at most 10,240 (S = 4 MiB, F = 512, m = 8) and fits its 16-bit field.
 *
 * ## Loss
 * seq counts the session's datagrams (every part, every type) and wraps; a receiver counts
 * the gaps it sees as lost datagrams and reports them (mcast_status.h).  cycle counts the
 * carousel's passes over a part.  Neither is trusted for anything else.
 */
#ifndef STRATA_MCAST_H
#define STRATA_MCAST_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "manifest.h"
#include "rc.h"

/** "STMC": a datagram of this format, visible in a packet capture. */
#define STRATA_MC_MAGIC "STMC"
/** Bumped on any incompatible change; a receiver refuses other versions. */
#define STRATA_MC_VERSION 1
/** Header bytes before the fragment. */
#define STRATA_MC_HDR 40
/** Largest F: 1500 - 20 (IP) - 8 (UDP) - 40, one Ethernet frame without IP fragments. */
#define STRATA_MC_PAYLOAD_MAX 1432
/** Smallest F, for links with a smaller MTU (tunnels, some VLAN gear). */
#define STRATA_MC_PAYLOAD_MIN 512
/** Largest datagram: the header and a full fragment. */
#define STRATA_MC_DGRAM_MAX (STRATA_MC_HDR + STRATA_MC_PAYLOAD_MAX)
/** Most data fragments (rows) per parity block. */
#define STRATA_MC_FEC_K 32
/** Most parity fragments per block (m). */
#define STRATA_MC_PARITY_MAX 8
/** Largest store file: a raw chunk of the largest chunk size (4 MiB). */
#define STRATA_MC_STORED_MAX (1u << STRATA_CHUNK_SHIFT_MAX)
/** Chunk indices a datagram may name: a layer of STRATA_IMAGE_SIZE_MAX in the smallest
 *  chunks has no more. */
#define STRATA_MC_CHUNK_LIMIT (STRATA_IMAGE_SIZE_MAX >> STRATA_CHUNK_SHIFT_MIN)

/** Datagram types.  3 is reserved (a beacon) and refused, as is anything else. */
enum strata_mc_type {
	STRATA_MC_DATA = 1,    /**< a data fragment: bytes of the store file */
	STRATA_MC_PARITY = 2,  /**< a parity fragment of one block */
};

/** The header of every datagram.  40 bytes, then the fragment. */
struct strata_mc_hdr {
	uint8_t magic[4];          /**<  0: STRATA_MC_MAGIC, not NUL-terminated */
	uint8_t version;           /**<  4: STRATA_MC_VERSION */
	uint8_t type;              /**<  5: enum strata_mc_type */
	uint8_t part;              /**<  6: the partition's number (`part N`), 1..128 */
	uint8_t parity;            /**<  7: m, parity fragments per block, 0..8 (session-wide) */
	uint8_t session[8];        /**<  8: the manifest's session id */
	uint8_t seq[4];            /**< 16: le32, the session's datagram counter (wraps) */
	uint8_t cycle[4];          /**< 20: le32, the carousel's pass over this part */
	uint8_t chunk[8];          /**< 24: le64, chunk index in the part's layer */
	uint8_t stored_size[4];    /**< 32: le32, S: the chunk's store file size, 1..4 MiB */
	uint8_t frag[2];           /**< 36: le16, fragment number (see the top) */
	uint8_t frag_size[2];      /**< 38: le16, F: a full fragment's bytes, 512..1432 */
};

_Static_assert(sizeof(struct strata_mc_hdr) == STRATA_MC_HDR, "datagram header is 40 bytes");
_Static_assert(offsetof(struct strata_mc_hdr, session) == 8, "session at 8");
_Static_assert(offsetof(struct strata_mc_hdr, seq) == 16, "seq at 16");
_Static_assert(offsetof(struct strata_mc_hdr, cycle) == 20, "cycle at 20");
_Static_assert(offsetof(struct strata_mc_hdr, chunk) == 24, "chunk at 24");
_Static_assert(offsetof(struct strata_mc_hdr, stored_size) == 32, "stored_size at 32");
_Static_assert(offsetof(struct strata_mc_hdr, frag) == 36, "frag at 36");
_Static_assert(offsetof(struct strata_mc_hdr, frag_size) == 38, "frag_size at 38");
_Static_assert(20 + 8 + STRATA_MC_DGRAM_MAX == 1500, "a full datagram is one 1500-byte frame");

/** A datagram, decoded.  payload borrows the datagram's buffer. */
struct strata_mc_frag {
	uint8_t type;              /**< enum strata_mc_type */
	uint8_t part;              /**< 1..STRATA_PART_NUM_MAX */
	uint8_t parity;            /**< m, 0..STRATA_MC_PARITY_MAX */
	uint8_t session[8];
	uint32_t seq;
	uint32_t cycle;
	uint64_t chunk;            /**< < STRATA_MC_CHUNK_LIMIT */
	uint32_t stored_size;      /**< S, 1..STRATA_MC_STORED_MAX */
	uint16_t frag;             /**< < strata_mc_frag_count(S, F, m) */
	uint16_t frag_size;        /**< F, STRATA_MC_PAYLOAD_MIN..STRATA_MC_PAYLOAD_MAX */
	const uint8_t *payload;    /**< the fragment's bytes */
	uint32_t payload_len;      /**< strata_mc_payload_len(S, F, m, frag) */
};

/** n: data fragments of a store file of stored bytes in fragments of frag_size (> 0). */
uint32_t strata_mc_data_frags(uint32_t stored, uint16_t frag_size);

/** B: parity blocks of n data fragments, ceil(n / STRATA_MC_FEC_K). */
uint32_t strata_mc_blocks(uint32_t n);

/** Fragments of a store file, data and parity: n + B*m (the rule at the top). */
uint32_t strata_mc_frag_count(uint32_t stored, uint16_t frag_size, uint8_t parity);

/**
 * Bytes fragment frag of a store file carries: F for a parity fragment, the file's slice
 * for a data one (only the last is short); 0 when frag is past strata_mc_frag_count.
 * The arguments must be in range (the parser checks them first).
 */
uint32_t strata_mc_payload_len(uint32_t stored, uint16_t frag_size, uint8_t parity,
			       uint32_t frag);

/**
 * Read one datagram pkt[0..len) (hostile; borrowed: out->payload points into it) into
 * *out.  Refuses, each with its own message in diag (diag->where = the byte offset of the
 * field at fault): a cut header (STRATA_ETRUNC), a wrong magic (STRATA_EINVAL), another
 * version (STRATA_ENOTSUP), a reserved or unknown type, a part outside 1..128, m above 8,
 * F outside 512..1432, S outside 1..4 MiB, a chunk index past STRATA_MC_CHUNK_LIMIT, a
 * fragment number past the file's fragments or of the other type (STRATA_ERANGE), and a
 * length other than the header and that fragment's bytes (STRATA_ETRUNC short,
 * STRATA_ETRAIL long).  It checks the datagram alone: whether it belongs to this machine's
 * session and layer is mcast_rx.h's job.  0 or the rc; diag may be NULL.
 */
int strata_mc_parse(const void *pkt, size_t len, struct strata_mc_frag *out,
		    struct strata_diag *diag);

/**
 * Write the datagram *f describes into out (STRATA_MC_DGRAM_MAX bytes, the caller's): the
 * header from f's fields, then f->payload_len bytes from f->payload (the caller's; for a
 * data fragment, stored + frag * F).  The writer the server's carousel uses; it refuses
 * (returns 0, out then garbage) anything strata_mc_parse would refuse, so no sender can put
 * on the wire a datagram its receivers drop as malformed.  Returns the datagram's length.
 */
size_t strata_mc_encode(uint8_t *out, const struct strata_mc_frag *f);

/** Bytes a session id is. */
#define STRATA_MC_SESSION_LEN 8

/**
 * The session id of a profile's multicast session: the first 8 bytes of SHA-256 of
 * "strata-mc-v1", one byte of the profile name's length, the name, the group's 4 bytes,
 * the port as le16, and for each carried part in ascending order its number (one byte)
 * and layer id (32 bytes).  Why deterministic: a catalog reload that changes nothing
 * keeps the manifests byte-identical, and a new layer gives a new session, so datagrams
 * of the old one are ignored.  name is name_len bytes (1..255); parts[i] and layers[i]
 * (n of them, n <= STRATA_MAX_PARTS) are the caller's.  0, or STRATA_EINVAL for a name
 * or part count out of range.
 */
int strata_mc_session_id(uint8_t out[STRATA_MC_SESSION_LEN], const char *name,
			 size_t name_len, const uint8_t group[4], uint16_t port,
			 const uint8_t *parts, const uint8_t (*layers)[32], unsigned int n);

#endif /* STRATA_MCAST_H */
