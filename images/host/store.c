/* Store naming, integrity checks and the local write path (see store.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "host.h"
#include "crypto.h"
#include "store.h"
#include "store_path.h"
#include "text.h"

/** An open store. */
struct store {
	char *spec;                         /**< as given, for messages (owned) */
	char *root;                         /**< folder or URL without trailing '/' (owned) */
	const struct store_backend *be;
	struct store_limits limits;
	int local;
};

/** The part every reader starts with, so generic code can find its store. */
struct store_reader {
	struct store *store;
};

const char *store_name(const struct store *s)
{
	return s->spec;
}

const char *store_root(const struct store *s)
{
	return s->root;
}

void store_set_limits(struct store *s, const struct store_limits *l)
{
	s->limits = *l;
}

const struct store_limits *store_get_limits(const struct store *s)
{
	return &s->limits;
}

/* A '%' must start an escape of two hex digits, and none may decode to a NUL. */
static const char *url_escape_why(const char *p)
{
	if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
		return "a '%' not followed by two hex digits";
	if (p[1] == '0' && p[2] == '0')
		return "%00, which a server decodes to a NUL that cuts the path";
	return NULL;
}

/* Why spec cannot be a store URL, or NULL when it can. */
static const char *url_why(const char *spec)
{
	const char *why;

	for (const char *p = spec; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return "a byte that is not printable ASCII";
		if (*p == '%' && (why = url_escape_why(p)))
			return why;
	}
	return NULL;
}

static int check_url(const char *spec)
{
	char shown[STRATA_ESCAPE_SIZE(200)];
	const char *why = url_why(spec);

	if (!why)
		return 0;
	strata_escape(shown, sizeof(shown), spec, strlen(spec));
	return errorf("store URL '%s' holds %s: refused", shown, why);
}

void store_index_rel(char *out, const uint8_t id[32])
{
	strata_store_index_rel(out, id);
}

void store_chunk_rel(char *out, const uint8_t digest[32])
{
	strata_store_chunk_rel(out, digest);
}

/* Make the folder name just made under parent (a descriptor; st its status) like its
 * parent: the parent's mode (less the sticky bit, which would keep the folder's owner
 * from removing files others made in it), and, made by root, the parent's owner and
 * group; changed through a descriptor opened without following a link.  0 or -1 with
 * errno. */
static int like_parent(int parent, const char *name, const struct stat *st)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -1;
	if (geteuid() == 0 && (st->st_uid != 0 || st->st_gid != 0))
		rc = fchown(fd, st->st_uid, st->st_gid);
	if (rc == 0)
		rc = fchmod(fd, st->st_mode & 02777);
	close(fd);
	return rc;
}

/* The folder name under parent, made like its parent when missing (like_parent), opened
 * without following a link.  The descriptor, or -1 with errno. */
static int sub_dir(int parent, const char *name)
{
	struct stat st;

	if (mkdirat(parent, name, 0755) == 0) {
		if (fstat(parent, &st) < 0 || like_parent(parent, name, &st) < 0)
			return -1;
	} else if (errno != EEXIST) {
		return -1;
	}
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Open the folder rel inside the store at root ("layers", "chunks" or "chunks/XX"),
 * walking from root one folder at a time without following a link, and making each missing
 * one like the folder it is made in.  The store's own folder is opened as any path is: it
 * follows the store, not whatever holds it.  Why:
 * - a store handed to strata-server's --user, or opened to it by mode (docs/capture.md,
 *   "Who writes the public store"), stays writable by that user when `strata-image build
 *   --store` runs as root beside it, so a gold upload into a fan-out folder made since
 *   does not fail with EACCES;
 * - a folder that user owns cannot be swapped for a link that sends root's writes
 *   elsewhere on the host.
 * The caller owns the descriptor returned; -1 with errno on failure.
 */
static int store_dir(const char *root, const char *rel)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next, err;
	char name[256];

	while (fd >= 0 && *rel) {
		size_t n = strcspn(rel, "/");

		snprintf(name, sizeof(name), "%.*s", (int)n, rel);
		next = sub_dir(fd, name);
		err = errno;
		close(fd);
		errno = err;
		fd = next;
		rel += n + (rel[n] == '/');
	}
	return fd;
}

static int make_dirs(const char *root)
{
	static const char *const sub[] = { STRATA_STORE_LAYERS, STRATA_STORE_CHUNKS };
	int fd;

	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return errorf("%s: cannot create store folder: %s", root, strerror(errno));
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if ((fd = store_dir(root, sub[i])) < 0)
			return errorf("%s/%s: %s", root, sub[i], strerror(errno));
		close(fd);
	}
	return 0;
}

/* Write the store file rel (a chunk's or an index's path in the store) through store_dir
 * and write_file_atomic_at.  Borrows buf. */
static int store_write(struct store *s, const char *rel, const void *buf, size_t len,
		       int durable)
{
	char dir[STRATA_STORE_FILE_MAX], path[4096];
	const char *slash = strrchr(rel, '/');
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", s->root, rel);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
	if ((fd = store_dir(s->root, dir)) < 0 && (errno == ENOTDIR || errno == ELOOP))
		return errorf("%s/%s: not a folder (a link or a file): nothing is written "
			      "through it; remove it, and the next write makes the folder",
			      s->root, dir);
	if (fd < 0)
		return errorf("%s/%s: %s", s->root, dir, strerror(errno));
	rc = write_file_atomic_at(fd, slash + 1, path, buf, len, 0644, durable);
	close(fd);
	return rc;
}

int store_open(const char *spec, int create, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	size_t n = strlen(spec);

	if (!s)
		return errorf("out of memory");
	s->limits = (struct store_limits){ STORE_LOW_SPEED_LIMIT, STORE_LOW_SPEED_TIME };
	s->local = strncmp(spec, "http://", 7) != 0 && strncmp(spec, "https://", 8) != 0;
	if (!s->local && check_url(spec)) {
		free(s);
		return STRATA_EREPORTED;
	}
	s->be = s->local ? &store_dir_backend : &store_http_backend;
	while (n > 1 && spec[n - 1] == '/')
		n--;
	s->spec = strdup(spec);
	s->root = strndup(spec, n);
	if (!s->spec || !s->root) {
		store_close(s);
		return errorf("out of memory");
	}
	if (create && !s->local) {
		store_close(s);
		return errorf("%s: only a local folder store can be written", spec);
	}
	if (create && make_dirs(s->root)) {
		store_close(s);
		return STRATA_EREPORTED;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	free(s->spec);
	free(s->root);
	free(s);
}

int store_reader_open(struct store *s, struct store_reader **out)
{
	return s->be->reader_open(s, out);
}

void store_reader_close(struct store_reader *r)
{
	if (r)
		r->store->be->reader_close(r);
}

int store_get_layer(struct store_reader *r, const uint8_t id[32], uint8_t **buf, size_t *len,
		    struct strata_index *idx)
{
	struct strata_diag diag = { 0 };
	struct store *s = r->store;
	char rel[STRATA_STORE_FILE_MAX];
	const char *why = NULL;
	int rc;

	strata_store_index_rel(rel, id);
	rc = s->be->get_alloc(r, rel, (size_t)1 << 32, buf, len, &why);
	if (rc) {
		errorf("%s/%s: cannot read layer index: %s", s->root, rel, why);
		return rc;
	}
	rc = strata_layer_open(idx, id, *buf, *len, &diag);
	if (rc == STRATA_ECORRUPT)
		errorf("%s/%s: %s (corrupt store)", s->root, rel, diag.msg);
	else if (rc)
		errorf("%s/%s: byte %llu: %s", s->root, rel, (unsigned long long)diag.where,
		       diag.msg);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int store_get_chunk(struct store_reader *r, const uint8_t digest[32], uint8_t *buf,
		    size_t size, const char **why)
{
	char rel[96];

	store_chunk_rel(rel, digest);
	return r->store->be->get_into(r, rel, buf, size, why);
}

int store_get_stream(struct store_reader *r, const char *rel, strata_sink_fn *fn,
		     void *fn_ctx, const char **why)
{
	if (!r->store->be->get_stream) {
		*why = "the store serves only files";
		return STRATA_ENOTSUP;
	}
	return r->store->be->get_stream(r, rel, fn, fn_ctx, why);
}

int store_chunk_size(struct store *s, const uint8_t digest[32], uint64_t *size)
{
	char path[4096], rel[96];
	struct stat st;

	store_chunk_rel(rel, digest);
	snprintf(path, sizeof(path), "%s/%s", s->root, rel);
	if (stat(path, &st) < 0)
		return STRATA_ENOENT;
	*size = (uint64_t)st.st_size;
	return 0;
}

int store_put_chunk(struct store *s, const uint8_t digest[32], const void *buf, size_t len)
{
	char rel[STRATA_STORE_FILE_MAX];

	strata_store_chunk_rel(rel, digest);
	return store_write(s, rel, buf, len, 0);
}

int store_put_index(struct store *s, const void *buf, size_t len, uint8_t id[32])
{
	char rel[STRATA_STORE_FILE_MAX];
	int fd;

	/* Chunk files were written without fsync: make them durable before the index that
	 * names them is published. */
	fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0) {
		if (fd >= 0)
			close(fd);
		return errorf("%s: syncfs: %s", s->root, strerror(errno));
	}
	close(fd);
	strata_sha256(buf, len, id);
	store_index_rel(rel, id);
	return store_write(s, rel, buf, len, 1);
}

int store_each_layer(struct store *s, int (*fn)(void *ctx, const uint8_t id[32]), void *ctx)
{
	char path[4096];
	struct strata_store_ref ref;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/" STRATA_STORE_LAYERS, s->root);
	d = opendir(path);
	if (!d)
		return errorf("%s: cannot list layers: %s", path, strerror(errno));
	while (rc == 0 && (e = readdir(d))) {
		snprintf(path, sizeof(path), STRATA_STORE_LAYERS "/%s", e->d_name);
		if (strata_store_rel_parse(&ref, path, strlen(path)) == 0 &&
		    ref.kind == STRATA_STORE_INDEX)
			rc = fn(ctx, ref.digest);
	}
	closedir(d);
	return rc;
}
