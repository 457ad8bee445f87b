/* Uploading a built layer under a capture task (see upload.h). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "crypto.h"
#include "host.h"
#include "index.h"
#include "key_answer.h"
#include "seal.h"
#include "session.h"
#include "store_path.h"
#include "text.h"
#include "upload.h"

/** Chunks asked about in one have/need request (the server's limit). */
#define NEED_BATCH 1024
#define URL_MAX 2048
/** Largest chunk file: a 4 MiB chunk's zlib stream at worst (the server's limit). */
#define UPLOAD_FILE_MAX ((4u << 20) + (4u << 10) + 64)

/** An upload's connection, session and counter. */
struct conn {
	CURL *curl;
	struct strata_session_keys k;
	uint64_t n;
	const struct upload_job *job;
	uint8_t up[32];       /**< the upload key the hello agreed (a secret) */
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

/* body[0..*len) sealed for request n of path aad (strata_upload_seal under the hello's
 * key), as a new buffer (the caller frees it; NULL without memory), *len its length. */
static uint8_t *sealed(struct conn *c, uint64_t n, const char *aad, const void *body,
		       size_t *len)
{
	uint8_t *out = malloc(*len + STRATA_SEAL_OVERHEAD);

	if (out && strata_upload_seal(c->up, n, aad, strlen(aad), body, *len, out, len)) {
		free(out);
		return NULL;
	}
	return out;
}

/* One signed request: method GET (body NULL) or POST; path (with any query before the
 * signature) under the base.  POST bodies are covered by b=; with aad (the path without
 * its query), the body travels sealed (e=1).  The status into *status and the body into
 * *out (the caller frees out->p).  0 or STRATA_EREPORTED. */
static int request(struct conn *c, const char *path, const char *aad, const void *body,
		   size_t len, long *status, struct resp *out)
{
	char url[URL_MAX], hex[65];
	uint8_t d[32], *sbuf = NULL;
	uint64_t num = ++c->n;
	int n = snprintf(url, sizeof(url), "%s%s", c->job->base, path);
	CURLcode cc;

	memset(out, 0, sizeof(*out));
	if (aad && !(body = sbuf = sealed(c, num, aad, body, &len)))
		return errorf("%s%s: cannot seal the body", c->job->base, path);
	if (body) {
		strata_sha256(body, len, d);
		strata_hex_encode(hex, d, 32);
		n += snprintf(url + n, sizeof(url) - (size_t)n, "%s%sb=%s", strchr(path, '?') ?
			      "&" : "?", aad ? "e=1&" : "", hex);
	}
	if ((size_t)n >= sizeof(url) ||
	    strata_session_sign_method(&c->k, body ? "POST" : "GET", num, url, sizeof(url))) {
		free(sbuf);
		return errorf("%s%s: cannot sign the request", c->job->base, path);
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, out);
	cc = curl_easy_perform(c->curl);
	free(sbuf);
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

	if (request(c, "/capture/task", NULL, NULL, 0, &status, &r))
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

/* The kernel's random generator, as a strata_rng_fn (ctx unused). */
static int rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return getrandom(out, len, 0) == (ssize_t)len ? 0 : -1;
}

/* Check the hello's answer a for our point eph: our task's sid, and with job->pubkey the
 * manifest key's signature.  0 or STRATA_EREPORTED. */
static int hello_trusted(struct conn *c, const struct key_answer *a,
			 const uint8_t eph[STRATA_KEY_PUB_LEN], struct upload_stats *st)
{
	uint8_t digest[32], *pub;
	size_t plen;
	int rc;

	if (!a->has_session || memcmp(a->sid, c->k.sid, sizeof(a->sid)))
		return errorf("%s: the hello's answer names another task", c->job->base);
	if (!c->job->pubkey) {
		fprintf(stderr, "capture hello: the server's key is NOT checked (no --pubkey): "
			"trust on first use; give --pubkey with the server's manifest key to "
			"check it\n");
		return 0;
	}
	strata_session_hello_digest(c->k.sid, eph, a->eph, digest);
	if (read_file(c->job->pubkey, 1 << 16, &pub, &plen))
		return STRATA_EREPORTED;
	rc = strata_ecdsa_verify(pub, plen, digest, a->ssig, a->ssig_len);
	free(pub);
	if (rc == STRATA_EINVAL)
		return errorf("%s: not a public key (--pubkey: the server's STATE/server.key.pub, "
			      "PEM or DER)", c->job->pubkey);
	if (rc)
		return errorf("%s: the server's hello is not signed by the key in %s (--pubkey): "
			      "another server, one in the middle, or the wrong key file; nothing "
			      "uploaded", c->job->base, c->job->pubkey);
	st->server_key_checked = 1;
	fprintf(stderr, "capture hello: the server's key checked against %s\n", c->job->pubkey);
	return 0;
}

/* The upload key from the hello's answer a and our secret priv, into c->up. */
static int hello_key(struct conn *c, const struct key_answer *a,
		     const uint8_t priv[STRATA_P256_PRIV_LEN],
		     const uint8_t eph[STRATA_KEY_PUB_LEN])
{
	uint8_t x[32];
	int rc = strata_p256_ecdh(priv, a->eph, rng, NULL, x);

	if (rc == 0)
		rc = strata_session_hello_derive(&c->k, x, eph, a->eph, c->up);
	strata_wipe(x, sizeof(x));
	return rc ? errorf("%s: the hello's answer has no usable point", c->job->base) : 0;
}

/* POST /capture/hello: agree the upload key with the server (session.h), so the token
 * alone opens no upload.  0 or STRATA_EREPORTED. */
static int hello(struct conn *c, struct upload_stats *st)
{
	uint8_t priv[STRATA_P256_PRIV_LEN], eph[STRATA_KEY_PUB_LEN];
	char body[4 + 2 * STRATA_KEY_PUB_LEN + 2];
	struct key_answer a;
	struct resp r = { 0 };
	long status = 0;
	int rc = strata_p256_keygen(rng, NULL, priv, eph) ? errorf("no randomness") : 0;

	memcpy(body, "eph=", 4);
	strata_hex_encode(body + 4, eph, sizeof(eph));
	body[4 + 2 * sizeof(eph)] = '\n';
	if (rc == 0)
		rc = request(c, "/capture/hello", NULL, body, sizeof(body) - 1, &status, &r);
	if (rc == 0 && status != 200)
		rc = errorf("%s: the hello was refused (HTTP %ld: %s)", c->job->base, status,
			    said(&r));
	if (rc == 0 && key_answer_parse(r.p ? r.p : "", r.len, &a))
		rc = errorf("%s: the hello's answer does not parse: %s", c->job->base, said(&r));
	if (rc == 0)
		rc = hello_trusted(c, &a, eph, st);
	if (rc == 0)
		rc = hello_key(c, &a, priv, eph);
	strata_wipe(priv, sizeof(priv));
	free(r.p);
	return rc ? STRATA_EREPORTED : 0;
}

/* A sealed upload (request with aad): when the server has no upload key for the task (it
 * restarted since the hello: 403 naming /capture/hello), say hello again and send it once
 * more.  Same returns as request. */
static int upload(struct conn *c, const char *q, const char *aad, const void *body, size_t len,
		  long *status, struct resp *out, struct upload_stats *st)
{
	int rc = request(c, q, aad, body, len, status, out);

	if (rc || *status != 403 || !strstr(out->p ? out->p : "", "POST /capture/hello first"))
		return rc;
	free(out->p);
	fprintf(stderr, "capture hello: the server forgot the upload key (restarted?): saying "
		"hello again\n");
	if (hello(c, st))
		return STRATA_EREPORTED;
	return request(c, q, aad, body, len, status, out);
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
	char hex[65], rel[STRATA_STORE_FILE_MAX], path[4096], q[200], aad[80];
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
	snprintf(aad, sizeof(aad), "/capture/chunk/%s", hex);
	rc = upload(c, q, aad, file, len, &status, &r, st);
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

/* Ask which of the m chunks ch[0..m) the server lacks (one request) and upload those.
 * The answer lists the missing names in the order asked.  0 or STRATA_EREPORTED. */
static int need_batch(struct conn *c, const struct strata_chunk *ch, size_t m,
		      struct upload_stats *st)
{
	char *body = malloc(m * 65 + 1), hex[65];
	const char *p;
	struct resp r = { 0 };
	long status = 0;
	int rc = body ? 0 : errorf("out of memory");

	for (size_t i = 0; rc == 0 && i < m; i++) {
		strata_hex_encode(body + i * 65, ch[i].digest, 32);
		body[i * 65 + 64] = '\n';
	}
	if (rc == 0)
		rc = request(c, "/capture/need", NULL, body, m * 65, &status, &r);
	if (rc == 0 && status != 200)
		rc = errorf("%s: have/need refused (HTTP %ld: %s)", c->job->base, status,
			    said(&r));
	p = r.p ? r.p : "";
	for (size_t i = 0; rc == 0 && i < m; i++) {
		strata_hex_encode(hex, ch[i].digest, 32);
		if (strncmp(p, hex, 64)) {
			st->chunks_present++;
			continue;
		}
		p += 65;
		rc = put_chunk(c, &ch[i], st);
	}
	free(r.p);
	free(body);
	return rc;
}

/* Every stored chunk of idx, in batches of NEED_BATCH.  0 or STRATA_EREPORTED. */
static int upload_chunks(struct conn *c, const struct strata_index *idx,
			 struct upload_stats *st)
{
	struct strata_chunk *batch = malloc(NEED_BATCH * sizeof(*batch));
	size_t m = 0;
	int rc = batch ? 0 : errorf("out of memory");

	for (uint64_t i = 0; rc == 0 && i < idx->chunk_count; i++) {
		strata_index_chunk(idx, i, &batch[m]);
		if (batch[m].stored_size)
			m++;
		if (m == NEED_BATCH || (m && i + 1 == idx->chunk_count)) {
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
static int commit(struct conn *c, const uint8_t *idx, size_t len, char *answer, size_t cap,
		  struct upload_stats *st)
{
	char q[160], *part = curl_easy_escape(c->curl, c->job->part, 0);
	struct resp r;
	long status;
	int rc;

	if (!part)
		return errorf("out of memory");
	snprintf(q, sizeof(q), "/capture/commit?part=%s", part);
	curl_free(part);
	rc = upload(c, q, "/capture/commit", idx, len, &status, &r, st);
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
		rc = hello(&c, st);
	if (rc == 0)
		rc = read_index(job, &ibuf, &ilen, &idx);
	if (rc == 0)
		rc = upload_chunks(&c, &idx, st);
	if (rc == 0 && job->part)
		rc = commit(&c, ibuf, ilen, answer, cap, st);
	free(ibuf);
	curl_easy_cleanup(c.curl);
err_curl:
	strata_wipe(&c.k, sizeof(c.k));
	strata_wipe(c.up, sizeof(c.up));
	return rc ? STRATA_EREPORTED : 0;
}
