/* The network self-test (see fetch_selftest.h). */
#include <stddef.h>
#include <efi.h>
#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "crypto.h"
#include "fetch_open.h"
#include "fetch_selftest.h"
#include "log.h"
#include "rc.h"
#include "text.h"

/** Longest digest file read: "<64 hex>  <name>\n" with a long name. */
#define DIGEST_FILE_MAX 512

/** The hashing callback's state; also checks the fetch contract from the outside. */
struct hash_ctx {
	struct strata_sha256 sha;
	uint64_t bytes;  /**< delivered so far: the next offset must equal it */
	uint64_t size;   /**< the size the first call announced */
};

/* fetch_data_fn: hash the piece, after checking it continues exactly where the last
 * ended and that the size hint stays the same. */
static int hash_data(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	struct hash_ctx *h = ctx;

	if (offset != h->bytes)
		return log_fail(STRATA_EINVAL, "selftest-fetch: piece at %llu, expected %llu",
				(unsigned long long)offset, (unsigned long long)h->bytes);
	if (h->bytes && size != h->size)
		return log_fail(STRATA_EINVAL, "selftest-fetch: size hint changed mid-body");
	h->size = size;
	strata_sha256_update(&h->sha, data, len);
	h->bytes += len;
	return 0;
}

/** A small file collected in memory. */
struct small_file {
	char text[DIGEST_FILE_MAX + 1];
	size_t len;
};

/* fetch_data_fn: keep the bytes, refusing a file larger than the buffer. */
static int collect_data(void *ctx, uint64_t offset, const void *data, size_t len,
			uint64_t size)
{
	struct small_file *f = ctx;

	if (len > DIGEST_FILE_MAX - f->len)
		return log_fail(STRATA_ERANGE, "selftest-fetch: digest file over %u bytes",
				DIGEST_FILE_MAX);
	memcpy(f->text + f->len, data, len);
	f->len += len;
	return 0;
}

/* The expected digest, as lowercase hex in want: from the options, else from URL.sha256. */
static int expected_digest(struct fetcher *f, const struct args *a, const char *url,
			   char want[2 * STRATA_SHA256_LEN + 1])
{
	uint8_t digest[STRATA_SHA256_LEN];
	char digest_url[ARGS_URL_MAX + 8];
	struct small_file file = { .len = 0 };
	int rc;

	if (a->expect_sha256[0]) {
		memcpy(want, a->expect_sha256, 2 * STRATA_SHA256_LEN + 1);
		return 0;
	}
	snprintf(digest_url, sizeof(digest_url), "%s.sha256", url);
	rc = fetch_get(f, digest_url, collect_data, &file);
	if (rc)
		return rc;
	if (file.len < 2 * STRATA_SHA256_LEN ||
	    strata_hex_decode(digest, file.text, STRATA_SHA256_LEN))
		return log_fail(STRATA_EINVAL, "selftest-fetch: %s does not start with 64 hex "
				"digits", digest_url);
	strata_hex_encode(want, digest, STRATA_SHA256_LEN);
	return 0;
}

/* Fetch url into the hash and log the time it took and the rate. */
static int fetch_and_hash(struct fetcher *f, const char *url, struct hash_ctx *h)
{
	uint64_t start, ms;
	int rc;

	strata_sha256_init(&h->sha);
	start = clock_ms();
	rc = fetch_get(f, url, hash_data, h);
	if (rc)
		return rc;
	ms = clock_ms() - start;
	log_msg("fetch: %llu bytes in %llu ms: %llu bytes/s via %s",
		(unsigned long long)h->bytes, (unsigned long long)ms,
		(unsigned long long)(ms ? h->bytes * 1000 / ms : 0), fetch_backend_name(f));
	return 0;
}

/* Compare, and say so on the line the e2e test reads. */
static int verdict(const struct hash_ctx *h, const char *want)
{
	uint8_t digest[STRATA_SHA256_LEN];
	char got[2 * STRATA_SHA256_LEN + 1];
	struct strata_sha256 sha = h->sha;

	strata_sha256_final(&sha, digest);
	strata_hex_encode(got, digest, STRATA_SHA256_LEN);
	if (strcmp(got, want) != 0)
		return log_fail(STRATA_ECORRUPT, "selftest-fetch: SHA-256 %s, expected %s", got,
				want);
	log_msg("strata.efi: fetch ok %llu %s", (unsigned long long)h->bytes, got);
	return 0;
}

int fetch_selftest_run(const struct args *a, EFI_HANDLE image)
{
	char url[ARGS_URL_MAX], want[2 * STRATA_SHA256_LEN + 1];
	struct hash_ctx h = { .bytes = 0 };
	struct fetcher *f;
	int rc;

	rc = args_url(a, a->selftest_fetch, url, sizeof(url));
	if (rc)
		return rc;
	log_msg("selftest-fetch: %s", url);
	rc = fetch_open(&f, image);
	if (rc)
		return rc;
	rc = expected_digest(f, a, url, want);
	if (!rc)
		rc = fetch_and_hash(f, url, &h);
	if (!rc)
		rc = verdict(&h, want);
	fetch_close(f);
	return rc;
}
