/*
 * A machine's session with the server (docs/security.md, "Machine keys"): the one place
 * that says what is signed, how the keys are derived and how a request is tagged, so that
 * strata.efi (which makes requests) and strata-server (which checks them) cannot drift.
 *
 * Why sessions: iPXE's download protocol and strata.efi's fetch layer send a bare URL (no
 * headers, no body), so a machine proves each request inside its URL.  Signing every URL
 * with the machine key would cost an ECDSA signature per request in firmware; instead one
 * signed handshake per boot agrees a session key, and each request carries an HMAC.
 *
 * The handshake (registration v2), all values hex in the URL:
 *   GET /key/MAC?pub=P&eph=E&nonce=N&sig=S
 *     P the machine key's point, E a fresh ephemeral point of this boot (both 65 bytes,
 *     uncompressed), N the server's nonce (GET /key/MAC/nonce), S the machine key's DER
 *     ECDSA signature over strata_session_reg_digest.
 *   answer: "key=VERDICT name=NAME fingerprint=HEX", and for VERDICT pinned or known
 *     " session=SID eph=SE ssig=SS": SID 16 random bytes, SE the server's ephemeral point,
 *     SS the server's manifest-signing key's DER ECDSA signature over
 *     strata_session_srv_digest.  The agent checks SS with the key it already trusts for
 *     manifests, so a forged server cannot hand it a session.
 * Both sides then compute ECDH(eph secret, other eph point) and strata_session_derive.
 *
 * A request of the session carries "s=SID&n=N&h=TAG" as the last three parameters of its
 * query (strata_session_sign): N counts from 1 per session, TAG is strata_session_tag.
 * Every multi-byte value is a byte string as written; numbers in URLs are decimal text.
 */
#ifndef STRATA_SESSION_H
#define STRATA_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include "key_reg.h"

/** Domain separation of the machine's registration signature.  Not v1's tag
 *  ("strata-machine-key-v1"), so no signature of the old handshake verifies here. */
#define STRATA_SESSION_REG_TAG "strata-machine-key-v2"
/** Domain separation of the server's signature and of the key derivation. */
#define STRATA_SESSION_TAG "strata-session-v2"
#define STRATA_SESSION_SID_LEN 16
/** Bytes of the HMAC a request carries: 128 bits are enough for a tag checked online. */
#define STRATA_SESSION_MAC_LEN 16
/** Room for the hex of a request's tag, with its NUL. */
#define STRATA_SESSION_TAG_HEX (2 * STRATA_SESSION_MAC_LEN + 1)
/** Longest path and query (before the session's parameters) a tag covers. */
#define STRATA_SESSION_PQ_MAX 2048
/** Longest suffix strata_session_sign appends: "&s=" SID "&n=" 20 digits "&h=" TAG. */
#define STRATA_SESSION_SUFFIX_MAX (3 + 2 * STRATA_SESSION_SID_LEN + 3 + 20 + 3 + \
				   2 * STRATA_SESSION_MAC_LEN)

/**
 * The keys of one session.  sid names it in every request; req authenticates requests
 * (strata_session_tag); enc seals private bodies (AES-256-GCM, the private layer's code).
 * Both keys are secrets: whoever holds a copy wipes it (strata_wipe) when done.
 */
struct strata_session_keys {
	uint8_t sid[STRATA_SESSION_SID_LEN];
	uint8_t req[32];
	uint8_t enc[32];
};

/**
 * What the machine key signs to register: SHA-256 of STRATA_SESSION_REG_TAG || nonce ||
 * mac (6 bytes) || pub || eph, into out.  Covering eph binds the session to this signature,
 * so nobody can graft their own ephemeral point onto a machine's registration.
 */
void strata_session_reg_digest(const uint8_t nonce[STRATA_KEY_NONCE_LEN], const uint8_t mac[6],
			       const uint8_t pub[STRATA_KEY_PUB_LEN],
			       const uint8_t eph[STRATA_KEY_PUB_LEN], uint8_t out[32]);

/**
 * What the server's key signs to hand out a session: SHA-256 of STRATA_SESSION_TAG ||
 * nonce || mac || pub || eph || sid || server_eph, into out.  It covers the machine's
 * values too, so the answer cannot be replayed to another registration.
 */
void strata_session_srv_digest(const uint8_t nonce[STRATA_KEY_NONCE_LEN], const uint8_t mac[6],
			       const uint8_t pub[STRATA_KEY_PUB_LEN],
			       const uint8_t eph[STRATA_KEY_PUB_LEN],
			       const uint8_t sid[STRATA_SESSION_SID_LEN],
			       const uint8_t server_eph[STRATA_KEY_PUB_LEN], uint8_t out[32]);

/**
 * The session's keys: HKDF-SHA-256 with salt nonce, ikm the ECDH x-coordinate shared_x,
 * info STRATA_SESSION_TAG || mac || pub || eph || server_eph || sid, 64 bytes = req || enc;
 * sid copied into out.  0 or STRATA_EINVAL.  Borrows every input; out is the caller's.
 */
int strata_session_derive(const uint8_t shared_x[32], const uint8_t nonce[STRATA_KEY_NONCE_LEN],
			  const uint8_t mac[6], const uint8_t pub[STRATA_KEY_PUB_LEN],
			  const uint8_t eph[STRATA_KEY_PUB_LEN],
			  const uint8_t server_eph[STRATA_KEY_PUB_LEN],
			  const uint8_t sid[STRATA_SESSION_SID_LEN],
			  struct strata_session_keys *out);

/**
 * The tag of request number n: hex (lowercase, NUL-terminated) of the first
 * STRATA_SESSION_MAC_LEN bytes of HMAC-SHA-256(req, method || " " || D || SEP || "s="
 * SIDHEX "&n=" N), where pq[0..len) is the path and query before the session's parameters,
 * D is pq with every "%HH" decoded, and SEP is '&' when pq holds a '?', else '?'.  So the
 * tag covers the path, every parameter, the session and the counter, as text that survives
 * iPXE, which decodes a URL and encodes it again its own way (':' as %3A).  0,
 * STRATA_ERANGE when pq is longer than STRATA_SESSION_PQ_MAX, or STRATA_ENOMEM.
 */
int strata_session_tag(const struct strata_session_keys *k, const char *method, const char *pq,
		       size_t len, uint64_t n, char out[STRATA_SESSION_TAG_HEX]);

/**
 * Sign a GET of url (NUL-terminated, in a buffer of cap bytes, the caller's): append
 * SEP "s=SID&n=N&h=TAG".  url may be absolute ("http://host:port/path?q"): only its path
 * and query are tagged, since that is what the server sees.  0, STRATA_ERANGE when the
 * suffix does not fit, STRATA_EINVAL for a url with no path, STRATA_ENOMEM.
 */
int strata_session_sign(const struct strata_session_keys *k, uint64_t n, char *url, size_t cap);

/** strata_session_sign for a request of another method (a capture task's POSTs, whose
 *  body the query covers through b=, docs/capture.md). */
int strata_session_sign_method(const struct strata_session_keys *k, const char *method,
			       uint64_t n, char *url, size_t cap);

/** Domain separation of a capture task's session (docs/capture.md). */
#define STRATA_SESSION_TASK_TAG "strata-capture-task-v1"
/** Bytes of a capture task's token. */
#define STRATA_SESSION_TOKEN_LEN 32

/**
 * A capture task's session, from its token alone: HKDF-SHA-256 with no salt, ikm the
 * token's 32 bytes, info STRATA_SESSION_TASK_TAG, 80 bytes = sid || req || enc.  Why: a
 * machine that never network-boots has no machine key, only the token an admin handed it;
 * both ends derive the same keys from it, so the token itself never crosses the wire and
 * the requests are tagged exactly like a machine's (strata_session_tag, _sign, _verify).
 * The sid is public (it names the task in every request) and says nothing of req or enc.
 * 0 or STRATA_EINVAL.  Borrows token; out is the caller's, wiped by it when done.
 */
int strata_session_task_derive(const uint8_t token[STRATA_SESSION_TOKEN_LEN],
			       struct strata_session_keys *out);

/**
 * A capture task's hello (docs/capture.md, "Sealed uploads"): the task's session alone
 * would let whoever saw the order's answer (the token) open the task's uploads, so the
 * client and the server agree a fresh upload key by ECDH, as a machine's registration
 * does.  The client sends its ephemeral point in POST /capture/hello, signed by the task's
 * session; the server answers its own ephemeral point and its manifest key's signature
 * over strata_session_hello_digest, in the registration answer's words (session=SID
 * eph=HEX ssig=HEX).  Both then derive the key with strata_session_hello_derive.
 */
#define STRATA_SESSION_HELLO_TAG "strata-capture-hello-v1"

/**
 * What the server's key signs to answer a hello: SHA-256 of STRATA_SESSION_HELLO_TAG ||
 * sid || client_eph || server_eph, into out.  It covers the client's point, so the answer
 * cannot be replayed to another hello, and the task's sid, so not to another task.
 */
void strata_session_hello_digest(const uint8_t sid[STRATA_SESSION_SID_LEN],
				 const uint8_t client_eph[STRATA_KEY_PUB_LEN],
				 const uint8_t server_eph[STRATA_KEY_PUB_LEN], uint8_t out[32]);

/**
 * The upload key of a hello: HKDF-SHA-256 with salt the task's enc, ikm the ECDH
 * x-coordinate shared_x, info STRATA_SESSION_HELLO_TAG || sid || client_eph || server_eph,
 * 32 bytes into up (a secret: the caller wipes it).  Why both: the ECDH secret keeps the
 * key from whoever holds only the token; the task's enc ties it to the task.  0 or
 * STRATA_EINVAL.  Borrows every input.
 */
int strata_session_hello_derive(const struct strata_session_keys *task,
				const uint8_t shared_x[32],
				const uint8_t client_eph[STRATA_KEY_PUB_LEN],
				const uint8_t server_eph[STRATA_KEY_PUB_LEN], uint8_t up[32]);

/** A signed request's session parameters, as strata_session_parse finds them. */
struct strata_session_query {
	size_t prefix_len;                    /**< bytes of path and query before SEP */
	uint8_t sid[STRATA_SESSION_SID_LEN];
	uint64_t n;                           /**< 1 or more */
	uint8_t tag[STRATA_SESSION_MAC_LEN];
};

/**
 * Find the session parameters at the end of pq[0..len) (a raw path and query, as the
 * client sent it): exactly SEP "s=" 32 hex "&n=" decimal "&h=" 32 hex and nothing after,
 * with SEP '?' only when the prefix holds no '?'.  A prefix that encodes '&', '=' or '+'
 * (%26, %3D, %2B) is refused: decoded for the tag, it would read like one whose separators
 * were moved, which the server's query parser tells apart.  0 with q filled, STRATA_ENOENT
 * when pq carries no session at all, STRATA_EINVAL when it is malformed or longer than
 * STRATA_SESSION_PQ_MAX.  pq is hostile: every
 * byte is checked, nothing is read past len.
 */
int strata_session_parse(const char *pq, size_t len, struct strata_session_query *q);

/**
 * Whether q's tag is right for k, method and pq (the same pq q was parsed from), compared
 * in constant time.  0, STRATA_EBADSIG, or STRATA_ENOMEM.
 */
int strata_session_verify(const struct strata_session_keys *k, const char *method,
			  const char *pq, const struct strata_session_query *q);

#endif /* STRATA_SESSION_H */
