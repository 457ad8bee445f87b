/*
 * libFuzzer target for the TFTP server's untrusted-input code: the request, ACK and ERROR
 * parsers (server/tftp_parse.c) and the path resolver (server/tftp_path.c).
 *
 * Beyond "no crash", it checks the properties the server relies on:
 *  - a parsed request's strings lie inside the input and end at their NUL, and every
 *    option value is inside its RFC range; so do the filename and the option a refused
 *    request keeps for its log line;
 *  - a normalized path is non-empty, relative, without "..", "\" or "//";
 *  - whatever name the parser lets through, tftp_path_open (openat2 and the O_NOFOLLOW
 *    walk) only ever opens one of the regular files of a temporary root built at start,
 *    never the file beside the root that symlinks in the root point at.
 *
 * Run: build/fuzz/fuzz_tftp -max_total_time=60 -artifact_prefix=/tmp/ \
 *        tests/fuzz/corpus/tftp
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tftp_parse.h"
#include "tftp_path.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];
static int root_fd = -1;
/* Inodes of the regular files inside the root: the only ones that may ever open. */
static ino_t allowed[2];

static const char *const root_files[] = { "root/f", "root/d/g" };
static const char *const root_links[][2] = {
	{ "f", "root/in" },              /* inside: fine with openat2 */
	{ "../outside", "root/up" },     /* one level out */
	{ "/etc/passwd", "root/abs" },   /* absolute */
	{ "../../outside", "root/d/up" },
	{ "..", "root/d/parent" },       /* a directory link back to the root's parent */
};

static void path_at(char *p, size_t n, const char *rel)
{
	snprintf(p, n, "%s/%s", base, rel);
}

static void cleanup(void)
{
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(root_links) / sizeof(root_links[0]); i++) {
		path_at(p, sizeof(p), root_links[i][1]);
		unlink(p);
	}
	for (i = 0; i < 2; i++) {
		path_at(p, sizeof(p), root_files[i]);
		unlink(p);
	}
	path_at(p, sizeof(p), "outside");
	unlink(p);
	path_at(p, sizeof(p), "root/d");
	rmdir(p);
	path_at(p, sizeof(p), "root");
	rmdir(p);
	rmdir(base);
}

/* Build base/{outside, root/f, root/d/g, symlinks}; abort on any failure. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[160];
	struct stat st;
	size_t i;
	int fd;

	strcpy(base, "/tmp/fuzz_tftp.XXXXXX");
	if (!mkdtemp(base))
		abort();
	atexit(cleanup);
	path_at(p, sizeof(p), "root");
	mkdir(p, 0755);
	path_at(p, sizeof(p), "root/d");
	mkdir(p, 0755);
	path_at(p, sizeof(p), "outside");
	if ((fd = open(p, O_CREAT | O_WRONLY, 0644)) < 0)
		abort();
	close(fd);
	for (i = 0; i < 2; i++) {
		path_at(p, sizeof(p), root_files[i]);
		if ((fd = open(p, O_CREAT | O_WRONLY, 0644)) < 0 || fstat(fd, &st) < 0)
			abort();
		allowed[i] = st.st_ino;
		close(fd);
	}
	for (i = 0; i < sizeof(root_links) / sizeof(root_links[0]); i++) {
		path_at(p, sizeof(p), root_links[i][1]);
		if (symlink(root_links[i][0], p) < 0)
			abort();
	}
	path_at(p, sizeof(p), "root");
	root_fd = open(p, O_RDONLY | O_DIRECTORY);
	if (root_fd < 0)
		abort();
	return 0;
}

/* A borrowed string must lie inside the input and end at its NUL there. */
static void check_inside(const uint8_t *data, size_t size, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;

	if (p < data || p + len >= data + size || p[len] != 0 || strlen(s) != len)
		__builtin_trap();
}

/* The option noted for the log, if any, is one of the packet's name/value pairs. */
static void check_noted(const uint8_t *data, size_t size, const struct tftp_request *r)
{
	const struct tftp_opt_text *o = &r->noted;

	if (!o->name)
		return;
	check_inside(data, size, o->name, o->name_len);
	check_inside(data, size, o->value, o->value_len);
	if (o->name_len == 0 || o->value != o->name + o->name_len + 1)
		__builtin_trap();
}

static void check_request(const uint8_t *data, size_t size, const struct tftp_request *r)
{
	check_inside(data, size, r->filename, r->filename_len);
	check_noted(data, size, r);
	if (r->filename_len < 1 || r->filename_len > TFTP_FILENAME_MAX)
		__builtin_trap();
	if ((r->opts & TFTP_OPT_BLKSIZE) && (r->blksize < 8 || r->blksize > 65464))
		__builtin_trap();
	if ((r->opts & TFTP_OPT_TIMEOUT) && (r->timeout < 1 || r->timeout > 255))
		__builtin_trap();
	if ((r->opts & TFTP_OPT_WINDOWSIZE) && (r->windowsize < 1 || r->windowsize > 65535))
		__builtin_trap();
}

static void check_normalized(const char *name, size_t len)
{
	char out[TFTP_PATH_BUF];
	size_t n;

	if (tftp_path_normalize(name, len, out, sizeof(out), NULL) < 0)
		return;
	n = strlen(out);
	if (n == 0 || n > len || out[0] == '/' || out[n - 1] == '/' || strchr(out, '\\') ||
	    strstr(out, "//") || !strcmp(out, "..") || !strncmp(out, "../", 3) ||
	    strstr(out, "/../") || (n >= 3 && !strcmp(out + n - 3, "/..")))
		__builtin_trap();
}

/* Any file opened must be one of the root's own regular files. */
static void check_open(const char *name, size_t len)
{
	int (*const fns[])(int, const char *, size_t, int *, uint64_t *, const char **) = {
		tftp_path_open, tftp_path_open_nofollow,
	};
	struct stat st;
	uint64_t sz;
	size_t i;
	int fd;

	for (i = 0; i < 2; i++) {
		if (fns[i](root_fd, name, len, &fd, &sz, NULL) < 0)
			continue;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (st.st_ino != allowed[0] && st.st_ino != allowed[1]))
			__builtin_trap();
		close(fd);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request req;
	struct tftp_error_pkt err;
	uint16_t block;
	int rc;

	rc = tftp_parse_request(data, size, &req, NULL);
	if (rc == 0) {
		check_request(data, size, &req);
		check_normalized(req.filename, req.filename_len);
		check_open(req.filename, req.filename_len);
	} else {
		/* A refusal is logged with what was parsed: it must be as sound. */
		if (req.filename)
			check_inside(data, size, req.filename, req.filename_len);
		check_noted(data, size, &req);
	}
	if (tftp_parse_ack(data, size, &block, NULL) == 0 && size != 4)
		__builtin_trap();
	if (tftp_parse_error(data, size, &err, NULL) == 0 &&
	    (err.msg_len + 5 != size || err.msg[err.msg_len] != 0))
		__builtin_trap();
	/* The raw bytes as a name too, so the resolver sees names no parser shaped. */
	if (size > 2 && size - 2 <= TFTP_FILENAME_MAX) {
		check_normalized((const char *)data + 2, size - 2);
		check_open((const char *)data + 2, size - 2);
	}
	return 0;
}
