/*
 * strata-image apply --manifest: a whole disk as strata.efi deploys it (efi/agent.c), by
 * the same core steps in the same order:
 *   1. plan the whole deployment against the disk (core/disk_fit.h): the GPT, and every
 *      layer it writes (its index read from the store) inside its partition's extent; a
 *      disk too small, or a layer over its partition's size, stops here, nothing written;
 *   2. check the disk's table against the plan (gpt.h: a preserved partition is never
 *      moved or overwritten; an unreadable table is replaced only when nothing is kept);
 *   3. write the table (gpt_file.h);
 *   4. apply each write partition's layer, and each restore partition's when the disk
 *      lacks it, into the partition's extent (apply.c).
 * Why a host copy of the agent's order: the same planning is tested on image files without
 * a VM (tests/integration/apply-size.sh), and an admin can deploy a disk on a bench.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "apply.h"
#include "cli.h"
#include "disk_fit.h"
#include "gpt_file.h"
#include "image_io.h"
#include "store.h"

/** The disk and its plan.  Large (the table): on the heap.  fd is owned. */
struct target {
	const char *path;
	int fd;
	uint64_t bytes;
	uint32_t bs;
	struct strata_manifest m;
	struct strata_gpt_table have;    /**< the disk's table; nparts 0 when it has none */
	int have_rc;                     /**< gpt_file_read's answer */
	struct strata_gpt_plan plan;
	struct strata_fit fit;
};

static int load_manifest(const char *path, struct strata_manifest *m)
{
	struct strata_diag diag = { 0 };
	uint8_t *buf;
	size_t len;
	int rc;

	if (read_file(path, STRATA_MANIFEST_MAX, &buf, &len))
		return STRATA_EREPORTED;
	rc = strata_manifest_parse(m, (const char *)buf, len, &diag);
	free(buf);
	if (rc)
		return errorf("%s:%llu: %s", path, (unsigned long long)diag.where, diag.msg);
	return 0;
}

/* Open the disk: its size, block size (512 for a file) and current table. */
static int open_disk(struct target *t)
{
	struct strata_diag diag = { 0 };
	struct stat st;
	int bs = 512;

	t->fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0)
		return errorf("%s: %s (apply --manifest deploys onto a disk or an image file that "
			      "exists)", t->path, strerror(errno));
	if (fstat(t->fd, &st) < 0 || fd_size(t->fd, t->path, &t->bytes))
		return errorf("%s: cannot tell its size", t->path);
	if (S_ISBLK(st.st_mode) && ioctl(t->fd, BLKSSZGET, &bs) < 0)
		return errorf("%s: cannot tell its block size: %s", t->path, strerror(errno));
	t->bs = (uint32_t)bs;
	t->have_rc = gpt_file_read(t->fd, t->path, t->bytes, t->bs, &t->have, &diag);
	if (t->have_rc == STRATA_EREPORTED)
		return t->have_rc;
	if (t->have_rc)
		t->have.nparts = 0;
	return 0;
}

/* The image size of every layer the deployment writes into bytes[i] (0: none). */
static int layer_sizes(struct target *t, struct store *s, int planned,
		       uint64_t bytes[STRATA_MAX_PARTS])
{
	struct store_reader *r;
	struct strata_index idx;
	uint8_t *buf;
	size_t len;
	int rc = store_reader_open(s, &r);

	for (unsigned int i = 0; !rc && i < t->m.nparts; i++) {
		if (!strata_fit_writes(&t->m, i, &t->have, planned ? &t->plan : NULL))
			continue;
		rc = store_get_layer(r, t->m.parts[i].layer, &buf, &len, &idx);
		if (rc == 0)
			bytes[i] = idx.image_size;
		if (rc == 0)
			free(buf);
	}
	store_reader_close(r);
	return rc;
}

/* Print strata_fit_message's lines (who: the manifest's machine, else the disk's path). */
static void print_misfit(const struct target *t)
{
	char text[4096], *line, *save = NULL;

	strata_fit_message(&t->fit, &t->m, t->m.machine[0] ? t->m.machine : t->path, "\n", text,
			   sizeof(text));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		errorf("%s", line);
	errorf("%s: nothing was written", t->path);
}

/* Step 1: the whole deployment against the disk (disk_fit.h). */
static int plan(struct target *t, struct apply_opts *o, struct store *s)
{
	uint64_t bytes[STRATA_MAX_PARTS] = { 0 };
	struct strata_diag diag = { 0 };
	int rc = strata_gpt_plan(&t->m, t->bytes, t->bs, &t->plan, &diag);

	if ((rc == 0 || rc == STRATA_ENOSPC) && layer_sizes(t, s, rc == 0, bytes))
		return STRATA_EREPORTED;
	rc = strata_disk_fit(&t->m, bytes, t->bytes, t->bs, &t->fit, &t->plan, &diag);
	if (rc && (t->fit.nfaults || t->fit.needs > t->fit.disk_bytes)) {
		print_misfit(t);
		return rc;
	}
	if (rc)
		errorf("%s: partition %llu: %s; nothing was written", o->manifest,
		       (unsigned long long)diag.where, diag.msg);
	return rc;
}

/* Step 2: the preserve rules against the disk's table (gpt.h). */
static int check_table(const struct target *t)
{
	struct strata_diag diag = { 0 };
	int keeps = 0;

	for (unsigned int i = 0; i < t->m.nparts; i++)
		keeps |= t->m.parts[i].policy != STRATA_POLICY_WRITE;
	if (t->have_rc && t->have_rc != STRATA_ENOENT && keeps)
		return errorf("%s: its partition table cannot be read, and the manifest keeps "
			      "data: nothing was written", t->path);
	if (!t->have_rc && strata_gpt_check_preserve(&t->have, &t->plan, &diag))
		return errorf("%s: partition %llu: %s; nothing was written", t->path,
			      (unsigned long long)diag.where, diag.msg);
	return 0;
}

static void add_stats(struct apply_stats *sum, const struct apply_stats *s)
{
	sum->chunks_total += s->chunks_total;
	sum->chunks_fetched += s->chunks_fetched;
	sum->chunks_reused += s->chunks_reused;
	sum->chunks_zero += s->chunks_zero;
	sum->chunks_free += s->chunks_free;
	sum->chunks_wiped += s->chunks_wiped;
	sum->chunks_failed += s->chunks_failed;
	sum->chunks_blind += s->chunks_blind;
	sum->chunks_left += s->chunks_left;
	sum->target_read += s->target_read;
	sum->target_written += s->target_written;
	sum->bytes_fetched += s->bytes_fetched;
	sum->image_size += s->image_size;
	sum->seconds += s->seconds;
}

/* Step 4: partition i's layer into its extent. */
static int apply_part(const struct target *t, const struct apply_opts *o, unsigned int i,
		      struct apply_stats *sum)
{
	const struct strata_part *p = &t->m.parts[i];
	const struct strata_gpt_part *g = &t->plan.parts[i];
	struct apply_opts lo = *o;
	struct apply_stats one = { 0 };
	char id[72];
	int rc;

	strata_layer_id_format(id, p->layer);
	lo.layer = id;
	lo.base = g->first_lba * t->bs;
	lo.extent = (g->last_lba - g->first_lba + 1) * t->bs;
	lo.wipe = o->wipe || p->wipe;
	fprintf(stderr, "%s: partition %u (%s): %s at byte %llu (%llu bytes)\n", t->path, p->num,
		p->label, id, (unsigned long long)lo.base, (unsigned long long)lo.extent);
	rc = apply_layer(&lo, &one);
	add_stats(sum, &one);
	return rc;
}

/* Steps 2 to 4, after a plan that fits. */
static int deploy(struct target *t, struct apply_opts *o, struct apply_stats *st)
{
	int rc = check_table(t);

	if (rc == 0)
		rc = gpt_file_write(t->fd, t->path, &t->plan);
	close(t->fd);
	t->fd = -1;
	for (unsigned int i = 0; !rc && i < t->m.nparts; i++) {
		const struct strata_part *p = &t->m.parts[i];

		if (strata_fit_writes(&t->m, i, &t->have, &t->plan))
			rc = apply_part(t, o, i, st);
		else
			fprintf(stderr, "%s: partition %u (%s): %s\n", t->path, p->num, p->label,
				p->policy == STRATA_POLICY_PRESERVE ? "preserved"
				: "present; not restored (left as it is)");
	}
	return rc;
}

int apply_manifest(struct apply_opts *o, struct apply_stats *st)
{
	struct target *t = calloc(1, sizeof(*t));
	struct store *s = NULL;
	int rc;

	if (!t)
		return errorf("out of memory");
	t->path = o->target;
	t->fd = -1;
	rc = load_manifest(o->manifest, &t->m);
	if (rc == 0)
		rc = store_open(o->store, 0, &s);
	if (rc)
		goto err_store;
	store_set_limits(s, &o->limits);
	rc = open_disk(t);
	if (rc == 0)
		rc = plan(t, o, s);
	store_close(s);
	if (rc == 0)
		rc = deploy(t, o, st);
err_store:
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return rc;
}
