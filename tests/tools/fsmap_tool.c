/*
 * fsmap_tool: print images/core/fsmap.c's view of a partition image, for
 * tests/integration/fsmap.sh, and write fuzz seeds.
 *
 * Why: the used-block maps must agree with what the filesystems' own tools say (dumpe2fs,
 * ntfscluster, partclone's domain log), and the verdicts must name the states those tools
 * create.  This tool runs the same core call strata-image will, on an image file:
 *
 *   map   [--unit N] IMAGE      type, verdict, state, then the used and zero-log byte
 *                               ranges ("used OFF LEN", "zero OFF LEN"), merged
 *   free  [--unit N] IMAGE      the free units (neither used nor log) as "A-B" ranges of
 *                               unit numbers
 *   chunks [--chunk N] IMAGE    per-class chunk counts at 64 KiB (or N) chunks
 *   seed  IMAGE OUT             a fuzz seed: the image's non-zero 512-byte sectors in the
 *                               sparse form tests/fuzz/fuzz_fs.h reads
 *
 * Host test code: uses libc freely.  Exit status 0, 1 on an error, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fsmap.h"
#include "le.h"

static void usage(FILE *f)
{
	fputs("usage: fsmap_tool map [--unit N] IMAGE\n"
	      "       fsmap_tool free [--unit N] IMAGE\n"
	      "       fsmap_tool chunks [--chunk N] IMAGE\n"
	      "       fsmap_tool seed IMAGE OUT\n"
	      "  --unit N    bytes per map bit, a power of two 512..1M (default 4096)\n"
	      "  --chunk N   chunk bytes for `chunks` (default 65536)\n", f);
}

/* The reader over an open image file. */
static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(*(int *)ctx, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : STRATA_EIO;
}

static unsigned int shift_of(unsigned long v)
{
	unsigned int s = 0;

	while ((1ul << s) < v)
		s++;
	return (1ul << s) == v ? s : 0;
}

/* Open path and scan it at 2^shift bytes per bit into *m; prints the error. */
static int scan_file(const char *path, unsigned int shift, struct strata_fsmap *m)
{
	struct strata_diag d = { 0, 0 };
	struct stat st;
	int fd = open(path, O_RDONLY), rc;
	struct strata_fs_reader r = { file_read, &fd, 0 };

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	r.size = (uint64_t)st.st_size;
	rc = strata_fsmap_scan(&r, shift, m, &d);
	close(fd);
	if (rc)
		fprintf(stderr, "%s: %s (%s)\n", path, d.msg ? d.msg : "?", strata_strerror(rc));
	return rc ? -1 : 0;
}

static const char *verdict_name(enum strata_fs_verdict v)
{
	return v == STRATA_FS_REFUSE ? "refuse" : v == STRATA_FS_WARN ? "warn" : "ok";
}

/* The class of unit u alone. */
static enum strata_fs_class unit_class(const struct strata_fsmap *m, uint64_t u)
{
	return strata_fsmap_chunk_class(m, u << m->unit_shift, 1ULL << m->unit_shift);
}

/* Print runs of units of class want: "used OFF LEN" bytes, or "A-B" units. */
static void print_runs(const struct strata_fsmap *m, enum strata_fs_class want, int as_units)
{
	uint64_t u = 0, unit = 1ULL << m->unit_shift;

	while (u < m->units) {
		uint64_t v = u;

		if (unit_class(m, u) != want) {
			u++;
			continue;
		}
		while (v + 1 < m->units && unit_class(m, v + 1) == want)
			v++;
		if (as_units)
			printf("%llu-%llu\n", (unsigned long long)u, (unsigned long long)v);
		else
			printf("used %llu %llu\n", (unsigned long long)(u * unit),
			       (unsigned long long)((v + 1 - u) * unit));
		u = v + 1;
	}
}

static void print_header(const struct strata_fsmap *m)
{
	printf("type %s\nverdict %s\n", strata_fs_name(m->type), verdict_name(m->verdict));
	if (m->state)
		printf("state %s\n", m->state);
	if (m->fallback)
		printf("fallback %s (%s)\n", m->fallback, strata_strerror(m->fallback_rc));
	printf("fs-bytes %llu\nblock-size %u\nunit %u\n", (unsigned long long)m->fs_bytes,
	       m->block_size, 1u << m->unit_shift);
	for (unsigned int i = 0; i < m->nzero; i++)
		printf("zero %llu %llu\n", (unsigned long long)m->zero[i].off,
		       (unsigned long long)m->zero[i].len);
}

static int cmd_chunks(const struct strata_fsmap *m, uint64_t chunk)
{
	uint64_t n[3] = { 0, 0, 0 };

	for (uint64_t off = 0; off < m->size; off += chunk) {
		uint64_t len = m->size - off < chunk ? m->size - off : chunk;

		n[strata_fsmap_chunk_class(m, off, len)]++;
	}
	printf("chunks used %llu free %llu zero-log %llu\n", (unsigned long long)n[1],
	       (unsigned long long)n[0], (unsigned long long)n[2]);
	return 0;
}

/* Write one seed segment: sector number, byte count, bytes. */
static int seed_segment(FILE *out, uint64_t sector, const uint8_t *p, size_t len)
{
	uint8_t h[6];

	le32_put(h, (uint32_t)sector);
	le16_put(h + 4, (uint16_t)len);
	return fwrite(h, 1, 6, out) != 6 || fwrite(p, 1, len, out) != len ? -1 : 0;
}

/* 1 when the sector is to be left out of a seed: all zero, or deep inside a run of 0xFF
 * (an emptied NTFS log: the parsers read its first 8 KiB only).  *ff counts the run. */
static int seed_skip(const uint8_t sec[512], unsigned int *ff)
{
	int same = !memcmp(sec, sec + 1, 511);

	*ff = same && sec[0] == 0xFF ? *ff + 1 : 0;
	return same && (sec[0] == 0 || *ff > 16);
}

/* The seed format: le32 partition sectors, then segments of kept sectors. */
static int cmd_seed(const char *in_path, const char *out_path)
{
	FILE *in = fopen(in_path, "rb"), *out = fopen(out_path, "wb");
	static uint8_t run[65024];
	uint8_t sec[512], h[4];
	uint64_t s = 0, start = 0;
	unsigned int ff = 0;
	size_t have = 0;
	int rc = 0;

	if (!in || !out) {
		fprintf(stderr, "seed: cannot open %s or %s\n", in_path, out_path);
		return 1;
	}
	fseek(in, 0, SEEK_END);
	le32_put(h, (uint32_t)(ftell(in) / 512));
	fseek(in, 0, SEEK_SET);
	fwrite(h, 1, 4, out);
	for (; fread(sec, 1, 512, in) == 512 && !rc; s++) {
		int zero = seed_skip(sec, &ff);

		if ((zero || have == sizeof(run)) && have) {
			rc = seed_segment(out, start, run, have);
			have = 0;
		}
		if (!zero) {
			if (!have)
				start = s;
			memcpy(run + have, sec, 512);
			have += 512;
		}
	}
	if (have && !rc)
		rc = seed_segment(out, start, run, have);
	fclose(in);
	return fclose(out) || rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long unit = 4096, chunk = 65536;
	struct strata_fsmap m;
	const char *cmd;
	int i = 2;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "seed"))
		return argc == 4 ? cmd_seed(argv[2], argv[3]) : (usage(stderr), 2);
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--unit"))
			unit = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--chunk"))
			chunk = strtoul(argv[i + 1], NULL, 0);
	}
	if (i + 1 != argc || !shift_of(unit) || !chunk) {
		usage(stderr);
		return 2;
	}
	if (scan_file(argv[i], shift_of(unit), &m))
		return 1;
	print_header(&m);
	if (!strcmp(cmd, "map"))
		print_runs(&m, STRATA_FS_USED, 0);
	else if (!strcmp(cmd, "free"))
		print_runs(&m, STRATA_FS_FREE, 1);
	else
		cmd_chunks(&m, chunk);
	strata_fsmap_done(&m);
	return 0;
}
