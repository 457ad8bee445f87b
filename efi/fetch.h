/*
 * strata.efi's network: fetch a URL and stream its body to a callback.
 *
 * Two back-ends, picked at run time by what started the agent:
 *   - iPXE's download protocol (fetch_ipxe.c) when iPXE chained us: iPXE owns the NIC then,
 *     and the firmware's network stack must stay out of its way;
 *   - the firmware's EFI_HTTP_PROTOCOL (fetch_http.c) otherwise, e.g. after UEFI HTTP Boot.
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

/** The back-end's name ("ipxe" or "efi-http"), for messages.  Static. */
const char *fetch_backend_name(const struct fetcher *f);

/** Stop the back-end and free f; NULL is allowed. */
void fetch_close(struct fetcher *f);

#endif /* STRATA_EFI_FETCH_H */
