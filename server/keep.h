/*
 * What a machine keeps of its captures, and when it is captured by itself
 * (docs/retention.md): the inventory's keep=, keep-daily=, quota= and capture-every= keys,
 * and the choice of which generations retention drops.  Pure functions, no I/O, so they
 * are unit-tested alone (tests/unit/test_keep.c).
 *
 * Why key by key: a profile line sets what its machines keep, and a machine line may
 * change one key and leave the rest to its profile ("machine wins", per key).
 */
#ifndef STRATA_KEEP_H
#define STRATA_KEEP_H

#include <stddef.h>
#include <stdint.h>

/** Defaults when neither the profile nor the machine says: the last 7 generations of each
 *  partition, and the latest of each day for 30 days. */
#define KEEP_DEFAULT 7
#define KEEP_DAILY_DEFAULT 30
/** Largest keep= and keep-daily= taken. */
#define KEEP_MAX 10000
/** Longest capture-every= taken: 10 years, in seconds. */
#define KEEP_EVERY_MAX (3650ull * 86400)

/** Which keys a line gave (struct keep_policy.set). */
enum keep_key {
	KEEP_SET_KEEP = 1,
	KEEP_SET_DAILY = 2,
	KEEP_SET_QUOTA = 4,
	KEEP_SET_EVERY = 8,
};

/** A profile's or machine's keys, or the effective policy once merged. */
struct keep_policy {
	unsigned int keep;        /**< generations kept per partition, newest first (>= 1) */
	unsigned int keep_daily;  /**< days for which the latest generation of each is kept */
	uint64_t quota;           /**< bytes of the machine's private store; 0: no quota */
	uint64_t every;           /**< seconds between interval captures; 0: none */
	unsigned int set;         /**< enum keep_key bits: which of these a line gave */
};

/**
 * Take key=v (both borrowed) into *p when key is one of keep, keep-daily, quota or
 * capture-every.  1 when key is none of them (the caller's other keys), 0 when taken,
 * STRATA_EINVAL with *why (static) saying what the value must be.
 */
int keep_key_parse(struct keep_policy *p, const char *key, const char *v, const char **why);

/**
 * A duration "N" with a unit s, m, h, d or w (12h, 1d, 7d) into seconds, or "off" (0).
 * 0, or STRATA_EINVAL for anything else, zero, or more than KEEP_EVERY_MAX.
 */
int keep_duration_parse(const char *s, uint64_t *out);

/** The effective policy of a machine: each key from machine when it set it, else from
 *  profile when it did, else the default. */
struct keep_policy keep_merge(const struct keep_policy *profile,
			      const struct keep_policy *machine);

/** One generation, as retention sees it. */
struct keep_gen {
	int64_t number;           /**< 1, 2, .. within its partition */
	int64_t at;               /**< Unix seconds of its commit */
};

/**
 * Which of the n generations of one partition (g, in any order, borrowed) policy p drops
 * at time now: drop[i] is set to 1 or 0 (n bytes, the caller's).  Kept: the p->keep
 * highest numbers; the highest number of each UTC day among the last p->keep_daily days
 * (today included); and always the newest.  Returns how many it drops.
 */
size_t keep_choose(const struct keep_gen *g, size_t n, const struct keep_policy *p,
		   int64_t now, uint8_t *drop);

#endif /* STRATA_KEEP_H */
