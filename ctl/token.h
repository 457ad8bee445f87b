/*
 * The Bearer token strata-ctl sends, read from a file (--token FILE or STRATA_TOKEN_FILE)
 * and never from argv, where every user of the host could read it in ps.
 */
#ifndef STRATA_CTL_TOKEN_H
#define STRATA_CTL_TOKEN_H

#include <stddef.h>

/**
 * The token in path: the first line that is neither blank nor a '#' comment; its last
 * blank-separated word, so a file of the token alone and a copy of the server's "NAME
 * TOKEN" line both work.  16..cap-1 characters of RFC 6750's token68 (what the server's
 * --api-tokens takes), into out.  0, or -1 having printed why, naming the file.
 */
int token_read(const char *path, char *out, size_t cap);

#endif /* STRATA_CTL_TOKEN_H */
