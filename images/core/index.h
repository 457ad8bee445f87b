/*
 * Layer indexes (format.h): parse, validate and encode.
 *
 * Parsing borrows the caller's buffer and allocates nothing, so strata.efi and the server
 * can validate an index in place; everything a later step relies on (chunk count, sizes,
 * flags) is checked here once, so the rest of the code can trust a parsed index.
 */
#ifndef STRATA_INDEX_H
#define STRATA_INDEX_H

#include <stdint.h>
#include <stddef.h>
#include "format.h"
#include "rc.h"

/** A parsed index.  Borrows the buffer given to strata_index_parse. */
struct strata_index {
	const uint8_t *entries;  /**< data entries, in the caller's buffer: chunk_count of them
				      in version 1, one per chunk no run covers in 2 and 3 */
	const uint8_t *runs;     /**< run_count run records (versions 2, 3), in the caller's
				      buffer */
	uint64_t run_count;
	uint64_t image_size;
	uint64_t chunk_count;
	uint32_t chunk_size;
	uint32_t flags;          /**< STRATA_INDEX_*: how the layer was built */
	uint16_t version;        /**< 1, 2 or 3: what the file was, for inspect */
	uint8_t entry_size;      /**< bytes per data entry: 40, or 34/35 in version 3 */
	uint8_t chunk_shift;
};

/** One chunk of a layer, decoded from its entry. */
struct strata_chunk {
	uint64_t index;        /**< position in the layer */
	uint64_t offset;       /**< byte offset in the image */
	uint32_t length;       /**< chunk_size, or less for the last chunk */
	uint32_t stored_size;  /**< bytes of its store file; 0 for a zero chunk */
	uint32_t flags;        /**< STRATA_ENTRY_* */
	uint8_t digest[32];    /**< SHA-256 of the uncompressed bytes */
};

/** Chunks in an image of image_size bytes cut at 2^shift: the count an index must hold. */
uint64_t strata_chunk_count(uint64_t image_size, unsigned int shift);

/**
 * Validate a whole index file and describe it in *idx.  Rejects a bad header, any entry
 * that is out of range or inconsistent, truncation and trailing bytes.  On failure,
 * diag->where is the byte offset of the offending field.  idx borrows buf.
 */
int strata_index_parse(struct strata_index *idx, const void *buf, size_t len,
		       struct strata_diag *diag);

/**
 * Open a layer from its index file: check that buf[0..len) hashes to the layer id (the
 * digest of "sha256:<hex>"), then parse it.  This is the only way from fetched bytes to a
 * trusted index, so every front end refuses a corrupt store the same way: STRATA_ECORRUPT
 * (diag->where 0) on a hash mismatch, else strata_index_parse's rc and diag.  idx borrows
 * buf, which stays the caller's.
 */
int strata_layer_open(struct strata_index *idx, const uint8_t id[32], const void *buf,
		      size_t len, struct strata_diag *diag);

/** Decode chunk i (< idx->chunk_count) of a parsed index into *c.  A zero or free chunk
 *  has stored_size 0 and an all-zero digest; a data chunk's ZLIB flag is set exactly when
 *  its stored size is less than its length, whatever the version.  O(log runs): a binary
 *  search in versions 2 and 3.  Allocates nothing. */
void strata_index_chunk(const struct strata_index *idx, uint64_t i, struct strata_chunk *c);

/**
 * The first chunk at or after i that has a data entry (no run of zero or free chunks
 * covers it), or idx->chunk_count when none does.  Why: a walk over the chunks with files
 * must cost the index's entries, not its chunk count; an index from an untrusted client
 * can declare 2^50 bytes in one run.  O(log runs) per run skipped.
 */
uint64_t strata_index_next_data(const struct strata_index *idx, uint64_t i);

/**
 * Give data chunk i (< idx->chunk_count, a chunk with a store file) of idx another store
 * file size, stored (1..its length), in place in buf, the writable buffer idx was parsed
 * from: its entry's stored size becomes stored and, in versions 1 and 2, its ZLIB flag
 * follows the format's rule (set exactly when stored < length), so the index stays valid
 * and canonical in its own version.  Why: a
 * chunk's name is the SHA-256 of its plain bytes, and a store built at another zlib level
 * holds the same chunk in a file of another size; strata-server makes a committed index
 * name the files its store holds (docs/capture.md, "Commit").  0, or STRATA_EINVAL (chunk
 * i has no file, or stored is out of range: nothing changed).
 */
int strata_index_set_stored(const struct strata_index *idx, void *buf, uint64_t i,
			    uint32_t stored);

/*
 * Writing.  The per-chunk form (a version 1 header and one 40-byte entry per chunk) is what
 * a build fills, one entry per chunk from any thread, and what tests write as an old index;
 * strata_index_encode turns its entries into the version 3 file that is published.
 */

/** Bytes a version 1 index of chunk_count entries occupies. */
uint64_t strata_index_size(uint64_t chunk_count);

/** Bytes of one data entry of an index of version at chunk shift: what its header's
 *  entry_size holds (40 before version 3; 34 up to 64 KiB chunks, 35 above, in 3). */
unsigned int strata_index_entry_size(unsigned int version, unsigned int shift);

/** Write a version 1 header for an image of image_size bytes in chunks of 2^shift. */
int strata_index_header_encode(uint8_t out[64], uint64_t image_size, unsigned int shift);

/** Write the 40-byte per-chunk entry for *c (zero chunks flagged, free ones too). */
void strata_index_entry_encode(uint8_t out[40], const struct strata_chunk *c);

/**
 * Encode the version 3 index of an image from its per-chunk entries (one per chunk, as
 * strata_index_entry_encode writes them, each data chunk with a stored size in 1..its
 * length; an entry flagged ZERO or FREE is not data).  With out NULL, only sets *len to
 * the size needed; otherwise out must hold *len bytes.  flags is STRATA_INDEX_* for the
 * header.  Both buffers stay the caller's.  STRATA_ERANGE for a shift or size the format
 * does not allow, STRATA_EINVAL for unknown flags or a data entry whose stored size is
 * outside 1..its chunk's length (nothing is written then).
 */
int strata_index_encode(uint8_t *out, size_t *len, const uint8_t *entries, uint64_t image_size,
			unsigned int shift, uint32_t flags);

/**
 * strata_index_encode in version (STRATA_INDEX_VERSION or STRATA_INDEX_VERSION_V2, else
 * STRATA_EINVAL).  Why: every reader must keep reading version 2, so its tests and the
 * fuzzer need a version 2 file's canonical bytes; builds write only the current version.
 */
int strata_index_encode_as(unsigned int version, uint8_t *out, size_t *len,
			   const uint8_t *entries, uint64_t image_size, unsigned int shift,
			   uint32_t flags);

#endif /* STRATA_INDEX_H */
