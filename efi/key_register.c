/* Registering the machine key with the server (see key_register.h). */
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "args.h"
#include "crypto.h"
#include "fetch_buf.h"
#include "key_register.h"
#include "log.h"
#include "machine_key.h"
#include "pubkey.h"
#include "rc.h"
#include "text.h"

/** Longest answer of either request; both are one line (a session's is ~420 bytes). */
#define ANSWER_MAX 640
/** Room for the registration URL: the server, the MAC and the four hex values. */
#define REG_URL_MAX (ARGS_URL_MAX + 64 + 2 * (2 * STRATA_KEY_PUB_LEN + STRATA_KEY_NONCE_LEN + \
					      STRATA_KEY_SIG_MAX))

/** This boot's half of the handshake: what the registration sends and what it keeps. */
struct handshake {
	uint8_t mac[6];
	uint8_t nonce[STRATA_KEY_NONCE_LEN];
	uint8_t eph[STRATA_KEY_PUB_LEN];
	uint8_t eph_priv[STRATA_P256_PRIV_LEN];   /**< secret: wiped by key_register */
};

/* GET url; the one-line answer into out (cap bytes, NUL-terminated). */
static int ask(struct fetcher *f, const char *url, char *out, size_t cap)
{
	char path[ARGS_URL_MAX + 64];
	uint8_t *buf;
	size_t len;
	int rc = fetch_buffer(f, url, ANSWER_MAX, &buf, &len);

	if (rc) {
		return log_fail(rc, "key: the server refused %s",
				log_slice(path, sizeof(path), url, strcspn(url, "?")));
	}
	log_slice(out, cap, (char *)buf, strcspn((char *)buf, "\r\n"));
	strata_free(buf);
	return 0;
}

/* The nonce of "nonce=HEX expires=N". */
static int get_nonce(struct fetcher *f, const char *server, const char *mac,
		     uint8_t nonce[STRATA_KEY_NONCE_LEN])
{
	char url[ARGS_URL_MAX + 64], line[ANSWER_MAX];
	int rc;

	snprintf(url, sizeof(url), "%s/key/%s/nonce", server, mac);
	rc = ask(f, url, line, sizeof(line));
	if (rc)
		return rc;
	if (strncmp(line, "nonce=", 6) || strspn(line + 6, "0123456789abcdef") !=
	    2 * STRATA_KEY_NONCE_LEN || strata_hex_decode(nonce, line + 6, STRATA_KEY_NONCE_LEN))
		return log_fail(STRATA_EINVAL, "key: the server's nonce is malformed");
	return 0;
}

/* The registration URL: pub, eph, nonce and a signature over them, in hex. */
static int reg_url(char *url, size_t cap, const char *server, const char *mac,
		   const uint8_t pub[STRATA_KEY_PUB_LEN], const struct handshake *h)
{
	char hp[2 * STRATA_KEY_PUB_LEN + 1], he[2 * STRATA_KEY_PUB_LEN + 1];
	char hn[2 * STRATA_KEY_NONCE_LEN + 1], hs[2 * STRATA_KEY_SIG_MAX + 1];
	uint8_t digest[32], sig[STRATA_KEY_SIG_MAX];
	size_t len;
	int rc;

	strata_session_reg_digest(h->nonce, h->mac, pub, h->eph, digest);
	rc = machine_key_sign(digest, sig, &len);
	if (rc)
		return rc;
	strata_hex_encode(hp, pub, STRATA_KEY_PUB_LEN);
	strata_hex_encode(he, h->eph, STRATA_KEY_PUB_LEN);
	strata_hex_encode(hn, h->nonce, STRATA_KEY_NONCE_LEN);
	strata_hex_encode(hs, sig, len);
	snprintf(url, cap, "%s/key/%s?pub=%s&eph=%s&nonce=%s&sig=%s", server, mac, hp, he, hn, hs);
	return 0;
}

/* The session of answer a: its signature by the server's manifest key checked, then the
 * ECDH secret and the keys.  0 or an rc (logged). */
static int session_of(const struct key_answer *a, const struct handshake *h,
		      const uint8_t pub[STRATA_KEY_PUB_LEN], struct strata_session_keys *keys)
{
	uint8_t digest[32], x[32];
	int rc;

	strata_session_srv_digest(h->nonce, h->mac, pub, h->eph, a->sid, a->eph, digest);
	if (strata_ecdsa_verify(strata_pubkey, strata_pubkey_len, digest, a->ssig, a->ssig_len))
		return log_fail(STRATA_EBADSIG, "key: the session is not signed by the server's "
				"manifest key; is that server the one this agent trusts?");
	rc = strata_p256_ecdh(h->eph_priv, a->eph, machine_key_rng, NULL, x);
	if (rc == 0)
		rc = strata_session_derive(x, h->nonce, h->mac, pub, h->eph, a->eph, a->sid, keys);
	strata_wipe(x, sizeof(x));
	return rc ? log_fail(rc, "key: cannot derive the session key") : 0;
}

/* Log the session's name: "session: established with SERVER (sid 1a2b3c4d...)". */
static void log_session(const char *server, const struct strata_session_keys *k)
{
	char sid[2 * STRATA_SESSION_SID_LEN + 1];

	strata_hex_encode(sid, k->sid, 4);
	log_msg("session: established with %s (sid %s...)", server, sid);
}

/* The handshake after the nonce: sign, ask, parse, and take the session when there is
 * one.  *a gets the answer. */
static int exchange(struct fetcher *f, const char *server, const char *mac,
		    const uint8_t pub[STRATA_KEY_PUB_LEN], const struct handshake *h,
		    struct key_answer *a, struct strata_session_keys *keys)
{
	static char url[REG_URL_MAX];   /* ~1 KiB: off the firmware's small stack */
	char line[ANSWER_MAX];
	int rc = reg_url(url, sizeof(url), server, mac, pub, h);

	if (rc == 0)
		rc = ask(f, url, line, sizeof(line));
	if (rc)
		return rc;
	if (key_answer_parse(line, strlen(line), a))
		return log_fail(STRATA_EINVAL, "key: the server's verdict is malformed");
	if (!a->has_session)
		return 0;
	rc = session_of(a, h, pub, keys);
	if (rc == 0)
		log_session(server, keys);
	return rc;
}

int key_register(struct fetcher *f, const char *server, const char *mac,
		 const uint8_t pub[STRATA_KEY_PUB_LEN], enum key_verdict *v, char *name,
		 size_t cap, struct strata_session_keys *keys, int *has_session)
{
	struct handshake h;
	struct key_answer a;
	int rc = strata_mac_parse(h.mac, mac, strlen(mac));

	*has_session = 0;
	if (rc)
		return log_fail(rc, "key: %s is not a MAC address", mac);
	rc = get_nonce(f, server, mac, h.nonce);
	if (rc == 0 && strata_p256_keygen(machine_key_rng, NULL, h.eph_priv, h.eph))
		rc = log_fail(STRATA_EIO, "key: cannot make this boot's ephemeral key");
	if (rc == 0)
		rc = exchange(f, server, mac, pub, &h, &a, keys);
	strata_wipe(&h, sizeof(h));
	if (rc)
		return rc;
	*v = a.v;
	*has_session = a.has_session;
	snprintf(name, cap, "%s", a.name);
	return 0;
}
