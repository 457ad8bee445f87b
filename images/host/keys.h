/* Key generation and signing (host only; see keys.c). */
#ifndef STRATA_KEYS_H
#define STRATA_KEYS_H

#include <stddef.h>
#include <stdint.h>

/** Write an ECDSA P-256 key pair: path (private, mode 0600) and path.pub (public). */
int key_generate(const char *path);

/** Sign a SHA-256 digest with the private key at key_path; DER signature into sig. */
int key_sign(const char *key_path, const uint8_t digest[32], uint8_t *sig, size_t cap,
	     size_t *sig_len);

/**
 * The same with the key's PEM or DER bytes already in memory (borrowed), for a daemon
 * that reads its key once, before it drops the privileges that let it read the file.
 * name is used in messages.
 */
int key_sign_mem(const uint8_t *key, size_t key_len, const char *name,
		 const uint8_t digest[32], uint8_t *sig, size_t cap, size_t *sig_len);

#endif /* STRATA_KEYS_H */
