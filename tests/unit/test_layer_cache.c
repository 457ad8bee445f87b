/*
 * Unit tests for strata-server's layer cache (server/layer_cache.c).
 *
 * Why: a runs request trusts the index the cache hands out, and the cache is what keeps
 * that request from re-reading and re-hashing the index every time.  So: a layer opens
 * from the first store folder that has it, is opened once (a second get returns the same
 * entry even after the file is gone), and a missing or corrupt index is refused with the
 * code the HTTP table turns into 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "crypto.h"
#include "harness.h"
#include "index.h"
#include "layer_cache.h"
#include "rc.h"
#include "store_path.h"

/** Two store folders under one temporary folder. */
struct dirs {
	char root[64], a[80], b[80];
};

static void make_dirs(struct dirs *d)
{
	char layers[128];

	snprintf(d->root, sizeof(d->root), "/tmp/strata-lc.XXXXXX");
	if (!mkdtemp(d->root))
		abort();
	snprintf(d->a, sizeof(d->a), "%s/a", d->root);
	snprintf(d->b, sizeof(d->b), "%s/b", d->root);
	for (int i = 0; i < 2; i++) {
		mkdir(i ? d->b : d->a, 0755);
		snprintf(layers, sizeof(layers), "%s/" STRATA_STORE_LAYERS, i ? d->b : d->a);
		mkdir(layers, 0755);
	}
}

/* Remove the temporary folders and what the test wrote in them. */
static void remove_dirs(const struct dirs *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", d->root);
}

/* Write an index of an all-zero image of size bytes into dir under the name of id (its
 * own hash unless id is given); returns its path in path. */
static void put_index(const char *dir, uint64_t size, const uint8_t *id, uint8_t out_id[32],
		      char path[256])
{
	struct strata_chunk c = { .flags = STRATA_ENTRY_ZERO };
	uint64_t n = strata_chunk_count(size, 12);
	size_t len = (size_t)strata_index_size(n);
	uint8_t *buf = calloc(1, len);
	char rel[STRATA_STORE_FILE_MAX];
	FILE *f;

	if (!buf || strata_index_header_encode(buf, size, 12))
		abort();
	for (uint64_t i = 0; i < n; i++)
		strata_index_entry_encode(buf + 64 + i * 40, &c);
	strata_sha256(buf, len, out_id);
	if (id)
		memcpy(out_id, id, 32);
	strata_store_index_rel(rel, out_id);
	snprintf(path, 256, "%s/%s", dir, rel);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		abort();
	free(buf);
}

static void test_open_once(void)
{
	struct layer_cache c;
	const struct layer_entry *e, *e2;
	struct dirs d;
	uint8_t id[32];
	char path[256];

	make_dirs(&d);
	layer_cache_init(&c, d.a, d.b);
	put_index(d.b, 40000, NULL, id, path);
	CHECK_EQ(layer_cache_get(&c, id, &e), 0);
	CHECK(e && !strcmp(e->dir, d.b) && e->idx.chunk_count == strata_chunk_count(40000, 12));
	unlink(path);                     /* opened once: the file is not read again */
	CHECK_EQ(layer_cache_get(&c, id, &e2), 0);
	CHECK(e2 == e);
	layer_cache_free(&c);
	remove_dirs(&d);
}

static void test_first_folder_wins(void)
{
	struct layer_cache c;
	const struct layer_entry *e;
	struct dirs d;
	uint8_t id[32], id2[32];
	char path[256];

	make_dirs(&d);
	layer_cache_init(&c, d.a, d.b);
	put_index(d.a, 8192, NULL, id, path);
	put_index(d.b, 8192, NULL, id2, path);
	CHECK(memcmp(id, id2, 32) == 0);
	CHECK_EQ(layer_cache_get(&c, id, &e), 0);
	CHECK(e && !strcmp(e->dir, d.a));
	layer_cache_free(&c);
	remove_dirs(&d);
}

/* A private cache: a layer is found only in the folder asked, never by id alone or in
 * another machine's folder, even when both hold the same layer. */
static void test_private_folders(void)
{
	struct layer_cache c;
	const struct layer_entry *e = NULL, *e2 = NULL;
	struct dirs d;
	uint8_t id[32], id2[32];
	char path[256];

	make_dirs(&d);
	layer_cache_init(&c, NULL, NULL);
	put_index(d.a, 8192, NULL, id, path);
	CHECK_EQ(layer_cache_get(&c, id, &e), STRATA_ENOENT);
	CHECK_EQ(layer_cache_get_in(&c, d.b, id, &e), STRATA_ENOENT);
	CHECK_EQ(layer_cache_get_in(&c, d.a, id, &e), 0);
	CHECK(e && !strcmp(e->dir, d.a) && e->len > 0);
	CHECK_EQ(layer_cache_get_in(&c, d.b, id, &e2), STRATA_ENOENT);   /* cached for a only */
	put_index(d.b, 8192, NULL, id2, path);
	CHECK_EQ(layer_cache_get_in(&c, d.b, id2, &e2), 0);
	CHECK(e2 && e2 != e && !strcmp(e2->dir, d.b));
	CHECK_EQ(layer_cache_get_in(&c, d.a, id, &e2), 0);
	CHECK(e2 == e);
	layer_cache_free(&c);
	remove_dirs(&d);
}

static void test_refused(void)
{
	struct layer_cache c;
	const struct layer_entry *e = NULL;
	struct dirs d;
	uint8_t id[32], other[32] = { 1 };
	char path[256];

	make_dirs(&d);
	layer_cache_init(&c, d.a, NULL);
	CHECK_EQ(layer_cache_get(&c, other, &e), STRATA_ENOENT);
	put_index(d.a, 4096, other, id, path);      /* stored under a name it does not hash to */
	CHECK_EQ(layer_cache_get(&c, other, &e), STRATA_ECORRUPT);
	CHECK(e == NULL);
	layer_cache_free(&c);
	remove_dirs(&d);
}

int main(void)
{
	RUN(test_open_once);
	RUN(test_first_folder_wins);
	RUN(test_private_folders);
	RUN(test_refused);
	return harness_summary();
}
