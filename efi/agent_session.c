/*
 * The agent's session with the server (agent.h): registering the machine key, which opens
 * it, and signing every per-machine request with it (images/core/session.h).  A request
 * the server refuses while signed (its session forgotten by a restarted server, or
 * expired) makes the agent register again, once per run, and try once more.
 */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "alloc.h"
#include "clock.h"
#include "crypto.h"
#include "fetch_buf.h"
#include "key_register.h"
#include "log.h"
#include "machine_key.h"
#include "rc.h"
#include "seal.h"
#include "text.h"

int agent_register(struct agent *a, enum key_verdict *v, char *name, size_t cap)
{
	uint8_t pub[STRATA_KEY_PUB_LEN];
	int rc = machine_key_load(pub);

	if (rc) {
		machine_key_unload();
		return agent_fail(a, rc, rc == STRATA_ENOTSUP
				  ? "no source of randomness for the machine key"
				  : "the machine key cannot be loaded");
	}
	a->sess_n = 0;
	rc = key_register(a->f, a->args.server, a->mac, pub, v, name, cap, &a->sess,
			  &a->has_session);
	machine_key_unload();           /* signed once: the scalar leaves memory now */
	return rc ? agent_fail(a, rc, "the server did not take the machine key") : 0;
}

/** How one signed request is made: fetch url (signed) into what ctx says. */
typedef int signed_fetch_fn(struct agent *a, const char *url, void *ctx);

/* Sign url (its unsigned text is url[0..base)) for method with the session's next number. */
static int sign(struct agent *a, const char *method, char *url, size_t cap, size_t base)
{
	int rc;

	if (!a->has_session)
		return log_fail(STRATA_EAUTH, "session: none to sign %s with", url);
	url[base] = '\0';
	rc = strata_session_sign_method(&a->sess, method, ++a->sess_n, url, cap);
	return rc ? log_fail(rc, "session: cannot sign %s", url) : 0;
}

/* Register again after the server refused a signed request: a new session or an rc. */
static int renew(struct agent *a)
{
	enum key_verdict v;
	char name[KEY_NAME_MAX];
	int rc;

	a->renewed = 1;
	log_msg("session: the server refused a signed request; registering again");
	rc = agent_register(a, &v, name, sizeof(name));
	if (rc == 0 && !a->has_session)
		rc = log_fail(STRATA_EAUTH, "session: the server no longer gives %s a session",
			      a->mac);
	return rc;
}

/* Sign url for method and run fn; on a refusal other than a 404, renew the session once
 * and retry. */
static int signed_do_method(struct agent *a, const char *method, char *url, size_t cap,
			    signed_fetch_fn *fn, void *ctx)
{
	size_t base = strlen(url);
	int rc = sign(a, method, url, cap, base);

	if (rc == 0)
		rc = fn(a, url, ctx);
	if (rc == 0 || rc == STRATA_ENOENT || a->renewed || !a->has_session)
		return rc;
	rc = renew(a);
	if (rc == 0)
		rc = sign(a, method, url, cap, base);
	return rc ? rc : fn(a, url, ctx);
}

static int signed_do(struct agent *a, char *url, size_t cap, signed_fetch_fn *fn, void *ctx)
{
	return signed_do_method(a, "GET", url, cap, fn, ctx);
}

/** A whole-body fetch's arguments (fetch_buffer's). */
struct buffer_args {
	size_t max;
	uint8_t **buf;
	size_t *len;
};

static int do_buffer(struct agent *a, const char *url, void *ctx)
{
	struct buffer_args *b = ctx;

	return fetch_buffer(a->f, url, b->max, b->buf, b->len);
}

int agent_signed_buffer(struct agent *a, char *url, size_t cap, size_t max, uint8_t **buf,
			size_t *len)
{
	struct buffer_args b = { max, buf, len };

	return signed_do(a, url, cap, do_buffer, &b);
}

/** A streamed fetch's arguments (fetch_get's). */
struct get_args {
	fetch_data_fn *cb;
	void *ctx;
};

static int do_get(struct agent *a, const char *url, void *ctx)
{
	struct get_args *g = ctx;

	return fetch_get(a->f, url, g->cb, g->ctx);
}

int agent_signed_get(struct agent *a, char *url, size_t cap, fetch_data_fn *cb, void *ctx)
{
	struct get_args g = { cb, ctx };

	return signed_do(a, url, cap, do_get, &g);
}

/** Attempts of a signed POST; each is sealed (when asked) and signed anew. */
#define POST_ATTEMPTS 3

/* Failures worth another signed attempt: the network's, and a counter the server saw
 * before (409: a first attempt that arrived after all). */
static int post_retry(int rc)
{
	return rc == STRATA_ENET || rc == STRATA_EIO || rc == STRATA_ETRUNC || rc == STRATA_ESTALE;
}

/*
 * One attempt: url[0..base) is the unsigned request; seal body under this attempt's
 * counter when aad is set (the session's enc key, docs/capture.md), append e=1 and b= (the
 * SHA-256 of what travels), sign, POST.  The answer into *buf (the caller frees it).
 */
static int post_once(struct agent *a, char *url, size_t cap, size_t base,
		     const struct fetch_body *body, const char *aad, size_t max, uint8_t **buf,
		     size_t *len)
{
	struct fetch_body send = *body;
	uint8_t digest[32], *sealed = NULL;
	char hex[65];
	size_t at;
	int rc = 0;

	url[base] = '\0';
	if (aad) {
		sealed = strata_alloc(body->len + STRATA_SEAL_OVERHEAD);
		if (!sealed)
			return log_fail(STRATA_ENOMEM, "session: no memory to seal %s", url);
		rc = strata_upload_seal(a->sess.enc, a->sess_n + 1, aad, strlen(aad), body->data,
					body->len, sealed, &send.len);
		send.data = sealed;
	}
	strata_sha256(send.data, send.len, digest);
	strata_hex_encode(hex, digest, 32);
	at = strlen(url);
	if (rc == 0 && (size_t)snprintf(url + at, cap - at, "%c%sb=%s", strstr(url, "?") ? '&'
					: '?', aad ? "e=1&" : "", hex) >= cap - at)
		rc = log_fail(STRATA_ERANGE, "session: %s: no room for b=", url);
	if (rc == 0)
		rc = sign(a, "POST", url, cap, strlen(url));
	if (rc == 0)
		rc = fetch_post_buffer(a->f, url, &send, max, buf, len);
	strata_free(sealed);
	return rc;
}

int agent_signed_post(struct agent *a, char *url, size_t cap, const struct fetch_body *body,
		      const char *aad, size_t max, uint8_t **buf, size_t *len)
{
	size_t base = strlen(url);
	int rc, attempt;

	for (attempt = 1;; attempt++) {
		rc = post_once(a, url, cap, base, body, aad, max, buf, len);
		if (rc == 0 || rc == STRATA_ENOENT || rc == STRATA_ENOMEM || rc == STRATA_ERANGE)
			return rc;
		if (!post_retry(rc) && (a->renewed || !a->has_session))
			return rc;
		if (attempt == POST_ATTEMPTS)
			return log_fail(rc, "session: POST failed %d times", attempt);
		/* A refusal: the server may have forgotten the session (restarted): once. */
		if (!post_retry(rc) && (rc = renew(a)) != 0)
			return rc;
		log_msg("session: POST attempt %d failed; signing it again", attempt);
		clock_sleep_ms(500u << attempt);
	}
}

void agent_done(struct agent *a)
{
	strata_wipe(&a->sess, sizeof(a->sess));
	a->has_session = 0;
}
