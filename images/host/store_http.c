/*
 * The HTTP backend of a store, on libcurl (see store.h).
 *
 * One easy handle per reader keeps its connection alive across chunks.  A failed transfer
 * is retried with backoff; a transfer cut off part-way resumes with a Range request from
 * the bytes already received, falling back to a whole fetch if the server ignores ranges
 * (a 200 to the Range request: a buffer starts over, a stream drops what it passed on).
 * The Range header is set by hand (CURLOPT_RANGE), because libcurl's own resume
 * (CURLOPT_RESUME_FROM) fails a 200 answer outright and the fallback would never run.
 * 404 is final at once: a missing chunk will not appear by retrying.  So is a transfer
 * slower than the store's limits (store_limits), or a connection not made in 10 s: it
 * ends with STRATA_ETIMEDOUT, since another try would wait as long again.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host.h"
#include "store.h"

#define HTTP_TRIES 6
#define HTTP_BACKOFF_MS 200

struct store_reader {
	struct store *store;
	CURL *curl;
	char why[CURL_ERROR_SIZE];   /**< last failure, for messages (libcurl's own words) */
};

/** Where a transfer's body goes: a fixed buffer, a growing one up to max, or a stream. */
struct sink {
	uint8_t *buf;
	size_t pos, cap, max;
	int grow;
	int overflow;
	CURL *curl;
	int checked;    /**< the status of this attempt has been looked at */
	strata_sink_fn *fn;  /**< stream mode: bytes go to fn, each once, pos counts them */
	void *fn_ctx;
	int fn_rc;      /**< fn's non-zero return, which stopped the transfer */
	int discard;    /**< stream mode: an error page, not the body */
	size_t skip;    /**< stream mode: bytes a resumed 200 repeats, to drop */
};

static int sink_room(struct sink *k, size_t need)
{
	size_t ncap;
	uint8_t *nb;

	if (k->pos + need <= k->cap)
		return 0;
	if (!k->grow || k->pos + need > k->max)
		return -1;
	ncap = k->cap ? k->cap : 65536;
	while (ncap < k->pos + need)
		ncap *= 2;
	nb = realloc(k->buf, ncap);
	if (!nb)
		return -1;
	k->buf = nb;
	k->cap = ncap;
	return 0;
}

/* A resumed request answered with 200 carries the whole file again: a buffer starts over,
 * a stream drops what it already passed on.  A stream never passes on an error page. */
static void check_status(struct sink *k)
{
	long code = 0;

	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200 && k->fn)
		k->skip = k->pos;
	else if (code == 200)
		k->pos = 0;
	k->discard = code != 200 && code != 206;
	k->checked = 1;
}

/* Stream mode: hand the new bytes on; 0 (curl stops) when the consumer said stop. */
static size_t stream_data(struct sink *k, const char *data, size_t n)
{
	size_t skip = k->skip < n ? k->skip : n;

	if (k->discard)
		return n;
	k->skip -= skip;
	if (n > skip && (k->fn_rc = k->fn(k->fn_ctx, data + skip, n - skip)))
		return 0;
	k->pos += n - skip;
	return n;
}

static size_t on_data(char *data, size_t one, size_t n, void *ctx)
{
	struct sink *k = ctx;

	if (!k->checked)
		check_status(k);
	if (k->fn)
		return stream_data(k, data, n);
	if (sink_room(k, n)) {
		k->overflow = 1;
		return 0;
	}
	memcpy(k->buf + k->pos, data, n);
	k->pos += n;
	return n;
}

/* A resumed attempt asks for the bytes from k->pos on (see the top of the file). */
static void http_resume(struct store_reader *r, const struct sink *k)
{
	char range[32];

	snprintf(range, sizeof(range), "%zu-", k->pos);
	curl_easy_setopt(r->curl, CURLOPT_RANGE, k->pos ? range : NULL);
}

static int http_setup(struct store_reader *r, const char *rel, struct sink *k)
{
	const struct store_limits *l = store_get_limits(r->store);
	char url[4096];

	if ((size_t)snprintf(url, sizeof(url), "%s/%s", store_root(r->store), rel) >= sizeof(url))
		return -1;
	curl_easy_reset(r->curl);
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->why);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(r->curl, CURLOPT_LOW_SPEED_LIMIT, (long)l->low_speed_limit);
	curl_easy_setopt(r->curl, CURLOPT_LOW_SPEED_TIME, (long)l->low_speed_time);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "strata-image/1");
	http_resume(r, k);
	return 0;
}

/* A failed attempt's reason into r->why: libcurl's message when it left one. */
static void http_why(struct store_reader *r, CURLcode cc, long code)
{
	if (cc == CURLE_OK)
		snprintf(r->why, sizeof(r->why), "unexpected HTTP status %ld", code);
	else if (!r->why[0])
		snprintf(r->why, sizeof(r->why), "%s", curl_easy_strerror(cc));
}

/* One attempt.  0 done; STRATA_ENOENT and STRATA_ETIMEDOUT final; STRATA_ENET worth
 * retrying. */
static int http_attempt(struct store_reader *r, const char *rel, struct sink *k,
			const char **why)
{
	long code = 0;
	CURLcode cc;

	if (http_setup(r, rel, k)) {
		*why = "URL too long";
		return STRATA_EINVAL;
	}
	k->checked = 0;
	k->curl = r->curl;
	r->why[0] = '\0';
	cc = curl_easy_perform(r->curl);
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
	if (k->fn_rc) {
		*why = "the receiver stopped the transfer";
		return k->fn_rc;
	}
	if (k->overflow) {
		*why = "server sent more bytes than expected";
		return STRATA_ECORRUPT;
	}
	if (code == 404 || code == 410) {
		*why = "missing from the store (HTTP 404)";
		return STRATA_ENOENT;
	}
	if (cc == CURLE_OK && (code == 200 || code == 206))
		return 0;
	http_why(r, cc, code);
	*why = r->why;
	return cc == CURLE_OPERATION_TIMEDOUT ? STRATA_ETIMEDOUT : STRATA_ENET;
}

static int http_get(struct store_reader *r, const char *rel, struct sink *k, const char **why)
{
	int rc = STRATA_ENET;

	for (int t = 0; t < HTTP_TRIES; t++) {
		if (t)
			usleep((useconds_t)HTTP_BACKOFF_MS * 1000u << (t - 1));
		rc = http_attempt(r, rel, k, why);
		if (rc != STRATA_ENET)
			break;
	}
	return rc;
}

static int http_get_into(struct store_reader *r, const char *rel, uint8_t *buf, size_t size,
			 const char **why)
{
	struct sink k = { .buf = buf, .cap = size };
	int rc = http_get(r, rel, &k, why);

	if (rc == 0 && k.pos != size) {
		*why = "chunk file has a different size than the index says";
		return STRATA_ECORRUPT;
	}
	return rc;
}

static int http_get_alloc(struct store_reader *r, const char *rel, size_t max, uint8_t **buf,
			  size_t *len, const char **why)
{
	struct sink k = { .grow = 1, .max = max };
	int rc = http_get(r, rel, &k, why);

	if (rc) {
		free(k.buf);
		return rc;
	}
	*buf = k.buf ? k.buf : malloc(1);
	*len = k.pos;
	return *buf ? 0 : STRATA_ENOMEM;
}

/* Stream mode: resumed where a cut attempt stopped, so fn sees every byte once. */
static int http_get_stream(struct store_reader *r, const char *rel, strata_sink_fn *fn,
			   void *fn_ctx, const char **why)
{
	struct sink k = { .fn = fn, .fn_ctx = fn_ctx };

	return http_get(r, rel, &k, why);
}

static int http_reader_open(struct store *s, struct store_reader **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return errorf("out of memory");
	(*out)->store = s;
	(*out)->curl = curl_easy_init();
	if (!(*out)->curl) {
		free(*out);
		return errorf("%s: cannot start an HTTP client", store_name(s));
	}
	return 0;
}

static void http_reader_close(struct store_reader *r)
{
	curl_easy_cleanup(r->curl);
	free(r);
}

const struct store_backend store_http_backend = {
	.get_alloc = http_get_alloc,
	.get_into = http_get_into,
	.get_stream = http_get_stream,
	.reader_open = http_reader_open,
	.reader_close = http_reader_close,
};
