/*
 * Chunk runs: many chunks in one HTTP response, so a fresh deployment does not pay a
 * round trip per chunk.  GET /store/runs/<layer>/<first>-<last> returns the store files of
 * the layer's chunks first..last (inclusive) concatenated in index order, zero chunks
 * skipped (they have no file); the client splits the body with the stored sizes from the
 * index it already holds.  The plain files stay servable by any static server; runs are
 * an optimisation a client may use when the server offers them.
 */
#ifndef STRATA_HTTP_RUN_H
#define STRATA_HTTP_RUN_H

#include <stdint.h>
#include <sys/types.h>
#include "index.h"

struct MHD_Response;
struct run;

/** Longest run served, in chunks, and in bytes. */
#define RUN_MAX_CHUNKS 4096
#define RUN_MAX_BYTES (256u << 20)

/**
 * A streaming response *out for chunks first..last of the layer whose opened index is idx
 * (borrowed, from the server's layer cache), with its chunk files in the store at dir or,
 * for a chunk dir lacks, in also (NULL: none; a machine's private generation names the
 * public chunks it shares with its gold image); *len is its body size.  STRATA_ERANGE when the range is out of bounds or too large,
 * STRATA_ENOENT when a chunk file is missing or of the wrong size, STRATA_ENOMEM; *why
 * then says which, for the error body.  The response owns its reading state.
 */
int http_run_response(const char *dir, const char *also, const struct strata_index *idx,
		      uint64_t first, uint64_t last, struct MHD_Response **out, uint64_t *len,
		      const char **why);

/**
 * The same run as a reader *out (the caller's, freed with http_run_free) of *len bytes,
 * for a response that transforms the body (a sealed one, http_seal.h).  Same checks and
 * results as http_run_response.
 */
int http_run_open(const char *dir, const char *also, const struct strata_index *idx,
		  uint64_t first, uint64_t last, struct run **out, uint64_t *len,
		  const char **why);

/** The run's next bytes into buf (at most max): the count, 0 at its end, -1 when a chunk
 *  file went away or changed under the server. */
ssize_t http_run_read(struct run *r, void *buf, size_t max);

void http_run_free(struct run *r);

#endif /* STRATA_HTTP_RUN_H */
