/*
 * Secure Boot keys for `strata-image sb keygen` (host only; see sb_keys.c): RSA keys and
 * self-signed certificates made with OpenSSL's libcrypto, and the efitools programs that
 * turn certificates into signed EFI variable payloads, run as child processes.
 */
#ifndef STRATA_SB_KEYS_H
#define STRATA_SB_KEYS_H

/**
 * Make an RSA-2048 key and a self-signed X.509 v3 certificate (SHA-256, CN cn, valid from
 * now for years): writes key_path (PEM, mode 0600), crt_path (PEM) and cer_path (DER, what
 * firmware menus import).  UEFI firmware verifies with RSA-2048 only, hence the size.
 * Prints its own errors naming the file.  0 or STRATA_EREPORTED.
 */
int sb_cert_make(const char *key_path, const char *crt_path, const char *cer_path,
		 const char *cn, unsigned int years);

/**
 * Run argv[0] (found on PATH) with argv, wait for it, and fail unless it exits 0.  Its
 * output goes to ours; a failure names its last argument, the file it was making.  A missing program is named with the Debian package that has it
 * (pkg).  Borrows argv.  0 or STRATA_EREPORTED.
 */
int sb_run(const char *pkg, char *const argv[]);

#endif /* STRATA_SB_KEYS_H */
