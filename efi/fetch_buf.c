/* Whole-body fetches (see fetch_buf.h). */
#include <string.h>
#include "alloc.h"
#include "fetch_buf.h"
#include "rc.h"

/** A growing body buffer. */
struct body {
	uint8_t *buf;
	size_t len, cap, max;
};

static int grow(struct body *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *nb;

	if (need > b->max)
		return STRATA_ERANGE;
	while (cap < need + 1)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	nb = strata_alloc(cap);
	if (!nb)
		return STRATA_ENOMEM;
	if (b->buf)
		memcpy(nb, b->buf, b->len);
	strata_free(b->buf);
	b->buf = nb;
	b->cap = cap;
	return 0;
}

static int on_data(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	struct body *b = ctx;
	int rc;

	if (size != FETCH_SIZE_UNKNOWN && size > b->max)
		return STRATA_ERANGE;
	if (offset != b->len)
		return STRATA_EINVAL;         /* the back-end promises bytes in order, once */
	if (b->len + len + 1 > b->cap) {
		rc = grow(b, size != FETCH_SIZE_UNKNOWN && size > b->len + len ? size : b->len + len);
		if (rc)
			return rc;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	return 0;
}

int fetch_buffer(struct fetcher *f, const char *url, size_t max, uint8_t **buf, size_t *len)
{
	struct body b = { .max = max };
	int rc = grow(&b, 0);

	if (rc == 0)
		rc = fetch_get(f, url, on_data, &b);
	if (rc) {
		strata_free(b.buf);
		return rc;
	}
	b.buf[b.len] = '\0';
	*buf = b.buf;
	*len = b.len;
	return 0;
}

int fetch_post_buffer(struct fetcher *f, const char *url, const struct fetch_body *body,
		      size_t max, uint8_t **buf, size_t *len)
{
	struct body b = { .max = max };
	int rc = grow(&b, 0);

	if (rc == 0)
		rc = fetch_post(f, url, body, on_data, &b);
	if (rc) {
		strata_free(b.buf);
		return rc;
	}
	b.buf[b.len] = '\0';
	*buf = b.buf;
	*len = b.len;
	return 0;
}
