/*
 * gpt_tool: drive images/core/gpt.c on a disk image file, for tests/integration/gpt.sh.
 *
 * Why: the GPT strata.efi writes must satisfy the real partitioning tools (sgdisk, fdisk),
 * and the tables those tools write must be read the way strata.efi reads them.  This tool
 * does on a file exactly what the agent does on a disk, through the same core calls, so
 * the script can put sgdisk on either side:
 *
 *   write   plan a manifest's GPT for the image and write it (protective MBR, primary
 *           array and header, backup array and header, in the order gpt.h prescribes);
 *   read    read the image's table (primary, else backup) and print it;
 *   check   read the table, plan a manifest over it and print the agent's decisions:
 *           refused (preserve rules), or per partition write/create/keep/restore.
 *
 * Host test code: uses libc freely.  Exit status 0 on success, 1 on a refusal or error
 * (the core's diag printed to stderr as "IMAGE: where W: message (rc)"), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gpt.h"
#include "manifest.h"
#include "text.h"

static void usage(FILE *f)
{
	fputs("usage: gpt_tool write [--block-size N] MANIFEST IMAGE SIZE\n"
	      "       gpt_tool read  [--block-size N] [--backup] IMAGE\n"
	      "       gpt_tool check [--block-size N] MANIFEST IMAGE\n\n"
	      "  write   plan MANIFEST's partition table for a disk of SIZE bytes (suffix\n"
	      "          K/M/G/T) and write it into IMAGE (created, or resized to SIZE; blocks\n"
	      "          outside the GPT are left as they are)\n"
	      "  read    print IMAGE's GPT as strata.efi reads it: the primary header, or the\n"
	      "          backup when the primary is not valid (--backup: the backup only)\n"
	      "  check   read IMAGE's GPT, plan MANIFEST over it and print what strata.efi would\n"
	      "          do, or why it refuses (exit 1)\n\n"
	      "  --block-size N   logical block size of the image: 512 (default) .. 4096\n"
	      "MANIFEST is manifest text (it need not be signed).\n", f);
}

/** The image, opened, and its geometry. */
struct img {
	const char *path;
	int fd;
	uint32_t bs;
	uint64_t blocks;
};

static int die_diag(const char *what, int rc, const struct strata_diag *d)
{
	fprintf(stderr, "%s: where %llu: %s (%s)\n", what, (unsigned long long)d->where,
		d->msg ? d->msg : "?", strata_strerror(rc));
	return 1;
}

static int io(int write, const struct img *im, uint64_t lba, void *buf, size_t len)
{
	off_t off = (off_t)(lba * im->bs);
	ssize_t n = write ? pwrite(im->fd, buf, len, off) : pread(im->fd, buf, len, off);

	if (n != (ssize_t)len) {
		fprintf(stderr, "%s: %s at block %llu: %s\n", im->path, write ? "write" : "read",
			(unsigned long long)lba, n < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

static int load_manifest(const char *path, struct strata_manifest *m)
{
	static char text[STRATA_MANIFEST_MAX + 1];
	struct strata_diag d;
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (n > STRATA_MANIFEST_MAX) {
		fprintf(stderr, "%s: larger than %d bytes\n", path, STRATA_MANIFEST_MAX);
		return -1;
	}
	rc = strata_manifest_parse(m, text, n, &d);
	if (rc) {
		fprintf(stderr, "%s:%llu: %s (%s)\n", path, (unsigned long long)d.where, d.msg,
			strata_strerror(rc));
		return -1;
	}
	return 0;
}

static int open_img(struct img *im, const char *path, uint32_t bs, int create)
{
	struct stat st;

	im->path = path;
	im->bs = bs;
	im->fd = open(path, create ? O_RDWR | O_CREAT : O_RDONLY, 0644);
	if (im->fd < 0 || fstat(im->fd, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	im->blocks = (uint64_t)st.st_size / bs;
	return 0;
}

/* Read one copy of the table, header at lba; rc as strata_gpt_parse. */
static int read_copy(const struct img *im, uint64_t lba, struct strata_gpt_table *t,
		     struct strata_diag *d)
{
	uint8_t *hdr = malloc(im->bs), *arr = NULL;
	struct strata_gpt_hdr h;
	size_t len;
	int rc = STRATA_EIO;

	if (!hdr || io(0, im, lba, hdr, im->bs))
		goto out;
	rc = strata_gpt_header_parse(hdr, im->bs, im->blocks, lba, &h, d);
	if (rc)
		goto out;
	len = (size_t)h.array_blocks * im->bs;
	arr = malloc(len);
	rc = STRATA_EIO;
	if (!arr || io(0, im, h.array_lba, arr, len))
		goto out;
	rc = strata_gpt_entries_parse(&h, arr, len, t, d);
out:
	free(arr);
	free(hdr);
	return rc;
}

/*
 * The agent's read: the primary, else the backup.  Returns 0 with the table, 1 when the
 * disk has no GPT at all (both copies lack the signature: t is empty), -1 when a GPT is
 * there but neither copy is valid.
 */
static int read_table(const struct img *im, int backup_only, struct strata_gpt_table *t)
{
	struct strata_diag d;
	int rc1 = STRATA_ENOENT, rc2;

	memset(t, 0, sizeof(*t));
	if (im->blocks < 5) {
		fprintf(stderr, "%s: too small for a GPT\n", im->path);
		return -1;
	}
	if (!backup_only) {
		rc1 = read_copy(im, 1, t, &d);
		if (rc1 == 0)
			return 0;
		fprintf(stderr, "%s: primary GPT: where %llu: %s (%s)\n", im->path,
			(unsigned long long)d.where, d.msg ? d.msg : "?", strata_strerror(rc1));
	}
	rc2 = read_copy(im, im->blocks - 1, t, &d);
	if (rc2 == 0) {
		if (!backup_only)
			fprintf(stderr, "%s: using the backup GPT\n", im->path);
		return 0;
	}
	fprintf(stderr, "%s: backup GPT: where %llu: %s (%s)\n", im->path,
		(unsigned long long)d.where, d.msg ? d.msg : "?", strata_strerror(rc2));
	memset(t, 0, sizeof(*t));
	return rc1 == STRATA_ENOENT && rc2 == STRATA_ENOENT ? 1 : -1;
}

static void print_table(const struct strata_gpt_table *t)
{
	char g1[37], g2[37], name[STRATA_GPT_NAME_UNITS + 1];

	strata_guid_format(g1, t->hdr.disk_guid);
	printf("header lba=%llu alternate=%llu disk-guid=%s first-usable=%llu last-usable=%llu "
	       "array-lba=%llu entries=%u\n",
	       (unsigned long long)t->hdr.my_lba, (unsigned long long)t->hdr.alternate_lba, g1,
	       (unsigned long long)t->hdr.first_usable, (unsigned long long)t->hdr.last_usable,
	       (unsigned long long)t->hdr.array_lba, t->hdr.entry_count);
	for (unsigned int i = 0; i < t->nparts; i++) {
		const struct strata_gpt_part *p = &t->parts[i];

		strata_guid_format(g1, p->type_guid);
		strata_guid_format(g2, p->part_guid);
		strata_gpt_name_ascii(name, p->name);
		printf("part %u first=%llu last=%llu type=%s guid=%s attrs=0x%llx name=%s\n",
		       p->num, (unsigned long long)p->first_lba, (unsigned long long)p->last_lba,
		       g1, g2, (unsigned long long)p->attributes, name);
	}
}

static int cmd_write(struct img *im, const char *manifest, const char *size_s)
{
	struct strata_manifest m;
	struct strata_gpt_plan plan;
	struct strata_diag d;
	uint8_t *arr = malloc(STRATA_GPT_ARRAY_BYTES), *h1 = malloc(im->bs);
	uint8_t *h2 = malloc(im->bs), *b0 = calloc(1, im->bs);
	uint64_t size;
	int rc, ret = 1;

	if (!arr || !h1 || !h2 || !b0)
		goto out;
	if (strata_size_parse(&size, size_s, strlen(size_s))) {
		fprintf(stderr, "bad size '%s'\n", size_s);
		ret = 2;
		goto out;
	}
	if (load_manifest(manifest, &m))
		goto out;
	rc = strata_gpt_plan(&m, size, im->bs, &plan, &d);
	if (rc) {
		ret = die_diag(manifest, rc, &d);
		goto out;
	}
	rc = strata_gpt_encode(&plan, plan.disk_guid, arr, h1, h2, im->bs);
	if (rc) {
		fprintf(stderr, "encode failed (%s)\n", strata_strerror(rc));
		goto out;
	}
	strata_gpt_protective_mbr(b0, plan.disk_blocks);
	if (ftruncate(im->fd, (off_t)size) != 0) {
		fprintf(stderr, "%s: %s\n", im->path, strerror(errno));
		goto out;
	}
	/* gpt.h's order: each array before the header whose CRC covers it. */
	if (io(1, im, 2, arr, STRATA_GPT_ARRAY_BYTES) || io(1, im, 1, h1, im->bs) ||
	    io(1, im, plan.backup_array_lba, arr, STRATA_GPT_ARRAY_BYTES) ||
	    io(1, im, plan.backup_lba, h2, im->bs) || io(1, im, 0, b0, im->bs))
		goto out;
	printf("wrote GPT: %u partitions, %llu blocks of %u bytes, usable %llu..%llu\n",
	       plan.nparts, (unsigned long long)plan.disk_blocks, im->bs,
	       (unsigned long long)plan.first_usable, (unsigned long long)plan.last_usable);
	ret = 0;
out:
	free(arr);
	free(h1);
	free(h2);
	free(b0);
	return ret;
}

/* What the agent does with partition p of the plan, given the disk's table. */
static const char *decision(const struct strata_gpt_table *have, const struct strata_gpt_part *p)
{
	int exists = strata_gpt_part_exists(have, p);

	switch (p->policy) {
	case STRATA_POLICY_WRITE:
		return "write";
	case STRATA_POLICY_PRESERVE:
		return exists ? "keep" : "create-empty";
	case STRATA_POLICY_RESTORE:
		return exists ? "verify" : "restore";
	}
	return "?";
}

static int cmd_check(struct img *im, const char *manifest)
{
	static struct strata_gpt_table have;
	struct strata_manifest m;
	struct strata_gpt_plan plan;
	struct strata_diag d;
	int rc, got;

	if (load_manifest(manifest, &m))
		return 1;
	got = read_table(im, 0, &have);
	rc = strata_gpt_plan(&m, im->blocks * im->bs, im->bs, &plan, &d);
	if (rc)
		return die_diag(manifest, rc, &d);
	if (got < 0) {
		for (unsigned int i = 0; i < plan.nparts; i++)
			if (plan.parts[i].policy != STRATA_POLICY_WRITE) {
				printf("refused: the disk has a GPT that is not valid, and partition %u "
				       "must be preserved or restored\n", plan.parts[i].num);
				return 1;
			}
	}
	printf("disk: %s\n", got == 0 ? "gpt" : got == 1 ? "no gpt" : "invalid gpt (overwritten)");
	rc = strata_gpt_check_preserve(&have, &plan, &d);
	if (rc) {
		printf("refused: partition %llu: %s\n", (unsigned long long)d.where, d.msg);
		return 1;
	}
	for (unsigned int i = 0; i < plan.nparts; i++)
		printf("part %u %s first=%llu last=%llu\n", plan.parts[i].num,
		       decision(&have, &plan.parts[i]),
		       (unsigned long long)plan.parts[i].first_lba,
		       (unsigned long long)plan.parts[i].last_lba);
	return 0;
}

int main(int argc, char **argv)
{
	static struct strata_gpt_table t;
	struct img im = { .fd = -1 };
	uint32_t bs = 512;
	int backup = 0, i = 2, ret, nargs;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--block-size") && i + 1 < argc) {
			bs = (uint32_t)strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--backup")) {
			backup = 1;
		} else {
			usage(stderr);
			return 2;
		}
	}
	nargs = argc - i;
	if (bs < STRATA_GPT_BLOCK_MIN || bs > STRATA_GPT_BLOCK_MAX || (bs & (bs - 1))) {
		fprintf(stderr, "block size must be a power of two from 512 to 4096\n");
		return 2;
	}
	if (!strcmp(cmd, "write") && nargs == 3) {
		if (open_img(&im, argv[i + 1], bs, 1))
			return 1;
		ret = cmd_write(&im, argv[i], argv[i + 2]);
	} else if (!strcmp(cmd, "read") && nargs == 1) {
		if (open_img(&im, argv[i], bs, 0))
			return 1;
		ret = read_table(&im, backup, &t);
		if (ret == 0)
			print_table(&t);
		else if (ret == 1)
			printf("no gpt\n");
		ret = ret != 0;
	} else if (!strcmp(cmd, "check") && nargs == 2) {
		if (open_img(&im, argv[i + 1], bs, 0))
			return 1;
		ret = cmd_check(&im, argv[i]);
	} else {
		usage(stderr);
		return 2;
	}
	if (im.fd >= 0)
		close(im.fd);
	return ret;
}
