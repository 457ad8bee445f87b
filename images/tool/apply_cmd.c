/* The `strata-image apply` command line and its --json report. */
#include <stdlib.h>
#include <string.h>
#include "apply.h"
#include "cli.h"
#include "text.h"

static void apply_usage(FILE *f)
{
	fputs("usage: strata-image apply --store DIR|URL [--json FILE] [--jobs N] [--wipe]\n"
	      "                          [--low-speed-limit B] [--low-speed-time S] LAYER TARGET\n"
	      "       strata-image apply --store DIR|URL --manifest FILE [options] DISK\n"
	      "\n"
	      "Make TARGET (a file or block device) hold exactly LAYER (sha256:<hex>).  Reads\n"
	      "and hashes what TARGET holds (after a streak of chunks it lacks, only samples),\n"
	      "fetches only the chunks that differ, verifies each\n"
	      "against its SHA-256 before writing it, and flushes.  A failed or interrupted\n"
	      "apply leaves only verified data; running it again finishes the job.\n"
	      "\n"
	      "With --manifest, DISK (an image file or block device that exists) gets a whole\n"
	      "machine's manifest as strata.efi deploys it: the deployment is planned against\n"
	      "DISK first, its GPT and every layer it writes (read from --store, private\n"
	      "ones included); when DISK is too small, or a layer is larger than its\n"
	      "partition, nothing is written and the shortfall is printed in bytes per\n"
	      "partition.  Then the GPT (preserved partitions never moved or overwritten),\n"
	      "then each layer into its partition (a restore partition only when DISK\n"
	      "lacks it).  A size=rest partition fills the disk: a larger DISK grows it.\n"
	      "\n"
	      "  --manifest FILE  a machine's manifest (signed or not; not verified here)\n"
	      "  --store DIR|URL  chunk store folder or http:// URL\n"
	      "  --json FILE      write ok, bytes_fetched, chunks_total, chunks_fetched,\n"
	      "                   chunks_reused, chunks_zero, chunks_free, chunks_failed,\n"
	      "                   chunks_wiped, chunks_left (not reached: the apply\n"
	      "                   stopped), chunks_blind (used chunks written without\n"
	      "                   reading TARGET, after a streak of chunks it lacked),\n"
	      "                   image_size, target_read, target_written (bytes\n"
	      "                   read from and written to TARGET), seconds as JSON\n"
	      "  --jobs N         worker threads (default: cores, at least 8 over HTTP)\n"
	      "  --wipe           make the layer's free chunks zero and read them back (the\n"
	      "                   manifest's wipe=yes); without it they are left as they are\n"
	      "  --low-speed-limit B, --low-speed-time S\n"
	      "                   a transfer from an http:// store that averages under B\n"
	      "                   bytes/s for S seconds stops the apply, naming the chunk and\n"
	      "                   the store (default 1024 bytes/s for 30 s)\n", f);
}

static int write_json(const char *path, const struct apply_stats *s, int ok)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return errorf("%s: cannot write the JSON report", path);
	fprintf(f, "{\"ok\": %s, \"bytes_fetched\": %llu, \"chunks_total\": %llu, "
		"\"chunks_fetched\": %llu, \"chunks_reused\": %llu, \"chunks_zero\": %llu, "
		"\"chunks_free\": %llu, \"chunks_wiped\": %llu, \"chunks_failed\": %llu, "
		"\"chunks_left\": %llu, \"chunks_blind\": %llu, \"image_size\": %llu, \"target_read\": %llu, "
		"\"target_written\": %llu, \"seconds\": %.3f}\n",
		ok ? "true" : "false", (unsigned long long)s->bytes_fetched,
		(unsigned long long)s->chunks_total, (unsigned long long)s->chunks_fetched,
		(unsigned long long)s->chunks_reused, (unsigned long long)s->chunks_zero,
		(unsigned long long)s->chunks_free, (unsigned long long)s->chunks_wiped,
		(unsigned long long)s->chunks_failed, (unsigned long long)s->chunks_left,
		(unsigned long long)s->chunks_blind, (unsigned long long)s->image_size, (unsigned long long)s->target_read,
		(unsigned long long)s->target_written, s->seconds);
	return fclose(f) ? errorf("%s: write failed", path) : 0;
}

/* The summary line: every chunk counted once (apply.h), the ones not reached named when
 * the apply stopped before them. */
static void print_summary(const char *target, const struct apply_stats *s)
{
	char left[48] = "";

	if (s->chunks_left)
		snprintf(left, sizeof(left), ", %llu not reached",
			 (unsigned long long)s->chunks_left);
	fprintf(stderr, "%s: %llu chunks: %llu fetched (%.1f MiB), %llu reused, %llu zero, "
		"%llu free, %llu written blind, %llu failed%s; %.2f s\n", target, (unsigned long long)s->chunks_total,
		(unsigned long long)s->chunks_fetched, (double)s->bytes_fetched / 1048576.0,
		(unsigned long long)s->chunks_reused, (unsigned long long)s->chunks_zero,
		(unsigned long long)s->chunks_free, (unsigned long long)s->chunks_blind,
		(unsigned long long)s->chunks_failed, left, s->seconds);
}

/* A limit of 1..max from the command line; prints its error. */
static int limit_arg(const char *opt, const char *val, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (!val || strata_u64_parse(&v, val, strlen(val), max) || v == 0)
		return errorf("%s must be a number from 1 to %u", opt, max);
	*out = (uint32_t)v;
	return 0;
}

/* Options into o; 1 for --help, -1 on error. */
static int apply_args(int argc, char **argv, struct apply_opts *o, const char **json)
{
	const char *val, *pos[2] = { 0 };
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (!strcmp(argv[i], "--wipe"))
			o->wipe = 1;
		else if (opt_value(argc, argv, &i, "--manifest", &val)) {
			if (!(o->manifest = val))
				return -1;
		} else if (opt_value(argc, argv, &i, "--store", &val)) {
			if (!(o->store = val))
				return -1;
		} else if (opt_value(argc, argv, &i, "--json", &val)) {
			if (!(*json = val))
				return -1;
		} else if (opt_value(argc, argv, &i, "--jobs", &val)) {
			if (!val || atoi(val) < 1 || atoi(val) > 64)
				return errorf("--jobs must be 1..64");
			o->jobs = (unsigned int)atoi(val);
		} else if (opt_value(argc, argv, &i, "--low-speed-limit", &val)) {
			if (limit_arg("--low-speed-limit", val, 1u << 30, &o->limits.low_speed_limit))
				return -1;
		} else if (opt_value(argc, argv, &i, "--low-speed-time", &val)) {
			if (limit_arg("--low-speed-time", val, 86400, &o->limits.low_speed_time))
				return -1;
		} else if (argv[i][0] == '-' || npos == 2) {
			return errorf("apply: unexpected argument '%s' (see --help)", argv[i]);
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (o->manifest && (!o->store || npos != 1))
		return errorf("apply --manifest needs --store and DISK (see --help)");
	if (o->manifest) {
		o->target = pos[0];
		return 0;
	}
	if (!o->store || npos != 2)
		return errorf("apply needs --store, LAYER and TARGET (see --help)");
	o->layer = pos[0];
	o->target = pos[1];
	return 0;
}

int cmd_apply(int argc, char **argv)
{
	struct apply_opts o = { .limits = { STORE_LOW_SPEED_LIMIT, STORE_LOW_SPEED_TIME } };
	struct apply_stats st = { 0 };
	const char *json = NULL;
	int rc = apply_args(argc, argv, &o, &json);

	if (rc) {
		if (rc > 0)
			apply_usage(stdout);
		return rc > 0 ? 0 : 2;
	}
	rc = o.manifest ? apply_manifest(&o, &st) : apply_layer(&o, &st);
	if (st.chunks_total)
		print_summary(o.target, &st);
	if (json && write_json(json, &st, rc == 0))
		rc = -1;
	return rc ? 1 : 0;
}
