/*
 * Test vectors for efi/selftest.c, generated at build time by efi/gen-selftest.sh into
 * $(BUILD)/efi/gen/selftest_data.c.
 *
 * Why generated, and with the host tool: the vectors come out of the code strata.efi must
 * interoperate with (strata-image's zlib deflate, its layer builder, its ECDSA signer), so
 * the self-test proves the firmware build reads what the host build writes.  Nothing binary
 * is committed, and the signing key exists only for one build.
 *
 * The layer is three 4 KiB-chunk pieces chosen to hit every chunk kind: text (a zlib store
 * file), zeros (no file) and a short incompressible tail (a raw store file).
 */
#ifndef STRATA_EFI_SELFTEST_DATA_H
#define STRATA_EFI_SELFTEST_DATA_H

#include <stddef.h>
#include <stdint.h>

/** One store file, as chunks/<hh>/<name> holds it: name is the 64-hex SHA-256 of the
 *  chunk's plain bytes, data the file's bytes (zlib or raw). */
struct selftest_blob {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/** The public key (PEM) that signed selftest_manifest. */
extern const uint8_t selftest_pubkey[];
extern const size_t selftest_pubkey_len;

/** A signed manifest whose part 1 names the test layer. */
extern const uint8_t selftest_manifest[];
extern const size_t selftest_manifest_len;

/** The layer's index file; its SHA-256 is the layer id. */
extern const uint8_t selftest_index[];
extern const size_t selftest_index_len;

/** The store files of the layer's non-zero chunks. */
extern const struct selftest_blob selftest_store[];
extern const size_t selftest_store_len;

/** The plain bytes of the layer's first chunk, the one the store keeps as zlib. */
extern const uint8_t selftest_text[];
extern const size_t selftest_text_len;

/** SHA-256 of the whole layer image, 64 lowercase hex digits and a NUL. */
extern const char selftest_image_sha256[];

#endif /* STRATA_EFI_SELFTEST_DATA_H */
