/*
 * Machines' private stores: the layers that are one machine's own (its CIDATA layer today,
 * its captured data later) live in a store of their own under the server's state folder,
 *
 *     STATE/private/<mac as 12 lowercase hex digits>/layers/<hex>.idx, chunks/<hh>/<hex>
 *
 * with the public store's layout (core/store_path.h), written by the same store writer.
 * Why a folder per machine: nothing of a machine's is ever under the public store folder
 * that /store/ serves to anyone, and deduplication of private data happens only within one
 * machine's own folder, so no machine can learn from the store whether another holds a
 * given chunk.  The server serves these files only under /private/MAC/ (http.c).
 */
#ifndef STRATA_PRIVATE_STORE_H
#define STRATA_PRIVATE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

/** Room for a private store folder's path. */
#define PRIVATE_DIR_MAX 4096

/**
 * The private store folder of mac under root (STATE/private, borrowed) into out (cap
 * bytes).  0, or STRATA_ERANGE when it does not fit.
 */
int private_store_dir(char *out, size_t cap, const char *root, const uint8_t mac[6]);

/**
 * Open (creating it) mac's private store under root for writing; *out is the caller's,
 * closed with store_close.  0 or STRATA_EREPORTED (printed).
 */
int private_store_open(const char *root, const uint8_t mac[6], struct store **out);

/**
 * Remove mac's private store under root, if any: an unknown machine that only asked what
 * to boot and is forgotten (catalog.c), so made-up MACs leave no folders behind.  0 or
 * STRATA_EREPORTED (printed).
 */
int private_store_remove(const char *root, const uint8_t mac[6]);

/**
 * Make root (mode 0700: only the server reads machines' secrets) and remove old_dir, the
 * folder where an older server kept every machine's CIDATA layer together (STATE/store),
 * served beside the public store: those layers are rebuilt into the private stores at
 * load, and none may stay where an older route served them.  old_dir is left alone when
 * it is the public store folder public (an administrator's --store).  0 or
 * STRATA_EREPORTED.
 */
int private_store_prepare(const char *root, const char *old_dir, const char *public);

#endif /* STRATA_PRIVATE_STORE_H */
