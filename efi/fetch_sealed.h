/*
 * Fetching a sealed body (images/core/seal.h): a machine's private layer's index or run,
 * opened as it arrives, on top of fetch.h.
 *
 * The caller's callback sees the plaintext under fetch.h's contract (in order, each byte
 * once, across retries and Range resumes: fetch.c hands this file the sealed stream that
 * way, so the stream is opened exactly once).  The tag comes last, so the plaintext handed
 * out before it is unauthenticated: strata.efi's callers write no byte they have not
 * checked by digest against the layer's index anyway (the index itself is opened whole
 * before it is used), and a tag that does not match fails the fetch by name.
 */
#ifndef STRATA_EFI_FETCH_SEALED_H
#define STRATA_EFI_FETCH_SEALED_H

#include <stddef.h>
#include <stdint.h>
#include "fetch.h"
#include "seal.h"

/** What opens one sealed body: the session's key, the request's counter, its path. */
struct fetch_seal {
	const uint8_t *key;          /**< the session's enc key (STRATA_SEAL_KEY_LEN), borrowed */
	uint64_t n;                  /**< the signed request's counter */
	const char *aad;             /**< its canonical private path (strata_private_path) */
};

/**
 * GET url and open its sealed body with s, streaming the plaintext to cb(ctx, ...); the
 * size argument is the plaintext's (the body's less the tag) or FETCH_SIZE_UNKNOWN.
 * 0 once the whole body arrived and its tag matched; STRATA_EBADSIG (logged, naming url)
 * when the tag does not match or the body is shorter than one; else fetch_get's result.
 * Borrows everything.
 */
int fetch_sealed(struct fetcher *f, const char *url, const struct fetch_seal *s,
		 fetch_data_fn *cb, void *ctx);

/**
 * fetch_buffer (fetch_buf.h) of a sealed body: the plaintext, at most max bytes, into a new
 * buffer *buf (the caller's, freed with strata_free), after its tag matched.
 */
int fetch_sealed_buffer(struct fetcher *f, const char *url, const struct fetch_seal *s,
			size_t max, uint8_t **buf, size_t *len);

#endif /* STRATA_EFI_FETCH_SEALED_H */
