/* Uploading a built layer under a capture task (see upload.h). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto.h"
#include "host.h"
#include "index.h"
#include "need.h"
#include "session.h"
#include "store_path.h"
#include "text.h"
#include "upload.h"

#define URL_MAX 2048
/** Largest chunk file: a 4 MiB chunk's zlib stream at worst (the server's limit). */
#define UPLOAD_FILE_MAX ((4u << 20) + (4u << 10) + 64)

/** An upload's connection, session and counter. */
struct conn {
	CURL *curl;
	struct strata_session_keys k;
	uint64_t n;
	const struct upload_job *job;
};

/** A response body, grown as it comes (owned). */
struct resp {
	char *p;
	size_t len;
};

/* The server's answer text for a message: its body without the trailing newline. */
static const char *said(struct resp *r)
{
	if (!r->p)
		return "";
	while (r->len && r->p[r->len - 1] == '\n')
		r->p[--r->len] = '\0';
	return r->p;
}

static size_t on_body(char *data, size_t one, size_t n, void *ctx)
{
	struct resp *r = ctx;
	char *grown = realloc(r->p, r->len + n + 1);

	if (!grown)
		return 0;
	memcpy(grown + r->len, data, n);
	r->p = grown;
	r->len += n;
	r->p[r->len] = '\0';
	return n;
}

/* One signed request: method GET (body NULL) or POST; path (with any query before the
 * signature) under the base.  POST bodies are covered by b=.  The status into *status and
 * the body into *out (the caller frees out->p).  0 or STRATA_EREPORTED. */
static int request(struct conn *c, const char *path, const void *body, size_t len,
		   long *status, struct resp *out)
{
	char url[URL_MAX], hex[65];
	uint8_t d[32];
	int n = snprintf(url, sizeof(url), "%s%s", c->job->base, path);
	CURLcode cc;

	memset(out, 0, sizeof(*out));
	if (body) {
		strata_sha256(body, len, d);
		strata_hex_encode(hex, d, 32);
		n += snprintf(url + n, sizeof(url) - (size_t)n, "%sb=%s", strchr(path, '?') ?
			      "&" : "?", hex);
	}
	if ((size_t)n >= sizeof(url) ||
	    strata_session_sign_method(&c->k, body ? "POST" : "GET", ++c->n, url, sizeof(url)))
		return errorf("%s%s: cannot sign the request", c->job->base, path);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, out);
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK)
		return free(out->p), errorf("%s: %s", c->job->base, curl_easy_strerror(cc));
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* Check the token: GET /capture/task.  0 or STRATA_EREPORTED saying what to do. */
static int check_task(struct conn *c)
{
	struct resp r;
	long status;

	if (request(c, "/capture/task", NULL, 0, &status, &r))
		return STRATA_EREPORTED;
	if (status != 200) {
		errorf("%s refused the token (HTTP %ld: %s): check --token, or ask the admin for "
		       "a new capture order (POST /api/capture/NAME) and use its token",
		       c->job->base, status, said(&r));
		free(r.p);
		return STRATA_EREPORTED;
	}
	fprintf(stderr, "capture task: %s", r.p ? r.p : "\n");
	free(r.p);
	return 0;
}

/* Read the staged index of the layer: *buf (the caller's) and *idx. */
static int read_index(const struct upload_job *job, uint8_t **buf, size_t *len,
		      struct strata_index *idx)
{
	char rel[STRATA_STORE_FILE_MAX], path[4096];
	struct strata_diag diag = { 0 };

	strata_store_index_rel(rel, job->id);
	snprintf(path, sizeof(path), "%s/%s", job->staging, rel);
	if (read_file(path, (size_t)1 << 30, buf, len))
		return STRATA_EREPORTED;
	if (strata_layer_open(idx, job->id, *buf, *len, &diag)) {
		free(*buf);
		*buf = NULL;
		return errorf("%s: not the index of the layer built", path);
	}
	return 0;
}

/* Upload chunk c (its staged file) to the server.  0 or STRATA_EREPORTED. */
static int put_chunk(struct conn *c, const struct strata_chunk *ch, struct upload_stats *st)
{
	char hex[65], rel[STRATA_STORE_FILE_MAX], path[4096], q[200];
	uint8_t *file;
	size_t len;
	struct resp r;
	long status;
	int rc;

	strata_hex_encode(hex, ch->digest, 32);
	strata_store_chunk_rel(rel, ch->digest);
	snprintf(path, sizeof(path), "%s/%s", c->job->staging, rel);
	if (read_file(path, UPLOAD_FILE_MAX, &file, &len))
		return STRATA_EREPORTED;
	if (ch->flags & STRATA_ENTRY_ZLIB)
		snprintf(q, sizeof(q), "/capture/chunk/%s?z=1&len=%u", hex, ch->length);
	else
		snprintf(q, sizeof(q), "/capture/chunk/%s", hex);
	rc = request(c, q, file, len, &status, &r);
	if (rc == 0 && status != 200)
		rc = errorf("chunk %s: the server refused it (HTTP %ld: %s)", hex, status,
			    said(&r));
	if (rc == 0 && strstr(r.p ? r.p : "", ": present")) {
		st->chunks_present++;            /* the same chunk twice in one batch */
	} else if (rc == 0) {
		st->bytes_uploaded += len;
		st->chunks_uploaded++;
	}
	free(r.p);
	free(file);
	return rc ? STRATA_EREPORTED : 0;
}

/* Ask which of the m chunks ch[0..m) the server lacks (one request, need.h) into missing
 * (m entries, the caller's).  0 or STRATA_EREPORTED. */
static int ask_need(struct conn *c, const struct strata_chunk *ch, size_t m, uint8_t *missing)
{
	uint8_t (*d)[32] = malloc(m * sizeof(*d));
	char *body = malloc(m * STRATA_NEED_LINE);
	struct resp r = { 0 };
	long status = 0;
	size_t len = 0, line;
	int rc = d && body ? 0 : errorf("out of memory");

	for (size_t i = 0; rc == 0 && i < m; i++)
		memcpy(d[i], ch[i].digest, 32);
	if (rc == 0)
		len = strata_need_write(body, (const uint8_t (*)[32])d, m, NULL);
	if (rc == 0)
		rc = request(c, "/capture/need", body, len, &status, &r);
	if (rc == 0 && status != 200)
		rc = errorf("%s: have/need refused (HTTP %ld: %s)", c->job->base, status,
			    said(&r));
	if (rc == 0 && strata_need_answer_parse(r.p ? r.p : "", r.len,
						(const uint8_t (*)[32])d, m, missing, &line))
		rc = errorf("%s: have/need answer, line %zu: not a name asked, in order",
			    c->job->base, line);
	free(r.p);
	free(body);
	free(d);
	return rc ? STRATA_EREPORTED : 0;
}

/* Ask which of the m chunks ch[0..m) the server lacks and upload those.  0 or
 * STRATA_EREPORTED. */
static int need_batch(struct conn *c, const struct strata_chunk *ch, size_t m,
		      struct upload_stats *st)
{
	uint8_t *missing = malloc(m);
	int rc = missing ? ask_need(c, ch, m, missing) : errorf("out of memory");

	for (size_t i = 0; rc == 0 && i < m; i++) {
		if (!missing[i])
			st->chunks_present++;
		else
			rc = put_chunk(c, &ch[i], st);
	}
	free(missing);
	return rc;
}

/* Every stored chunk of idx, in batches of STRATA_NEED_MAX.  0 or STRATA_EREPORTED. */
static int upload_chunks(struct conn *c, const struct strata_index *idx,
			 struct upload_stats *st)
{
	struct strata_chunk *batch = malloc(STRATA_NEED_MAX * sizeof(*batch));
	size_t m = 0;
	int rc = batch ? 0 : errorf("out of memory");

	for (uint64_t i = 0; rc == 0 && i < idx->chunk_count; i++) {
		strata_index_chunk(idx, i, &batch[m]);
		if (batch[m].stored_size)
			m++;
		if (m == STRATA_NEED_MAX || (m && i + 1 == idx->chunk_count)) {
			rc = need_batch(c, batch, m, st);
			m = 0;
			fprintf(stderr, "upload: %llu chunks uploaded (%llu bytes), %llu present\n",
				(unsigned long long)st->chunks_uploaded,
				(unsigned long long)st->bytes_uploaded,
				(unsigned long long)st->chunks_present);
		}
	}
	free(batch);
	return rc;
}

/* Commit the index as the next generation of job->part; its answer into answer. */
static int commit(struct conn *c, const uint8_t *idx, size_t len, char *answer, size_t cap)
{
	char q[160], *part = curl_easy_escape(c->curl, c->job->part, 0);
	struct resp r;
	long status;
	int rc;

	if (!part)
		return errorf("out of memory");
	snprintf(q, sizeof(q), "/capture/commit?part=%s", part);
	curl_free(part);
	rc = request(c, q, idx, len, &status, &r);
	if (rc == 0 && status != 200)
		rc = errorf("%s: the commit was refused (HTTP %ld: %s)", c->job->base, status,
			    said(&r));
	if (rc == 0)
		snprintf(answer, cap, "%s", r.p ? r.p : "");
	free(r.p);
	return rc ? STRATA_EREPORTED : 0;
}

/* The task's session from the token's hex.  0 or STRATA_EREPORTED. */
static int task_keys(const char *token, struct strata_session_keys *k)
{
	uint8_t raw[STRATA_SESSION_TOKEN_LEN];
	int rc;

	if (strlen(token) != 64 || strata_hex_decode(raw, token, sizeof(raw)))
		return errorf("--token must be the 64 hex digits of a capture order's \"token\" "
			      "(POST /api/capture/NAME answers it)");
	rc = strata_session_task_derive(raw, k) ? errorf("cannot derive the task's keys") : 0;
	strata_wipe(raw, sizeof(raw));
	return rc;
}

int upload_layer(const struct upload_job *job, struct upload_stats *st, char *answer,
		 size_t cap)
{
	struct conn c = { .job = job };
	struct strata_index idx;
	uint8_t *ibuf = NULL;
	size_t ilen;
	int rc;

	memset(st, 0, sizeof(*st));
	answer[0] = '\0';
	if (task_keys(job->token, &c.k))
		return STRATA_EREPORTED;
	if (!(c.curl = curl_easy_init())) {
		rc = errorf("cannot start libcurl");
		goto err_curl;
	}
	curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c.curl, CURLOPT_USERAGENT, "strata-image/1");
	rc = check_task(&c);
	if (rc == 0)
		rc = read_index(job, &ibuf, &ilen, &idx);
	if (rc == 0)
		rc = upload_chunks(&c, &idx, st);
	if (rc == 0 && job->part)
		rc = commit(&c, ibuf, ilen, answer, cap);
	free(ibuf);
	curl_easy_cleanup(c.curl);
err_curl:
	strata_wipe(&c.k, sizeof(c.k));
	return rc ? STRATA_EREPORTED : 0;
}
