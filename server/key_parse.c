/* Machine key registrations: decoding and the proof of possession (see key_parse.h). */
#include <string.h>
#include "crypto.h"
#include "key_parse.h"
#include "rc.h"
#include "text.h"

/* SubjectPublicKeyInfo of a P-256 key up to its BIT STRING's content (RFC 5480): the
 * point follows.  Lets the core's verifier, which takes DER keys, check a bare point. */
static const uint8_t spki_prefix[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

/* Decode hex s (borrowed) of exactly 2*n digits into out. */
static int hex_exact(uint8_t *out, const char *s, size_t n)
{
	if (!s || strlen(s) != 2 * n)
		return STRATA_EINVAL;
	return strata_hex_decode(out, s, n);
}

/* A DER signature: hex of KEY_SIG_MIN..KEY_SIG_MAX bytes, one SEQUENCE filling it. */
static int sig_parse(struct key_reg *r, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n % 2 || n < 2 * KEY_SIG_MIN || n > 2 * KEY_SIG_MAX)
		return STRATA_EINVAL;
	r->sig_len = n / 2;
	if (strata_hex_decode(r->sig, s, r->sig_len))
		return STRATA_EINVAL;
	if (r->sig[0] != 0x30 || r->sig[1] != r->sig_len - 2)
		return STRATA_EINVAL;
	return 0;
}

int key_reg_parse(struct key_reg *r, const char *pub, const char *eph, const char *nonce,
		  const char *sig)
{
	memset(r, 0, sizeof(*r));
	if (hex_exact(r->pub, pub, KEY_PUB_LEN) || r->pub[0] != 0x04)
		return STRATA_EINVAL;
	if (hex_exact(r->eph, eph, KEY_PUB_LEN) || r->eph[0] != 0x04)
		return STRATA_EINVAL;
	if (hex_exact(r->nonce, nonce, KEY_NONCE_LEN))
		return STRATA_EINVAL;
	return sig_parse(r, sig);
}

int key_reg_verify(const struct key_reg *r, const uint8_t mac[6])
{
	uint8_t der[sizeof(spki_prefix) + KEY_PUB_LEN], digest[32];

	memcpy(der, spki_prefix, sizeof(spki_prefix));
	memcpy(der + sizeof(spki_prefix), r->pub, KEY_PUB_LEN);
	strata_session_reg_digest(r->nonce, mac, r->pub, r->eph, digest);
	return strata_ecdsa_verify(der, sizeof(der), digest, r->sig, r->sig_len);
}

void key_fingerprint(char out[KEY_FP_TEXT], const uint8_t pub[KEY_PUB_LEN])
{
	uint8_t d[32];

	strata_sha256(pub, KEY_PUB_LEN, d);
	strata_hex_encode(out, d, sizeof(d));
}
