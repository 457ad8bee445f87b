/* Positional I/O on images and targets (see image_io.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "host.h"
#include "image_io.h"

int pread_exact(int fd, const char *path, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errorf("%s: read at byte %llu: %s", path,
				      (unsigned long long)(off + got), strerror(errno));
		if (n == 0)
			return errorf("%s: ends early, at byte %llu", path,
				      (unsigned long long)(off + got));
		got += (size_t)n;
	}
	return 0;
}

int pwrite_exact(int fd, const char *path, const void *buf, size_t len, uint64_t off)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = pwrite(fd, (const uint8_t *)buf + put, len - put, (off_t)(off + put));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errorf("%s: write at byte %llu: %s", path,
				      (unsigned long long)(off + put),
				      n < 0 ? strerror(errno) : "no progress");
		put += (size_t)n;
	}
	return 0;
}

int fd_size(int fd, const char *path, uint64_t *size)
{
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0)
		return errorf("%s: cannot find its size: %s", path, strerror(errno));
	*size = (uint64_t)end;
	return 0;
}
