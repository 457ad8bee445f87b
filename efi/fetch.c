/*
 * The fetch interface (see fetch.h): the retry loop, and the sink that keeps the byte-once
 * contract for every back-end (see fetch_sink.h).  Which back-end runs is fetch_open.c's
 * choice; nothing here calls the firmware.
 */
#include <stddef.h>
#include "alloc.h"
#include "clock.h"
#include "fetch.h"
#include "fetch_sink.h"
#include "log.h"
#include "rc.h"

/** Attempts per fetch_get, the first included. */
#define FETCH_ATTEMPTS 5
/** Pause before the first retry; it doubles up to FETCH_PAUSE_MAX_MS.  Short at first
 *  (a dropped connection usually comes back at once), long later (a restarting server). */
#define FETCH_PAUSE_FIRST_MS 500
#define FETCH_PAUSE_MAX_MS 8000

void fetch_sink_begin(struct fetch_sink *s, uint64_t start)
{
	s->next = start;
}

int fetch_sink_size(struct fetch_sink *s, uint64_t size)
{
	if (s->size != FETCH_SIZE_UNKNOWN && s->size != size)
		return log_fail(STRATA_ECORRUPT, "fetch: body size changed between attempts "
				"(%llu, now %llu bytes)", (unsigned long long)s->size,
				(unsigned long long)size);
	if (size < s->delivered)
		return log_fail(STRATA_ECORRUPT, "fetch: body is %llu bytes, but %llu were already "
				"delivered", (unsigned long long)size,
				(unsigned long long)s->delivered);
	s->size = size;
	return 0;
}

int fetch_sink_data(struct fetch_sink *s, uint64_t offset, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t skip;
	int rc;

	if (offset != s->next)
		return log_fail(STRATA_EINVAL, "fetch: piece at byte %llu, expected %llu",
				(unsigned long long)offset, (unsigned long long)s->next);
	if (s->size != FETCH_SIZE_UNKNOWN && (offset > s->size || len > s->size - offset))
		return log_fail(STRATA_ETRAIL, "fetch: body runs past its size of %llu bytes",
				(unsigned long long)s->size);
	s->next += len;
	/* An attempt that could not resume re-reads what an earlier one delivered. */
	skip = offset < s->delivered ? s->delivered - offset : 0;
	if (skip >= len)
		return 0;
	rc = s->cb(s->ctx, s->delivered, p + skip, len - (size_t)skip, s->size);
	if (rc) {
		s->cb_rc = rc;
		return rc;
	}
	s->delivered += len - skip;
	return 0;
}

/* Failures worth another attempt: the network's, the firmware's (most transport faults
 * reach us as EFI_DEVICE_ERROR or as codes efi/rc.c maps to STRATA_EIO), a cut body. */
static int fetch_transient(int rc)
{
	return rc == STRATA_ENET || rc == STRATA_EIO || rc == STRATA_ETRUNC;
}

/* One attempt, with the check the back-end cannot make: did the body end at its size? */
static int fetch_attempt(struct fetcher *f, const char *url, struct fetch_sink *sink)
{
	int rc = f->be->get(f->priv, url, sink);

	if (rc)
		return rc;
	if (sink->size != FETCH_SIZE_UNKNOWN && sink->delivered != sink->size)
		return log_fail(STRATA_ETRUNC, "fetch: %s: body ended at byte %llu of %llu", url,
				(unsigned long long)sink->delivered,
				(unsigned long long)sink->size);
	return 0;
}

int fetch_get(struct fetcher *f, const char *url, fetch_data_fn *cb, void *ctx)
{
	struct fetch_sink sink = { .cb = cb, .ctx = ctx, .size = FETCH_SIZE_UNKNOWN };
	uint32_t pause = FETCH_PAUSE_FIRST_MS;
	int attempt, rc;

	for (attempt = 1;; attempt++) {
		rc = fetch_attempt(f, url, &sink);
		if (!rc || sink.cb_rc || !fetch_transient(rc) || attempt == FETCH_ATTEMPTS)
			break;
		log_msg("fetch: %s: attempt %d of %d failed [%s]; retrying in %u ms from byte %llu",
			url, attempt, FETCH_ATTEMPTS, strata_strerror(rc), pause,
			(unsigned long long)sink.delivered);
		clock_sleep_ms(pause);
		pause = pause * 2 > FETCH_PAUSE_MAX_MS ? FETCH_PAUSE_MAX_MS : pause * 2;
	}
	if (sink.cb_rc)
		return sink.cb_rc;
	if (rc)
		return log_fail(rc, "fetch: %s: failed (%d attempt%s)", url, attempt,
				attempt == 1 ? "" : "s");
	return 0;
}

int fetch_post(struct fetcher *f, const char *url, const struct fetch_body *b,
	       fetch_data_fn *cb, void *ctx)
{
	struct fetch_sink sink = { .cb = cb, .ctx = ctx, .size = FETCH_SIZE_UNKNOWN };
	int rc;

	if (!f->be->post)
		return log_fail(STRATA_ENOTSUP, "fetch: %s: the %s back-end cannot upload", url,
				f->be->name);
	rc = f->be->post(f->priv, url, b, &sink);
	if (sink.cb_rc)
		return sink.cb_rc;
	if (rc == 0 && sink.size != FETCH_SIZE_UNKNOWN && sink.delivered != sink.size)
		rc = log_fail(STRATA_ETRUNC, "fetch: POST %s: answer ended at byte %llu of %llu",
			      url, (unsigned long long)sink.delivered,
			      (unsigned long long)sink.size);
	return rc;
}

const char *fetch_backend_name(const struct fetcher *f)
{
	return f->be->name;
}

void fetch_close(struct fetcher *f)
{
	if (!f)
		return;
	f->be->close(f->priv);
	strata_free(f);
}
