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

#endif /* STRATA_KEYS_H */
