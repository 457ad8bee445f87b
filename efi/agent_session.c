/*
 * The agent's session with the server (agent.h): registering the machine key, which opens
 * it, and signing every per-machine request with it (images/core/session.h).  A request
 * the server refuses while signed (its session forgotten by a restarted server, or
 * expired) makes the agent register again, once per run, and try once more.
 */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "clock.h"
#include "crypto.h"
#include "fetch_buf.h"
#include "key_register.h"
#include "log.h"
#include "machine_key.h"
#include "rc.h"
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

/** A POST's arguments (fetch_post_buffer's). */
struct post_args {
	const struct fetch_body *body;
	size_t max;
	uint8_t **buf;
	size_t *len;
};

static int do_post(struct agent *a, const char *url, void *ctx)
{
	struct post_args *p = ctx;

	return fetch_post_buffer(a->f, url, p->body, p->max, p->buf, p->len);
}

/** Attempts of a signed POST that failed in transit; each is signed anew. */
#define POST_ATTEMPTS 3

int agent_signed_post(struct agent *a, char *url, size_t cap, const struct fetch_body *body,
		      size_t max, uint8_t **buf, size_t *len)
{
	struct post_args p = { body, max, buf, len };
	uint8_t digest[32];
	char hex[65];
	size_t base;
	int rc, attempt;

	strata_sha256(body->data, body->len, digest);
	strata_hex_encode(hex, digest, 32);
	base = strlen(url);
	if (base + 4 + 64 >= cap)
		return log_fail(STRATA_ERANGE, "session: %s: no room for b=", url);
	snprintf(url + base, cap - base, "%cb=%s", strstr(url, "?") ? '&' : '?', hex);
	base = strlen(url);
	for (attempt = 1;; attempt++) {
		url[base] = '\0';
		rc = signed_do_method(a, "POST", url, cap, do_post, &p);
		if (rc != STRATA_ENET && rc != STRATA_EIO && rc != STRATA_ETRUNC)
			return rc;
		if (attempt == POST_ATTEMPTS)
			return log_fail(rc, "session: POST failed %d times", attempt);
		log_msg("session: POST attempt %d failed; signing it again", attempt);
		clock_sleep_ms(500u << attempt);
	}
}

void agent_done(struct agent *a)
{
	strata_wipe(&a->sess, sizeof(a->sess));
	a->has_session = 0;
}
