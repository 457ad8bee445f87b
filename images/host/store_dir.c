/* The folder backend of a store (see store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host.h"
#include "store.h"

/** A folder store needs no per-thread state beyond the store. */
struct store_reader {
	struct store *store;
};

static int dir_open_rel(struct store_reader *r, const char *rel, const char **why)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", store_root(r->store), rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = errno == ENOENT ? "missing from the store" : "cannot open";
		return errno == ENOENT ? STRATA_ENOENT : STRATA_EIO;
	}
	return fd;
}

static int dir_read_exact(int fd, uint8_t *buf, size_t size, const char **why)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = pread(fd, buf + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = "read error";
			return STRATA_EIO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		*why = "file shrank while being read";
		return STRATA_ECORRUPT;
	}
	return 0;
}

static int dir_get_into(struct store_reader *r, const char *rel, uint8_t *buf, size_t size,
			const char **why)
{
	struct stat st;
	int fd = dir_open_rel(r, rel, why), rc;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
		*why = "chunk file has a different size than the index says";
		rc = STRATA_ECORRUPT;
	} else {
		rc = dir_read_exact(fd, buf, size, why);
	}
	close(fd);
	return rc;
}

static int dir_get_alloc(struct store_reader *r, const char *rel, size_t max, uint8_t **buf,
			 size_t *len, const char **why)
{
	struct stat st;
	int fd = dir_open_rel(r, rel, why), rc = STRATA_ENOMEM;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max) {
		*why = "too large";
		rc = STRATA_ERANGE;
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		*why = "out of memory";
		goto out;
	}
	*len = (size_t)st.st_size;
	rc = dir_read_exact(fd, *buf, *len, why);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
out:
	close(fd);
	return rc;
}

static int dir_reader_open(struct store *s, struct store_reader **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return errorf("out of memory");
	(*out)->store = s;
	return 0;
}

static void dir_reader_close(struct store_reader *r)
{
	free(r);
}

const struct store_backend store_dir_backend = {
	.get_alloc = dir_get_alloc,
	.get_into = dir_get_into,
	.reader_open = dir_reader_open,
	.reader_close = dir_reader_close,
};
