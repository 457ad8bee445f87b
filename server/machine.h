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
#include "store.h"

/** Everything that defines one machine's deployment. */
struct machine_spec {
	const struct inv_profile *profile;
	uint8_t mac[6];
	const char *name;
	const char *user_data_path;   /**< NULL: a built-in #cloud-config naming the host */
};

/**
 * Build the machine's CIDATA layer into store (temporary file under tmp_dir) and return its
 * id in layer.  When the volume's bytes hash to known_image (the previous build's, as
 * image_sum reports it), the build is skipped and known_layer returned: a reload that
 * changes nothing for a machine does no store I/O.  image_sum (out) gets this volume's
 * SHA-256; known_* may be NULL.  Prints its own errors.
 */
int machine_layer_build(const struct machine_spec *m, struct store *store, const char *tmp_dir,
			const uint8_t *known_image, const uint8_t *known_layer,
			uint8_t image_sum[32], uint8_t layer[32]);

/**
 * Write the manifest text for m at version (unsigned) into a new buffer the caller owns.
 * machine_layer is used for `layer=machine` partitions.  The result is parsed back with the
 * core parser before it is returned, so the server never serves a manifest a client would
 * refuse.
 */
int machine_manifest(const struct machine_spec *m, uint64_t version,
		     const uint8_t machine_layer[32], char **text, size_t *len);

/** Append a signature line made with a private key held in memory (borrowed); *text is
 *  reallocated. */
int manifest_sign_buffer(const uint8_t *key, size_t key_len, const char *key_name,
			 char **text, size_t *len);

/** A GUID derived from the MAC and a purpose, in GPT byte order (random-looking, v4 bits). */
void machine_guid(uint8_t guid[16], const uint8_t mac[6], const char *what, unsigned int n);

#endif /* STRATA_MACHINE_H */
