/*
 * What the server makes for one machine: its machine layer (CIDATA) and its signed
 * manifest.  Both are pure functions of the inventory, the machine and its version, so a
 * reload that changes nothing for a machine changes none of its bytes.
 */
#ifndef STRATA_MACHINE_H
#define STRATA_MACHINE_H

#include <stddef.h>
#include <stdint.h>
#include "inventory.h"
#include "manifest.h"
#include "store.h"

/** Everything that defines one machine's deployment. */
struct machine_spec {
	const struct inv_profile *profile;
	uint8_t mac[6];
	const char *name;
	const char *user_data_path;   /**< NULL: a built-in #cloud-config naming the host */
	const char *store;            /**< its site's store URL (the manifest's `store`), or
					   NULL: the server's own */
	/** Per profile part: the layer id of its latest captured generation (capture=yes
	 *  parts; docs/restore.md).  Such a part is served `policy=restore` with that layer,
	 *  `store=private`, so a disk without it gets it back and one with it keeps its own. */
	uint8_t gen[STRATA_MAX_PARTS][32];
	uint8_t has_gen[STRATA_MAX_PARTS];  /**< 1 when gen[i] is set */
	/** The multicast session its manifest announces (mcast_plan_session), or NULL. */
	const struct strata_multicast *mc;
	int overwrite;                /**< a ready restore order (restore.h): the generations
					   are served policy=write, over what the disk holds */
};

/**
 * Build the machine's CIDATA layer into store (the machine's private store, private_store.h;
 * temporary file under tmp_dir) and return its
 * id in layer.  When the volume's bytes hash to known_image (the previous build's, as
 * image_sum reports it), the build is skipped and known_layer returned: a reload that
 * changes nothing for a machine does no store I/O.  image_sum (out) gets this volume's
 * SHA-256; known_* may be NULL.  Prints its own errors.
 */
int machine_layer_build(const struct machine_spec *m, struct store *store, const char *tmp_dir,
			const uint8_t *known_image, const uint8_t *known_layer,
			uint8_t image_sum[32], uint8_t layer[32]);

/** Hex digits of the digest an instance-id carries: 64 bits, so two contents of one
 *  machine collide once in 2^32 changes, far past any machine's life. */
#define MACHINE_INSTANCE_HEX 16
/** Room for an instance-id: "strata-", a name, "-", the digits, a NUL. */
#define MACHINE_INSTANCE_ID_MAX (8 + INV_NAME_MAX + 1 + MACHINE_INSTANCE_HEX + 1)

/**
 * The cloud-init instance-id of a machine layer (docs/restore.md, "Identity"):
 * "strata-NAME-HEX", HEX the first MACHINE_INSTANCE_HEX digits of SHA-256 over name, mac,
 * hostname and the user-data's ud_len bytes (all borrowed), into out.  Why over the
 * content: cloud-init re-runs its per-instance steps only when the id changes, so a new
 * user-data must give a new id even on a root the deployment did not rewrite; a new PC
 * in a machine's place (another MAC) is a reinstalled machine of that name, so gets its
 * own; nothing else goes in, so an unchanged machine keeps its id across reloads and
 * restarts, and no other machine's data can reach it.
 */
void machine_instance_id(char out[MACHINE_INSTANCE_ID_MAX], const char *name,
			 const uint8_t mac[6], const char *hostname, const uint8_t *ud,
			 size_t ud_len);

/** Size of the buffer machine_manifest returns: room to renumber the text in place. */
#define MACHINE_MANIFEST_CAP (STRATA_MANIFEST_MAX + 1)

/**
 * Render m's manifest once: the layout is built from the profile as a strata_manifest and
 * written by the core's writer at version 0, unsigned, into a new buffer *text of
 * MACHINE_MANIFEST_CAP bytes the caller owns (renumber it with strata_manifest_renumber,
 * then sign it).  machine_layer is used for `layer=machine` partitions, marked
 * `store=private` (manifest.h): it lives in the machine's private store, as do the
 * generations of m->gen, served as `policy=restore` parts (docs/restore.md).  The text is
 * parsed back with the core parser before it is returned, so the server never serves a
 * manifest a client would refuse.  Prints its own errors.
 */
int machine_manifest(const struct machine_spec *m, const uint8_t machine_layer[32],
		     char **text, size_t *len);

/** A GUID derived from the MAC and a purpose, in GPT byte order (random-looking, v4 bits). */
void machine_guid(uint8_t guid[16], const uint8_t mac[6], const char *what, unsigned int n);

#endif /* STRATA_MACHINE_H */
