/*
 * strata-server's capture routes (docs/capture.md): an admin's capture order and its
 * cancellation, and the signed requests of a capture task (its state, have/need, chunk
 * uploads, the commit).  The task's records and stores are capture*.c's; this file checks
 * requests and words the answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture_task.h"
#include "capture_commit.h"
#include "capture_done.h"
#include "capture_hello.h"
#include "capture_parse.h"
#include "capture_store.h"
#include "codec.h"
#include "crypto.h"
#include "http_capture.h"
#include "http_req.h"
#include "key_parse.h"
#include "quota.h"
#include "rc.h"
#include "seal.h"
#include "session.h"
#include "sessions.h"
#include "text.h"

/* The answer to an accepted capture order, as JSON; the token is wiped from t here. */
static enum MHD_Result capture_answer(struct MHD_Connection *c, struct req *r,
				      const struct capture_order *o, struct capture_ticket *t)
{
	char body[512];
	int n = snprintf(body, sizeof(body), "{\"machine\": \"%s\", \"mac\": \"%s\", "
			 "\"kind\": \"%s\", \"profile\": \"%s\", \"prepared\": %s, "
			 "\"force\": %s, \"token\": \"%s\"}\n", t->name, t->mac,
			 o->kind == CAPTURE_GOLD ? "gold" : "machine", o->profile,
			 o->prepared ? "true" : "false", o->force ? "true" : "false", t->token);
	enum MHD_Result ret = http_text(c, r, 200, "application/json", body, (size_t)n);

	strata_wipe(body, sizeof(body));
	strata_wipe(t->token, sizeof(t->token));
	return ret;
}

/* POST /api/capture/NAME[?as=PROFILE&prepared=yes][&force=yes]: open a capture task
 * (capture_task.h). */
enum MHD_Result http_capture_order(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct who by;
	char as[INV_NAME_MAX + 2], prep[8], frc[8];
	const char *why, *a = NULL, *p = NULL, *f = NULL;
	struct capture_order o;
	struct capture_ticket t;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (http_field_get(c, r, "as", as, sizeof(as), &a) < 0 ||
	    http_field_get(c, r, "prepared", prep, sizeof(prep), &p) < 0 ||
	    http_field_get(c, r, "force", frc, sizeof(frc), &f) < 0)
		return http_fail(c, r, STRATA_EINVAL, "as=, prepared= and force= must be short plain "
				 "text");
	rc = capture_order_parse(a, p, &o, &why);
	if (rc == 0)
		rc = capture_order_force(f, &o, &why);
	if (rc)
		return http_fail(c, r, rc, why);
	rc = server_capture_order(s, r->route.name, &o, &by, &t, &why);
	if (rc)
		return http_fail(c, r, rc, why ? why : capture_order_why(rc));
	return capture_answer(c, r, &o, &t);
}

/* POST /api/capture-cancel/NAME: end the machine's open capture task. */
enum MHD_Result http_capture_cancel(struct MHD_Connection *c, struct req *r,
				      struct server *s)
{
	struct who by;
	const char *why;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	rc = server_capture_cancel(s, r->route.name, &by);
	if (rc)
		return http_fail(c, r, rc, capture_order_why(rc));
	return http_text(c, r, 200, "text/plain", "capture cancelled\n", 18);
}

/* Why a request of a capture task was refused (rc from its check), for the body. */
static const char *task_why(int rc)
{
	switch (rc) {
	case STRATA_ENOENT:
		return "sign the request with the capture task's token (strata-image --token)";
	case STRATA_EAUTH:
	case STRATA_EBADSIG:
		return "no capture task has this token: check it, or order a new capture (POST "
		       "/api/capture/NAME) and use its token";
	case STRATA_EACCES:
		return "the capture task has ended, or this machine has none open: order a new "
		       "capture (POST /api/capture/NAME)";
	case STRATA_ESTALE:
		return "that signed request was already taken, or its n is older than the "
		       "window: sign each request with a new, higher n";
	case STRATA_EINVAL:
		return "s=, n= and h= must end the query: 32 hex digits, a counter, 32 hex digits";
	default:
		return "cannot check the request";
	}
}

/*
 * r signed by a machine's per-boot session (strata.efi, docs/capture.md): the machine acts
 * for its own open task, into *t.  Why the two uses: a write (chunk, commit, done) changes
 * state, so its counter counts once and a replay gets 409; a read (task, need) may repeat
 * inside the window, as strata.efi's retries do.  0; STRATA_EAUTH (no such session, so no
 * task either); STRATA_EBADSIG; STRATA_ESTALE (a write's counter seen before);
 * STRATA_EACCES (the machine has no open task); STRATA_EREPORTED.
 */
static int machine_check(struct req *r, struct server *s, struct capture_task *t)
{
	enum session_use use = capture_route_use(r->route.kind);
	struct strata_session_keys k;
	uint8_t mac[6];
	char smac[18];
	int rc = sessions_check_sid(s->sessions, r->method, r->uri, strlen(r->uri), use,
				    (int64_t)time(NULL), mac, &k, &r->n);

	if (rc)
		return rc == STRATA_EINVAL ? STRATA_EAUTH : rc;
	/* A sealed body opens with the session's enc key (upload_opened). */
	memcpy(r->up_key, k.enc, sizeof(r->up_key));
	r->up_key_set = 1;
	strata_wipe(&k, sizeof(k));
	strata_mac_format(smac, mac);
	rc = capture_task_of_mac(s, smac, t);
	return rc == STRATA_ENOENT ? STRATA_EACCES : rc;
}

/* The open task that signed r, into *t: a task's session (strata_session_task_derive)
 * first, then a machine's (machine_check).  0, STRATA_ENOENT (unsigned), STRATA_EAUTH (no
 * such task or session), STRATA_EBADSIG, STRATA_EACCES (ended, or none open),
 * STRATA_ESTALE (a replayed write), or STRATA_EREPORTED. */
int http_capture_check(struct req *r, struct server *s, struct capture_task *t)
{
	struct strata_session_query q;
	struct strata_session_keys k;
	int rc = r->uri_long ? STRATA_ENOENT : strata_session_parse(r->uri, strlen(r->uri), &q);

	if (rc)
		return STRATA_ENOENT;
	rc = capture_task_find(s, q.sid, t, &k);
	if (rc == 0)
		rc = capture_task_verify(s, t, &k, r->method, r->uri, capture_route_use(r->route.kind));
	strata_wipe(&k, sizeof(k));
	if (rc == STRATA_EAUTH)
		return machine_check(r, s, t);
	if (rc == 0) {           /* what a sealed body opens with (upload_opened) */
		r->n = q.n;
		r->up_key_set = capture_hello_key(s->hellos, q.sid, r->up_key) == 0;
	}
	return rc == 0 && !t->open ? STRATA_EACCES : rc;
}

/* The status answering a task's refusal rc (signed_by_task's codes). */
static unsigned int task_status(int rc)
{
	return rc == STRATA_EREPORTED || rc == STRATA_ENOMEM ? 500 : rc == STRATA_ESTALE ? 409
		: 403;
}

/* Whether the signed query's b= is the SHA-256 of body[0..len) (64 hex digits): the tag
 * covers the query, so it covers the body through b=. */
int http_body_signed(struct MHD_Connection *c, const char *body, size_t len)
{
	const char *b = http_qfield(c, "b");
	uint8_t want[32], got[32];

	if (!b || strlen(b) != 64 || strata_hex_decode(want, b, 32))
		return 0;
	strata_sha256(body, len, got);
	return !memcmp(want, got, 32);
}

/* A task request's common checks: signed by a task (checked when it arrived, task_rc) and
 * its body matching the signed b=.  0, or the status to refuse it with, *why set. */
static unsigned int task_request_refused(struct MHD_Connection *c, const struct req *r,
					 const char **why)
{
	if (r->task_rc)
		return *why = task_why(r->task_rc), task_status(r->task_rc);
	if (!http_body_signed(c, r->big ? r->big : "", r->big_len))
		return *why = "the body does not match the signed b=: sign b=SHA-256 of the body "
			      "(hex) in the query", 403;
	return 0;
}

/*
 * Open r's body when the signed query says e=1 (sealed: strata_upload_open with the key of
 * the task's hello or the machine's session, the request's counter, and aad, the request's
 * canonical path), replacing r->big with the plaintext; before any other check of it.  A
 * body in clear may stay so only for a gold task (public data).  0, or the status of the
 * refusal with *why (static) for the answer.
 */
static unsigned int upload_opened(struct MHD_Connection *c, struct req *r, const char *aad,
				  const char **why)
{
	const char *e = http_qfield(c, "e");
	uint8_t *plain;
	size_t len;

	if (!e && r->task.kind == CAPTURE_GOLD)
		return 0;
	if (!e)
		return *why = "a machine capture's uploads travel sealed: seal the body with the "
			      "upload key of POST /capture/hello and sign e=1 (strata-image does "
			      "both); nothing stored", 403;
	if (strcmp(e, "1"))
		return *why = "e must be 1 (a sealed body) or absent", 400;
	if (!r->up_key_set)
		return *why = "no upload key for this task: send POST /capture/hello first (a "
			      "restarted server forgets it); nothing stored", 403;
	if (!(plain = malloc(r->big_len ? r->big_len : 1)))
		return *why = "out of memory", 500;
	if (strata_upload_open(r->up_key, r->n, aad, strlen(aad), (const uint8_t *)r->big,
			       r->big_len, plain, &len)) {
		free(plain);
		return *why = "the sealed body fails its check (AES-GCM tag): changed on the way, "
			      "or sealed under another key, counter or path; nothing stored", 400;
	}
	free(r->big);
	r->big = (char *)plain;
	r->big_len = len;
	return 0;
}

/* The missing digests of d (missing[i] set), one hex line each (need.h), as a new string
 * (the caller's, or NULL without memory), its length in *len. */
static char *need_answer(const uint8_t (*d)[32], const uint8_t *missing, size_t n,
			 size_t *len)
{
	char *out = malloc(n * STRATA_NEED_LINE + 1);

	*len = out ? strata_need_write(out, d, n, missing) : 0;
	return out;
}

/* Parse r's have/need body and answer which chunks the task t lacks. */
static enum MHD_Result need_parsed(struct MHD_Connection *c, struct req *r,
				   struct server *s, const struct capture_task *t,
				   uint8_t (*d)[32], uint8_t *missing)
{
	char why[160], *answer;
	size_t n, line, len;
	int rc = strata_need_parse(r->big, r->big_len, d, STRATA_NEED_MAX, &n, &line);

	if (rc) {
		snprintf(why, sizeof(why), "have/need body, line %zu: send 1..%d lines of 64 "
			 "lowercase hex digits, each ending in a newline", line, STRATA_NEED_MAX);
		return http_error(c, r, 400, why);
	}
	if (capture_need(s, t, (const uint8_t (*)[32])d, n, missing))
		return http_error(c, r, 500, "cannot look the chunks up");
	answer = need_answer((const uint8_t (*)[32])d, missing, n, &len);
	return http_owned(c, r, "text/plain", answer, len);
}

/* POST /capture/need?b=SHA256&s=&n=&h=, signed by a capture task: of the chunks the body
 * names, the ones the store lacks for this task (capture_store.h). */
enum MHD_Result http_capture_need(struct MHD_Connection *c, struct req *r,
					struct server *s)
{
	const char *refusal;
	unsigned int refused;
	uint8_t (*d)[32];
	uint8_t *missing;
	enum MHD_Result ret;

	if ((refused = task_request_refused(c, r, &refusal)))
		return http_error(c, r, refused, refusal);
	d = malloc(STRATA_NEED_MAX * sizeof(*d));
	missing = malloc(STRATA_NEED_MAX);
	ret = d && missing ? need_parsed(c, r, s, &r->task, d, missing)
		: http_fail(c, r, STRATA_ENOMEM, "out of memory");
	free(missing);
	free(d);
	return ret;
}

/* The chunk r uploads as its bytes, into *bytes: the body itself (borrowed) or, for a
 * zlib upload, a new buffer (set in *owned too, the caller frees it).  0, or an rc with
 * *why (static) for the answer. */
static int chunk_bytes(struct MHD_Connection *c, struct req *r, const uint8_t **bytes,
		       size_t *len, uint8_t **owned_buf, const char **why)
{
	int zlib, rc = capture_chunk_query(http_qfield(c, "z"), http_qfield(c, "len"), r->big_len, &zlib,
					   len, why);

	*owned_buf = NULL;
	*bytes = (const uint8_t *)r->big;
	if (rc || !zlib)
		return rc;
	if (!(*owned_buf = malloc(*len)))
		return *why = "out of memory", STRATA_ENOMEM;
	if (strata_inflate(*owned_buf, *len, r->big, r->big_len))
		return *why = "not a zlib stream of len bytes; nothing stored", STRATA_ECORRUPT;
	*bytes = *owned_buf;
	return 0;
}

/* Check r's chunk against its name and keep it; the answer's text into *why. */
static int chunk_keep(struct MHD_Connection *c, struct req *r, struct server *s,
		      const char **why)
{
	const uint8_t *bytes;
	uint8_t got[32], *owned_buf;
	size_t len;
	int rc = chunk_bytes(c, r, &bytes, &len, &owned_buf, why);

	if (rc == 0) {
		strata_sha256(bytes, len, got);
		if (memcmp(got, r->route.digest, 32))
			rc = STRATA_ECORRUPT, *why = "its bytes hash to another name; nothing stored";
	}
	free(owned_buf);
	if (rc)
		return rc;
	rc = capture_keep_chunk(s, &r->task, r->route.digest, r->big, r->big_len);
	if (rc == 0 && capture_count_upload(s, &r->task, r->big_len))
		rc = STRATA_EREPORTED;
	*why = rc == 1 ? "present" : rc == 0 ? "stored" : rc == STRATA_ENOSPC
		? "the server keeps --capture-reserve free where it stores; nothing stored: "
		  "free space on the server, or lower the reserve" : "cannot store it (the "
		  "server's log says why; a store folder its --user cannot write is the usual "
		  "cause)";
	return rc == 1 ? 0 : rc;
}

/* POST /capture/chunk/HEX?b=&[z=1&len=N&]s=&n=&h=, signed by a capture task: the chunk
 * named HEX, raw or as a zlib stream.  It enters the store only if it hashes to HEX, and
 * one already there is never rewritten. */
enum MHD_Result http_capture_chunk(struct MHD_Connection *c, struct req *r,
					 struct server *s)
{
	const char *refusal;
	unsigned int refused;
	char hex[65], body[320], aad[16 + 65];
	const char *why;
	unsigned int st;
	int rc;

	if ((refused = task_request_refused(c, r, &refusal)))
		return http_error(c, r, refused, refusal);
	strata_hex_encode(hex, r->route.digest, 32);
	snprintf(aad, sizeof(aad), "/capture/chunk/%s", hex);
	st = upload_opened(c, r, aad, &why);
	rc = st ? 0 : chunk_keep(c, r, s, &why);
	snprintf(body, sizeof(body), "chunk %s: %s", hex, why);
	if (st)
		return http_error(c, r, st, body);
	if (rc == STRATA_EQUOTA) {                       /* its previous generation is kept */
		quota_why(s, &r->task, r->big_len, body, sizeof(body));
		return http_error(c, r, 507, body);
	}
	if (rc == STRATA_ECORRUPT)
		return http_error(c, r, 400, body);
	if (rc == STRATA_ENOSPC)
		return http_error(c, r, 507, body);      /* RFC 4918: Insufficient Storage */
	if (rc)
		return http_error(c, r, rc == STRATA_ERANGE ? 413 : rc == STRATA_EINVAL ? 400 : 500,
			     body);
	strcat(body, "\n");
	return http_text(c, r, 200, "text/plain", body, strlen(body));
}

/* The status of a commit's or done's refusal rc. */
static unsigned int end_status(int rc)
{
	return rc == STRATA_ENOENT || rc == STRATA_ESTALE ? 409 : rc == STRATA_EINVAL ? 400
		: rc == STRATA_EACCES ? 403 : 500;
}

/* POST /capture/commit?part=LABEL[&force=yes]&b=&s=&n=&h=, signed by a capture task: the
 * body, a layer index, becomes that partition's layer (capture_commit.h). */
enum MHD_Result http_capture_commit(struct MHD_Connection *c, struct req *r,
					  struct server *s)
{
	const char *refusal;
	unsigned int refused;
	struct capture_generation g;
	const char *force = http_qfield(c, "force"), *wh;
	char why[320], hex[65], body[400], num[40] = "", rew[40] = "";
	unsigned int st;
	int rc;

	if ((refused = task_request_refused(c, r, &refusal)))
		return http_error(c, r, refused, refusal);
	if (force && strcmp(force, "yes"))
		return http_error(c, r, 400, "force= is yes or absent");
	if ((st = upload_opened(c, r, "/capture/commit", &wh)))
		return http_error(c, r, st, wh);
	rc = capture_commit(s, &r->task, http_qfield(c, "part"), force != NULL,
			    (uint8_t *)r->big, r->big_len, &g, why, sizeof(why));
	if (rc)
		return http_error(c, r, end_status(rc), why);
	strata_hex_encode(hex, g.layer, 32);
	if (g.number)
		snprintf(num, sizeof(num), "generation %lld ", (long long)g.number);
	if (g.rewritten)
		snprintf(rew, sizeof(rew), " rewritten=%llu", (unsigned long long)g.rewritten);
	snprintf(body, sizeof(body), "%slayer=sha256:%s size=%llu stored=%llu uploaded=%llu%s%s\n",
		 num, hex, (unsigned long long)g.size, (unsigned long long)g.stored,
		 (unsigned long long)g.uploaded, rew, force ? " forced" : "");
	return http_text(c, r, 200, "text/plain", body, strlen(body));
}

/* POST /capture/done?b=&s=&n=&h=, signed by a capture task: the task ends; a gold task's
 * body, the captured layout, becomes its profile (capture_done.h). */
enum MHD_Result http_capture_done(struct MHD_Connection *c, struct req *r, struct server *s)
{
	const char *refusal;
	unsigned int refused;
	struct capture_end e;
	char why[400], body[INV_NAME_MAX + 96];
	int rc;

	if ((refused = task_request_refused(c, r, &refusal)))
		return http_error(c, r, refused, refusal);
	rc = capture_done(s, &r->task, r->big ? r->big : "", r->big_len, &e, why, sizeof(why));
	if (rc)
		return http_error(c, r, end_status(rc), why);
	if (r->task.kind == CAPTURE_GOLD)
		snprintf(body, sizeof(body), "task committed: profile %s, %u layers\n",
			 r->task.profile, e.layers);
	else
		snprintf(body, sizeof(body), "task committed: %u partitions\n", e.parts);
	return http_text(c, r, 200, "text/plain", body, strlen(body));
}

/* GET /capture/task, signed by a capture task: what the task is, so a client checks its
 * token before it reads a disk. */
enum MHD_Result http_capture_task(struct MHD_Connection *c, struct req *r,
				    struct server *s)
{
	char body[192];
	struct capture_task t;
	int rc = http_capture_check(r, s, &t), n;

	if (rc)
		return http_error(c, r, task_status(rc), task_why(rc));
	n = snprintf(body, sizeof(body), "task=open kind=%s mac=%s profile=%s\n",
		     t.kind == CAPTURE_GOLD ? "gold" : "machine", t.mac, t.profile[0] ? t.profile
		     : "-");
	return http_text(c, r, 200, "text/plain", body, (size_t)n);
}

/* The hello's answer line into out (cap bytes): the registration answer's words
 * (key_answer.h parses both), for the task's machine mac, the client's point and a. */
static int hello_line(char *out, size_t cap, const struct capture_task *t,
		      const uint8_t client[STRATA_KEY_PUB_LEN],
		      const uint8_t sid[STRATA_SESSION_SID_LEN], const struct capture_hello_answer *a)
{
	char fp[KEY_FP_TEXT], hs[2 * STRATA_SESSION_SID_LEN + 1], he[2 * STRATA_KEY_PUB_LEN + 1];
	char hg[2 * STRATA_KEY_SIG_MAX + 1];

	key_fingerprint(fp, client);
	strata_hex_encode(hs, sid, STRATA_SESSION_SID_LEN);
	strata_hex_encode(he, a->eph, STRATA_KEY_PUB_LEN);
	strata_hex_encode(hg, a->sig, a->sig_len);
	return snprintf(out, cap, "key=known name=%s fingerprint=%s session=%s eph=%s ssig=%s\n",
			t->mac, fp, hs, he, hg);
}

/* Agree the upload key of r's task with the client's point (capture_hello.h) and answer. */
static enum MHD_Result hello_agreed(struct MHD_Connection *c, struct req *r, struct server *s,
				    const uint8_t client[STRATA_KEY_PUB_LEN])
{
	struct strata_session_query q;
	struct strata_session_keys k;
	struct capture_task t;
	struct capture_hello_answer a;
	char line[640];
	int rc = strata_session_parse(r->uri, strlen(r->uri), &q), n = 0;

	if (rc == 0)
		rc = capture_task_find(s, q.sid, &t, &k);
	if (rc == 0)
		rc = capture_hello(s, &k, client, &a);
	strata_wipe(&k, sizeof(k));
	if (rc == STRATA_EINVAL)
		return http_error(c, r, 400, "hello: eph is not a point on P-256");
	if (rc == STRATA_ESTALE)
		return http_error(c, r, 409, "hello: this ephemeral point was sent before (a "
			     "replayed hello): make a new one; the upload key is unchanged");
	if (rc == STRATA_EAUTH)          /* signed, but not by a task's token session */
		return http_error(c, r, 400, "hello: only a capture task's token says hello; a "
			     "machine's session seals its uploads with its own key");
	if (rc)
		return http_error(c, r, 500, "hello: cannot agree an upload key");
	n = hello_line(line, sizeof(line), &r->task, client, q.sid, &a);
	return http_text(c, r, 200, "text/plain", line, (size_t)n);
}

/* POST /capture/hello?b=&s=&n=&h=, signed by a capture task, body "eph=HEX\n": agree the
 * task's upload key (docs/capture.md, "Sealed uploads").  The answer carries the server's
 * ephemeral point signed by the manifest key. */
enum MHD_Result http_capture_hello(struct MHD_Connection *c, struct req *r,
					 struct server *s)
{
	const char *refusal;
	unsigned int refused;
	uint8_t client[STRATA_KEY_PUB_LEN];

	if ((refused = task_request_refused(c, r, &refusal)))
		return http_error(c, r, refused, refusal);
	if (capture_hello_parse(r->big ? r->big : "", r->big_len, client))
		return http_error(c, r, 400, "hello: send eph= and your ephemeral P-256 point (65 "
			     "bytes, uncompressed) as lowercase hex, then a newline");
	return hello_agreed(c, r, s, client);
}

/* The largest body a capture task's route takes, 0 for other routes.  Uploads may be
 * sealed: a tag more. */
size_t http_capture_body_max(enum http_route_kind kind)
{
	return kind == ROUTE_CAPTURE_NEED ? STRATA_NEED_BODY_MAX
		: kind == ROUTE_CAPTURE_CHUNK ? CAPTURE_CHUNK_BODY_MAX + STRATA_SEAL_OVERHEAD
		: kind == ROUTE_CAPTURE_COMMIT ? CAPTURE_INDEX_MAX + STRATA_SEAL_OVERHEAD
		: kind == ROUTE_CAPTURE_HELLO ? CAPTURE_HELLO_BODY
		: kind == ROUTE_CAPTURE_DONE ? STRATA_MANIFEST_MAX : 0;
}

/* Whether a task's request on route kind may repeat its n: reads may, writes (chunk,
 * commit, done, hello) may not. */
enum session_use capture_route_use(enum http_route_kind kind)
{
	return kind == ROUTE_CAPTURE_TASK || kind == ROUTE_CAPTURE_NEED ? SESSION_READ
		: SESSION_ONCE;
}
