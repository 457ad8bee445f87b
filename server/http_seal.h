/*
 * Sealed responses: a private layer's index or run, sealed to the asking machine's session
 * (core/seal.h has the format) as libmicrohttpd pulls the body, so a 256 MiB run is never
 * held whole.
 *
 * Range: the agent's fetch layer resumes a cut body with a Range request on the same
 * signed URL.  The same URL seals the same plaintext under the same counter, so the sealed
 * bytes are the same every time; a range is answered by sealing from the start and
 * sending only the asked slice (GCM's tag needs every byte before it, and re-sealing the
 * bytes before the slice costs one AES pass over them, cheap beside the network).
 */
#ifndef STRATA_HTTP_SEAL_H
#define STRATA_HTTP_SEAL_H

#include <stdint.h>
#include <sys/types.h>
#include "seal.h"

struct MHD_Response;

/** A plaintext body, read in order: what a sealed response seals.  Owned by the response
 *  once handed to http_sealed_response. */
struct seal_source {
	ssize_t (*read)(void *ctx, uint8_t *buf, size_t max); /**< bytes, 0 at the end, <0 error */
	void (*free)(void *ctx);
	void *ctx;
	uint64_t len;                /**< plaintext bytes the reader gives */
};

/** A sealed body's size: the plaintext's and the tag. */
static inline uint64_t http_sealed_size(uint64_t plain)
{
	return plain + STRATA_SEAL_OVERHEAD;
}

/**
 * A response *out of the bytes [start, start + len) of src's plaintext sealed under key
 * with request counter n and canonical path aad (both copied).  Takes src (freed with the
 * response, or here on failure).  0, or STRATA_ENOMEM / STRATA_EINVAL.
 */
int http_sealed_response(const struct seal_source *src, const uint8_t key[STRATA_SEAL_KEY_LEN],
			 uint64_t n, const char *aad, uint64_t start, uint64_t len,
			 struct MHD_Response **out);

/**
 * A source reading buf[0..len) (borrowed: it must outlive the response; the server's layer
 * cache keeps indexes for its life).  0 or STRATA_ENOMEM.
 */
int http_seal_source_mem(struct seal_source *src, const uint8_t *buf, size_t len);

#endif /* STRATA_HTTP_SEAL_H */
