/* Machine key pinning: nonces, trust on first use, acceptance (see machine_keys.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "audit.h"
#include "catalog.h"
#include "crypto.h"
#include "host.h"
#include "keys.h"
#include "key_db.h"
#include "machine_keys.h"
#include "sessions.h"
#include "text.h"

/** What a verified registration did, in the words of the answer line. */
enum key_verdict { KEY_PINNED, KEY_KNOWN, KEY_DIFFERS, KEY_UNPINNED };

static const char *const verdict_names[] = {
	[KEY_PINNED] = "pinned", [KEY_KNOWN] = "known", [KEY_DIFFERS] = "differs",
	[KEY_UNPINNED] = "unpinned",
};

/* mac's name into name (cap bytes) and whether it has a pending deploy or an open capture
 * task (*pending: either is an order, which trust on first use needs).
 * 0, or STRATA_ENOENT when the server does not serve it.  Takes the locks it needs. */
static int machine_of(struct server *s, const uint8_t mac[6], char *name, size_t cap,
		      int *pending)
{
	struct mstate *st;
	int known;

	pthread_rwlock_rdlock(&s->lock);
	known = catalog_name(s, mac, 0, name, cap);
	pthread_rwlock_unlock(&s->lock);
	if (!known)
		return STRATA_ENOENT;
	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, mac);
	*pending = st && st->pending == INV_ACTION_DEPLOY;
	pthread_mutex_unlock(&s->state->lock);
	if (!*pending)
		*pending = server_capture_pending(s, mac);
	return 0;
}

int server_key_nonce(struct server *s, const uint8_t mac[6], char *out, size_t cap)
{
	char name[INV_NAME_MAX + 1], smac[18], hex[2 * KEY_NONCE_LEN + 1];
	uint8_t nonce[KEY_NONCE_LEN];
	int pending, rc = machine_of(s, mac, name, sizeof(name), &pending);

	if (rc)
		return rc;
	strata_mac_format(smac, mac);
	rc = key_nonce_issue(s->state->db, smac, (int64_t)time(NULL), nonce);
	if (rc)
		return rc;
	strata_hex_encode(hex, nonce, sizeof(nonce));
	snprintf(out, cap, "nonce=%s expires=%d\n", hex, KEY_NONCE_TTL);
	return 0;
}

/* Audit a key event of machine name: action "key-WHAT sha256:FP", by by. */
static int audit_key(struct db *d, const struct who *by, const char *name, const char *what,
		     const uint8_t pub[KEY_PUB_LEN])
{
	char fp[KEY_FP_TEXT], action[32 + KEY_FP_TEXT];

	key_fingerprint(fp, pub);
	snprintf(action, sizeof(action), "key-%s sha256:%s", what, fp);
	return audit_order(d, by, name, action, NULL, 0);
}

/* Decide on a registration whose nonce was good; write and audit what changes.  Call
 * between db_begin and db_end.  The verdict into *v. */
static int decide(struct db *d, const char *smac, const char *name, int pending,
		  const uint8_t pub[KEY_PUB_LEN], enum key_verdict *v)
{
	int64_t now = (int64_t)time(NULL);
	struct key_row row;
	int rc = key_row_get(d, smac, &row);

	if (rc)
		return rc;
	if (row.pinned && !memcmp(row.pub, pub, KEY_PUB_LEN))
		return *v = KEY_KNOWN, 0;
	if (row.pinned || row.awaiting) {   /* a replacement's row: any key waits (key_db.h) */
		*v = KEY_DIFFERS;
		if (row.pending && !memcmp(row.other, pub, KEY_PUB_LEN))
			return 0;       /* already shown to the admin, already audited */
		rc = key_set_pending(d, smac, pub, now);
		return rc ? rc : audit_key(d, &who_machine, name, "differs", pub);
	}
	if (!pending)
		return *v = KEY_UNPINNED, 0;   /* trust on first use needs an order */
	*v = KEY_PINNED;
	rc = key_pin(d, smac, pub, now);
	return rc ? rc : audit_key(d, &who_machine, name, "pinned", pub);
}

/* Use the nonce up and decide, in one transaction. */
static int register_tx(struct server *s, const char *smac, const char *name, int pending,
		       const struct key_reg *r, enum key_verdict *v)
{
	struct db *d = s->state->db;
	int rc = db_begin(d);

	if (rc)
		return rc;
	rc = key_nonce_take(d, smac, r->nonce, (int64_t)time(NULL));
	if (rc == 0)
		rc = decide(d, smac, name, pending, r->pub, v);
	/* A refused nonce is still used up: commit its deletion, report the refusal. */
	if (rc == STRATA_EAUTH)
		return db_end(d, 0) ? STRATA_EREPORTED : STRATA_EAUTH;
	return db_end(d, rc);
}

/** The server's half of a session's handshake, before the verdict is known. */
struct half {
	uint8_t x[32];                     /**< the ECDH secret (wiped) */
	uint8_t eph[KEY_PUB_LEN];          /**< the server's ephemeral point */
	uint8_t sid[STRATA_SESSION_SID_LEN];
};

/* A fresh ephemeral key, its ECDH with the agent's point and a session id into h.  First,
 * so an eph off the curve is refused (400) before the nonce is used up. */
static int half_open(const struct key_reg *r, struct half *h)
{
	uint8_t priv[STRATA_P256_PRIV_LEN];
	int rc = server_rng(NULL, h->sid, sizeof(h->sid)) ? STRATA_EIO : 0;

	if (rc == 0)
		rc = strata_p256_keygen(server_rng, NULL, priv, h->eph);
	if (rc == 0)
		rc = strata_p256_ecdh(priv, r->eph, server_rng, NULL, h->x);
	strata_wipe(priv, sizeof(priv));
	return rc == STRATA_EINVAL ? rc : rc ? errorf("cannot make a session key") : 0;
}

/* Derive the session, remember it, and append " session=SID eph=HEX ssig=HEX" to out,
 * signed with the manifest key the agent trusts. */
static int session_answer(struct server *s, const uint8_t mac[6], const struct key_reg *r,
			  const struct half *h, char *out, size_t cap)
{
	char hs[2 * STRATA_SESSION_SID_LEN + 1], he[2 * KEY_PUB_LEN + 1], hg[2 * KEY_SIG_MAX + 1];
	uint8_t digest[32], sig[KEY_SIG_MAX];
	struct strata_session_keys k;
	size_t len, o = strlen(out);
	int rc;

	strata_session_srv_digest(r->nonce, mac, r->pub, r->eph, h->sid, h->eph, digest);
	rc = key_sign_mem(s->key, s->key_len, s->cfg.key, digest, sig, sizeof(sig), &len);
	if (rc == 0)
		rc = strata_session_derive(h->x, r->nonce, mac, r->pub, r->eph, h->eph, h->sid, &k);
	if (rc)
		return rc;
	sessions_add(s->sessions, mac, r->pub, &k, (int64_t)time(NULL));
	strata_wipe(&k, sizeof(k));
	strata_hex_encode(hs, h->sid, sizeof(h->sid));
	strata_hex_encode(he, h->eph, sizeof(h->eph));
	strata_hex_encode(hg, sig, len);
	if (o && out[o - 1] == '\n')
		o--;
	snprintf(out + o, cap - o, " session=%s eph=%s ssig=%s\n", hs, he, hg);
	return 0;
}

int server_key_register(struct server *s, const uint8_t mac[6], const struct key_reg *r,
			char *out, size_t cap)
{
	char name[INV_NAME_MAX + 1], smac[18], fp[KEY_FP_TEXT];
	enum key_verdict v = KEY_UNPINNED;
	struct half h;
	int pending, rc = machine_of(s, mac, name, sizeof(name), &pending);

	if (rc)
		return rc;
	rc = key_reg_verify(r, mac);
	if (rc == 0)
		rc = half_open(r, &h);
	if (rc)
		return rc;
	strata_mac_format(smac, mac);
	rc = register_tx(s, smac, name, pending, r, &v);
	if (rc)
		goto out;
	key_fingerprint(fp, r->pub);
	fprintf(stderr, "key: %s %s: key %s sha256:%s\n", smac, name, verdict_names[v], fp);
	snprintf(out, cap, "key=%s name=%s fingerprint=%s\n", verdict_names[v], name, fp);
	if (v == KEY_PINNED || v == KEY_KNOWN)
		rc = session_answer(s, mac, r, &h, out, cap);
out:
	strata_wipe(&h, sizeof(h));
	return rc;
}

int server_key_allows(struct server *s, const uint8_t mac[6])
{
	struct key_row row;
	char smac[18];

	strata_mac_format(smac, mac);
	if (key_row_get(s->state->db, smac, &row))
		return STRATA_EREPORTED;
	return row.pending ? STRATA_EACCES : 0;
}

/* Accept mac's pending key, if any, audited as by's.  1 accepted, 0 none, or an rc. */
static int accept_one(struct db *d, const uint8_t mac[6], const char *name, const struct who *by)
{
	struct key_row row;
	char smac[18];
	int rc = db_begin(d);

	if (rc)
		return rc;
	strata_mac_format(smac, mac);
	rc = key_row_get(d, smac, &row);
	if (rc == 0 && row.pending)
		rc = key_pin(d, smac, row.other, (int64_t)time(NULL));
	if (rc == 0 && row.pending)
		rc = audit_key(d, by, name, "accepted", row.other);
	rc = db_end(d, rc);
	return rc ? rc : row.pending;
}

/* Whether mac is among the n of macs. */
static int listed(const uint8_t (*macs)[6], size_t n, const uint8_t mac[6])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(macs[i], mac, 6))
			return 1;
	return 0;
}

/*
 * Accept the pending keys of machines no inventory line names (served under the default
 * profile) that one ("all" or a MAC) reaches; the n inventory machines in macs are done
 * already.  Accepted count, or an rc.
 */
static int accept_unlisted(struct server *s, const char *one, const uint8_t (*macs)[6],
			   size_t n, const struct who *by)
{
	char pend[64][18];
	uint8_t mac[6], want[6];
	int by_mac = strata_mac_parse(want, one, strlen(one)) == 0;
	int rc = 0, total = 0, batch, k;

	if (strcmp(one, "all") && !by_mac)
		return 0;
	do {    /* accepted keys leave the pending list: the next batch is the rest */
		k = key_pending_macs(s->state->db, pend, 64);
		for (int i = batch = 0; rc >= 0 && i < k; i++) {
			if (strata_mac_parse(mac, pend[i], strlen(pend[i])) ||
			    listed(macs, n, mac) || (by_mac && memcmp(mac, want, 6)))
				continue;
			rc = accept_one(s->state->db, mac, pend[i], by);
			if (rc > 0)
				sessions_drop_machine(s->sessions, mac);
			batch += rc > 0;
		}
		total += batch;
	} while (rc >= 0 && k == 64 && batch > 0);
	return k < 0 ? k : rc < 0 ? rc : total;
}

/* Accept the pending keys of the machines one name (no commas) names. */
static int accept_named(struct server *s, const char *one, const struct who *by)
{
	uint8_t (*macs)[6];
	char (*names)[INV_NAME_MAX + 1];
	size_t n = 0;
	int rc = 0, total = 0;

	pthread_rwlock_rdlock(&s->lock);
	macs = calloc(s->cat->n + 1, sizeof(*macs));
	names = calloc(s->cat->n + 1, sizeof(*names));
	if (macs && names)
		n = server_match(s, one, macs, names);
	pthread_rwlock_unlock(&s->lock);
	if (!macs || !names)
		rc = errorf("out of memory");
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		rc = accept_one(s->state->db, macs[i], names[i], by);
		if (rc > 0)      /* the old key's sessions end with it */
			sessions_drop_machine(s->sessions, macs[i]);
		total += rc > 0;
	}
	if (rc >= 0) {
		rc = accept_unlisted(s, one, (const uint8_t (*)[6])macs, n, by);
		total += rc > 0 ? rc : 0;
	}
	free(names);
	free(macs);
	return rc < 0 ? rc : total;
}

int server_accept_keys(struct server *s, const char *who, const struct who *by)
{
	char one[INV_NAME_MAX + 1], esc[256];
	int rc, total = 0;

	for (const char *p = who; *p; p += *p == ',') {
		size_t len = strcspn(p, ",");

		snprintf(one, sizeof(one), "%.*s", (int)len, p);
		p += len;
		if (!one[0])
			continue;
		rc = accept_named(s, one, by);
		if (rc < 0)
			return rc;   /* those before it stay accepted: each commits alone */
		total += rc;
	}
	strata_escape(esc, sizeof(esc), who, strlen(who));
	fprintf(stderr, "key: %d pending keys accepted (%s) by %s\n", total, esc, by->name);
	return total;
}

/* A replacement's key row (key_await): no key pinned yet; the one the new PC presented,
 * if it has, awaits the admin. */
static void key_json_awaiting(FILE *f, const struct key_row *row)
{
	char other[KEY_FP_TEXT];

	fputs(", \"key\": {\"state\": \"awaiting\"", f);
	if (row->pending) {
		key_fingerprint(other, row->other);
		fprintf(f, ", \"pending_fingerprint\": \"sha256:%s\", \"pending_at\": %lld", other,
			(long long)row->pending_at);
	}
	fputs("}", f);
}

void server_key_json(FILE *f, struct server *s, const uint8_t mac[6])
{
	char smac[18], fp[KEY_FP_TEXT], other[KEY_FP_TEXT];
	struct key_row row;

	strata_mac_format(smac, mac);
	if (key_row_get(s->state->db, smac, &row) || (!row.pinned && !row.awaiting)) {
		fputs(", \"key\": {\"state\": \"none\"}", f);
		return;
	}
	if (row.awaiting) {
		key_json_awaiting(f, &row);
		return;
	}
	key_fingerprint(fp, row.pub);
	fprintf(f, ", \"key\": {\"state\": \"%s\", \"fingerprint\": \"sha256:%s\", "
		"\"pinned_at\": %lld", row.pending ? "differs" : "pinned", fp,
		(long long)row.pinned_at);
	if (row.pending) {
		key_fingerprint(other, row.other);
		fprintf(f, ", \"pending_fingerprint\": \"sha256:%s\", \"pending_at\": %lld", other,
			(long long)row.pending_at);
	}
	fputs("}", f);
}
