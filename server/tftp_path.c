/*
 * Resolve TFTP filenames under the root (rules in tftp_path.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tftp_path.h"
#include "tftp_wire.h"

/* Flags for the final open: read-only, never a controlling tty, never block on a FIFO. */
#define FILE_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/*
 * Set once openat2 turned out to be unavailable, so later requests go straight to the
 * walk instead of paying a failing syscall each time.
 */
static bool openat2_missing;

static bool is_sep(char c)
{
	return c == '/' || c == '\\';
}

/* Copy one component to out at *o, with a '/' before all but the first. */
static void append_component(char *out, size_t *o, const char *comp, size_t n)
{
	if (*o)
		out[(*o)++] = '/';
	memcpy(out + *o, comp, n);
	*o += n;
}

int tftp_path_normalize(const char *name, size_t len, char *out, size_t outsz,
			const char **why)
{
	size_t i = 0, o = 0, start;

	if (outsz < TFTP_PATH_BUF)
		return tftp_fail(why, -EINVAL, "path buffer too small");
	if (len > TFTP_FILENAME_MAX)
		return tftp_fail(why, -ENAMETOOLONG, "filename longer than 255 bytes");
	if (memchr(name, 0, len))
		return tftp_fail(why, -EINVAL, "NUL byte inside the filename");
	while (i < len) {
		if (is_sep(name[i])) {
			i++;
			continue;
		}
		for (start = i; i < len && !is_sep(name[i]); i++)
			;
		if (i - start == 1 && name[start] == '.')
			continue;
		if (i - start == 2 && name[start] == '.' && name[start + 1] == '.')
			return tftp_fail(why, -EACCES, "\"..\" in the filename");
		append_component(out, &o, name + start, i - start);
	}
	if (o == 0)
		return tftp_fail(why, -EINVAL, "filename names the root, not a file");
	out[o] = 0;
	return 0;
}

/* Turn an open/openat2 errno into a rc and a reason a reader of the log can act on. */
static int open_failure(int err, const char **why)
{
	switch (err) {
	case ENOENT:
		return tftp_fail(why, -ENOENT, "file not found");
	case EXDEV:
		return tftp_fail(why, -EXDEV, "path leads outside the root (symlink)");
	case ELOOP:
		return tftp_fail(why, -ELOOP, "symlink refused");
	case ENOTDIR:
		return tftp_fail(why, -ENOTDIR, "a directory in the path is a file or symlink");
	case EACCES:
	case EPERM:
		return tftp_fail(why, -EACCES, "permission denied by the file system");
	case ENAMETOOLONG:
		return tftp_fail(why, -ENAMETOOLONG, "path component too long");
	default:
		return tftp_fail(why, -err, "cannot open the file");
	}
}

/*
 * Let the kernel resolve rel beneath root_fd.  Returns -ENOSYS (and remembers it) when
 * openat2 is unavailable; seccomp filters of older container runtimes answer EPERM.
 */
static int open_beneath(int root_fd, const char *rel, int *fd, const char **why)
{
	struct open_how how = {
		.flags = FILE_FLAGS,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long r;

	if (openat2_missing)
		return -ENOSYS;
	r = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
	if (r >= 0) {
		*fd = (int)r;
		return 0;
	}
	if (errno == ENOSYS || errno == EPERM) {
		openat2_missing = true;
		return -ENOSYS;
	}
	return open_failure(errno, why);
}

/*
 * Open rel one component at a time, each with O_NOFOLLOW, so no symlink is ever followed.
 * rel is the caller's normalized copy; it is cut at each '/' and restored.
 */
static int open_walk(int root_fd, char *rel, int *fd, const char **why)
{
	int dir = root_fd, next;
	char *comp = rel, *slash;

	while ((slash = strchr(comp, '/'))) {
		*slash = 0;
		next = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		*slash = '/';
		if (next < 0)
			goto err_open;
		if (dir != root_fd)
			close(dir);
		dir = next;
		comp = slash + 1;
	}
	next = openat(dir, comp, FILE_FLAGS | O_NOFOLLOW);
	if (next < 0)
		goto err_open;
	if (dir != root_fd)
		close(dir);
	*fd = next;
	return 0;

err_open:
	next = open_failure(errno, why);
	if (dir != root_fd)
		close(dir);
	return next;
}

/* Serve regular files only: a directory, device or FIFO under the root is refused. */
static int check_regular(int fd, uint64_t *size, const char **why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return tftp_fail(why, -errno, "fstat of the opened file failed");
	if (!S_ISREG(st.st_mode))
		return tftp_fail(why, -EACCES, "not a regular file");
	*size = (uint64_t)st.st_size;
	return 0;
}

static int path_open(int root_fd, const char *name, size_t len, bool walk_only, int *fd_out,
		     uint64_t *size, const char **why)
{
	char rel[TFTP_PATH_BUF];
	int fd = -1, rc;

	rc = tftp_path_normalize(name, len, rel, sizeof(rel), why);
	if (rc < 0)
		return rc;
	rc = walk_only ? -ENOSYS : open_beneath(root_fd, rel, &fd, why);
	if (rc == -ENOSYS)
		rc = open_walk(root_fd, rel, &fd, why);
	if (rc < 0)
		return rc;
	rc = check_regular(fd, size, why);
	if (rc < 0)
		goto err_close;
	*fd_out = fd;
	return 0;

err_close:
	close(fd);
	return rc;
}

int tftp_path_open(int root_fd, const char *name, size_t len, int *fd_out, uint64_t *size,
		   const char **why)
{
	return path_open(root_fd, name, len, false, fd_out, size, why);
}

int tftp_path_open_nofollow(int root_fd, const char *name, size_t len, int *fd_out,
			    uint64_t *size, const char **why)
{
	return path_open(root_fd, name, len, true, fd_out, size, why);
}
