/*
 * libFuzzer target for a machine's key registration as it arrives: a query string
 * "pub=..&eph=..&nonce=..&sig=.." read with the server's query decoder, then the registration
 * parser and the proof of possession (server/key_parse.c).  Invariants: an accepted
 * registration re-encodes to the hex it came from (either case), its point starts with 04,
 * its signature is one DER SEQUENCE of 8..72 bytes; the check answers only 0, EINVAL or
 * EBADSIG, whatever the point and signature hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http_parse.h"
#include "key_parse.h"
#include "rc.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The hex of n bytes at b equals s (either case). */
static int same_hex(const uint8_t *b, size_t n, const char *s)
{
	char hex[2 * KEY_SIG_MAX + 2 * KEY_PUB_LEN + 1];

	strata_hex_encode(hex, b, n);
	return strlen(s) == 2 * n && !strcasecmp(hex, s);
}

static void check(const struct key_reg *r, const char *pub, const char *eph, const char *nonce,
		  const char *sig)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	int rc;

	if (!same_hex(r->pub, KEY_PUB_LEN, pub) || !same_hex(r->eph, KEY_PUB_LEN, eph) ||
	    !same_hex(r->nonce, KEY_NONCE_LEN, nonce) ||
	    !same_hex(r->sig, r->sig_len, sig))
		abort();
	if (r->pub[0] != 4 || r->eph[0] != 4 || r->sig_len < KEY_SIG_MIN || r->sig_len > KEY_SIG_MAX ||
	    r->sig[0] != 0x30 || r->sig[1] != r->sig_len - 2)
		abort();
	rc = key_reg_verify(r, mac);
	if (rc != 0 && rc != STRATA_EINVAL && rc != STRATA_EBADSIG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char q[1024], pub[2 * KEY_PUB_LEN + 2], eph[2 * KEY_PUB_LEN + 2];
	char nonce[2 * KEY_NONCE_LEN + 2], sig[2 * KEY_SIG_MAX + 2];
	struct key_reg r;
	int has_pub, has_eph, has_nonce, has_sig;

	if (size >= sizeof(q))
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	has_pub = http_query_get(q, "pub", pub, sizeof(pub)) == 1;
	has_eph = http_query_get(q, "eph", eph, sizeof(eph)) == 1;
	has_nonce = http_query_get(q, "nonce", nonce, sizeof(nonce)) == 1;
	has_sig = http_query_get(q, "sig", sig, sizeof(sig)) == 1;
	if (key_reg_parse(&r, has_pub ? pub : NULL, has_eph ? eph : NULL,
			  has_nonce ? nonce : NULL, has_sig ? sig : NULL) == 0)
		check(&r, pub, eph, nonce, sig);
	return 0;
}
