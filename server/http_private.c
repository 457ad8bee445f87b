/*
 * strata-server's /private/MAC/ routes: one machine's private layers (private_store.h),
 * sealed to that machine's session (http_seal.h) or in clear to an admin, audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "http_private.h"
#include "http_req.h"
#include "http_run.h"
#include "http_seal.h"
#include "layer_cache.h"
#include "private_store.h"
#include "rc.h"
#include "state.h"
#include "store_path.h"
#include "text.h"

/** Who a private request is answered to, and how. */
struct private_grant {
	int sealed;                        /**< 1: the machine's session, sealed; 0: an admin */
	struct who by;                     /**< the admin, when not sealed */
	uint8_t key[STRATA_SEAL_KEY_LEN];  /**< the session's encryption key */
	uint64_t n;                        /**< the request's counter: the seal's IV */
};

/*
 * A machine's private layer is served to that machine's signed request (sealed to its
 * session) or to an admin's credential (a token or a session; in clear, audited);
 * anything else is refused: 401 without a proof, 403 with another machine's.  0 with *g filled, or an rc with *why.
 */
static int private_authorize(struct MHD_Connection *c, struct req *r, struct server *s,
			     struct private_grant *g, const char **why)
{
	struct strata_session_keys k;
	int rc;

	memset(g, 0, sizeof(*g));
	if (http_has_credential(c))
		return http_authorize(c, s, r, &g->by, why);
	rc = r->uri_long ? STRATA_EINVAL
		: server_session_check(s, r->route.mac, r->method, r->uri, &k, &g->n);
	*why = http_session_why(rc);
	if (rc)
		return rc;
	g->sealed = 1;
	memcpy(g->key, k.enc, sizeof(g->key));
	strata_wipe(&k, sizeof(k));
	return 0;
}

/* An admin's read of a machine's private file, in the audit log before it is answered. */
static int audit_private_read(struct server *s, struct req *r, const struct who *by)
{
	struct db *d = s->state->db;
	char mac[18], action[32 + HTTP_PATH_MAX];
	int rc = db_begin(d);

	if (rc)
		return STRATA_EREPORTED;
	strata_mac_format(mac, r->route.mac);
	snprintf(action, sizeof(action), "private-read %s", r->path);
	rc = audit_order(d, by, mac, action, NULL, 0);
	return db_end(d, rc) ? STRATA_EREPORTED : 0;
}

/* The canonical path of the private file a request names: a sealed body's AAD. */
static void private_path_of(const struct req *r, char out[STRATA_PRIVATE_PATH_MAX])
{
	struct strata_store_ref ref = { .kind = r->route.kind == ROUTE_PRIVATE_INDEX
					? STRATA_STORE_INDEX : STRATA_STORE_RUN,
					.first = r->route.first, .last = r->route.last };

	memcpy(ref.digest, r->route.digest, 32);
	strata_private_path(out, r->route.mac, &ref);
}

/* src's plaintext sealed to the session of g, or the asked range of it.  Takes src. */
static enum MHD_Result sealed(struct MHD_Connection *c, struct req *r,
			      const struct seal_source *src, const struct private_grant *g)
{
	uint64_t size = http_sealed_size(src->len), start, len;
	enum http_range_result rr = http_range_of(c, size, &start, &len);
	char aad[STRATA_PRIVATE_PATH_MAX];
	struct MHD_Response *resp;
	int rc;

	if (rr == RANGE_UNSATISFIABLE) {
		src->free(src->ctx);
		return http_unsatisfiable(c, r, size);
	}
	private_path_of(r, aad);
	rc = http_sealed_response(src, g->key, g->n, aad, start, len, &resp);
	if (rc)
		return http_fail(c, r, rc, "cannot seal the body");
	http_body_headers(resp, rr, start, len, size, "no-store");
	return http_queue(c, r, rr == RANGE_PARTIAL ? 206 : 200, resp, len);
}

/* A private layer's index: sealed, or in clear to an admin (no range: admins use curl). */
static enum MHD_Result private_index(struct MHD_Connection *c, struct req *r,
				     const struct layer_entry *e, const struct private_grant *g)
{
	struct seal_source src;
	struct MHD_Response *resp;

	if (g->sealed) {
		if (http_seal_source_mem(&src, e->buf, e->len))
			return http_fail(c, r, STRATA_ENOMEM, "out of memory");
		return sealed(c, r, &src, g);
	}
	/* The cache keeps the index for the server's life, past any response. */
	resp = MHD_create_response_from_buffer(e->len, e->buf, MHD_RESPMEM_PERSISTENT);
	if (resp)
		http_body_headers(resp, RANGE_NONE, 0, e->len, e->len, "no-store");
	return http_queue(c, r, 200, resp, e->len);
}

static ssize_t run_source_read(void *ctx, uint8_t *buf, size_t max)
{
	return http_run_read(ctx, buf, max);
}

static void run_source_free(void *ctx)
{
	http_run_free(ctx);
}

/* A private layer's run: sealed, or in clear to an admin.  Its chunks come from the
 * machine's own folder or, for a chunk it shares with the gold image (a capture never
 * uploads those again), from the public store at pub. */
static enum MHD_Result private_run(struct MHD_Connection *c, struct req *r,
				   const struct layer_entry *e, const struct private_grant *g,
				   const char *pub)
{
	const char *why = "out of memory";
	struct seal_source src = { run_source_read, run_source_free, NULL, 0 };
	struct MHD_Response *resp;
	struct run *run;
	uint64_t len;
	int rc;

	if (!g->sealed) {
		rc = http_run_response(e->dir, pub, &e->idx, r->route.first, r->route.last, &resp,
				       &len, &why);
		if (rc)
			return http_fail(c, r, rc, why);
		http_body_headers(resp, RANGE_NONE, 0, len, len, "no-store");
		return http_queue(c, r, 200, resp, len);
	}
	rc = http_run_open(e->dir, pub, &e->idx, r->route.first, r->route.last, &run, &len,
			   &why);
	if (rc)
		return http_fail(c, r, rc, why);
	src.ctx = run;
	src.len = len;
	return sealed(c, r, &src, g);
}

/* /private/MAC/...: one machine's private store (private_store.h), never /store/. */
enum MHD_Result http_private_file(struct MHD_Connection *c, struct req *r, struct server *s)
{
	char dir[PRIVATE_DIR_MAX];
	const struct layer_entry *e;
	struct private_grant g;
	const char *why;
	enum MHD_Result ret;
	int rc = private_authorize(c, r, s, &g, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (private_store_dir(dir, sizeof(dir), s->cfg.private_dir, r->route.mac))
		rc = STRATA_ENOENT;
	else
		rc = layer_cache_get_in(&s->private_layers, dir, r->route.digest, &e);
	if (rc)
		ret = http_fail(c, r, rc, rc == STRATA_ECORRUPT ? "private layer index is corrupt"
			   : "no such private layer for this machine");
	else if (!g.sealed && audit_private_read(s, r, &g.by))
		ret = http_fail(c, r, STRATA_EREPORTED, "cannot record the read in the audit log");
	else if (r->route.kind == ROUTE_PRIVATE_INDEX)
		ret = private_index(c, r, e, &g);
	else
		ret = private_run(c, r, e, &g, s->cfg.store_dir);
	strata_wipe(g.key, sizeof(g.key));   /* the response holds its own cipher state */
	return ret;
}
