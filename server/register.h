/*
 * Registering unknown PCs (POST /api/register, docs/dashboard-api.md; docs/registration.md):
 * their MACs get names from a pattern and machine lines in the file the inventory's
 * `registered FILE` statement includes, then the catalog reloads.
 *
 * Why a file of its own: the admin's inventory is his, edited by hand and perhaps kept in
 * version control, so the server never writes it; the registered file holds machine lines
 * only, which the admin may move into the inventory at leisure.
 *
 * register_names and register_macs_parse are pure (unit-tested, fuzzed); register_run is
 * the server's side.
 */
#ifndef STRATA_REGISTER_H
#define STRATA_REGISTER_H

#include <stddef.h>
#include <stdint.h>
#include "inventory.h"
#include "who.h"

struct server;

/** MACs one registration takes at most (what a 4 KiB form body holds). */
#define REGISTER_MAX 200
/** Longest pattern (a machine name, with its # run). */
#define REGISTER_PATTERN_MAX INV_NAME_MAX
/** Names in use one registration skips at most before it gives up (a bound on its work
 *  whatever the lab holds). */
#define REGISTER_SKIP_MAX 100000
/** Longest path of the registered file. */
#define REGISTER_PATH_MAX 4096
/** Largest start=. */
#define REGISTER_START_MAX 999999999u

/** Whether name is taken already (case-insensitive, as the inventory compares names). */
typedef int register_taken_fn(void *ctx, const char *name);

/**
 * n names from pattern into out: its one run of '#' (1..9 of them) becomes a number
 * zero-padded to the run's width, from start up, skipping every number whose name taken
 * says is in use (at most REGISTER_SKIP_MAX of them).  Each name is checked as an inventory name (inv_name_ok).  0; or
 * STRATA_EINVAL with *why (static) for a pattern without exactly one run of '#', or whose
 * names are not valid names; STRATA_ERANGE with *why when the run's width has no room for
 * n more numbers (lab-# from 8 gives 8, 9 and stops).  Pure; out is the caller's.
 */
int register_names(const char *pattern, uint64_t start, size_t n, register_taken_fn *taken,
		   void *ctx, char (*out)[INV_NAME_MAX + 1], const char **why);

/**
 * Parse macs= "MAC,MAC,..." (52:54:00:12:34:56 or with '-') into out (cap entries): no
 * empty item, no MAC twice.  0 with *n; STRATA_EINVAL with *why, STRATA_ERANGE when more
 * than cap.  Pure.
 */
int register_macs_parse(const char *s, uint8_t (*out)[6], size_t cap, size_t *n,
			const char **why);

/** What one registration asks: the fields of POST /api/register, borrowed. */
struct register_req {
	const uint8_t (*macs)[6];
	size_t n;
	const char *pattern;
	uint64_t start;
	const char *profile, *room, *site;   /**< room and site may be NULL */
};

/**
 * Register req's PCs for by: names (into names, n entries, the caller's), lines appended
 * to the registered file (written whole to a new file, fsynced, renamed over it, its
 * folder fsynced), one audit row "register", then a catalog reload asked for
 * (catalog_reload_soon).  One registration at a time.  0, or an rc with why (cap bytes,
 * the answer's body): STRATA_ESTALE (409) without a `registered` statement, naming the
 * line to add, or for a MAC the inventory or file holds already; STRATA_EINVAL for an
 * unknown profile or site, a bad room, a bad pattern or one out of numbers;
 * STRATA_EREPORTED when the file cannot be written (logged).  path gets the
 * file's path (the caller's buffer).
 */
int register_run(struct server *s, const struct who *by, const struct register_req *req,
		 char (*names)[INV_NAME_MAX + 1], char *why, size_t cap,
		 char path[REGISTER_PATH_MAX]);

#endif /* STRATA_REGISTER_H */
