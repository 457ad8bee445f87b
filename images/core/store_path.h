/*
 * Names of the files in a store (layout in format.h), and the URLs a Strata server serves
 * them under: the one place that spells them, for every writer, reader and router.
 *
 *     layers/<hex>.idx               a layer index; <hex> is its id's digest
 *     chunks/<hh>/<hex>              a chunk file; <hh> is the first two digits of <hex>
 *     runs/<hex>/<first>-<last>      (server only) the chunk files of layer <hex>'s chunks
 *                                    first..last, concatenated; decimal, first <= last
 *
 * A server serves these under <base>/store/, and a machine's private layers (its own store
 * folder on the server, never under /store/) under <base>/private/<MAC>/, MAC written
 * "52-54-00-12-34-56" (lowercase, dashes: iPXE escapes a colon in a URL's path) by these
 * builders; only index and run paths are
 * served there.  Digests are written in lowercase hex; the
 * parser takes either case, as a URL may carry either.  Builders write into fixed buffers
 * and parsers take (pointer, length) slices, so both run in strata.efi as on the host.
 */
#ifndef STRATA_STORE_PATH_H
#define STRATA_STORE_PATH_H

#include <stddef.h>
#include <stdint.h>

/** The store's two folders (a writer creates them; a lister reads the first). */
#define STRATA_STORE_LAYERS "layers"
#define STRATA_STORE_CHUNKS "chunks"

/** Room for any relative store path plus its NUL: "runs/" 64 "/" 20 "-" 20. */
#define STRATA_STORE_REL_MAX 128
/** Room for the path of a file (index or chunk) plus its NUL: "layers/" 64 ".idx". */
#define STRATA_STORE_FILE_MAX 96

/** Largest chunk number a run may name: indexes never hold 2^32 chunks of a server's. */
#define STRATA_RUN_INDEX_MAX 0xffffffffu

/** What a store path names. */
enum strata_store_kind {
	STRATA_STORE_NONE = 0,   /**< not a store path */
	STRATA_STORE_INDEX,      /**< layers/<hex>.idx */
	STRATA_STORE_CHUNK,      /**< chunks/<hh>/<hex> */
	STRATA_STORE_RUN,        /**< runs/<hex>/<first>-<last> */
};

/** A store path, decoded: the kind, the digest it names, and for a run its chunks. */
struct strata_store_ref {
	enum strata_store_kind kind;
	uint8_t digest[32];      /**< layer id digest (index, run) or chunk digest */
	uint64_t first, last;    /**< STRATA_STORE_RUN only, inclusive */
};

/** Write ref's relative path plus a NUL into out; returns its length (0 for NONE). */
size_t strata_store_rel(char out[STRATA_STORE_REL_MAX], const struct strata_store_ref *ref);

/** The index path of layer id: strata_store_rel for a STRATA_STORE_INDEX ref. */
size_t strata_store_index_rel(char out[STRATA_STORE_FILE_MAX], const uint8_t id[32]);

/** The chunk file path of digest: strata_store_rel for a STRATA_STORE_CHUNK ref. */
size_t strata_store_chunk_rel(char out[STRATA_STORE_FILE_MAX], const uint8_t digest[32]);

/**
 * Decode a relative store path s[0..len) (hostile: a URL path) into *ref.  Accepts exactly
 * the grammar above and nothing near it (no empty segment, no trailing '/', no leading
 * zeros, a chunk's <hh> equal to its name's first two digits).  0 or STRATA_EINVAL.
 * In store_path_parse.c, which strata.efi does not link.
 */
int strata_store_rel_parse(struct strata_store_ref *ref, const char *s, size_t len);

/**
 * The URL a Strata server serves ref under: "<base>/store/<rel>", NUL-terminated, into
 * out (cap bytes).  base is borrowed and has no trailing '/'.  0, or STRATA_ERANGE when it
 * does not fit (out then holds nothing usable).
 */
int strata_store_url(char *out, size_t cap, const char *base,
		     const struct strata_store_ref *ref);

/**
 * The URL of ref in a store whose folder (the one holding layers/ and chunks/) is at root:
 * "<root>/<rel>", NUL-terminated, into out (cap bytes); root is borrowed and has no
 * trailing '/'.  A site's store (a manifest's `store` line, manifest.h) is named this way,
 * and a server's is root "<base>/store".  0 or STRATA_ERANGE.
 */
int strata_store_root_url(char *out, size_t cap, const char *root,
			  const struct strata_store_ref *ref);

/** Room for a private path plus its NUL: "/private/" MAC "/" and a relative path. */
#define STRATA_PRIVATE_PATH_MAX (9 + 17 + 1 + STRATA_STORE_REL_MAX)

/**
 * "/private/<mac>/<rel>" plus a NUL into out: the route of machine mac's private store
 * file ref, and the canonical path a sealed body's tag covers (seal.h).  Returns its
 * length (0 for STRATA_STORE_NONE).
 */
size_t strata_private_path(char out[STRATA_PRIVATE_PATH_MAX], const uint8_t mac[6],
			   const struct strata_store_ref *ref);

/**
 * The URL a Strata server serves machine mac's private file ref under:
 * "<base>/private/<mac>/<rel>", NUL-terminated, into out (cap bytes).  0 or STRATA_ERANGE.
 */
int strata_private_url(char *out, size_t cap, const char *base, const uint8_t mac[6],
		       const struct strata_store_ref *ref);

#endif /* STRATA_STORE_PATH_H */
