/* Fetching a whole small body (manifest, index, orders) into memory, on top of fetch.h. */
#ifndef STRATA_EFI_FETCH_BUF_H
#define STRATA_EFI_FETCH_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "fetch.h"

/**
 * GET url into a new buffer of at most max bytes, NUL-terminated for text.  *buf is the
 * caller's, freed with strata_free.  STRATA_ERANGE when the body is larger than max;
 * STRATA_ENOENT for 404; other fetch errors as fetch_get returns them.
 */
int fetch_buffer(struct fetcher *f, const char *url, size_t max, uint8_t **buf, size_t *len);

/** fetch_buffer for the answer to a POST of body (fetch_post's contract: one attempt). */
int fetch_post_buffer(struct fetcher *f, const char *url, const struct fetch_body *body,
		      size_t max, uint8_t **buf, size_t *len);

#endif /* STRATA_EFI_FETCH_BUF_H */
