/*
 * Sealed bodies: how a machine's private bytes (its private layers' indexes and chunk runs)
 * travel from strata-server to that machine, and a machine's capture uploads travel to
 * the server, so a sniffer on the lab network cannot read them (it still sees chunk names,
 * the SHA-256 of each chunk, and sizes).  The one place that defines the format, for the server that seals and
 * strata.efi that opens.
 *
 *     body = AES-256-GCM ciphertext of the plaintext, then its 16-byte tag
 *     key  = the session's encryption key (session keys' `enc`, 32 bytes)
 *     IV   = the direction (4 bytes, big-endian: 0 for the server's answers, 1 for a
 *            client's uploads) || the request's counter n as a little-endian u64 (12 bytes)
 *     AAD  = the request's canonical path: "/private/MAC/REL" for an answer (store_path.h's
 *            strata_private_path: MAC lowercase with dashes, REL the store path), the
 *            path without its query for an upload ("/capture/chunk/HEX", "/capture/commit")
 *
 * Why these choices:
 * - The counter n is the request's own (the session signs it; the server takes each n at
 *   most once per state change), so no two different plaintexts are ever sealed under one
 *   key and IV.  A signed URL asked again gets the same plaintext, so the same ciphertext:
 *   a retry or a Range resume reads the same bytes.
 * - The path as AAD ties a body to the request that asked for it: a body moved to another
 *   request (another layer, another run) fails its tag.
 * - The direction in the IV: a machine's session seals the server's answers and the
 *   agent's capture uploads (docs/capture.md) under the same key `enc`, and both count
 *   with the same n.  Answers start their IV with 00000000, uploads with 00000001, so an
 *   upload and an answer never share an IV, whatever their counters.  One key with two
 *   disjoint IV spaces, rather than a second key per direction, keeps one derivation
 *   and nothing more to carry in the agent.
 * - The tag comes last, so both ends stream: the server seals a 256 MiB run as it reads
 *   it, and the agent decrypts as bytes arrive.  The agent never writes a byte it has not
 *   verified anyway (every chunk is SHA-256 checked against the layer's index before it
 *   reaches the disk), so the tag's late check costs nothing in safety; it makes a
 *   tampered or misdirected body fail by name.
 */
#ifndef STRATA_SEAL_H
#define STRATA_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include "crypto.h"

#define STRATA_SEAL_KEY_LEN STRATA_GCM_KEY_LEN
/** What sealing adds to a body: the tag. */
#define STRATA_SEAL_OVERHEAD STRATA_GCM_TAG_LEN

/** A sealing or opening stream.  Zero-initialise, then strata_seal_start. */
struct strata_seal {
	struct strata_gcm gcm;
	uint8_t hold[STRATA_GCM_TAG_LEN]; /**< opening: the last bytes seen, maybe the tag */
	size_t hold_len;
	int open;                         /**< 1 when opening */
};

/** The IV directions: the first 4 bytes of the IV, big-endian. */
enum strata_seal_dir {
	STRATA_SEAL_ANSWER = 0,  /**< a body the server sends (private layers) */
	STRATA_SEAL_UPLOAD = 1,  /**< a body a client sends (capture uploads) */
};

/** The IV of request counter n in direction dir: dir big-endian, then n little-endian. */
void strata_seal_iv(uint8_t iv[STRATA_GCM_IV_LEN], enum strata_seal_dir dir, uint64_t n);

/**
 * strata_seal_start in direction dir.  Same returns and ownership.
 */
int strata_seal_start_dir(struct strata_seal *s, int open, enum strata_seal_dir dir,
			  const uint8_t key[STRATA_SEAL_KEY_LEN], uint64_t n, const char *aad,
			  size_t aad_len);

/**
 * Start sealing (open = 0) or opening (1) the server's answer to the request with counter n
 * and canonical path aad[0..aad_len), under key.  0 or STRATA_EINVAL.  Borrows everything
 * during the call; call strata_seal_free after, on every path.
 */
int strata_seal_start(struct strata_seal *s, int open, const uint8_t key[STRATA_SEAL_KEY_LEN],
		      uint64_t n, const char *aad, size_t aad_len);

/**
 * Seal or open in[0..len) into out, which has room for len + 15 bytes; returns the bytes
 * written.  Output lags input by less than one block when sealing, and by the 16 bytes
 * that may be the tag (plus less than a block) when opening.
 */
size_t strata_seal_update(struct strata_seal *s, const uint8_t *in, size_t len, uint8_t *out);

/**
 * End a sealing stream: the last bytes and the tag (at most 15 + 16 bytes) into out;
 * returns how many.
 */
size_t strata_seal_final(struct strata_seal *s, uint8_t out[2 * STRATA_GCM_TAG_LEN]);

/**
 * End an opening stream: the last plaintext bytes (at most 15) into out, *n their count.
 * 0 when the tag matches (compared in constant time); STRATA_EBADSIG when it does not or
 * the body was shorter than a tag.  Plaintext handed out before a failed tag is
 * unauthenticated: callers write nothing they have not checked by other means.
 */
int strata_open_final(struct strata_seal *s, uint8_t out[STRATA_GCM_TAG_LEN], size_t *n);

/** Release the stream's cipher state. */
void strata_seal_free(struct strata_seal *s);

/**
 * Seal an upload's body whole (direction STRATA_SEAL_UPLOAD): in[0..len) under key, for
 * the request with counter n and path aad[0..aad_len), into out, which has room for
 * len + STRATA_SEAL_OVERHEAD bytes (the caller's; in and out do not overlap).  Why whole:
 * an upload is a chunk file or an index already in memory.  The one sealing of uploads
 * for strata-image and strata.efi.  *out_len = len + STRATA_SEAL_OVERHEAD.  0 or
 * STRATA_EINVAL.  The caller never seals two different bodies under one key and n.
 */
int strata_upload_seal(const uint8_t key[STRATA_SEAL_KEY_LEN], uint64_t n, const char *aad,
		       size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
		       size_t *out_len);

/**
 * Open an upload's sealed body in[0..len) (the server's side of strata_upload_seal) into
 * out, which has room for len bytes (the caller's; no overlap): *out_len the plaintext's
 * length.  0; STRATA_EBADSIG when the tag does not match (changed bytes, another key,
 * counter, path or direction) or len is shorter than a tag: then out holds nothing the
 * caller may use.  Borrows every buffer.
 */
int strata_upload_open(const uint8_t key[STRATA_SEAL_KEY_LEN], uint64_t n, const char *aad,
		       size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
		       size_t *out_len);

#endif /* STRATA_SEAL_H */
