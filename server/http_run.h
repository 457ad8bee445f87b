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

struct MHD_Response;

/** Longest run served, in chunks, and in bytes. */
#define RUN_MAX_CHUNKS 4096
#define RUN_MAX_BYTES (256u << 20)

/**
 * A streaming response for chunks first..last of layer in the store at dir; *len is its
 * body size.  NULL with *why set when the layer or a chunk is missing, or the range is
 * out of bounds or too large.  The response owns its reading state.
 */
struct MHD_Response *http_run_response(const char *dir, const uint8_t layer[32],
				       uint64_t first, uint64_t last, uint64_t *len,
				       const char **why);

#endif /* STRATA_HTTP_RUN_H */
