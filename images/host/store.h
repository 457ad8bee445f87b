/*
 * A chunk store (layout in core/format.h), local or remote.
 *
 * `--store` names a folder or an http:// URL; both give the same read interface, and a
 * folder can also be written.  Reads go through a per-thread store_reader, because a
 * remote store keeps one HTTP connection (keep-alive) per worker thread.
 *
 * Everything read is checked against its name before it is returned: an index must hash to
 * its layer id, a chunk file must have the size the index gives (its hash is checked by
 * strata_chunk_decode after inflating).
 */
#ifndef STRATA_STORE_H
#define STRATA_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "deploy.h"
#include "index.h"

struct store;
struct store_reader;

/**
 * Open a store: spec is a folder or an http(s):// URL.  Folders are created if create.  A
 * URL with a byte that is not printable ASCII, a "%00" or a '%' without two hex digits is
 * refused: a server that decodes it would cut the path at the NUL and serve another file.
 */
int store_open(const char *spec, int create, struct store **out);
void store_close(struct store *s);
/** The spec the store was opened with, for messages.  Borrowed. */
const char *store_name(const struct store *s);

/**
 * How slow a remote store may be.  A transfer that averages under low_speed_limit bytes/s
 * for low_speed_time seconds is abandoned with STRATA_ETIMEDOUT and not retried: a store
 * that trickles (2 bytes/s keeps a connection alive for ever) would otherwise hold an
 * apply without a word, and each retry would only wait as long again.  Folders ignore it.
 */
struct store_limits {
	uint32_t low_speed_limit;   /**< bytes/s; STORE_LOW_SPEED_LIMIT by default */
	uint32_t low_speed_time;    /**< seconds; STORE_LOW_SPEED_TIME by default */
};

#define STORE_LOW_SPEED_LIMIT 1024
#define STORE_LOW_SPEED_TIME 30

/** Replace the defaults store_open set; readers opened afterwards use them. */
void store_set_limits(struct store *s, const struct store_limits *l);
/** The limits in force, for the backends.  Borrowed. */
const struct store_limits *store_get_limits(const struct store *s);

/** "layers/<hex>.idx" or "chunks/<hh>/<hex>" for a digest, into out (>= 96 bytes): the
 *  core's names (store_path.h), kept for callers that predate them. */
void store_index_rel(char *out, const uint8_t id[32]);
void store_chunk_rel(char *out, const uint8_t digest[32]);

/** A per-thread reading handle.  Owned by the caller; close with store_reader_close. */
int store_reader_open(struct store *s, struct store_reader **out);
void store_reader_close(struct store_reader *r);

/**
 * Fetch a layer index and open it with the core (strata_layer_open: it must hash to id,
 * then parse).  *buf is allocated and owned by the caller; idx borrows it.  Prints its
 * error naming the store and file.
 */
int store_get_layer(struct store_reader *r, const uint8_t id[32], uint8_t **buf, size_t *len,
		    struct strata_index *idx);

/**
 * Fetch a chunk file of exactly `size` bytes into buf (borrowed, >= size).  STRATA_ENOENT
 * when missing, STRATA_ECORRUPT on a wrong size; other failures after retries.  Prints
 * nothing: the caller names the chunk.  *why gets a static reason on failure.
 */
int store_get_chunk(struct store_reader *r, const uint8_t digest[32], uint8_t *buf,
		    size_t size, const char **why);

/**
 * Stream rel (relative to the store's root) to fn, for stores that serve more than files
 * (strata-server's chunk runs).  STRATA_ENOTSUP when the backend cannot stream,
 * STRATA_ENOENT when the server has no such path; fn's non-zero return; other failures
 * after retries.  Prints nothing; *why gets a static reason on failure.
 */
int store_get_stream(struct store_reader *r, const char *rel, strata_sink_fn *fn,
		     void *fn_ctx, const char **why);

/**
 * Call fn(ctx, id) for every layer of folder store s (each layers/<hex>.idx, in directory
 * order), until fn returns non-zero, which is returned.  0 when all were called; an rc
 * (printed) when the folder cannot be listed.
 */
int store_each_layer(struct store *s, int (*fn)(void *ctx, const uint8_t id[32]), void *ctx);

/** Writable folder stores only.  Size of an existing chunk file, or STRATA_ENOENT. */
int store_chunk_size(struct store *s, const uint8_t digest[32], uint64_t *size);
/** Add a chunk file atomically (temporary name, then rename).  Borrows buf. */
int store_put_chunk(struct store *s, const uint8_t digest[32], const void *buf, size_t len);
/** Add an index; its SHA-256 is its id, returned in id.  Borrows buf. */
int store_put_index(struct store *s, const void *buf, size_t len, uint8_t id[32]);

/** The backend interface behind a store (store_dir.c, store_http.c). */
struct store_backend {
	/** Read rel into a new buffer of at most max bytes (caller frees). */
	int (*get_alloc)(struct store_reader *r, const char *rel, size_t max, uint8_t **buf,
			 size_t *len, const char **why);
	/** Read rel, which must be exactly size bytes, into buf. */
	int (*get_into)(struct store_reader *r, const char *rel, uint8_t *buf, size_t size,
			const char **why);
	/** Pass rel's body to fn as it arrives, each byte once (a cut transfer resumes where
	 *  it stopped); fn's non-zero return stops it and is returned.  NULL for backends
	 *  whose servers have nothing to stream (a folder). */
	int (*get_stream)(struct store_reader *r, const char *rel, strata_sink_fn *fn,
			  void *fn_ctx, const char **why);
	int (*reader_open)(struct store *s, struct store_reader **out);
	void (*reader_close)(struct store_reader *r);
};

extern const struct store_backend store_dir_backend;
extern const struct store_backend store_http_backend;

/** Fields every backend needs; backends reach them through store_root. */
const char *store_root(const struct store *s);

#endif /* STRATA_STORE_H */
