/*
 * Who holds a full table, for its log line: "192.0.2.7 x8, 192.0.2.9 x3 (+5 more
 * addresses)", the largest holders first.
 *
 * Why: when a server's table of transfers or connections is full, the one thing an
 * administrator needs from the log is who to look at.  TFTP's transfers and HTTP's
 * connections both describe their holders this way, from their clients' printed names.
 */
#ifndef STRATA_HOLDERS_H
#define STRATA_HOLDERS_H

#include <stddef.h>

/** Holders named in the line; the rest are counted. */
#define HOLDERS_NAMED 4
/** Longest client name: an IPv6 address and "/64". */
#define HOLDER_NAME 52
/** The line: each named holder as "NAME xCOUNT, ", and "(+N more addresses)". */
#define HOLDERS_STR (HOLDERS_NAMED * (HOLDER_NAME + 16) + 40)

/**
 * Describe the holders of a table of n entries, each held by the client names[i]
 * (sorted in place), into buf (cap bytes): the HOLDERS_NAMED with the most entries, most
 * first, and how many more clients there are.
 */
void holders_describe(char (*names)[HOLDER_NAME], size_t n, char *buf, size_t cap);

#endif /* STRATA_HOLDERS_H */
