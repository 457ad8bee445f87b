/* Errors, files and clocks shared by the Linux programs (see host.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "host.h"

const char *host_prog = "strata";

int errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", host_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return STRATA_EREPORTED;
}

static int read_all(int fd, const char *path, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errorf("%s: read: %s", path, strerror(errno));
		if (n == 0)
			return errorf("%s: file shrank while being read", path);
		got += (size_t)n;
	}
	return 0;
}

int text_lines(const char *text, size_t len, text_line_fn *line, void *ctx,
	       struct strata_diag *diag)
{
	const char *p = text, *end = text + len, *nl;
	uint64_t no = 0;
	int rc = 0;

	while (rc == 0 && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		no++;
		rc = memchr(p, '\0', (size_t)(nl - p)) ?
			     strata_fail(diag, STRATA_EINVAL, "NUL byte in the file", no) :
			     line(ctx, p, nl, no, diag);
		p = nl + (nl < end);
	}
	return rc;
}

int read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *b;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errorf("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = errorf("%s: not a regular file", path);
		goto err_stat;
	}
	if ((uint64_t)st.st_size > max) {
		rc = errorf("%s: larger than %zu bytes", path, max);
		goto err_stat;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		rc = errorf("%s: out of memory", path);
		goto err_stat;
	}
	rc = read_all(fd, path, b, (size_t)st.st_size);
	if (rc)
		goto err_read;
	b[st.st_size] = '\0';
	*buf = b;
	*len = (size_t)st.st_size;
	close(fd);
	return 0;
err_read:
	free(b);
err_stat:
	close(fd);
	return rc;
}

static int write_all(int fd, const char *path, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errorf("%s: write: %s", path, strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic_at(int dir, const char *name, const char *shown, const void *buf,
			 size_t len, int mode, int durable)
{
	static atomic_ulong seq;
	char tmp[4096];
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d.%lu", name, getpid(),
			     atomic_fetch_add(&seq, 1)) >= sizeof(tmp))
		return errorf("%s: path too long", shown);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return errorf("%s: %s", shown, strerror(errno));
	rc = write_all(fd, shown, buf, len);
	if (rc)
		goto err_write;
	if (durable && fsync(fd) < 0) {
		rc = errorf("%s: fsync: %s", shown, strerror(errno));
		goto err_write;
	}
	close(fd);
	if (renameat(dir, tmp, dir, name) < 0) {
		rc = errorf("%s: rename: %s", shown, strerror(errno));
		unlinkat(dir, tmp, 0);
		return rc;
	}
	return 0;
err_write:
	close(fd);
	unlinkat(dir, tmp, 0);
	return rc;
}

int write_file_atomic(const char *path, const void *buf, size_t len, int mode, int durable)
{
	return write_file_atomic_at(AT_FDCWD, path, path, buf, len, mode, durable);
}

int dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd) < 0)
		rc = errorf("%s: cannot sync the folder: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

unsigned int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
