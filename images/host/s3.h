/*
 * An S3-compatible bucket as a copy of a store (strata-image push; docs/sites.md): the
 * same files under s3://BUCKET/PREFIX/ as under the store's folder, so the bucket's HTTP
 * endpoint is a store any agent reads (a site's store=).
 *
 * Requests are path-style (ENDPOINT/BUCKET/PREFIX/REL), signed with AWS Signature
 * Version 4 by libcurl (CURLOPT_AWS_SIGV4).  Debian 12's libcurl (7.88) signs the payload
 * hash but does not send it, and S3 requires it: every request carries
 * x-amz-content-sha256, computed here.
 *
 * Where the settings come from, as the AWS tools take them:
 *   credentials  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]; else the
 *                profile AWS_PROFILE (default "default") of AWS_SHARED_CREDENTIALS_FILE
 *                (default ~/.aws/credentials)
 *   region       AWS_REGION, AWS_DEFAULT_REGION; else the profile's `region` in
 *                AWS_CONFIG_FILE (default ~/.aws/config); else us-east-1
 *   endpoint     --endpoint URL, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL; else
 *                https://s3.REGION.amazonaws.com
 */
#ifndef STRATA_S3_H
#define STRATA_S3_H

#include <stddef.h>
#include <stdint.h>

struct s3;

/**
 * Open the bucket of url ("s3://BUCKET[/PREFIX]"; BUCKET [a-z0-9.-], 3..63; PREFIX of
 * [A-Za-z0-9._/-], no "//", no trailing '/') at endpoint (NULL: from the environment, as
 * above).  *out is the caller's, closed with s3_close.  Prints its errors.
 */
int s3_open(const char *url, const char *endpoint, struct s3 **out);
void s3_close(struct s3 *s);

/** "ENDPOINT/BUCKET/PREFIX", for messages and for readers of the bucket.  Borrowed. */
const char *s3_base(const struct s3 *s);

/** Whether object rel (relative to the prefix) exists: 1 yes, 0 no (404), or a negative
 *  rc (printed) when the service said anything else. */
int s3_exists(struct s3 *s, const char *rel);

/** Store buf[0..len) (borrowed) as object rel.  0 or a negative rc (printed). */
int s3_put(struct s3 *s, const char *rel, const void *buf, size_t len);

/** Object rel into a new buffer *buf (the caller's) of *len <= max bytes: 0,
 *  STRATA_ENOENT when missing, or another rc (printed). */
int s3_get(struct s3 *s, const char *rel, size_t max, uint8_t **buf, size_t *len);

/**
 * The value of key in [section] of an INI text such as ~/.aws/credentials (text[0..len),
 * borrowed): "key = value" lines, '#' or ';' comments, spaces around both trimmed.
 * Into out (cap bytes, NUL-terminated): 1 found, 0 not (or too long for out).
 */
int s3_ini_get(const char *text, size_t len, const char *section, const char *key,
	       char *out, size_t cap);

#endif /* STRATA_S3_H */
