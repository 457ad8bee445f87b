/*
 * A set of 32-byte digests (chunk names, layer ids), for garbage collection (gc.h):
 * filled in any order, then sealed (sorted, duplicates dropped) and asked by binary
 * search.  Why sorted arrays: the set holds every chunk a store's layers name, a few
 * million at most, 32 bytes each with no per-entry overhead.
 */
#ifndef STRATA_DIGEST_SET_H
#define STRATA_DIGEST_SET_H

#include <stddef.h>
#include <stdint.h>

/** A digest set; zero-initialised is empty.  Owns its array: digest_set_free. */
struct digest_set {
	uint8_t (*d)[32];
	size_t n, cap;
};

/** Add digest (copied).  0 or STRATA_ENOMEM. */
int digest_set_add(struct digest_set *set, const uint8_t digest[32]);

/** Sort and drop duplicates: digest_set_has works from here until the next add. */
void digest_set_seal(struct digest_set *set);

/** Whether a sealed set holds digest. */
int digest_set_has(const struct digest_set *set, const uint8_t digest[32]);

void digest_set_free(struct digest_set *set);

#endif /* STRATA_DIGEST_SET_H */
