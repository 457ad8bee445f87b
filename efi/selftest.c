/*
 * The start-up self-test (see selftest.h).  Steps run in the order an apply uses the same
 * code: hashes, inflate, the signed manifest, the index it names, then every chunk of that
 * layer; last, the capture engine takes the rebuilt image back into a layer, which must be
 * the host's to the byte.  Each step returns an rc and logs its own failure site; the
 * runner logs success.
 */
#include <string.h>
#include "alloc.h"
#include "capture.h"
#include "chunk.h"
#include "codec.h"
#include "crypto.h"
#include "index.h"
#include "log.h"
#include "manifest.h"
#include "rc.h"
#include "selftest.h"
#include "selftest_data.h"
#include "sha256_x86.h"
#include "text.h"

/** Largest test layer accepted: the generator makes about 8 KiB; this only bounds a bad one. */
#define SELFTEST_IMAGE_MAX (1u << 20)

/** What earlier steps hand to later ones. */
struct selftest_state {
	struct strata_manifest manifest;  /**< parsed and verified by step_manifest */
	struct strata_index index;        /**< parsed by step_index; borrows selftest_index */
	uint8_t *image;                   /**< rebuilt by step_layer; owned, freed by the runner */
};

/** SHA-256("abc"), FIPS 180-2 appendix B.1. */
static const uint8_t sha256_abc[STRATA_SHA256_LEN] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
	0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
	0xf2, 0x00, 0x15, 0xad,
};

/* The published vector, one-shot and streamed in two pieces (the chunk hasher streams). */
static int step_sha256(struct selftest_state *st)
{
	struct strata_sha256 ctx;
	uint8_t digest[STRATA_SHA256_LEN];

	strata_sha256("abc", 3, digest);
	if (memcmp(digest, sha256_abc, sizeof(digest)) != 0)
		return log_fail(STRATA_ECORRUPT, "selftest: SHA-256(\"abc\") is not the FIPS vector");
	strata_sha256_init(&ctx);
	strata_sha256_update(&ctx, "a", 1);
	strata_sha256_update(&ctx, "bc", 2);
	strata_sha256_final(&ctx, digest);
	if (memcmp(digest, sha256_abc, sizeof(digest)) != 0)
		return log_fail(STRATA_ECORRUPT, "selftest: streamed SHA-256 differs from one-shot");
	log_msg("selftest: sha256 on %s", sha256_x86_available() ? "the x86 SHA extensions"
		: "mbedTLS's portable code");
	return 0;
}

/* The store file named by digest, as a store lookup finds it; NULL when there is none. */
static const struct selftest_blob *store_find(const uint8_t digest[STRATA_SHA256_LEN])
{
	char hex[2 * STRATA_SHA256_LEN + 1];

	strata_hex_encode(hex, digest, STRATA_SHA256_LEN);
	for (size_t i = 0; i < selftest_store_len; i++)
		if (strcmp(selftest_store[i].name, hex) == 0)
			return &selftest_store[i];
	return NULL;
}

/* Inflate z into out (len bytes, owned by the caller): exact bytes, and the output bound
 * holds, since one byte less must fail rather than overrun. */
static int inflate_check(uint8_t *out, size_t len, const struct selftest_blob *z)
{
	int rc = strata_inflate(out, len, z->data, z->len);

	if (rc)
		return log_fail(rc, "selftest: strata_inflate rejected the host's zlib stream");
	if (memcmp(out, selftest_text, len) != 0)
		return log_fail(STRATA_ECORRUPT, "selftest: inflated bytes differ from the text");
	if (strata_inflate(out, len - 1, z->data, z->len) != STRATA_ECORRUPT)
		return log_fail(STRATA_ECORRUPT, "selftest: inflate past its output bound did not fail");
	return 0;
}

/* A zlib stream made by the host's deflate (the text chunk's store file), inflated here. */
static int step_inflate(struct selftest_state *st)
{
	uint8_t digest[STRATA_SHA256_LEN];
	const struct selftest_blob *z;
	uint8_t *out;
	int rc;

	strata_sha256(selftest_text, selftest_text_len, digest);
	z = store_find(digest);
	if (!z || z->len >= selftest_text_len)
		return log_fail(STRATA_ENOENT, "selftest: no zlib store file for the test text");
	out = strata_alloc(selftest_text_len);
	if (!out)
		return log_fail(STRATA_ENOMEM, "selftest: %zu bytes for inflate", selftest_text_len);
	rc = inflate_check(out, selftest_text_len, z);
	if (!rc)
		log_msg("selftest: inflated %zu zlib bytes to %zu", z->len, selftest_text_len);
	strata_free(out);
	return rc;
}

/* Verify against a copy of the manifest with one signed byte changed: must be EBADSIG. */
static int manifest_tamper_check(const struct strata_manifest *m)
{
	struct strata_diag diag = { 0 };
	char *copy;
	int rc;

	copy = strata_alloc(selftest_manifest_len);
	if (!copy)
		return log_fail(STRATA_ENOMEM, "selftest: %zu bytes for a manifest copy",
				selftest_manifest_len);
	memcpy(copy, selftest_manifest, selftest_manifest_len);
	copy[m->signed_len - 2] ^= 0x01;
	rc = strata_manifest_verify(m, copy, selftest_pubkey, selftest_pubkey_len, &diag);
	strata_free(copy);
	if (rc != STRATA_EBADSIG)
		return log_fail(STRATA_EBADSIG, "selftest: a tampered manifest did not fail to verify");
	return 0;
}

/* The signed manifest: parse, verify with the build's public key, and refuse a tampered one. */
static int step_manifest(struct selftest_state *st)
{
	const char *text = (const char *)selftest_manifest;
	struct strata_manifest *m = &st->manifest;
	struct strata_diag diag = { 0 };
	int rc;

	rc = strata_manifest_parse(m, text, selftest_manifest_len, &diag);
	if (rc)
		return log_fail(rc, "selftest: manifest:%llu: %s",
				(unsigned long long)diag.where, diag.msg);
	rc = strata_manifest_verify(m, text, selftest_pubkey, selftest_pubkey_len, &diag);
	if (rc)
		return log_fail(rc, "selftest: manifest: %s", diag.msg);
	if (m->signed_len < 2 || m->nparts == 0 || !m->parts[0].has_layer)
		return log_fail(STRATA_EINVAL, "selftest: manifest has no layer to follow");
	log_msg("selftest: manifest version %llu for %s: ECDSA P-256 signature valid",
		(unsigned long long)m->version, m->machine);
	return manifest_tamper_check(m);
}

/* The index with one byte appended must be refused as trailing garbage. */
static int index_trailer_check(void)
{
	struct strata_index idx;
	uint8_t *copy;
	int rc;

	copy = strata_alloc(selftest_index_len + 1);
	if (!copy)
		return log_fail(STRATA_ENOMEM, "selftest: %zu bytes for an index copy",
				selftest_index_len + 1);
	memcpy(copy, selftest_index, selftest_index_len);
	rc = strata_index_parse(&idx, copy, selftest_index_len + 1, NULL);
	strata_free(copy);
	if (rc != STRATA_ETRAIL)
		return log_fail(STRATA_EINVAL, "selftest: an index with a trailing byte was accepted");
	return 0;
}

/* The index the manifest names: valid, and its SHA-256 is the manifest's layer id. */
static int step_index(struct selftest_state *st)
{
	const struct strata_part *part = &st->manifest.parts[0];
	struct strata_diag diag = { 0 };
	uint8_t id[STRATA_SHA256_LEN];
	char id_text[72];
	int rc;

	rc = strata_index_parse(&st->index, selftest_index, selftest_index_len, &diag);
	if (rc)
		return log_fail(rc, "selftest: index@%llu: %s",
				(unsigned long long)diag.where, diag.msg);
	strata_sha256(selftest_index, selftest_index_len, id);
	if (memcmp(id, part->layer, sizeof(id)) != 0)
		return log_fail(STRATA_ECORRUPT, "selftest: index is not the layer the manifest names");
	strata_layer_id_format(id_text, id);
	log_msg("selftest: layer %s: %llu chunks of %u bytes", id_text,
		(unsigned long long)st->index.chunk_count, st->index.chunk_size);
	return index_trailer_check();
}

/** How many chunks of each kind the layer step saw. */
struct chunk_kinds {
	unsigned int zero, zlib, raw;
};

/* Decode chunk c into image (owned by the caller) from its store file, as an apply does. */
static int decode_one(const struct strata_chunk *c, uint8_t *image, struct chunk_kinds *k)
{
	const struct selftest_blob *blob = NULL;
	struct strata_diag diag = { 0 };
	int rc;

	if (c->flags & STRATA_ENTRY_NOFILE) {
		k->zero++;
	} else {
		blob = store_find(c->digest);
		if (!blob)
			return log_fail(STRATA_ENOENT, "selftest: chunk %llu has no store file",
					(unsigned long long)c->index);
		if (c->flags & STRATA_ENTRY_ZLIB)
			k->zlib++;
		else
			k->raw++;
	}
	rc = strata_chunk_decode(c, blob ? blob->data : NULL, blob ? blob->len : 0,
				 image + c->offset, &diag);
	if (rc)
		return log_fail(rc, "selftest: chunk %llu: %s", (unsigned long long)diag.where,
				diag.msg);
	return 0;
}

/* Every chunk decoded and verified, then the whole image against the host's SHA-256. */
static int layer_check(const struct strata_index *idx, uint8_t *image)
{
	struct chunk_kinds kinds = { 0 };
	uint8_t digest[STRATA_SHA256_LEN];
	char hex[2 * STRATA_SHA256_LEN + 1];
	struct strata_chunk c;
	int rc;

	for (uint64_t i = 0; i < idx->chunk_count; i++) {
		strata_index_chunk(idx, i, &c);
		rc = decode_one(&c, image, &kinds);
		if (rc)
			return rc;
	}
	strata_sha256(image, idx->image_size, digest);
	strata_hex_encode(hex, digest, sizeof(digest));
	if (strcmp(hex, selftest_image_sha256) != 0)
		return log_fail(STRATA_ECORRUPT, "selftest: rebuilt image differs from the host's");
	if (!kinds.zero || !kinds.zlib || !kinds.raw)
		return log_fail(STRATA_EINVAL, "selftest: layer lacks a zero, zlib or raw chunk"
				" (did efi/gen-selftest.sh change?)");
	log_msg("selftest: rebuilt %llu bytes from %u zlib, %u raw and %u zero chunks",
		(unsigned long long)idx->image_size, kinds.zlib, kinds.raw, kinds.zero);
	return 0;
}

/* The layer, rebuilt chunk by chunk into memory. */
static int step_layer(struct selftest_state *st)
{
	uint8_t *image;
	int rc;

	if (st->index.image_size > SELFTEST_IMAGE_MAX)
		return log_fail(STRATA_ERANGE, "selftest: test layer larger than 1 MiB");
	image = strata_alloc((size_t)st->index.image_size);
	if (!image)
		return log_fail(STRATA_ENOMEM, "selftest: %llu bytes for the test image",
				(unsigned long long)st->index.image_size);
	rc = layer_check(&st->index, image);
	st->image = image;                /* for step_capture; the runner frees it */
	return rc;
}

/** The capture step's partition (the rebuilt image) and what the engine handed over. */
struct capture_check {
	const uint8_t *image;
	unsigned int files;
};

static int image_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct capture_check *cc = ctx;

	memcpy(buf, cc->image + off, len);
	return 0;
}

/* The server of this step lacks every chunk, so each file comes to same_file. */
static int all_missing(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing)
{
	memset(missing, 1, n);
	return 0;
}

/* A chunk file the engine made (deflated here) must be the host's store file, byte for
 * byte: the same zlib at the same level, or captured indexes would not match stores. */
static int same_file(void *ctx, const struct strata_chunk *c, const uint8_t *file)
{
	struct capture_check *cc = ctx;
	const struct selftest_blob *blob = store_find(c->digest);

	if (!blob || blob->len != c->stored_size || memcmp(blob->data, file, blob->len))
		return log_fail(STRATA_ECORRUPT, "selftest: chunk %llu: the capture engine's file "
				"differs from the host's", (unsigned long long)c->index);
	cc->files++;
	return 0;
}

/* The rebuilt image captured as strata-image build took it: the same index, byte for byte. */
static int step_capture(struct selftest_state *st)
{
	struct capture_check cc = { st->image, 0 };
	struct strata_fs_reader r = { image_read, &cc, st->index.image_size };
	struct strata_capture_job job = { &r, st->index.chunk_shift, STRATA_DEFLATE_LEVEL,
					  STRATA_CAPTURE_FSMAP, 1u << 16 };
	struct strata_capture_ops ops = { all_missing, same_file, NULL, &cc };
	struct strata_capture_stats cst;
	struct strata_diag diag = { 0 };
	uint8_t *idx;
	size_t len;
	int rc = strata_capture_partition(&job, &ops, &cst, &idx, &len, &diag);

	if (rc)
		return log_fail(rc, "selftest: capture, chunk %llu: %s",
				(unsigned long long)diag.where, diag.msg);
	if (len != selftest_index_len || memcmp(idx, selftest_index, len) != 0)
		rc = log_fail(STRATA_ECORRUPT, "selftest: the captured index differs from the "
			      "host's build of the same image");
	strata_free(idx);
	if (rc == 0)
		log_msg("selftest: captured the image again: %u chunk files deflated as on the "
			"host, the host's index", cc.files);
	return rc;
}

/** The steps, in order; later ones use what earlier ones left in the state. */
static const struct selftest_step {
	const char *name;
	int (*run)(struct selftest_state *st);
} selftest_steps[] = {
	{ "sha256", step_sha256 },
	{ "inflate", step_inflate },
	{ "manifest", step_manifest },
	{ "index", step_index },
	{ "layer", step_layer },
	{ "capture", step_capture },
};

int selftest_run(void)
{
	struct selftest_state *st;
	int rc = 0;

	st = strata_alloc(sizeof(*st));
	if (!st)
		return log_fail(STRATA_ENOMEM, "selftest: no memory for its state");
	for (size_t i = 0; i < sizeof(selftest_steps) / sizeof(selftest_steps[0]); i++) {
		rc = selftest_steps[i].run(st);
		if (rc) {
			log_msg("selftest: %s FAILED", selftest_steps[i].name);
			goto err_step;
		}
		log_msg("selftest: %s ok", selftest_steps[i].name);
	}
err_step:
	strata_free(st->image);
	strata_free(st);
	return rc;
}
