/* Key generation and signing (host only; see keys.c). */
#ifndef STRATA_KEYS_H
#define STRATA_KEYS_H

#include <stddef.h>
#include <stdint.h>

/** Write an ECDSA P-256 key pair: path (private, mode 0600) and path.pub (public). */
int key_generate(const char *path);

/**
 * The same with the key's PEM or DER bytes already in memory (borrowed), for a daemon
 * that reads its key once, before it drops the privileges that let it read the file.
 * name is used in messages.
 */
int key_sign_mem(const uint8_t *key, size_t key_len, const char *name,
		 const uint8_t digest[32], uint8_t *sig, size_t cap, size_t *sig_len);

/**
 * Sign manifest text[0..signed_len) (everything before its signature line) with the key
 * held in memory, and return that text followed by the core's signature line
 * (strata_manifest_sig_line) in a new NUL-terminated buffer *out the caller frees; the
 * one signer of strata-image and strata-server.  key and text are borrowed.
 */
int manifest_sign_mem(const uint8_t *key, size_t key_len, const char *key_name,
		      const char *text, size_t signed_len, char **out, size_t *out_len);

#endif /* STRATA_KEYS_H */
