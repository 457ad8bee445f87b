/*
 * The public store's folders the server writes into, checked at start (docs/capture.md,
 * "Who writes the public store"): the store itself, layers/, chunks/ and every chunks/XX
 * fan-out folder.  A gold capture's uploads create chunk files in them and a garbage
 * collection removes from them (docs/retention.md).
 *
 * Why at start: those folders are made by whoever ran `strata-image build --store`, often
 * root, while the server runs as its --user.  A folder that user cannot write fails only
 * the gold upload whose chunk falls in it (EACCES, 500), long after start and one chunk
 * in 256, so the server finds them before it serves.  Started as root, it hands each such
 * folder to its --user (the owner, with u+rwx; the group and the files inside stay) and
 * logs how many and which first.  Started as another user it cannot, and warns naming
 * the folder and the command that fixes it; it serves all the same (a store nobody
 * captures into or collects may stay read-only).
 *
 * Folders are opened relative to their parent with O_NOFOLLOW and changed through their
 * descriptors, so a symbolic link in the store never makes root change something
 * outside it; links and entries that are not XX folders are left alone.  The machines'
 * private stores are under the state folder, which a server started as root hands whole
 * to its --user (main.c).
 */
#ifndef STRATA_STORE_ACCESS_H
#define STRATA_STORE_ACCESS_H

#include <sys/types.h>

/**
 * Root only, before dropping privileges: give every folder of the public store at store
 * (borrowed) that uid (the --user, named user for the log) could not write to uid, with
 * u+rwx.  Logs what it changed, and how many it could not change (a read-only
 * filesystem) with the first and the fix.  Returns how many folders it changed; the
 * server starts whatever it returns.
 */
int store_access_hand(const char *store, uid_t uid, gid_t gid, const char *user);

/**
 * Not root: warn about every folder of the public store at store (borrowed) this process
 * cannot write, naming the first and the fix.  Returns how many.
 */
int store_access_check(const char *store);

#endif /* STRATA_STORE_ACCESS_H */
