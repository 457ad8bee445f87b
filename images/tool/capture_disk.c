/*
 * `strata-image capture-disk --store URL --token TOKEN [--keep LABEL].. [--pubkey FILE]
 * [--force] DISK`: a gold capture of a whole disk (docs/capture.md, "From Linux").
 *
 * DISK (a block device or an image file holding a GPT, blocks of 512 or 4096 bytes) is
 * read with the core's GPT parser (gpt.h).  Each partition, in disk order, is either
 * captured (copied to a temporary file, built and uploaded under the task, and committed
 * under its GPT name as its label) or, for CIDATA and the labels given with --keep, kept
 * private: the layout names it policy=preserve with no layer.  The layout (an unsigned
 * manifest written by the core's writer, strata_layout_parse's rules) then ends the task
 * (POST /capture/done), and the order's profile is made of it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture_layout.h"
#include "cli.h"
#include "gpt_file.h"
#include "image_io.h"
#include "layer_fsmap.h"
#include "manifest.h"
#include "upload.h"

static const char capture_disk_help[] =
	"usage: strata-image capture-disk --store URL --token TOKEN [--keep LABEL]..\n"
	"                                 [--pubkey FILE] [--force] DISK\n\n"
	"A gold capture of DISK (a block device or a disk image with a GPT) under the capture\n"
	"task TOKEN names (POST /api/capture/NAME?as=PROFILE&prepared=yes) on strata-server\n"
	"at URL: every partition, labelled by its GPT name, is built, uploaded and committed,\n"
	"except CIDATA and each --keep LABEL (private: the profile preserves them); then the\n"
	"disk's layout ends the task and becomes the profile.\n"
	"  --pubkey FILE  check the server's key (STATE/server.key.pub)\n"
	"  --force        build volumes whose check fails (recorded with the commit)\n"
	"Exit status 0, 1 when a step failed, 2 for usage.\n";

#define KEEP_MAX 16

/** capture-disk's arguments. */
struct disk_args {
	const char *store, *token, *pubkey, *disk;
	const char *keep[KEEP_MAX];
	unsigned int nkeep;
	unsigned int flags;
};

/* One option of argv at *i into a.  0, or -1 (printed). */
static int disk_opt(int argc, char **argv, int *i, struct disk_args *a)
{
	const char *val = NULL;

	if (opt_value(argc, argv, i, "--store", &val))
		a->store = val;
	else if (opt_value(argc, argv, i, "--token", &val))
		a->token = val;
	else if (opt_value(argc, argv, i, "--pubkey", &val))
		a->pubkey = val;
	else if (opt_value(argc, argv, i, "--keep", &val)) {
		if (a->nkeep == KEEP_MAX)
			return errorf("capture-disk: at most %d --keep", KEEP_MAX);
		a->keep[a->nkeep++] = val;
	}
	else if (!strcmp(argv[*i], "--force"))
		return a->flags |= LAYER_BUILD_FORCE, 0;
	else if (argv[*i][0] != '-' && !a->disk)
		return a->disk = argv[*i], 0;
	else
		return errorf("capture-disk: unexpected argument '%s' (see --help)", argv[*i]);
	return val ? 0 : -1;
}

/* Returns 0, 1 for --help, or -1 (printed). */
static int disk_args(int argc, char **argv, struct disk_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (disk_opt(argc, argv, &i, a))
			return -1;
	}
	if (!a->store || !a->token || !a->disk)
		return errorf("capture-disk needs --store URL, --token TOKEN and DISK (see --help)");
	return 0;
}

/** The disk being captured. */
struct disk {
	int fd;
	const char *path;
	uint64_t size;
	struct strata_gpt_table *t;     /**< owned */
};

/* Read d's partition table, trying blocks of 512 then 4096 bytes.  0 or 1 (printed). */
static int read_table(struct disk *d)
{
	struct strata_diag diag = { 0 };

	if (fd_size(d->fd, d->path, &d->size) || !(d->t = malloc(sizeof(*d->t))))
		return 1;
	if (gpt_file_read(d->fd, d->path, d->size, 512, d->t, &diag) == 0 ||
	    gpt_file_read(d->fd, d->path, d->size, 4096, d->t, &diag) == 0)
		return 0;
	return errorf("%s: no valid primary GPT (%s at byte %llu): capture-disk reads a GPT disk",
		      d->path, diag.msg ? diag.msg : "unreadable", (unsigned long long)diag.where), 1;
}

/* Whether label is private: CIDATA or a --keep label. */
static int kept(const struct disk_args *a, const char *label)
{
	if (!strcmp(label, "CIDATA"))
		return 1;
	for (unsigned int i = 0; i < a->nkeep; i++)
		if (!strcmp(a->keep[i], label))
			return 1;
	return 0;
}

/* Copy partition p of d into the new file out, leaving holes for zero blocks.  0 or 1. */
static int extract(const struct disk *d, const struct strata_gpt_part *p, uint32_t bs,
		   const char *out)
{
	uint64_t off = p->first_lba * bs, len = (p->last_lba - p->first_lba + 1) * bs;
	size_t step = 1u << 20, n;
	uint8_t *buf = malloc(step);
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), rc = 0;

	if (!buf || fd < 0)
		rc = errorf("%s: cannot make a temporary file", out);
	for (uint64_t at = 0; rc == 0 && at < len; at += n) {
		n = len - at < step ? (size_t)(len - at) : step;
		if (pread_exact(d->fd, d->path, buf, n, off + at))
			rc = 1;
		else if ((buf[0] || memcmp(buf, buf + 1, n - 1)) &&
			 pwrite_exact(fd, out, buf, n, at))
			rc = 1;
	}
	if (rc == 0 && ftruncate(fd, (off_t)len) != 0)
		rc = errorf("%s: cannot size it", out);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* Capture partition p (label) of d: extract, build, upload, commit; its layer into id. */
static int capture_part(const struct disk_args *a, const char *base, const struct disk *d,
			const struct strata_gpt_part *p, const char *label, uint8_t id[32])
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/strata-part.%d.%u", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid(), p->num);
	rc = extract(d, p, d->t->hdr.block_size, path);
	if (rc == 0)
		rc = capture_part_upload(base, a->token, a->pubkey, label, path, a->flags |
					 LAYER_BUILD_FSMAP, id);
	unlink(path);
	return rc;
}

/* The disk's layout refused (strata_capture_layout's diag): printed naming the partition. */
static int layout_refused(const struct disk *d, const struct strata_diag *diag)
{
	if (diag->where)
		return errorf("%s: partition %llu: %s", d->path, (unsigned long long)diag->where,
			      diag->msg), 1;
	return errorf("%s: %s", d->path, diag->msg), 1;
}

/* d's layout into m, checked whole before any upload (strata_capture_layout), then every
 * partition captured or kept, in disk order.  0 or 1 (printed). */
static int capture_parts(const struct disk_args *a, const char *base, const struct disk *d,
			 struct strata_manifest *m)
{
	const struct strata_gpt_part *order[STRATA_MAX_PARTS];
	struct strata_diag diag = { 0 };

	if (strata_capture_layout(d->t, m, order, &diag))
		return layout_refused(d, &diag);
	for (unsigned int i = 0; i < m->nparts; i++) {
		struct strata_part *mp = &m->parts[i];

		if (kept(a, mp->label))
			continue;
		if (capture_part(a, base, d, order[i], mp->label, mp->layer))
			return 1;
		mp->has_layer = 1;
		mp->policy = STRATA_POLICY_WRITE;
	}
	return 0;
}

/* Write layout m, check it as the server will, and end the task with it.  0 or 1. */
static int send_layout(const struct disk_args *a, const char *base,
		       const struct strata_manifest *m)
{
	struct upload_job job = { .base = base, .token = a->token };
	struct strata_diag diag = { 0 };
	char *text = malloc(STRATA_MANIFEST_MAX + 1), answer[512];
	size_t len;
	int rc = text ? 0 : errorf("out of memory");

	if (rc == 0 && strata_capture_layout_write(m, text, STRATA_MANIFEST_MAX + 1, &len, &diag))
		rc = errorf("%s: its layout, line %llu: %s", a->disk,
			    (unsigned long long)diag.where, diag.msg);
	if (rc == 0)
		rc = upload_done(&job, text, len, answer, sizeof(answer));
	if (rc == 0)
		printf("%s", answer);
	free(text);
	return rc ? 1 : 0;
}

int cmd_capture_disk(int argc, char **argv)
{
	struct disk_args a = { 0 };
	struct disk d = { .fd = -1 };
	struct strata_manifest *m = calloc(1, sizeof(*m));
	char base[1024];
	int rc = m ? disk_args(argc, argv, &a) : errorf("out of memory");

	if (rc)
		return free(m), rc == 1 ? (fputs(capture_disk_help, stdout), 0) : 2;
	rc = capture_base_url(a.store, base, sizeof(base));
	if (rc)
		return free(m), rc;
	d.path = a.disk;
	d.fd = open(a.disk, O_RDONLY | O_CLOEXEC);
	if (d.fd < 0) {
		errorf("%s: cannot open it", a.disk);
		rc = 1;
	}
	if (rc == 0)
		rc = read_table(&d);
	if (rc == 0)
		rc = capture_parts(&a, base, &d, m);
	if (rc == 0)
		rc = send_layout(&a, base, m);
	if (d.fd >= 0)
		close(d.fd);
	free(d.t);
	free(m);
	return rc;
}
