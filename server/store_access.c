/* The public store's folders the server writes into, checked at start (see store_access.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_access.h"
#include "store_path.h"

/** One walk over a store's folders: whose they must be, and what it found. */
struct walk {
	const char *store;      /**< the store folder, borrowed */
	const char *user;       /**< the server's user, for the log; borrowed */
	uid_t uid;              /**< that user, when handing over */
	gid_t gid;              /**< its group */
	int hand;               /**< 1: hand each folder over (root); 0: only count */
	unsigned int found;     /**< folders the user could not write */
	unsigned int handed;    /**< of which handed over */
	char first[64];         /**< the first found, relative to the store ("" itself) */
	struct stat first_st;   /**< its owner and mode as found */
	char failed[64];        /**< the first that could not be handed over */
	int failed_errno;       /**< why */
};

/* Whether a folder as st says lets uid (primary group gid and no other: the server drops
 * its supplementary groups) create and remove entries.  The first class that matches
 * decides, as the kernel does; ACLs are not read, root may write anything. */
static int writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
	mode_t need = S_IWUSR | S_IXUSR;

	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		return (st->st_mode & need) == need;
	if (st->st_gid == gid)
		return (st->st_mode & (need >> 3)) == (need >> 3);
	return (st->st_mode & (need >> 6)) == (need >> 6);
}

/* Give folder fd (rel in the store, as st found it) to the walk's user, with u+rwx, so
 * it may also list it (a collection does).  1 done, 0 not (the first such noted in w, for
 * one log line: a read-only store would fail for every folder). */
static int hand(struct walk *w, int fd, const struct stat *st, const char *rel)
{
	mode_t mode = st->st_mode & 07777;

	if (fchown(fd, w->uid, (gid_t)-1) == 0 &&
	    ((mode & S_IRWXU) == S_IRWXU || fchmod(fd, mode | S_IRWXU) == 0))
		return 1;
	if (!w->failed_errno) {
		w->failed_errno = errno ? errno : EPERM;
		snprintf(w->failed, sizeof(w->failed), "%s", rel);
	}
	return 0;
}

/* Note folder rel (open as fd; name in the folder parent) when the user cannot write it,
 * and hand it over when the walk does. */
static void visit(struct walk *w, int parent, const char *name, int fd, const char *rel)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (w->hand ? writable_by(&st, w->uid, w->gid)
		    : faccessat(parent, name, W_OK | X_OK, AT_EACCESS) == 0)
		return;
	if (w->found++ == 0) {
		snprintf(w->first, sizeof(w->first), "%s", rel);
		w->first_st = st;
	}
	if (w->hand)
		w->handed += (unsigned int)hand(w, fd, &st, rel);
}

/* Folder name under parent, opened without following a link; -1 when it is none. */
static int open_sub(int parent, const char *name)
{
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Whether name is a fan-out folder's: two lowercase hex digits (store_path.h). */
static int fanout_name(const char *name)
{
	static const char hex[] = "0123456789abcdef";

	return name[0] && strchr(hex, name[0]) && name[1] && strchr(hex, name[1]) && !name[2];
}

/* Visit the fan-out folders of chunks/ (fd, which this closes). */
static void visit_fanout(struct walk *w, int fd)
{
	char rel[16];
	struct dirent *e;
	DIR *d = fdopendir(fd);
	int sub;

	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (!fanout_name(e->d_name) || (sub = open_sub(dirfd(d), e->d_name)) < 0)
			continue;
		snprintf(rel, sizeof(rel), STRATA_STORE_CHUNKS "/%.2s", e->d_name);
		visit(w, dirfd(d), e->d_name, sub, rel);
		close(sub);
	}
	closedir(d);
}

/* Visit every folder of w's store.  One that cannot be opened is not visited: the server
 * checked at open that it can read the store. */
static void walk(struct walk *w)
{
	int root = open(w->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (root < 0)
		return;
	visit(w, AT_FDCWD, w->store, root, "");
	fd = open_sub(root, STRATA_STORE_LAYERS);
	if (fd >= 0) {
		visit(w, root, STRATA_STORE_LAYERS, fd, STRATA_STORE_LAYERS);
		close(fd);
	}
	fd = open_sub(root, STRATA_STORE_CHUNKS);
	if (fd >= 0) {
		visit(w, root, STRATA_STORE_CHUNKS, fd, STRATA_STORE_CHUNKS);
		visit_fanout(w, fd);
	}
	close(root);
}

int store_access_hand(const char *store, uid_t uid, gid_t gid, const char *user)
{
	struct walk w = { .store = store, .user = user, .uid = uid, .gid = gid, .hand = 1 };

	walk(&w);
	if (w.handed)
		fprintf(stderr, "strata-server: %s: handed %u of its folders to %s (owner, u+rwx), "
			"who could not write them and must for a gold capture's uploads and a "
			"collection; the first: %s%s%s (was uid %u, mode %04o)\n", store, w.handed,
			user, store, w.first[0] ? "/" : "", w.first, (unsigned int)w.first_st.st_uid,
			(unsigned int)(w.first_st.st_mode & 07777));
	if (w.found > w.handed)
		fprintf(stderr, "strata-server: %s: cannot hand %u of its folders to %s (the first: "
			"%s%s%s: %s): a gold capture's upload or a collection there fails until "
			"they are: chown -R %s: %s\n", store, w.found - w.handed, user, store,
			w.failed[0] ? "/" : "", w.failed, strerror(w.failed_errno), user, store);
	return (int)w.handed;
}

int store_access_check(const char *store)
{
	struct passwd *pw = getpwuid(geteuid());
	struct walk w = { .store = store, .user = pw ? pw->pw_name : "this user" };

	walk(&w);
	if (w.found)
		fprintf(stderr, "strata-server: %s: %u of its folders are not writable by %s, the "
			"server's user (the first: %s%s%s, uid %u, mode %04o): a gold capture's "
			"upload or a collection there fails (500); as root: chown -R %s: %s\n",
			store, w.found, w.user, store, w.first[0] ? "/" : "", w.first,
			(unsigned int)w.first_st.st_uid, (unsigned int)(w.first_st.st_mode & 07777),
			w.user, store);
	return (int)w.found;
}
