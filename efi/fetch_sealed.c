/* Sealed bodies opened as they arrive (see fetch_sealed.h). */
#include "fetch_sealed.h"
#include "log.h"
#include "rc.h"

/** Plaintext handed to the callback per call: bounded, so the buffer lives on the stack. */
#define OPEN_PIECE 4096

/** One sealed fetch's state. */
struct opening {
	struct strata_seal seal;
	fetch_data_fn *cb;
	void *ctx;
	uint64_t out;                /**< plaintext bytes handed to cb */
	uint64_t size;               /**< the plaintext's size, or FETCH_SIZE_UNKNOWN */
};

static int deliver(struct opening *o, const uint8_t *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = o->cb(o->ctx, o->out, p, n, o->size);
	o->out += n;
	return rc;
}

/* fetch_get's callback: the sealed bytes, opened in pieces of OPEN_PIECE. */
static int on_sealed(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	struct opening *o = ctx;
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

int fetch_sealed(struct fetcher *f, const char *url, const struct fetch_seal *s,
		 fetch_data_fn *cb, void *ctx)
{
	struct opening o = { .cb = cb, .ctx = ctx, .size = FETCH_SIZE_UNKNOWN };
	uint8_t last[STRATA_SEAL_OVERHEAD];
	size_t n;
	int rc = strata_seal_start(&o.seal, 1, s->key, s->n, s->aad, __builtin_strlen(s->aad));

	if (rc == 0)
		rc = fetch_get(f, url, on_sealed, &o);
	if (rc == 0) {
		rc = strata_open_final(&o.seal, last, &n);
		if (rc)
			log_msg("fetch: %s: the sealed body fails its check (AES-GCM tag): it was "
				"changed on the way or sealed for another request or session", url);
		else
			rc = deliver(&o, last, n);
	}
	strata_seal_free(&o.seal);
	return rc;
}
