/*
 * The admin credentials of strata-server: the file --api-tokens names, one pair a line,
 *
 *     # NAME TOKEN; '#' starts a comment
 *     alice  0f3c9a61d2e84b7f5a0c1e9d8b7a6f5e
 *     ci-bot 9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a
 *
 * and the check of the token a request presents (Authorization: Bearer TOKEN).
 *
 * Why names: the audit log (audit.h) records which credential gave each order, so a token
 * can be revoked (deleted, then SIGHUP) without guessing who else used it.  Only each
 * token's SHA-256 is kept in memory, and a check hashes what was presented and compares
 * it with every token in constant time, so neither the time taken nor a core dump gives
 * a token away.  Tokens are never logged.
 *
 * A NAME is 1..32 of [A-Za-z0-9._-], not one the audit log gives the server's own orders
 * (who.h: inventory, machine, cli, interval, schedule); a TOKEN is 16..128 of RFC 6750's token68 characters
 * ([A-Za-z0-9._~+/=-]).  Names and tokens are unique.  The file is the administrator's
 * input: errors name its line, and a file with an error is refused whole.
 */
#ifndef STRATA_API_TOKENS_H
#define STRATA_API_TOKENS_H

#include <stddef.h>
#include <stdint.h>
#include "rc.h"

#define API_TOKEN_NAME_MAX 32
#define API_TOKEN_MIN 16
#define API_TOKEN_MAX 128

/** One credential: who it names, and the SHA-256 of its token. */
struct api_token {
	char name[API_TOKEN_NAME_MAX + 1];
	uint8_t digest[32];
};

/** Every credential of one token file. */
struct api_tokens {
	struct api_token *t;     /**< owned */
	size_t n;
};

/**
 * Parse a token file's text (len bytes, borrowed; need not end in NUL).  0 with *out (the
 * caller's, freed with api_tokens_free), or STRATA_EINVAL with diag->where the 1-based
 * line and diag->msg why, or STRATA_ENOMEM.
 */
int api_tokens_parse(const char *text, size_t len, struct api_tokens **out,
		     struct strata_diag *diag);

/** Read and parse path; errors are printed as PATH:LINE: why.  0 or STRATA_EREPORTED. */
int api_tokens_load(const char *path, struct api_tokens **out);

/** NULL is allowed. */
void api_tokens_free(struct api_tokens *t);

/**
 * The name of the credential whose token is presented (a NUL-terminated string, borrowed),
 * or NULL when none matches.  Every token is compared, in constant time.  The name is
 * borrowed from t.
 */
const char *api_tokens_check(const struct api_tokens *t, const char *presented);

#endif /* STRATA_API_TOKENS_H */
