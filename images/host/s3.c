/* An S3-compatible bucket through libcurl's SigV4 signing (see s3.h). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crypto.h"
#include "host.h"
#include "rc.h"
#include "s3.h"
#include "text.h"

#define S3_FIELD 256
#define S3_URL_MAX 1024
#define S3_FILE_MAX (1u << 20)

/** An open bucket: where it is, who we are, and one curl handle for every request. */
struct s3 {
	char base[S3_URL_MAX];          /**< ENDPOINT/BUCKET[/PREFIX] */
	char region[64];
	char key_id[S3_FIELD], secret[S3_FIELD], token[2048];
	char sigv4[96];                 /**< "aws:amz:REGION:s3" */
	CURL *curl;
	char why[CURL_ERROR_SIZE];
};

/** A GET's body as it arrives, or a PUT's as it is sent (put, put_len, sent). */
struct s3_body {
	uint8_t *buf;
	size_t len, max;
	const uint8_t *put;
	size_t put_len, sent;
};

/* getenv, "" counting as unset. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

/* The value of key in the profile's section of the AWS file named by env var file_env,
 * else ~/DEFAULT; 1 found.  config: the config file, whose sections other than
 * "[default]" are "[profile NAME]"; the credentials file's are "[NAME]". */
static int aws_file(const char *file_env, const char *dflt, int config, const char *key,
		    char *out, size_t cap)
{
	const char *profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
	char path[4096], section[S3_FIELD];
	uint8_t *text;
	size_t len;
	int found;

	if (env(file_env))
		snprintf(path, sizeof(path), "%s", env(file_env));
	else if (env("HOME"))
		snprintf(path, sizeof(path), "%s/%s", env("HOME"), dflt);
	else
		return 0;
	snprintf(section, sizeof(section), "%s%s",
		 config && strcmp(profile, "default") ? "profile " : "", profile);
	if (access(path, R_OK) != 0 || read_file(path, S3_FILE_MAX, &text, &len))
		return 0;                    /* no such file: the next source, or the default */
	found = s3_ini_get((const char *)text, len, section, key, out, cap);
	free(text);
	return found;
}

static int credentials(struct s3 *s)
{
	if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		snprintf(s->key_id, sizeof(s->key_id), "%s", env("AWS_ACCESS_KEY_ID"));
		snprintf(s->secret, sizeof(s->secret), "%s", env("AWS_SECRET_ACCESS_KEY"));
		snprintf(s->token, sizeof(s->token), "%s", env("AWS_SESSION_TOKEN") ?
			 env("AWS_SESSION_TOKEN") : "");
		return 0;
	}
	if (aws_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", 0,
		     "aws_access_key_id", s->key_id, sizeof(s->key_id)) &&
	    aws_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", 0,
		     "aws_secret_access_key", s->secret, sizeof(s->secret))) {
		aws_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", 0,
			 "aws_session_token", s->token, sizeof(s->token));
		return 0;
	}
	return errorf("S3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
		      "write them in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE)");
}

static void region(struct s3 *s)
{
	const char *r = env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");

	if (r)
		snprintf(s->region, sizeof(s->region), "%s", r);
	else if (!aws_file("AWS_CONFIG_FILE", ".aws/config", 1, "region", s->region,
			   sizeof(s->region)))
		snprintf(s->region, sizeof(s->region), "us-east-1");
}

static int bucket_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static int prefix_char(char c)
{
	return bucket_char(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '/';
}

/* "s3://BUCKET[/PREFIX]" checked against the rule in s3.h; *slash the prefix's '/'. */
static int parse_url(const char *url, const char **bucket, size_t *blen, const char **prefix)
{
	const char *b = url + 5, *p;
	size_t n;

	if (strncmp(url, "s3://", 5))
		return -1;
	for (p = b; *p && *p != '/'; p++)
		if (!bucket_char(*p))
			return -1;
	n = (size_t)(p - b);
	if (n < 3 || n > 63)
		return -1;
	*bucket = b;
	*blen = n;
	*prefix = *p ? p + 1 : p;
	for (p = *prefix; *p; p++)
		if (!prefix_char(*p) || (p[0] == '/' && (p[1] == '/' || p[1] == '\0')) ||
		    (p == *prefix && *p == '/'))
			return -1;
	return 0;
}

static int endpoint_of(struct s3 *s, const char *endpoint, char *out, size_t cap)
{
	const char *e = endpoint ? endpoint : env("AWS_ENDPOINT_URL_S3") ?
		env("AWS_ENDPOINT_URL_S3") : env("AWS_ENDPOINT_URL");
	size_t n;

	if (!e) {
		snprintf(out, cap, "https://s3.%s.amazonaws.com", s->region);
		return 0;
	}
	if (strncmp(e, "http://", 7) && strncmp(e, "https://", 8))
		return errorf("S3 endpoint '%s' is not an http:// or https:// URL", e);
	n = strlen(e);
	while (n && e[n - 1] == '/')
		n--;
	if (n >= cap)
		return errorf("S3 endpoint '%s' is too long", e);
	memcpy(out, e, n);
	out[n] = '\0';
	return 0;
}

int s3_open(const char *url, const char *endpoint, struct s3 **out)
{
	struct s3 *s = calloc(1, sizeof(*s));
	const char *bucket, *prefix;
	char ep[S3_URL_MAX];
	size_t blen;

	if (!s)
		return errorf("out of memory");
	if (parse_url(url, &bucket, &blen, &prefix)) {
		free(s);
		return errorf("'%s' is not s3://BUCKET[/PREFIX] (BUCKET: a-z 0-9 . -, 3 to 63; "
			      "PREFIX: A-Z a-z 0-9 . _ - /, no empty part)", url);
	}
	region(s);
	if (credentials(s) || endpoint_of(s, endpoint, ep, sizeof(ep)))
		goto err;
	if ((size_t)snprintf(s->base, sizeof(s->base), "%s/%.*s%s%s", ep, (int)blen, bucket,
			     *prefix ? "/" : "", prefix) >= sizeof(s->base)) {
		errorf("S3: %s at %s: URL too long", url, ep);
		goto err;
	}
	snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", s->region);
	if (!(s->curl = curl_easy_init())) {
		errorf("out of memory");
		goto err;
	}
	*out = s;
	return 0;
err:
	free(s);
	return STRATA_EREPORTED;
}

void s3_close(struct s3 *s)
{
	if (!s)
		return;
	curl_easy_cleanup(s->curl);
	memset(s->secret, 0, sizeof(s->secret));
	free(s);
}

const char *s3_base(const struct s3 *s)
{
	return s->base;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct s3_body *b = ctx;
	size_t len = size * n;
	uint8_t *nb;

	if (!b->buf)
		return len;                  /* HEAD, PUT: the answer's body is not wanted */
	if (len > b->max - b->len)
		return 0;
	nb = realloc(b->buf, b->len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + b->len, data, len);
	b->buf = nb;
	b->len += len;
	return len;
}

/* A PUT's body for libcurl's upload.  (With CURLOPT_POSTFIELDS instead, Debian 12's
 * libcurl signs a request S3 refuses: SignatureDoesNotMatch.) */
static size_t on_upload(char *out, size_t size, size_t n, void *ctx)
{
	struct s3_body *b = ctx;
	size_t len = size * n;

	if (len > b->put_len - b->sent)
		len = b->put_len - b->sent;
	memcpy(out, b->put + b->sent, len);
	b->sent += len;
	return len;
}

/* The headers every request carries: the payload's SHA-256 (s3.h), the session token. */
static struct curl_slist *headers(const struct s3 *s, const void *body, size_t len)
{
	uint8_t sum[32];
	char hex[65], line[2200];
	struct curl_slist *h = NULL, *t;

	strata_sha256(body ? body : "", body ? len : 0, sum);
	strata_hex_encode(hex, sum, 32);
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", hex);
	h = curl_slist_append(h, line);
	if (h && s->token[0]) {
		snprintf(line, sizeof(line), "x-amz-security-token: %s", s->token);
		if (!(t = curl_slist_append(h, line)))
			return curl_slist_free_all(h), NULL;
		h = t;
	}
	return h;
}

/* One signed request: method on rel with body (PUT) or into b (GET); the HTTP status
 * into *code.  0, or an rc when no answer came (printed). */
static int request(struct s3 *s, const char *method, const char *rel, const void *body,
		   size_t len, struct s3_body *b, long *code)
{
	struct curl_slist *h = headers(s, body, len);
	char url[S3_URL_MAX + 256];
	CURLcode cc;

	if (!h)
		return errorf("out of memory");
	snprintf(url, sizeof(url), "%s/%s", s->base, rel);
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(s->curl, CURLOPT_USERNAME, s->key_id);
	curl_easy_setopt(s->curl, CURLOPT_PASSWORD, s->secret);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->why);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "strata-image/1");
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(s->curl, CURLOPT_NOBODY, 1L);
	if (body) {
		b->put = body;
		b->put_len = len;
		b->sent = 0;
		curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(s->curl, CURLOPT_READDATA, b);
		curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	}
	s->why[0] = '\0';
	cc = curl_easy_perform(s->curl);
	curl_slist_free_all(h);
	if (cc != CURLE_OK)
		return errorf("S3: %s %s: %s", method, url, s->why[0] ? s->why :
			      curl_easy_strerror(cc)), STRATA_EIO;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, code);
	return 0;
}

/* A status that is neither success nor 404, named with what to check. */
static int refused(const struct s3 *s, const char *method, const char *rel, long code)
{
	return errorf("S3: %s %s/%s: HTTP %ld%s", method, s->base, rel, code,
		      code == 403 ? " (check the credentials, the region and the bucket's "
		      "policy)" : ""), STRATA_EIO;
}

int s3_exists(struct s3 *s, const char *rel)
{
	struct s3_body b = { 0 };
	long code = 0;
	int rc = request(s, "HEAD", rel, NULL, 0, &b, &code);

	if (rc)
		return rc;
	if (code == 200)
		return 1;
	return code == 404 ? 0 : refused(s, "HEAD", rel, code);
}

int s3_put(struct s3 *s, const char *rel, const void *buf, size_t len)
{
	struct s3_body b = { 0 };
	long code = 0;
	int rc = request(s, "PUT", rel, buf, len, &b, &code);

	if (rc)
		return rc;
	return code == 200 ? 0 : refused(s, "PUT", rel, code);
}

int s3_get(struct s3 *s, const char *rel, size_t max, uint8_t **buf, size_t *len)
{
	struct s3_body b = { .buf = malloc(1), .max = max };
	long code = 0;
	int rc;

	if (!b.buf)
		return errorf("out of memory");
	rc = request(s, "GET", rel, NULL, 0, &b, &code);
	if (rc == 0 && code != 200)
		rc = code == 404 ? STRATA_ENOENT : refused(s, "GET", rel, code);
	if (rc) {
		free(b.buf);
		return rc;
	}
	*buf = b.buf;
	*len = b.len;
	return 0;
}
