/* A machine's session: digests, key derivation, request tags (see session.h). */
#include "crypto.h"
#include "mem.h"
#include "rc.h"
#include "session.h"
#include "text.h"

#define LIT(s) { s, sizeof(s) - 1 }

/* SHA-256 of the n spans, concatenated. */
static void digest_of(const struct strata_span *parts, size_t n, uint8_t out[32])
{
	struct strata_sha256 h;

	strata_sha256_init(&h);
	for (size_t i = 0; i < n; i++)
		strata_sha256_update(&h, parts[i].p, parts[i].len);
	strata_sha256_final(&h, out);
}

void strata_session_reg_digest(const uint8_t nonce[STRATA_KEY_NONCE_LEN], const uint8_t mac[6],
			       const uint8_t pub[STRATA_KEY_PUB_LEN],
			       const uint8_t eph[STRATA_KEY_PUB_LEN], uint8_t out[32])
{
	const struct strata_span parts[] = {
		LIT(STRATA_SESSION_REG_TAG), { nonce, STRATA_KEY_NONCE_LEN }, { mac, 6 },
		{ pub, STRATA_KEY_PUB_LEN }, { eph, STRATA_KEY_PUB_LEN },
	};

	digest_of(parts, sizeof(parts) / sizeof(parts[0]), out);
}

void strata_session_srv_digest(const uint8_t nonce[STRATA_KEY_NONCE_LEN], const uint8_t mac[6],
			       const uint8_t pub[STRATA_KEY_PUB_LEN],
			       const uint8_t eph[STRATA_KEY_PUB_LEN],
			       const uint8_t sid[STRATA_SESSION_SID_LEN],
			       const uint8_t server_eph[STRATA_KEY_PUB_LEN], uint8_t out[32])
{
	const struct strata_span parts[] = {
		LIT(STRATA_SESSION_TAG), { nonce, STRATA_KEY_NONCE_LEN }, { mac, 6 },
		{ pub, STRATA_KEY_PUB_LEN }, { eph, STRATA_KEY_PUB_LEN },
		{ sid, STRATA_SESSION_SID_LEN }, { server_eph, STRATA_KEY_PUB_LEN },
	};

	digest_of(parts, sizeof(parts) / sizeof(parts[0]), out);
}

int strata_session_derive(const uint8_t shared_x[32], const uint8_t nonce[STRATA_KEY_NONCE_LEN],
			  const uint8_t mac[6], const uint8_t pub[STRATA_KEY_PUB_LEN],
			  const uint8_t eph[STRATA_KEY_PUB_LEN],
			  const uint8_t server_eph[STRATA_KEY_PUB_LEN],
			  const uint8_t sid[STRATA_SESSION_SID_LEN],
			  struct strata_session_keys *out)
{
	uint8_t info[sizeof(STRATA_SESSION_TAG) - 1 + 6 + 3 * STRATA_KEY_PUB_LEN +
		     STRATA_SESSION_SID_LEN], okm[64];
	size_t o = sizeof(STRATA_SESSION_TAG) - 1;
	int rc;

	strata_memcpy(info, STRATA_SESSION_TAG, o);
	strata_memcpy(info + o, mac, 6);
	strata_memcpy(info + o + 6, pub, STRATA_KEY_PUB_LEN);
	o += 6 + STRATA_KEY_PUB_LEN;
	strata_memcpy(info + o, eph, STRATA_KEY_PUB_LEN);
	strata_memcpy(info + o + STRATA_KEY_PUB_LEN, server_eph, STRATA_KEY_PUB_LEN);
	strata_memcpy(info + o + 2 * STRATA_KEY_PUB_LEN, sid, STRATA_SESSION_SID_LEN);
	rc = strata_hkdf_sha256(nonce, STRATA_KEY_NONCE_LEN, shared_x, 32, info, sizeof(info),
				okm, sizeof(okm));
	if (rc == 0) {
		strata_memcpy(out->sid, sid, STRATA_SESSION_SID_LEN);
		strata_memcpy(out->req, okm, 32);
		strata_memcpy(out->enc, okm + 32, 32);
	}
	strata_wipe(okm, sizeof(okm));
	return rc;
}

/* Whether pq[0..len) holds a '?'. */
static int has_query(const char *pq, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (pq[i] == '?')
			return 1;
	return 0;
}

/* The session's parameters before the tag, "SEP s=SID&n=N", into out; their length. */
static size_t suffix(const struct strata_session_keys *k, int query, uint64_t n,
		     char out[STRATA_SESSION_SUFFIX_MAX + 1])
{
	size_t o = 0;

	out[o++] = query ? '&' : '?';
	out[o++] = 's';
	out[o++] = '=';
	strata_hex_encode(out + o, k->sid, STRATA_SESSION_SID_LEN);
	o += 2 * STRATA_SESSION_SID_LEN;
	strata_memcpy(out + o, "&n=", 3);
	o += 3;
	return o + strata_u64_format(out + o, n);
}

/* The length of NUL-terminated s (the core has no strlen). */
static size_t text_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* pq[0..len) with every "%HH" decoded, into out (STRATA_SESSION_PQ_MAX bytes); its length
 * into *olen.  Why decoded: iPXE decodes the URL it is given and encodes it again its own
 * way (':' in the path as %3A), so only the decoded text is the same on both sides. */
static int canonical(const char *pq, size_t len, char *out, size_t *olen)
{
	size_t o = 0;

	if (len > STRATA_SESSION_PQ_MAX)
		return STRATA_ERANGE;
	for (size_t i = 0; i < len; i++) {
		uint8_t v;
		int hex = i + 2 < len && pq[i] == '%' && strata_hex_decode(&v, pq + i + 1, 1) == 0;

		out[o++] = hex ? (char)v : pq[i];
		i += hex ? 2 : 0;
	}
	*olen = o;
	return 0;
}

/* The raw tag of request n into mac. */
static int tag_raw(const struct strata_session_keys *k, const char *method, const char *pq,
		   size_t len, uint64_t n, uint8_t mac[32])
{
	char sfx[STRATA_SESSION_SUFFIX_MAX + 1], canon[STRATA_SESSION_PQ_MAX];
	size_t clen;
	int rc = canonical(pq, len, canon, &clen);

	if (rc)
		return rc;
	const struct strata_span parts[] = {
		{ method, text_len(method) }, LIT(" "), { canon, clen },
		{ sfx, suffix(k, has_query(pq, len), n, sfx) },
	};
	return strata_hmac_sha256(k->req, sizeof(k->req), parts, sizeof(parts) / sizeof(parts[0]),
				  mac);
}

int strata_session_tag(const struct strata_session_keys *k, const char *method, const char *pq,
		       size_t len, uint64_t n, char out[STRATA_SESSION_TAG_HEX])
{
	uint8_t mac[32];
	int rc = tag_raw(k, method, pq, len, n, mac);

	if (rc == 0)
		strata_hex_encode(out, mac, STRATA_SESSION_MAC_LEN);
	return rc;
}

/* Where an absolute URL's path starts (after "scheme://host"); 0 for a bare path. */
static int path_start(const char *url, size_t len, size_t *at)
{
	size_t i = 0;

	if (len && url[0] == '/')
		return *at = 0, 0;
	while (i + 2 < len && !(url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/'))
		i++;
	for (i += 3; i < len && url[i] != '/'; i++)
		;
	if (i >= len)
		return STRATA_EINVAL;
	*at = i;
	return 0;
}

int strata_session_sign(const struct strata_session_keys *k, uint64_t n, char *url, size_t cap)
{
	return strata_session_sign_method(k, "GET", n, url, cap);
}

int strata_session_sign_method(const struct strata_session_keys *k, const char *method,
			       uint64_t n, char *url, size_t cap)
{
	char tag[STRATA_SESSION_TAG_HEX];
	size_t len = 0, at, o;
	int rc;

	while (len < cap && url[len])
		len++;
	rc = len < cap ? path_start(url, len, &at) : STRATA_EINVAL;
	if (rc == 0)
		rc = strata_session_tag(k, method, url + at, len - at, n, tag);
	if (rc)
		return rc;
	if (cap - len <= STRATA_SESSION_SUFFIX_MAX)
		return STRATA_ERANGE;
	o = len + suffix(k, has_query(url + at, len - at), n, url + len);
	strata_memcpy(url + o, "&h=", 3);
	strata_memcpy(url + o + 3, tag, STRATA_SESSION_TAG_HEX);
	return 0;
}

int strata_session_task_derive(const uint8_t token[STRATA_SESSION_TOKEN_LEN],
			       struct strata_session_keys *out)
{
	uint8_t okm[STRATA_SESSION_SID_LEN + 64];
	int rc = strata_hkdf_sha256(NULL, 0, token, STRATA_SESSION_TOKEN_LEN,
				    (const uint8_t *)STRATA_SESSION_TASK_TAG,
				    sizeof(STRATA_SESSION_TASK_TAG) - 1, okm, sizeof(okm));

	if (rc == 0) {
		strata_memcpy(out->sid, okm, STRATA_SESSION_SID_LEN);
		strata_memcpy(out->req, okm + STRATA_SESSION_SID_LEN, 32);
		strata_memcpy(out->enc, okm + STRATA_SESSION_SID_LEN + 32, 32);
	}
	strata_wipe(okm, sizeof(okm));
	return rc;
}
