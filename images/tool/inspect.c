/*
 * `strata-image inspect` and `strata-image verify`: read a layer back from a store.
 * inspect summarises an index (and can list its chunks); verify re-reads and re-hashes
 * every chunk a layer names, each distinct chunk once, and names every missing or corrupt
 * one.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "chunk.h"
#include "cli.h"
#include "index.h"
#include "manifest.h"
#include "store.h"
#include "store_path.h"
#include "text.h"

/** A layer loaded from a store: its index buffer (owned) and parsed view. */
struct layer {
	uint8_t id[32];
	uint8_t *buf;
	size_t len;
	struct strata_index idx;
};

/* Parse idstr and open that layer from the store; l->buf is the caller's. */
static int layer_load(struct store_reader *r, const char *idstr, struct layer *l)
{
	if (strata_layer_id_parse(l->id, idstr, strlen(idstr)))
		return errorf("'%s' is not a layer id (sha256:<64 hex digits>)", idstr);
	return store_get_layer(r, l->id, &l->buf, &l->len, &l->idx);
}

static void inspect_print(const char *idstr, const struct layer *l, int list)
{
	uint64_t zero = 0, free_ = 0, raw = 0, stored = 0;
	struct strata_chunk c;
	char hex[65];

	for (uint64_t i = 0; i < l->idx.chunk_count; i++) {
		strata_index_chunk(&l->idx, i, &c);
		zero += !!(c.flags & STRATA_ENTRY_ZERO);
		free_ += !!(c.flags & STRATA_ENTRY_FREE);
		raw += !(c.flags & (STRATA_ENTRY_KNOWN | STRATA_ENTRY_FREE));
		stored += c.stored_size;
		if (!list)
			continue;
		strata_hex_encode(hex, c.digest, 32);
		printf("chunk %llu offset %llu length %u stored %u %s %s\n",
		       (unsigned long long)i, (unsigned long long)c.offset, c.length,
		       c.stored_size, c.flags & STRATA_ENTRY_ZERO ? "zero" :
		       c.flags & STRATA_ENTRY_FREE ? "free" :
		       c.flags & STRATA_ENTRY_ZLIB ? "zlib" : "raw", hex);
	}
	printf("layer       %s\nimage size  %llu bytes\nchunk size  %u bytes\n"
	       "chunks      %llu (%llu zero, %llu free, %llu stored raw)\nstored      %llu bytes "
	       "(%.1f%% of the image, duplicates counted)\nindex       %zu bytes (version %u, "
	       "%llu runs)%s\n", idstr,
	       (unsigned long long)l->idx.image_size, l->idx.chunk_size,
	       (unsigned long long)l->idx.chunk_count, (unsigned long long)zero,
	       (unsigned long long)free_, (unsigned long long)raw, (unsigned long long)stored,
	       100.0 * (double)stored / (double)l->idx.image_size, l->len, l->idx.version,
	       (unsigned long long)l->idx.run_count,
	       l->idx.flags & STRATA_INDEX_FORCED ? "\nforced      built with --force from an "
	       "unsafe filesystem" : "");
}

int cmd_inspect(int argc, char **argv)
{
	const char *store = NULL, *id = NULL, *val;
	struct store_reader *r = NULL;
	struct layer l = { 0 };
	struct store *s;
	int list = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: strata-image inspect --store DIR|URL [--chunks] LAYER\n\n"
			     "Print a layer's size, chunking and storage; --chunks lists every "
			     "chunk.");
			return 0;
		}
		if (opt_value(argc, argv, &i, "--store", &val)) {
			if (!(store = val))
				return 2;
		} else if (!strcmp(argv[i], "--chunks")) {
			list = 1;
		} else if (argv[i][0] == '-' || id) {
			return errorf("inspect: unexpected argument '%s'", argv[i]), 2;
		} else {
			id = argv[i];
		}
	}
	if (!store || !id)
		return errorf("inspect needs --store and LAYER (see --help)"), 2;
	if (store_open(store, 0, &s))
		return 1;
	rc = store_reader_open(s, &r);
	if (!rc)
		rc = layer_load(r, id, &l);
	if (!rc)
		inspect_print(id, &l, list);
	free(l.buf);
	store_reader_close(r);
	store_close(s);
	return rc ? 1 : 0;
}

/** Verification tallies over all layers checked. */
struct vstate {
	struct store *s;
	struct store_reader *r;
	uint8_t *data, *stored;
	uint64_t checked, bad;
	struct progress prog;
	int nlayers;             /**< layers verify_all went through */
};

static void verify_chunk(struct vstate *v, const struct strata_chunk *c, const char *layer)
{
	struct strata_diag diag = { 0 };
	const char *why = NULL;
	char hex[65], rel[96];

	v->checked++;
	if (store_get_chunk(v->r, c->digest, v->stored, c->stored_size, &why) == 0 &&
	    strata_chunk_decode(c, v->stored, c->stored_size, v->data, &diag) == 0)
		return;
	v->bad++;
	strata_hex_encode(hex, c->digest, 32);
	store_chunk_rel(rel, c->digest);
	errorf("%s/%s: chunk %llu of %s: %s", store_root(v->s), rel,
	       (unsigned long long)c->index, layer, why ? why : diag.msg);
}

/** A data chunk's index and digest, sorted by digest so each distinct chunk is checked
 *  once (the digest is copied: an index of version 2 or 3 has no entry per chunk to point
 *  at). */
struct vitem {
	uint8_t digest[32];
	uint64_t i;
};

static int cmp_vitem(const void *a, const void *b)
{
	const struct vitem *x = a, *y = b;
	int c = memcmp(x->digest, y->digest, 32);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Check every distinct chunk of one layer: collect the data chunks, sort once by digest,
 * verify the first of each run of equal digests. */
static int verify_layer(struct vstate *v, const char *idstr)
{
	struct layer l = { 0 };
	struct strata_chunk c, prev;
	struct vitem *items;
	uint64_t n = 0;

	if (layer_load(v->r, idstr, &l))
		return v->bad++, -1;
	items = malloc(l.idx.chunk_count * sizeof(*items) + 1);
	v->data = realloc(v->data, l.idx.chunk_size);
	v->stored = realloc(v->stored, l.idx.chunk_size);
	if (!items || !v->data || !v->stored)
		return free(items), free(l.buf), errorf("out of memory");
	for (uint64_t i = 0; i < l.idx.chunk_count; i++) {
		strata_index_chunk(&l.idx, i, &c);
		if (c.flags & STRATA_ENTRY_NOFILE) {
			progress_add(&v->prog, c.length);
			continue;
		}
		items[n].i = i;
		memcpy(items[n++].digest, c.digest, 32);
	}
	qsort(items, n, sizeof(*items), cmp_vitem);
	for (uint64_t k = 0; k < n; k++) {
		strata_index_chunk(&l.idx, items[k].i, &c);
		progress_add(&v->prog, c.length);
		progress_tick(&v->prog);
		if (k == 0 || memcmp(c.digest, prev.digest, 32))
			verify_chunk(v, &c, idstr);
		prev = c;
	}
	free(items);
	free(l.buf);
	return 0;
}

/* verify_layer for one layer of the store (store_each_layer). */
static int verify_one(void *ctx, const uint8_t id[32])
{
	struct vstate *v = ctx;
	char idstr[80];

	strata_layer_id_format(idstr, id);
	verify_layer(v, idstr);
	v->nlayers++;
	return 0;
}

/* Every layer in DIR/layers. */
static int verify_all(struct vstate *v)
{
	int rc = store_each_layer(v->s, verify_one, v);

	if (rc == 0)
		fprintf(stderr, "%d layers\n", v->nlayers);
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	struct vstate v = { 0 };
	const char *store = NULL, *id = NULL, *val;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: strata-image verify --store DIR|URL [LAYER]\n\n"
			     "Re-read and re-hash every chunk of LAYER (default: every layer in\n"
			     "DIR) and name each missing or corrupt chunk.  Exit 0 only if all\n"
			     "are sound.");
			return 0;
		}
		if (opt_value(argc, argv, &i, "--store", &val)) {
			if (!(store = val))
				return 2;
		} else if (argv[i][0] == '-' || id) {
			return errorf("verify: unexpected argument '%s'", argv[i]), 2;
		} else {
			id = argv[i];
		}
	}
	if (!store)
		return errorf("verify needs --store (see --help)"), 2;
	if (store_open(store, 0, &v.s) || store_reader_open(v.s, &v.r))
		return 1;
	progress_init(&v.prog, "verify", 0);
	rc = id ? verify_layer(&v, id) : verify_all(&v);
	progress_done(&v.prog);
	fprintf(stderr, "%llu chunks checked, %llu bad\n", (unsigned long long)v.checked,
		(unsigned long long)v.bad);
	free(v.data);
	free(v.stored);
	store_reader_close(v.r);
	store_close(v.s);
	return rc || v.bad ? 1 : 0;
}
