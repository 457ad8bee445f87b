/* Sealed bodies opened as they arrive (see fetch_sealed.h). */
#include "alloc.h"
#include "fetch_buf.h"
#include "fetch_sealed.h"
#include "log.h"
#include "rc.h"

/** Plaintext handed to the callback per call: bounded, so the buffer lives on the stack. */
#define OPEN_PIECE 4096

static int deliver(struct fetch_opening *o, const uint8_t *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = o->cb(o->ctx, o->out, p, n, o->size);
	o->out += n;
	return rc;
}

int fetch_opening_start(struct fetch_opening *o, const struct fetch_seal *s, fetch_data_fn *cb,
			void *ctx)
{
	fetch_opening_free(o);
	o->cb = cb;
	o->ctx = ctx;
	o->out = 0;
	o->size = FETCH_SIZE_UNKNOWN;
	o->started = 1;
	return strata_seal_start(&o->seal, 1, s->key, s->n, s->aad, __builtin_strlen(s->aad));
}

void fetch_opening_free(struct fetch_opening *o)
{
	if (o->started)
		strata_seal_free(&o->seal);
	o->started = 0;
}

/* The sealed bytes, opened in pieces of OPEN_PIECE. */
int fetch_opening_data(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	struct fetch_opening *o = ctx;
	const uint8_t *p = data;
	uint8_t plain[OPEN_PIECE + STRATA_SEAL_OVERHEAD];
	int rc;

	(void)offset;
	o->size = size == FETCH_SIZE_UNKNOWN || size < STRATA_SEAL_OVERHEAD ? FETCH_SIZE_UNKNOWN
		: size - STRATA_SEAL_OVERHEAD;
	while (len) {
		size_t take = len < OPEN_PIECE ? len : OPEN_PIECE;

		rc = deliver(o, plain, strata_seal_update(&o->seal, p, take, plain));
		if (rc)
			return rc;
		p += take;
		len -= take;
	}
	return 0;
}

/* The tag's failure line: the one message for both ways of opening. */
static int tag_failed(const char *url)
{
	return log_fail(STRATA_EBADSIG, "fetch: %s: the sealed body fails its check (AES-GCM "
			"tag): it was changed on the way or sealed for another request or session",
			url);
}

int fetch_opening_end(struct fetch_opening *o, const char *url)
{
	uint8_t last[STRATA_SEAL_OVERHEAD];
	size_t n;
	int rc = strata_open_final(&o->seal, last, &n);

	rc = rc ? tag_failed(url) : deliver(o, last, n);
	fetch_opening_free(o);
	return rc;
}

int fetch_sealed(struct fetcher *f, const char *url, const struct fetch_seal *s,
		 fetch_data_fn *cb, void *ctx)
{
	struct fetch_opening o = { 0 };
	int rc = fetch_opening_start(&o, s, cb, ctx);

	if (rc == 0)
		rc = fetch_get(f, url, fetch_opening_data, &o);
	if (rc == 0)
		return fetch_opening_end(&o, url);
	fetch_opening_free(&o);
	return rc;
}

int fetch_sealed_open(const struct fetch_seal *s, const char *url, const uint8_t *body,
		      size_t blen, uint8_t **buf, size_t *len)
{
	struct strata_seal sl;
	uint8_t *out = strata_alloc(blen + STRATA_SEAL_OVERHEAD + 1);
	size_t n, last;
	int rc;

	if (!out)
		return STRATA_ENOMEM;
	rc = strata_seal_start(&sl, 1, s->key, s->n, s->aad, __builtin_strlen(s->aad));
	if (rc == 0) {
		n = strata_seal_update(&sl, body, blen, out);
		rc = strata_open_final(&sl, out + n, &last);
		n += last;
	}
	strata_seal_free(&sl);
	if (rc) {
		strata_free(out);
		return tag_failed(url);
	}
	out[n] = '\0';
	*buf = out;
	*len = n;
	return 0;
}

int fetch_sealed_buffer(struct fetcher *f, const char *url, const struct fetch_seal *s,
			size_t max, uint8_t **buf, size_t *len)
{
	uint8_t *body;
	size_t blen;
	int rc = fetch_buffer(f, url, max + STRATA_SEAL_OVERHEAD, &body, &blen);

	if (rc)
		return rc;
	rc = fetch_sealed_open(s, url, body, blen, buf, len);
	strata_free(body);
	return rc;
}
