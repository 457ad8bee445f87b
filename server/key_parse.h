/*
 * A machine's key registration, as it arrives in a URL, and its proof of possession: pure
 * functions with no I/O, so they are fuzzed (tests/fuzz/fuzz_key.c) and unit-tested alone.
 *
 * Why in the URL: iPXE's download protocol sends a GET with nothing but a URL (no body, no
 * headers), so strata.efi's registration is
 *     GET /key/MAC?pub=HEX&eph=HEX&nonce=HEX&sig=HEX
 * pub   the machine's ECDSA P-256 public key, uncompressed point (65 bytes, 04 || X || Y)
 * eph   the agent's ephemeral P-256 point of this boot, for the session (65 bytes)
 * nonce the 16 bytes the server handed out at GET /key/MAC/nonce (single use)
 * sig   ECDSA P-256, DER, over images/core/session.h's strata_session_reg_digest
 */
#ifndef STRATA_KEY_PARSE_H
#define STRATA_KEY_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "key_reg.h"
#include "session.h"

#define KEY_PUB_LEN STRATA_KEY_PUB_LEN
#define KEY_NONCE_LEN STRATA_KEY_NONCE_LEN
#define KEY_SIG_MIN 8        /**< shortest DER ECDSA signature */
#define KEY_SIG_MAX STRATA_KEY_SIG_MAX
/** A key's fingerprint: SHA-256 of the 65-byte point, as 64 hex digits plus a NUL. */
#define KEY_FP_TEXT 65

/** A parsed registration; every field decoded, nothing verified yet. */
struct key_reg {
	uint8_t pub[KEY_PUB_LEN];
	uint8_t eph[KEY_PUB_LEN];
	uint8_t nonce[KEY_NONCE_LEN];
	uint8_t sig[KEY_SIG_MAX];
	size_t sig_len;
};

/**
 * Decode the pub, eph, nonce and sig query values (borrowed; NULL when absent) into r:
 * exact hex lengths, uncompressed points' 04 prefix, a DER SEQUENCE whose length matches.
 * 0, or STRATA_EINVAL for anything else.
 */
int key_reg_parse(struct key_reg *r, const char *pub, const char *eph, const char *nonce,
		  const char *sig);

/**
 * Whether r's signature proves possession of r->pub for mac, r->nonce and r->eph.  0, STRATA_EINVAL
 * when pub is not a point on P-256, STRATA_EBADSIG when the signature does not verify.
 */
int key_reg_verify(const struct key_reg *r, const uint8_t mac[6]);

/** pub's fingerprint (KEY_FP_TEXT): what /machines.json, the audit log and the logs show. */
void key_fingerprint(char out[KEY_FP_TEXT], const uint8_t pub[KEY_PUB_LEN]);

#endif /* STRATA_KEY_PARSE_H */
