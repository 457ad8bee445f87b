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
 * One sealed body being opened: for a caller whose fetch is made by another layer (the
 * agent's signed requests, which learn the request's counter only when they sign it).
 * Use fetch_opening_data as that fetch's callback, with the opening as its context.
 */
struct fetch_opening {
	struct strata_seal seal;
	fetch_data_fn *cb;           /**< the caller's, for the plaintext */
	void *ctx;
	uint64_t out;                /**< plaintext bytes handed to cb */
	uint64_t size;               /**< the plaintext's size, or FETCH_SIZE_UNKNOWN */
	int started;
};

/**
 * (Re)start o for a body sealed as s says, its plaintext to cb(ctx, ...).  A restart
 * forgets what was opened before (a new request, with a new counter).  0 or STRATA_EINVAL.
 */
int fetch_opening_start(struct fetch_opening *o, const struct fetch_seal *s, fetch_data_fn *cb,
			void *ctx);

/** fetch_data_fn over the sealed bytes (ctx: the opening). */
int fetch_opening_data(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size);

/**
 * The body of url ended: hand out the last plaintext and check the tag.  0, STRATA_EBADSIG
 * (logged naming url), or cb's rc.  Frees o's cipher state; also call it (or
 * fetch_opening_free) when the fetch failed.
 */
int fetch_opening_end(struct fetch_opening *o, const char *url);

/** Free o's cipher state without a check (a failed fetch).  Safe when never started. */
void fetch_opening_free(struct fetch_opening *o);

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
 * Open a whole sealed body body[0..blen) (fetched by url, for the message) with s: its
 * plaintext into a new buffer *buf (the caller's, freed with strata_free; NUL-terminated
 * like fetch_buffer's), *len bytes, only once its tag matched.  STRATA_EBADSIG (logged),
 * STRATA_ENOMEM.  For an index: fetched whole by whoever signs the request, then opened.
 */
int fetch_sealed_open(const struct fetch_seal *s, const char *url, const uint8_t *body,
		      size_t blen, uint8_t **buf, size_t *len);

/**
 * fetch_buffer (fetch_buf.h) of a sealed body: the plaintext, at most max bytes, into a new
 * buffer *buf (the caller's, freed with strata_free), after its tag matched.
 */
int fetch_sealed_buffer(struct fetcher *f, const char *url, const struct fetch_seal *s,
			size_t max, uint8_t **buf, size_t *len);

#endif /* STRATA_EFI_FETCH_SEALED_H */
