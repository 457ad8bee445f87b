/* Machines' private stores (see private_store.h). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host.h"
#include "private_store.h"
#include "rc.h"

int private_store_dir(char *out, size_t cap, const char *root, const uint8_t mac[6])
{
	int n = snprintf(out, cap, "%s/%02x%02x%02x%02x%02x%02x", root, mac[0], mac[1], mac[2],
			 mac[3], mac[4], mac[5]);

	return n < 0 || (size_t)n >= cap ? STRATA_ERANGE : 0;
}

int private_store_open(const char *root, const uint8_t mac[6], struct store **out)
{
	char dir[PRIVATE_DIR_MAX];

	if (private_store_dir(dir, sizeof(dir), root, mac))
		return errorf("%s: path too long for a private store", root);
	return store_open(dir, 1, out) ? STRATA_EREPORTED : 0;
}

/* nftw's callback: remove each entry, the folder's contents before the folder. */
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0)
		return errorf("%s: cannot remove it: %s", path, strerror(errno));
	return 0;
}

/* Remove the tree at dir; a missing one is fine. */
static int remove_tree(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) ? STRATA_EREPORTED : 0;
}

int private_store_remove(const char *root, const uint8_t mac[6])
{
	char dir[PRIVATE_DIR_MAX];

	if (private_store_dir(dir, sizeof(dir), root, mac))
		return 0;
	return remove_tree(dir);
}

int private_store_prepare(const char *root, const char *old_dir, const char *public)
{
	struct stat st, pub;

	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return errorf("%s: cannot create the private stores' folder: %s", root,
			      strerror(errno));
	if (chmod(root, 0700) < 0)
		return errorf("%s: %s", root, strerror(errno));
	if (lstat(old_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (stat(public, &pub) == 0 && pub.st_dev == st.st_dev && pub.st_ino == st.st_ino)
		return 0;
	fprintf(stderr, "strata-server: removing %s: machine layers an older server kept there "
		"are rebuilt in %s/MAC/\n", old_dir, root);
	return remove_tree(old_dir);
}
