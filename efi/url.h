/*
 * Encoding text for a URL's query string, for what strata.efi tells the server in its
 * reports (agent_report's msg=).
 *
 * Why form encoding: the server's query parser (server/http_parse.c, http_query_get)
 * decodes %XX and reads '+' as a space, and a report message is a short sentence.
 */
#ifndef STRATA_EFI_URL_H
#define STRATA_EFI_URL_H

#include <stddef.h>

/**
 * Encode msg (NUL-terminated; NULL reads as "") as a query value into out (cap bytes,
 * at least 1), NUL-terminated: letters, digits and -._ stay, a space becomes '+', every
 * other byte %XX in uppercase hex.  A message too long for out is cut between two
 * encoded characters, never inside an escape: a character is encoded only while at least
 * five bytes of out are free, so up to four may stay unused.
 */
void url_encode(char *out, size_t cap, const char *msg);

#endif /* STRATA_EFI_URL_H */
