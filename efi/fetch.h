/*
 * strata.efi's network: fetch a URL and stream its body to a callback.
 *
 * Two back-ends, picked at run time by what started the agent:
 *   - iPXE's download protocol (fetch_ipxe.c) when iPXE chained us: iPXE owns the NIC then,
 *     and the firmware's network stack must stay out of its way;
 *   - the firmware's EFI_HTTP_PROTOCOL (fetch_http.c) otherwise, e.g. after UEFI HTTP Boot
 *     or when firmware PXE loaded strata.efi itself (a capture, docs/capture.md).
 * Uploads (fetch_post) always go through EFI_HTTP: iPXE's download protocol has no method
 * but GET.
 *
 * The contract every caller relies on, whatever the back-end:
 *   - the callback sees the body's bytes in order, each exactly once, also across retries;
 *   - transient failures (network errors, timeouts, a body cut short) are retried inside
 *     fetch_get with growing pauses; a retry resumes after the last byte delivered (with a
 *     Range request where the back-end can send one, else by skipping the bytes again);
 *   - a body whose size changes between attempts fails (STRATA_ECORRUPT): the bytes
 *     already delivered belong to another version.  A same-size change is not detected
 *     here; Strata's callers verify digests of everything they fetch.
 *
 * Only one fetcher exists at a time and only one fetch runs at a time (firmware networking
 * is single-threaded and polled).
 *
 * fetch_open.h opens a fetcher on the firmware; this header and fetch.c hold no firmware
 * types or calls, so the contract is unit-tested on the host (tests/unit/test_efi_fetch.c).
 */
#ifndef STRATA_EFI_FETCH_H
#define STRATA_EFI_FETCH_H

#include <stddef.h>
#include <stdint.h>

/** The size argument when the server did not say how big the body is. */
#define FETCH_SIZE_UNKNOWN UINT64_MAX

/**
 * Receives a piece of the body: data[0..len) is at offset in the body (offset is the sum of
 * all earlier len), size the whole body's length or FETCH_SIZE_UNKNOWN, the same in every
 * call of one fetch_get.  data is borrowed for the call only.  Return 0 to go on, or an rc
 * to stop: fetch_get then returns that rc at once, without retrying.
 */
typedef int fetch_data_fn(void *ctx, uint64_t offset, const void *data, size_t len,
			  uint64_t size);

/** An open network back-end; opaque. */
struct fetcher;

/**
 * GET url (http://, or whatever the back-end's firmware supports) and stream its body to
 * cb(ctx, ...) under the contract above.  Returns 0 once the whole body was delivered;
 * STRATA_ENOENT for a 404; the callback's rc if it stopped the fetch; else the last
 * attempt's rc (usually STRATA_ENET) when the retries ran out.  Every failure is logged.
 */
int fetch_get(struct fetcher *f, const char *url, fetch_data_fn *cb, void *ctx);

/** What fetch_post sends: body[0..len) (borrowed for the call) of content type ctype. */
struct fetch_body {
	const void *data;
	size_t len;
	const char *ctype;   /**< e.g. "text/plain", "application/octet-stream" */
};

/**
 * POST b to url and stream the answer's body to cb(ctx, ...) under the contract above.
 * Why one attempt only: a POST may change the server's state, and Strata signs each write
 * with a single-use counter, so a retry is the caller's, with a new signature.  Returns 0
 * once a 2xx answer was delivered whole; else the status's rc from fetch_http.c's one table
 * (STRATA_ENOENT 404, STRATA_EACCES 403, STRATA_ESTALE 409, STRATA_ENET for 5xx and for
 * network failures, ...), or STRATA_ENOTSUP (logged) when no back-end can upload.  The
 * answer's text of a refusal is logged.  Under iPXE, which can only download, the upload
 * goes through the firmware's EFI_HTTP on the same NIC, opened at the first POST; no iPXE
 * download is open then (fetch is single-threaded).
 */
int fetch_post(struct fetcher *f, const char *url, const struct fetch_body *b,
	       fetch_data_fn *cb, void *ctx);

/** The back-end's name ("ipxe" or "efi-http"), for messages.  Static. */
const char *fetch_backend_name(const struct fetcher *f);

/** Stop the back-end and free f; NULL is allowed. */
void fetch_close(struct fetcher *f);

#endif /* STRATA_EFI_FETCH_H */
