/*
 * Unit tests for strata.efi's fetch contract (efi/fetch.h, efi/fetch.c), whole-body
 * fetches (efi/fetch_buf.c) and sealed bodies opened as they arrive (efi/fetch_sealed.c),
 * on the host, with a scripted back-end.
 *
 * Why: fetch.h promises every caller, whatever the back-end, that the callback sees the
 * body's bytes in order and each exactly once, also across retries that resume with a
 * Range request or re-read from byte 0; that a body cut short is retried with growing
 * pauses; and that a body that changes size, runs past its size or arrives out of order
 * fails at once.  In a VM (tests/e2e/efi-fetch.sh) only a few of these cases can be
 * provoked; here each one is a scripted attempt, and the fake clock records the pauses
 * instead of waiting for them.
 */
#include <stdint.h>
#include <string.h>
#include "alloc.h"
#include "efi_host/efi_host.h"
#include "fetch.h"
#include "fetch_buf.h"
#include "fetch_sealed.h"
#include "fetch_sink.h"
#include "harness.h"
#include "rc.h"

#define URL "http://h/blob"
/** The largest body a test serves. */
#define BODY_MAX 20000

/** One scripted attempt of the fake back-end. */
struct attempt {
	int resume;       /**< start at sink->delivered (a Range request), else at 0 */
	uint64_t size;    /**< told to the sink first; FETCH_SIZE_UNKNOWN: not told */
	uint64_t stop;    /**< body offset where the attempt stops sending */
	size_t piece;     /**< bytes per fetch_sink_data call (0: 1460, a TCP segment) */
	int rc;           /**< returned once it stopped sending (0: "the body ended") */
	uint64_t gap_at;  /**< non-zero: the piece starting there is reported one byte late */
};

/** The fake back-end's state: its script and what happened. */
struct fake {
	const struct attempt *script;
	unsigned int nscript;
	unsigned int calls;  /**< attempts made */
	int closed;
};

/** What the caller's callback saw. */
struct seen {
	uint8_t buf[BODY_MAX];
	uint64_t len;         /**< bytes taken */
	unsigned int calls;
	uint64_t size;        /**< the size argument of the first call */
	int size_changed;     /**< a later call had another size */
	int out_of_order;     /**< a call's offset was not len */
	uint64_t refuse_at;   /**< non-zero: refuse the piece that would pass this many bytes */
	int refuse_rc;
};

static uint8_t body[BODY_MAX];

static void body_init(void)
{
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + i / 251);
}

/* Send body[from, a->stop) in pieces, the way a back-end reports what it receives. */
static int fake_send(const struct attempt *a, struct fetch_sink *sink, uint64_t from)
{
	size_t piece = a->piece ? a->piece : 1460;
	uint64_t off, n;
	int rc;

	for (off = from; off < a->stop; off += n) {
		n = a->stop - off < piece ? a->stop - off : piece;
		rc = fetch_sink_data(sink, off + (a->gap_at && off == a->gap_at), body + off,
				     (size_t)n);
		if (rc)
			return rc;
	}
	return a->rc;
}

/* fetch_backend.get: play the next attempt of the script. */
static int fake_get(void *priv, const char *url, struct fetch_sink *sink)
{
	struct fake *fk = priv;
	const struct attempt *a;
	uint64_t start;
	int rc;

	if (!CHECK(fk->calls < fk->nscript))
		return STRATA_EIO;
	a = &fk->script[fk->calls++];
	start = a->resume ? sink->delivered : 0;
	fetch_sink_begin(sink, start);
	if (a->size != FETCH_SIZE_UNKNOWN) {
		rc = fetch_sink_size(sink, a->size);
		if (rc)
			return rc;
	}
	return fake_send(a, sink, start);
}

static void fake_close(void *priv)
{
	((struct fake *)priv)->closed = 1;
}

static const struct fetch_backend fake_backend = { "fake", fake_get, fake_close, NULL };

/* The caller's callback: record, check order and size, maybe refuse. */
static int on_data(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	struct seen *s = ctx;

	if (offset != s->len)
		s->out_of_order++;
	if (s->calls++ == 0)
		s->size = size;
	else if (size != s->size)
		s->size_changed++;
	if (s->refuse_at && s->len + len > s->refuse_at)
		return s->refuse_rc;
	if (s->len + len > sizeof(s->buf))
		return STRATA_ENOSPC;
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

/* A fetcher on a fake playing script[0..n), with a fresh log and clock. */
static struct fetcher fake_fetcher(struct fake *fk, const struct attempt *script, unsigned int n)
{
	struct fetcher f = { &fake_backend, fk };

	memset(fk, 0, sizeof(*fk));
	fk->script = script;
	fk->nscript = n;
	log_capture_reset();
	clock_fake_reset();
	return f;
}

/* fetch_get of URL through a fake playing script[0..n) into *s. */
static int get(struct fake *fk, const struct attempt *script, unsigned int n, struct seen *s)
{
	struct fetcher f = fake_fetcher(fk, script, n);

	return fetch_get(&f, URL, on_data, s);
}

/* Whether the callback got exactly body[0..len), in order, with one size. */
static int got_body(const struct seen *s, uint64_t len)
{
	return s->len == len && memcmp(s->buf, body, (size_t)len) == 0 && !s->out_of_order &&
	       !s->size_changed;
}

/* Checks that want was logged, and shows the last line when not. */
#define CHECK_LOGGED(want) CHECK_MSG(log_capture_has(want), "last line \"%s\"", \
				     log_capture_last())

static void test_one_attempt(void)
{
	static const struct attempt script[] = { { .size = 10000, .stop = 10000 } };
	struct seen s = { 0 };
	struct fake fk;

	CHECK_EQ(get(&fk, script, 1, &s), 0);
	CHECK(got_body(&s, 10000));
	CHECK_EQ(s.calls, 7);            /* ceil(10000 / 1460) pieces, each passed on */
	CHECK_EQ(s.size, 10000);
	CHECK_EQ(fk.calls, 1);
	CHECK_EQ(clock_fake_sleeps(), 0);
	CHECK_EQ(log_capture_count(), 0);
}

static void test_size_unknown_and_empty(void)
{
	static const struct attempt unknown[] = { { .size = FETCH_SIZE_UNKNOWN, .stop = 3000 } };
	static const struct attempt empty[] = { { .size = 0, .stop = 0 } };
	struct seen s = { 0 }, e = { 0 };
	struct fake fk;

	CHECK_EQ(get(&fk, unknown, 1, &s), 0);
	CHECK(got_body(&s, 3000));
	CHECK(s.size == FETCH_SIZE_UNKNOWN);
	CHECK_EQ(get(&fk, empty, 1, &e), 0);
	CHECK_EQ(e.calls, 0);
}

static void test_resume_with_range(void)
{
	static const struct attempt script[] = {
		{ .size = 10000, .stop = 4000, .rc = STRATA_ENET },
		{ .resume = 1, .size = 10000, .stop = 10000 },
	};
	struct seen s = { 0 };
	struct fake fk;

	CHECK_EQ(get(&fk, script, 2, &s), 0);
	CHECK(got_body(&s, 10000));
	CHECK_EQ(fk.calls, 2);
	CHECK_EQ(clock_fake_sleeps(), 1);
	CHECK_EQ(clock_fake_sleep(0), 500);
	CHECK_LOGGED("fetch: " URL ": attempt 1 of 5 failed [network error]; retrying in 500 ms "
		     "from byte 4000");
}

/* A back-end that cannot resume re-reads from 0; the sink drops what was delivered,
 * also inside a piece that straddles the resume point. */
static void test_reread_from_zero(void)
{
	static const struct attempt script[] = {
		{ .size = 10000, .stop = 4000, .rc = STRATA_EIO },
		{ .size = 10000, .stop = 10000 },
	};
	struct seen s = { 0 };
	struct fake fk;

	CHECK_EQ(get(&fk, script, 2, &s), 0);
	CHECK(got_body(&s, 10000));
	CHECK_EQ(fk.calls, 2);
	CHECK_LOGGED("fetch: " URL ": attempt 1 of 5 failed [I/O error]; retrying in 500 ms "
		     "from byte 4000");
}

/* A body that ends before its size is cut short: retried, pauses doubling, then given up. */
static void test_short_body(void)
{
	static const struct attempt always[] = {
		{ .size = 10000, .stop = 6000 }, { .resume = 1, .size = 10000, .stop = 6000 },
		{ .resume = 1, .size = 10000, .stop = 6000 },
		{ .resume = 1, .size = 10000, .stop = 6000 },
		{ .resume = 1, .size = 10000, .stop = 6000 },
	};
	static const struct attempt third[] = {
		{ .size = 10000, .stop = 6000 }, { .resume = 1, .size = 10000, .stop = 7000 },
		{ .resume = 1, .size = 10000, .stop = 10000 },
	};
	struct seen s = { 0 }, t = { 0 };
	struct fake fk;

	CHECK_EQ(get(&fk, always, 5, &s), STRATA_ETRUNC);
	CHECK(got_body(&s, 6000));
	CHECK_EQ(fk.calls, 5);
	CHECK_EQ(clock_fake_sleeps(), 4);
	CHECK(clock_fake_sleep(0) == 500 && clock_fake_sleep(1) == 1000);
	CHECK(clock_fake_sleep(2) == 2000 && clock_fake_sleep(3) == 4000);
	CHECK_LOGGED("error: fetch: " URL ": body ended at byte 6000 of 10000 [truncated]");
	CHECK_LOGGED("error: fetch: " URL ": failed (5 attempts) [truncated]");
	CHECK_EQ(get(&fk, third, 3, &t), 0);
	CHECK(got_body(&t, 10000));
	CHECK_EQ(clock_fake_sleeps(), 2);
}

/* The one attempt of script fails with rc and is not retried, after the callback took
 * the body's first len bytes; line was logged. */
static void check_fails_at_once(const struct attempt *script, int rc, uint64_t len,
				const char *line)
{
	struct seen s = { 0 };
	struct fake fk;

	CHECK_EQ(get(&fk, script, 1, &s), rc);
	CHECK(got_body(&s, len));
	CHECK_EQ(fk.calls, 1);
	CHECK_EQ(clock_fake_sleeps(), 0);
	CHECK_LOGGED(line);
}

/* Faults of the body itself are not retried: another attempt would not mend them. */
static void test_long_body(void)
{
	static const struct attempt script[] = { { .size = 1000, .stop = 1500, .piece = 400 } };

	check_fails_at_once(script, STRATA_ETRAIL, 800,
			    "error: fetch: body runs past its size of 1000 bytes [trailing bytes]");
	CHECK_LOGGED("error: fetch: " URL ": failed (1 attempt) [trailing bytes]");
}

static void test_size_changes(void)
{
	static const struct attempt bigger[] = {
		{ .size = 10000, .stop = 3000, .rc = STRATA_ENET },
		{ .resume = 1, .size = 12000, .stop = 12000 },
	};
	static const struct attempt smaller[] = {
		{ .size = FETCH_SIZE_UNKNOWN, .stop = 3000, .rc = STRATA_ENET },
		{ .size = 2000, .stop = 2000 },
	};
	struct seen s = { 0 }, t = { 0 };
	struct fake fk;

	CHECK_EQ(get(&fk, bigger, 2, &s), STRATA_ECORRUPT);
	CHECK(got_body(&s, 3000));
	CHECK_LOGGED("error: fetch: body size changed between attempts (10000, now 12000 bytes) "
		     "[corrupt data]");
	CHECK_EQ(get(&fk, smaller, 2, &t), STRATA_ECORRUPT);
	CHECK(got_body(&t, 3000));
	CHECK_LOGGED("error: fetch: body is 2000 bytes, but 3000 were already delivered "
		     "[corrupt data]");
}

static void test_gap(void)
{
	static const struct attempt script[] = {
		{ .size = 5000, .stop = 5000, .piece = 1000, .gap_at = 1000 },
	};

	check_fails_at_once(script, STRATA_EINVAL, 1000,
			    "error: fetch: piece at byte 1001, expected 1000 [malformed input]");
}

static void test_not_found(void)
{
	static const struct attempt script[] = { { .size = FETCH_SIZE_UNKNOWN, .rc = STRATA_ENOENT } };

	check_fails_at_once(script, STRATA_ENOENT, 0,
			    "error: fetch: " URL ": failed (1 attempt) [not found]");
}

/* The callback's rc ends the fetch at once, unretried, and is the caller's to report. */
static void test_callback_stops(void)
{
	static const struct attempt script[] = { { .size = 10000, .stop = 10000 } };
	struct seen s = { .refuse_at = 5000, .refuse_rc = STRATA_ENOSPC };
	struct fake fk;

	CHECK_EQ(get(&fk, script, 1, &s), STRATA_ENOSPC);
	CHECK(got_body(&s, 4380));   /* three 1460-byte pieces; the fourth was refused */
	CHECK_EQ(fk.calls, 1);
	CHECK_EQ(clock_fake_sleeps(), 0);
	CHECK_EQ(log_capture_count(), 0);
}

/* fetch_buffer of URL through a fake playing script[0..n); *buf and *len as it left them. */
static int buffer(const struct attempt *script, unsigned int n, size_t max, uint8_t **buf,
		  size_t *len)
{
	struct fake fk;
	struct fetcher f = fake_fetcher(&fk, script, n);

	return fetch_buffer(&f, URL, max, buf, len);
}

static void test_buffer(void)
{
	static const struct attempt known[] = { { .size = 10000, .stop = 10000 } };
	static const struct attempt unknown[] = { { .size = FETCH_SIZE_UNKNOWN, .stop = 10000 } };
	static const struct attempt reread[] = {
		{ .size = 9000, .stop = 5000, .rc = STRATA_ENET }, { .size = 9000, .stop = 9000 },
	};
	static const struct attempt empty[] = { { .size = 0, .stop = 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;

	CHECK_EQ(buffer(known, 1, 10000, &buf, &len), 0);
	CHECK(len == 10000 && buf && memcmp(buf, body, len) == 0 && buf[len] == '\0');
	strata_free(buf);
	buf = NULL;
	/* Growing past the first 4 KiB, twice, when the size is not known up front. */
	CHECK_EQ(buffer(unknown, 1, 10000, &buf, &len), 0);
	CHECK(len == 10000 && buf && memcmp(buf, body, len) == 0 && buf[len] == '\0');
	strata_free(buf);
	buf = NULL;
	CHECK_EQ(buffer(reread, 2, 10000, &buf, &len), 0);
	CHECK(len == 9000 && buf && memcmp(buf, body, len) == 0 && buf[len] == '\0');
	strata_free(buf);
	buf = NULL;
	CHECK_EQ(buffer(empty, 1, 0, &buf, &len), 0);
	CHECK(len == 0 && buf && buf[0] == '\0');
	strata_free(buf);
}

static void test_buffer_limits(void)
{
	static const struct attempt known[] = { { .size = 10000, .stop = 10000 } };
	static const struct attempt unknown[] = { { .size = FETCH_SIZE_UNKNOWN, .stop = 10000 } };
	static const struct attempt missing[] = { { .size = FETCH_SIZE_UNKNOWN, .rc = STRATA_ENOENT } };
	uint8_t sentinel = 0, *buf = &sentinel;
	size_t len = 7;

	CHECK_EQ(buffer(known, 1, 9999, &buf, &len), STRATA_ERANGE);
	CHECK_EQ(buffer(unknown, 1, 9999, &buf, &len), STRATA_ERANGE);
	CHECK_EQ(buffer(missing, 1, 9999, &buf, &len), STRATA_ENOENT);
	CHECK(buf == &sentinel && len == 7);   /* untouched on failure */
}

/** The sealed tests' plaintext, key, counter and path. */
#define SEALED_PLAIN 10000
static uint8_t plain[SEALED_PLAIN];
static const uint8_t seal_key[32] = { 9, 8, 7 };
static const struct fetch_seal seal_of = { seal_key, 42, "/private/52:54:00:00:00:01/runs/x" };

/* Make body[0..SEALED_PLAIN + 16) the sealed form of plain, as the server sends it. */
static void body_sealed(void)
{
	struct strata_seal sl;
	size_t n;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 13 + 5);
	strata_seal_start(&sl, 0, seal_key, seal_of.n, seal_of.aad, strlen(seal_of.aad));
	n = strata_seal_update(&sl, plain, sizeof(plain), body);
	strata_seal_final(&sl, body + n);
	strata_seal_free(&sl);
}

static int get_sealed(const struct attempt *script, unsigned int n, struct seen *s,
		      const struct fetch_seal *how)
{
	struct fake fk;
	struct fetcher f = fake_fetcher(&fk, script, n);

	return fetch_sealed(&f, URL, how, on_data, s);
}

/* The callback sees the plaintext once and in order, with the plaintext's size, whether
 * the back-end resumes with Range or re-reads from 0; a wrong tag fails by name. */
static void test_sealed(void)
{
	enum { B = SEALED_PLAIN + STRATA_SEAL_OVERHEAD };
	static const struct attempt one[] = { { .size = B, .stop = B, .piece = 5000 } };
	static const struct attempt resume[] = {
		{ .size = B, .stop = 4001, .rc = STRATA_ENET }, { .resume = 1, .size = B, .stop = B },
	};
	static const struct attempt reread[] = {
		{ .size = B, .stop = B - 7, .rc = STRATA_EIO }, { .size = B, .stop = B },
	};
	static const struct attempt unknown[] = { { .size = FETCH_SIZE_UNKNOWN, .stop = B } };
	static const struct attempt *const scripts[] = { one, resume, reread, unknown };
	static const unsigned int lens[] = { 1, 2, 2, 1 };
	struct fetch_seal other = seal_of;

	body_sealed();
	for (int i = 0; i < 4; i++) {
		struct seen s = { 0 };

		CHECK_MSG(get_sealed(scripts[i], lens[i], &s, &seal_of) == 0, "script %d", i);
		CHECK_MSG(s.len == SEALED_PLAIN && !memcmp(s.buf, plain, SEALED_PLAIN) &&
			  !s.out_of_order && !s.size_changed, "script %d", i);
		CHECK(s.size == (i == 3 ? FETCH_SIZE_UNKNOWN : SEALED_PLAIN));
	}
	for (int k = 0; k < 2; k++) {
		struct seen s = { 0 };

		other.n = seal_of.n + (uint64_t)(k == 0);
		other.aad = k == 0 ? seal_of.aad : "/private/52:54:00:00:00:02/runs/x";
		CHECK_EQ(get_sealed(one, 1, &s, &other), STRATA_EBADSIG);
		CHECK_LOGGED("error: fetch: " URL ": the sealed body fails its check (AES-GCM tag): "
			     "it was changed on the way or sealed for another request or session "
			     "[bad signature]");
	}
	body[B - 1] ^= 1;
	{
		struct seen s = { 0 };

		CHECK_EQ(get_sealed(one, 1, &s, &seal_of), STRATA_EBADSIG);
	}
	body_init();
}

/* A whole sealed index: the buffer holds the plaintext only after the tag matched. */
static void test_sealed_buffer(void)
{
	enum { B = SEALED_PLAIN + STRATA_SEAL_OVERHEAD };
	static const struct attempt one[] = { { .size = B, .stop = B } };
	uint8_t sentinel = 0, *buf = NULL;
	size_t len = 0;
	struct fake fk;
	struct fetcher f;

	body_sealed();
	f = fake_fetcher(&fk, one, 1);
	CHECK_EQ(fetch_sealed_buffer(&f, URL, &seal_of, SEALED_PLAIN, &buf, &len), 0);
	CHECK(buf && len == SEALED_PLAIN && !memcmp(buf, plain, len) && buf[len] == '\0');
	strata_free(buf);
	body[3] ^= 0x40;
	buf = &sentinel;
	f = fake_fetcher(&fk, one, 1);
	CHECK_EQ(fetch_sealed_buffer(&f, URL, &seal_of, SEALED_PLAIN, &buf, &len), STRATA_EBADSIG);
	CHECK(buf == &sentinel);
	body_init();
}

static void test_name_and_close(void)
{
	struct fetcher *f = strata_alloc(sizeof(*f));
	struct fake fk = { 0 };

	if (!CHECK(f != NULL))
		return;
	f->be = &fake_backend;
	f->priv = &fk;
	CHECK(strcmp(fetch_backend_name(f), "fake") == 0);
	fetch_close(f);
	CHECK(fk.closed);
	fetch_close(NULL);
}

/* fetch_backend.post of the fake: plays the next attempt like get, after recording the
 * body it was given; an answer past its size, a cut one, a refusal are the script's. */
static const struct fetch_body *posted;
static int fake_post(void *priv, const char *url, const struct fetch_body *b,
		     struct fetch_sink *sink)
{
	posted = b;
	return fake_get(priv, url, sink);
}

static const struct fetch_backend fake_post_backend = { "fake", fake_get, fake_close,
							fake_post };

/* fetch_post: one attempt only (a POST's counter counts once: the caller re-signs), the
 * answer under the byte-once contract, a cut answer STRATA_ETRUNC, a refusal its rc, and a
 * back-end without post (none today) STRATA_ENOTSUP with a line saying so. */
static void test_post(void)
{
	const struct attempt ok[] = { { .size = 300, .stop = 300 } };
	const struct attempt cut[] = { { .size = 300, .stop = 100 },
				       { .size = 300, .stop = 300 } };
	const struct attempt refused[] = { { .size = FETCH_SIZE_UNKNOWN, .rc = STRATA_ESTALE },
					   { .size = 300, .stop = 300 } };
	const struct fetch_body b = { "abc\n", 4, "text/plain" };
	struct fake fk;
	struct seen *s = calloc(1, sizeof(*s));
	struct fetcher f = fake_fetcher(&fk, ok, 1);
	uint8_t *buf;
	size_t len;

	f.be = &fake_post_backend;
	CHECK_EQ(fetch_post(&f, URL, &b, on_data, s), 0);
	CHECK(posted == &b);
	CHECK_EQ(s->len, 300);
	CHECK(!memcmp(s->buf, body, 300));
	f = fake_fetcher(&fk, cut, 2);
	f.be = &fake_post_backend;
	memset(s, 0, sizeof(*s));
	CHECK_EQ(fetch_post(&f, URL, &b, on_data, s), STRATA_ETRUNC);
	CHECK_EQ(fk.calls, 1);                   /* never retried here */
	f = fake_fetcher(&fk, refused, 2);
	f.be = &fake_post_backend;
	CHECK_EQ(fetch_post_buffer(&f, URL, &b, 1000, &buf, &len), STRATA_ESTALE);
	CHECK_EQ(fk.calls, 1);
	f = fake_fetcher(&fk, ok, 1);
	f.be = &fake_post_backend;
	CHECK_EQ(fetch_post_buffer(&f, URL, &b, 1000, &buf, &len), 0);
	CHECK_EQ(len, 300);
	CHECK(buf[300] == 0 && !memcmp(buf, body, 300));
	free(buf);
	f = fake_fetcher(&fk, ok, 1);
	CHECK_EQ(fetch_post(&f, URL, &b, on_data, s), STRATA_ENOTSUP);
	CHECK(log_capture_has("error: fetch: " URL ": the fake back-end cannot upload "
			      "[not supported]"));
	CHECK_EQ(fk.calls, 0);
	free(s);
}

int main(void)
{
	body_init();
	RUN(test_post);
	RUN(test_one_attempt);
	RUN(test_size_unknown_and_empty);
	RUN(test_resume_with_range);
	RUN(test_reread_from_zero);
	RUN(test_short_body);
	RUN(test_long_body);
	RUN(test_size_changes);
	RUN(test_gap);
	RUN(test_not_found);
	RUN(test_callback_stops);
	RUN(test_buffer);
	RUN(test_buffer_limits);
	RUN(test_sealed);
	RUN(test_sealed_buffer);
	RUN(test_name_and_close);
	return harness_summary();
}
