/*
 * Unit test of the TFTP server's socket-free parts: the packet parser on the requests
 * real clients send and on malformed ones, the path resolver on a temporary root with
 * symlinks in and out of it, and the event loop's timers and readers.
 *
 * Why here and not only in tests/server/tftp.sh: these are the cases real clients rarely
 * send (duplicate options, names of exactly 255 bytes, symlinks out of the root), checked
 * without a socket or a daemon, under the sanitizers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "loop.h"
#include "tftp_parse.h"
#include "tftp_path.h"

/* Packets are written as C string literals; sizeof - 1 drops the literal's own NUL. */
#define PKT(lit) ((const uint8_t *)(lit)), (sizeof(lit) - 1)

static int parse(const uint8_t *p, size_t n, struct tftp_request *r)
{
	const char *why = NULL;
	int rc = tftp_parse_request(p, n, r, &why);

	if (rc < 0 && !why)
		return -9999; /* every failure must say why */
	return rc;
}

static void test_real_clients(void)
{
	struct tftp_request r;

	/* OVMF's size probe, then its real request (network-boot.md). */
	CHECK(parse(PKT("\0\1snponly.efi\0octet\0tsize\0" "0\0blksize\0" "1468\0windowsize\0" "4\0"),
		    &r) == 0);
	CHECK(r.opcode == TFTP_RRQ && r.filename_len == 11 && !strcmp(r.filename, "snponly.efi"));
	CHECK(r.opts == (TFTP_OPT_TSIZE | TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOWSIZE));
	CHECK(r.blksize == 1468 && r.windowsize == 4 && r.tsize == 0 && !r.netascii);
	/* iPXE: blksize 1432 tsize 0, no windowsize. */
	CHECK(parse(PKT("\0\1/boot.ipxe\0octet\0blksize\0" "1432\0tsize\0" "0\0"), &r) == 0);
	CHECK(r.opts == (TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE) && r.blksize == 1432);
	/* atftp with --option "blksize 1468" --option "windowsize 4" and the timeout option. */
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "1468\0windowsize\0" "4\0timeout\0" "5\0"), &r) == 0);
	CHECK(r.timeout == 5 && (r.opts & TFTP_OPT_TIMEOUT));
	/* tftp-hpa without options, and a write request. */
	CHECK(parse(PKT("\0\1f\0octet\0"), &r) == 0 && r.opts == 0 && r.ignored == 0);
	CHECK(parse(PKT("\0\2f\0octet\0"), &r) == 0 && r.opcode == TFTP_WRQ);
}

static void test_case_and_modes(void)
{
	struct tftp_request r;

	CHECK(parse(PKT("\0\1f\0OcTeT\0BLKSIZE\0" "1024\0TSize\0" "0\0"), &r) == 0);
	CHECK(r.blksize == 1024 && (r.opts & TFTP_OPT_TSIZE));
	CHECK(parse(PKT("\0\1f\0NetAscii\0"), &r) == 0 && r.netascii);
	CHECK(parse(PKT("\0\1f\0mail\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0octets\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0octe\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0\0"), &r) == -EINVAL);
}

static void test_option_values(void)
{
	struct tftp_request r;

	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "4\0"), &r) == 0);
	CHECK(!(r.opts & TFTP_OPT_BLKSIZE) && r.ignored == 1);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "8\0"), &r) == 0 && r.blksize == 8);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "65464\0"), &r) == 0 && r.blksize == 65464);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "70000\0"), &r) == 0 && r.blksize == 65464);
	CHECK(parse(PKT("\0\1f\0octet\0timeout\0" "0\0"), &r) == 0 && r.opts == 0);
	CHECK(parse(PKT("\0\1f\0octet\0timeout\0" "256\0"), &r) == 0 && r.opts == 0);
	CHECK(parse(PKT("\0\1f\0octet\0timeout\0" "255\0"), &r) == 0 && r.timeout == 255);
	CHECK(parse(PKT("\0\1f\0octet\0windowsize\0" "0\0"), &r) == 0 && r.opts == 0);
	CHECK(parse(PKT("\0\1f\0octet\0windowsize\0" "99999\0"), &r) == 0 && r.windowsize == 65535);
	CHECK(parse(PKT("\0\1f\0octet\0tsize\0" "18446744073709551615\0"), &r) == 0);
	CHECK(r.tsize == UINT64_MAX);
	CHECK(parse(PKT("\0\1f\0octet\0tsize\0" "18446744073709551616\0"), &r) == -ENOPROTOOPT);
	CHECK(parse(PKT("\0\1f\0octet\0tsize\0" "000000000000000000001\0"), &r) == -ENOPROTOOPT);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "12a\0"), &r) == -ENOPROTOOPT);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "-1\0"), &r) == -ENOPROTOOPT);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0\0"), &r) == -ENOPROTOOPT);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "512\0BlkSize\0" "512\0"), &r) == -ENOPROTOOPT);
	/* A duplicate is a duplicate even when the first value was ignored. */
	CHECK(parse(PKT("\0\1f\0octet\0timeout\0" "0\0timeout\0" "5\0"), &r) == -ENOPROTOOPT);
	/* Unknown options are ignored, duplicated or not, with any value. */
	CHECK(parse(PKT("\0\1f\0octet\0multicast\0\0x\0y\0x\0z\0"), &r) == 0 && r.ignored == 3);
}

/* Whether the noted option is name=value. */
static int noted_is(const struct tftp_request *r, const char *name, const char *value)
{
	const struct tftp_opt_text *o = &r->noted;

	return o->name && o->name_len == strlen(name) && !memcmp(o->name, name, o->name_len) &&
	       o->value_len == strlen(value) && !memcmp(o->value, value, o->value_len);
}

/* What a refusal or a transfer's log line names: the filename and the option noted. */
static void test_noted_for_the_log(void)
{
	struct tftp_request r;

	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "1468\0"), &r) == 0 && !r.noted.name);
	CHECK(parse(PKT("\0\1f\0octet\0x\0" "1\0timeout\0" "0\0y\0\0"), &r) == 0);
	CHECK(noted_is(&r, "x", "1") && r.ignored == 3);
	CHECK(parse(PKT("\0\1f\0octet\0timeout\0" "300\0"), &r) == 0);
	CHECK(noted_is(&r, "timeout", "300"));
	/* A refused option is noted over an ignored one, and the filename is kept. */
	CHECK(parse(PKT("\0\1boot\0octet\0x\0" "1\0tsize\0\033[2J\0"), &r) == -ENOPROTOOPT);
	CHECK(noted_is(&r, "tsize", "\033[2J") && r.filename_len == 4 && !strcmp(r.filename, "boot"));
	CHECK(parse(PKT("\0\1f\0octet\0tsize\0" "0\0TSIZE\0" "1\0"), &r) == -ENOPROTOOPT);
	CHECK(noted_is(&r, "TSIZE", "1"));
	/* Failures before the filename leave nothing to name. */
	CHECK(parse(PKT("\0\3f\0octet\0"), &r) == -EINVAL && !r.filename && !r.noted.name);
	CHECK(parse(PKT("\0\1\0octet\0"), &r) == -EINVAL && !r.filename);
}

static void test_malformed(void)
{
	uint8_t big[TFTP_REQ_MAX + 1], name[300];
	struct tftp_request r;
	size_t n;

	CHECK(parse(PKT(""), &r) == -EINVAL);
	CHECK(parse(PKT("\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\3f\0octet\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\0f\0octet\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\1\1f\0octet\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1file"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1file\0octet"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1\0octet\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0octet\0blksize"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0octet\0blksize\0" "512"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0octet\0\0"), &r) == -EINVAL);
	CHECK(parse(PKT("\0\1f\0octet\0garbage"), &r) == -EINVAL);
	memset(big, 'a', sizeof(big));
	big[0] = 0, big[1] = 1;
	CHECK(parse(big, sizeof(big), &r) == -EMSGSIZE);
	/* 255-byte name fits, 256 does not. */
	memset(name, 'n', sizeof(name));
	name[0] = 0, name[1] = 1;
	memcpy(name + 2 + 255, "\0octet", 7);
	n = 2 + 255 + 7;
	CHECK(parse(name, n, &r) == 0 && r.filename_len == 255);
	name[2 + 255] = 'n';
	memcpy(name + 2 + 256, "\0octet", 7);
	CHECK(parse(name, n + 1, &r) == -ENAMETOOLONG);
}

static void test_ack_error(void)
{
	struct tftp_error_pkt e;
	uint16_t b = 0;

	CHECK(tftp_parse_ack(PKT("\0\4\xff\xff"), &b, NULL) == 0 && b == 65535);
	CHECK(tftp_parse_ack(PKT("\0\4\0\0"), &b, NULL) == 0 && b == 0);
	CHECK(tftp_parse_ack(PKT("\0\4\0"), &b, NULL) == -EINVAL);
	CHECK(tftp_parse_ack(PKT("\0\4\0\0\0"), &b, NULL) == -EINVAL);
	CHECK(tftp_parse_ack(PKT("\0\3\0\1"), &b, NULL) == -EINVAL);
	CHECK(tftp_parse_error(PKT("\0\5\0\10User aborted the transfer\0"), &e, NULL) == 0);
	CHECK(e.code == 8 && e.msg_len == 25 && !strcmp(e.msg, "User aborted the transfer"));
	CHECK(tftp_parse_error(PKT("\0\5\0\1\0"), &e, NULL) == 0 && e.msg_len == 0);
	CHECK(tftp_parse_error(PKT("\0\5\0\1"), &e, NULL) == -EINVAL);
	CHECK(tftp_parse_error(PKT("\0\5\0\1oops"), &e, NULL) == -EINVAL);
	CHECK(tftp_parse_error(PKT("\0\5\0\1oops\0x"), &e, NULL) == -EINVAL);
	CHECK(tftp_parse_error(PKT("\0\4\0\1oops\0"), &e, NULL) == -EINVAL);
	CHECK(tftp_opcode(PKT("\0")) == -EINVAL);
	CHECK(tftp_opcode((const uint8_t *)"\xff\xff", 2) == 65535);
}

static int norm(const char *in, size_t len, const char *want)
{
	char out[TFTP_PATH_BUF];
	const char *why = NULL;
	int rc = tftp_path_normalize(in, len, out, sizeof(out), &why);

	if (rc < 0)
		return rc;
	return strcmp(out, want) == 0 ? 0 : -9999;
}

#define NORM(lit, want) norm(lit, sizeof(lit) - 1, want)

static void test_normalize(void)
{
	char long_name[300];

	CHECK(NORM("a", "a") == 0);
	CHECK(NORM("/a/b", "a/b") == 0);
	CHECK(NORM("//a///b/", "a/b") == 0);
	CHECK(NORM("./a/./b", "a/b") == 0);
	CHECK(NORM("\\boot\\x64\\wdsmgfw.efi", "boot/x64/wdsmgfw.efi") == 0);
	CHECK(NORM("...", "...") == 0);
	CHECK(NORM("..a/b..", "..a/b..") == 0);
	CHECK(NORM("..", "") == -EACCES);
	CHECK(NORM("../etc/passwd", "") == -EACCES);
	CHECK(NORM("/../../etc/passwd", "") == -EACCES);
	CHECK(NORM("a/../b", "") == -EACCES);
	CHECK(NORM("a/..", "") == -EACCES);
	CHECK(NORM("..\\..\\etc\\passwd", "") == -EACCES);
	CHECK(NORM("a\\..\\..\\b", "") == -EACCES);
	CHECK(NORM("/", "") == -EINVAL);
	CHECK(NORM("./.", "") == -EINVAL);
	CHECK(NORM("a\0b", "") == -EINVAL);
	memset(long_name, 'x', sizeof(long_name));
	CHECK(norm(long_name, 255, "") == -9999); /* accepted, just not equal to "" */
	CHECK(norm(long_name, 256, "") == -ENAMETOOLONG);
}

/* A temporary root: files, a directory, symlinks in and out, a FIFO. */
static char base[64], root[96];

static void make_root(void)
{
	char p[160];
	int fd;

	strcpy(base, "/tmp/test_tftp.XXXXXX");
	if (!mkdtemp(base))
		abort();
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(p, sizeof(p), "%s/outside", base);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	close(fd);
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/d", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/f", root);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	CHECK(write(fd, "hello", 5) == 5);
	close(fd);
	snprintf(p, sizeof(p), "%s/d/g", root);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	close(fd);
#define LINK(target, name)                                     \
	do {                                                   \
		snprintf(p, sizeof(p), "%s/" name, root);      \
		CHECK(symlink(target, p) == 0);                \
	} while (0)
	LINK("f", "link_in");
	LINK("/etc/passwd", "link_abs");
	LINK("../outside", "link_up");
	LINK("../../outside", "d/link_up2");
	LINK("d", "dirlink");
	LINK("/etc", "etclink");
	snprintf(p, sizeof(p), "%s/fifo", root);
	CHECK(mkfifo(p, 0644) == 0);
}

static void remove_root(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	CHECK(system(cmd) == 0);
}

typedef int open_fn(int, const char *, size_t, int *, uint64_t *, const char **);

static int try_open(open_fn *fn, int root_fd, const char *name, uint64_t *size)
{
	const char *why = NULL;
	uint64_t sz = 0;
	int fd = -1, rc = fn(root_fd, name, strlen(name), &fd, &sz, &why);

	if (rc == 0) {
		close(fd);
		if (size)
			*size = sz;
	} else if (!why) {
		return -9999;
	}
	return rc;
}

static void test_open(void)
{
	int r, rc;
	uint64_t size = 0;

	make_root();
	r = open(root, O_RDONLY | O_DIRECTORY);
	CHECK(r >= 0);
	/* openat2: symlinks inside the root work, ones leading out fail. */
	CHECK(try_open(tftp_path_open, r, "f", &size) == 0 && size == 5);
	CHECK(try_open(tftp_path_open, r, "/d/g", NULL) == 0);
	CHECK(try_open(tftp_path_open, r, "\\d\\g", NULL) == 0);
	CHECK(try_open(tftp_path_open, r, "link_in", NULL) == 0);
	CHECK(try_open(tftp_path_open, r, "dirlink/g", NULL) == 0);
	CHECK(try_open(tftp_path_open, r, "link_abs", NULL) == -EXDEV);
	CHECK(try_open(tftp_path_open, r, "link_up", NULL) == -EXDEV);
	CHECK(try_open(tftp_path_open, r, "d/link_up2", NULL) == -EXDEV);
	CHECK(try_open(tftp_path_open, r, "etclink/passwd", NULL) == -EXDEV);
	CHECK(try_open(tftp_path_open, r, "../outside", NULL) == -EACCES);
	CHECK(try_open(tftp_path_open, r, "fifo", NULL) == -EACCES);
	CHECK(try_open(tftp_path_open, r, "d", NULL) == -EACCES);
	CHECK(try_open(tftp_path_open, r, "missing", NULL) == -ENOENT);
	CHECK(try_open(tftp_path_open, r, "d/missing", NULL) == -ENOENT);
	CHECK(try_open(tftp_path_open, r, "f/x", NULL) == -ENOTDIR);
	/* The O_NOFOLLOW walk refuses every symlink. */
	CHECK(try_open(tftp_path_open_nofollow, r, "f", &size) == 0 && size == 5);
	CHECK(try_open(tftp_path_open_nofollow, r, "/d/g", NULL) == 0);
	CHECK(try_open(tftp_path_open_nofollow, r, "link_in", NULL) == -ELOOP);
	CHECK(try_open(tftp_path_open_nofollow, r, "link_abs", NULL) == -ELOOP);
	CHECK(try_open(tftp_path_open_nofollow, r, "d/link_up2", NULL) == -ELOOP);
	rc = try_open(tftp_path_open_nofollow, r, "etclink/passwd", NULL);
	CHECK(rc == -ENOTDIR || rc == -ELOOP);
	CHECK(try_open(tftp_path_open_nofollow, r, "dirlink/g", NULL) < 0);
	CHECK(try_open(tftp_path_open_nofollow, r, "fifo", NULL) == -EACCES);
	CHECK(try_open(tftp_path_open_nofollow, r, "d", NULL) == -EACCES);
	CHECK(try_open(tftp_path_open_nofollow, r, "d/missing", NULL) == -ENOENT);
	close(r);
	remove_root();
}

/* --- loop ---------------------------------------------------------------------------- */

static int fired[8], nfired;

static void on_timer(struct loop *loop, struct loop_timer *t)
{
	fired[nfired++] = (int)(intptr_t)t->ctx;
}

static void on_rearm(struct loop *loop, struct loop_timer *t)
{
	fired[nfired++] = (int)(intptr_t)t->ctx;
	if (nfired < 3)
		loop_timer_arm(loop, t, 0);
}

static int reads;

static void on_read(struct loop *loop, int fd, void *ctx)
{
	char c;

	reads += read(fd, &c, 1) == 1;
	loop_del_reader(loop, fd);
}

static void test_loop(void)
{
	struct loop_timer a, b, c, d;
	struct loop *loop;
	int p[2], i;

	CHECK(loop_new(&loop) == 0);
	loop_timer_init(&a, on_timer, (void *)1);
	loop_timer_init(&b, on_timer, (void *)2);
	loop_timer_init(&c, on_timer, (void *)3);
	CHECK(loop_timer_arm(loop, &a, 30) == 0);
	CHECK(loop_timer_arm(loop, &b, 10) == 0);
	CHECK(loop_timer_arm(loop, &c, 20) == 0);
	CHECK(loop_timer_arm(loop, &a, 25) == 0); /* re-arm moves it */
	loop_timer_disarm(loop, &c);
	CHECK(!loop_timer_armed(&c) && loop_timer_armed(&a));
	for (i = 0; i < 50 && nfired < 2; i++)
		CHECK(loop_run_once(loop, 100) == 0);
	CHECK(nfired == 2 && fired[0] == 2 && fired[1] == 1);
	/* A callback re-arming with delay 0 does not spin one round forever. */
	nfired = 0;
	loop_timer_init(&d, on_rearm, (void *)4);
	CHECK(loop_timer_arm(loop, &d, 0) == 0);
	CHECK(loop_run_once(loop, 0) == 0 && nfired == 1);
	for (i = 0; i < 10 && nfired < 3; i++)
		CHECK(loop_run_once(loop, 10) == 0);
	CHECK(nfired == 3 && !loop_timer_armed(&d));
	/* Readers: called once, may remove themselves. */
	CHECK(pipe(p) == 0);
	CHECK(loop_add_reader(loop, p[0], on_read, NULL) == 0);
	CHECK(loop_add_reader(loop, p[0], on_read, NULL) == -EEXIST);
	CHECK(write(p[1], "xy", 2) == 2);
	CHECK(loop_run_once(loop, 100) == 0 && loop_run_once(loop, 10) == 0 && reads == 1);
	close(p[0]);
	close(p[1]);
	loop_free(loop);
}

int main(void)
{
	RUN(test_real_clients);
	RUN(test_case_and_modes);
	RUN(test_option_values);
	RUN(test_noted_for_the_log);
	RUN(test_malformed);
	RUN(test_ack_error);
	RUN(test_normalize);
	RUN(test_open);
	RUN(test_loop);
	return harness_summary();
}
