/*
 * The dashboard's admins: the file --admins names, one admin a line in htpasswd's form,
 *
 *     # NAME:HASH; a line starting with '#' is a comment
 *     alice:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o7Q4Ly5N6P3xk1YCZu0R2aGwBVD9sYXr2
 *     bob:$6$Zq0a8J0N1QeV7cUo$0Q5a...
 *
 * and the check of a password an admin presents at login (login.h, http_login.c).
 *
 * Why crypt(3) hashes: admins make them with tools they have (`mkpasswd -m yescrypt`,
 * `openssl passwd -6`, `htpasswd -B`), and the server keeps no password, only what cannot
 * be turned back into one.  A HASH counts only when libcrypt's crypt_checksalt() calls
 * its method current (not legacy DES, MD5 or SHA-256-crypt, not Apache's $apr1$, which
 * libcrypt cannot check at all) and its prefix is one of $y$ $gy$ $7$ $2b$ $2y$ $6$.
 *
 * A NAME is 1..32 of [A-Za-z0-9._-] and not one the audit log gives the server's own
 * orders (who.h: inventory, machine, cli, interval, schedule).  Names are unique.  The
 * file is the administrator's input: errors name its line and how to make a good hash,
 * and a file with an error is refused whole (SIGHUP keeps the old list).
 */
#ifndef STRATA_ADMINS_H
#define STRATA_ADMINS_H

#include <stddef.h>
#include <stdint.h>
#include "api_tokens.h"
#include "rc.h"

/** Longest HASH taken: yescrypt's is 73 characters, SHA-512-crypt's with rounds= 123. */
#define ADMIN_HASH_MAX 160
/** Longest password checked: longer ones fail without hashing (a hash's cost grows). */
#define ADMIN_PASSWORD_MAX 256

/** One admin: the name and the stored hash (not a secret by itself, still never logged). */
struct admin {
	char name[API_TOKEN_NAME_MAX + 1];
	char hash[ADMIN_HASH_MAX + 1];
	uint64_t gen;            /**< the first 8 bytes of SHA-256(hash): a changed line ends
				      its admin's sessions (login.h) */
};

/** Every admin of one file. */
struct admins {
	struct admin *a;         /**< owned */
	size_t n;
};

/**
 * Parse an admins file's text (len bytes, borrowed; need not end in NUL).  0 with *out
 * (the caller's, freed with admins_free), or STRATA_EINVAL with diag->where the 1-based
 * line and diag->msg why (static), or STRATA_ENOMEM.  Pure but for libcrypt's
 * crypt_checksalt, so fuzzed (tests/fuzz/fuzz_admins.c).
 */
int admins_parse(const char *text, size_t len, struct admins **out, struct strata_diag *diag);

/** Read and parse path; errors are printed as PATH:LINE: why.  0 or STRATA_EREPORTED. */
int admins_load(const char *path, struct admins **out);

/** NULL is allowed. */
void admins_free(struct admins *a);

/**
 * Whether pw (pw_len bytes, borrowed; the caller wipes it) is name's password.  A name
 * that is not listed is hashed against the first admin's hash all the same, so the time
 * taken does not tell whether a name exists.  0 with *gen the admin's (struct admin),
 * STRATA_EAUTH for a wrong name or password (or a password of 0 or more than
 * ADMIN_PASSWORD_MAX bytes, or with a NUL), STRATA_ENOMEM.  Takes one hash's time
 * (yescrypt about 16 ms): callers bound how often (login.h).
 */
int admins_verify(const struct admins *a, const char *name, const char *pw, size_t pw_len,
		  uint64_t *gen);

/** The admin called name, borrowed from a, or NULL. */
const struct admin *admins_find(const struct admins *a, const char *name);

#endif /* STRATA_ADMINS_H */
