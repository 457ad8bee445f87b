/* Sealed responses (see http_seal.h). */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include "http_seal.h"
#include "rc.h"

#define SEAL_BLOCK 65536

/** One sealed response's state, owned by the response. */
struct sealed {
	struct seal_source src;
	struct strata_seal seal;
	uint64_t skip;               /**< sealed bytes still to drop before the slice */
	uint64_t left;               /**< bytes of the slice still to send */
	uint64_t plain_left;         /**< plaintext the source still owes */
	int ended;                   /**< the tag has been produced */
	size_t out_pos, out_len;
	uint8_t in[SEAL_BLOCK];
	uint8_t out[SEAL_BLOCK + 2 * STRATA_SEAL_OVERHEAD];
};

/* Seal the source's next bytes (or the tag at its end) into out.  0 or -1. */
static int fill(struct sealed *z)
{
	ssize_t got;

	z->out_pos = 0;
	if (z->plain_left == 0) {
		z->out_len = strata_seal_final(&z->seal, z->out);
		z->ended = 1;
		return 0;
	}
	got = z->src.read(z->src.ctx, z->in, z->plain_left < SEAL_BLOCK ? z->plain_left
									: SEAL_BLOCK);
	if (got <= 0)
		return -1;   /* ended early or failed: the store changed under the server */
	z->plain_left -= (uint64_t)got;
	z->out_len = strata_seal_update(&z->seal, z->in, (size_t)got, z->out);
	return 0;
}

/* libmicrohttpd pulls the slice through here, in order. */
static ssize_t sealed_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sealed *z = cls;
	size_t n;

	(void)pos;
	while (z->out_pos == z->out_len || z->skip) {
		if (z->out_pos == z->out_len && (z->ended || fill(z)))
			return z->ended && !z->left ? MHD_CONTENT_READER_END_OF_STREAM
				: MHD_CONTENT_READER_END_WITH_ERROR;
		n = z->out_len - z->out_pos < z->skip ? z->out_len - z->out_pos : (size_t)z->skip;
		z->out_pos += n;
		z->skip -= n;
	}
	n = z->out_len - z->out_pos;
	n = n < max ? n : max;
	n = n < z->left ? n : (size_t)z->left;
	memcpy(buf, z->out + z->out_pos, n);
	z->out_pos += n;
	z->left -= n;
	return (ssize_t)n;
}

static void sealed_free(void *cls)
{
	struct sealed *z = cls;

	strata_seal_free(&z->seal);
	z->src.free(z->src.ctx);
	free(z);
}

int http_sealed_response(const struct seal_source *src, const uint8_t key[STRATA_SEAL_KEY_LEN],
			 uint64_t n, const char *aad, uint64_t start, uint64_t len,
			 struct MHD_Response **out)
{
	struct sealed *z = calloc(1, sizeof(*z));

	if (!z) {
		src->free(src->ctx);
		return STRATA_ENOMEM;
	}
	z->src = *src;
	z->skip = start;
	z->left = len;
	z->plain_left = src->len;
	if (strata_seal_start(&z->seal, 0, key, n, aad, strlen(aad))) {
		sealed_free(z);
		return STRATA_EINVAL;
	}
	*out = MHD_create_response_from_callback(len, SEAL_BLOCK, sealed_read, z, sealed_free);
	if (!*out) {
		sealed_free(z);
		return STRATA_ENOMEM;
	}
	return 0;
}

/** A memory source's position. */
struct mem_src {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, uint8_t *buf, size_t max)
{
	struct mem_src *m = ctx;
	size_t n = m->len - m->pos < max ? m->len - m->pos : max;

	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

int http_seal_source_mem(struct seal_source *src, const uint8_t *buf, size_t len)
{
	struct mem_src *m = calloc(1, sizeof(*m));

	if (!m)
		return STRATA_ENOMEM;
	*m = (struct mem_src){ buf, len, 0 };
	*src = (struct seal_source){ mem_read, free, m, len };
	return 0;
}
