/*
 * For unit tests that run on filesystem images: a fuzz seed (tests/fuzz/fs_seed.h's
 * compact format) expanded into a whole partition in memory.  Test code only: it aborts
 * on a missing file or no memory, which ends the test with a clear message.
 */
#ifndef STRATA_FS_SEED_LOAD_H
#define STRATA_FS_SEED_LOAD_H

#include <stdio.h>
#include <stdlib.h>
#include "../fuzz/fs_seed.h"

/* Seed ROOT/<dir>/<name> (root NULL: tests/fuzz/corpus) expanded into a new buffer (the
 * caller frees it) of its partition size, into *size. */
static inline uint8_t *fs_seed_load(const char *root, const char *dir, const char *name,
				    uint64_t *size)
{
	static uint8_t file[1 << 20];
	struct fs_seed im;
	char path[512];
	uint8_t *b;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", root ? root : "tests/fuzz/corpus", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open (run from the repository root)\n", path);
		abort();
	}
	n = fread(file, 1, sizeof(file), f);
	fclose(f);
	fs_seed_parse(&im, file, n);
	*size = im.size;
	if (!(b = malloc(im.size)))
		abort();
	fs_seed_read(&im, 0, b, im.size);
	return b;
}

#endif /* STRATA_FS_SEED_LOAD_H */
