/* The `strata-image build` command line. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "format.h"
#include "layer_build.h"
#include "manifest.h"

static void build_usage(FILE *f)
{
	fputs("usage: strata-image build --store DIR [--chunk-size SIZE] [--level N]\n"
	      "                          [--force | --no-fsmap] IMAGE\n"
	      "       strata-image build --store URL --token TOKEN [--part LABEL] [--json]\n"
	      "                          [--chunk-size SIZE] [--level N] [--force | --no-fsmap]\n"
	      "                          IMAGE\n"
	      "\n"
	      "Add IMAGE (a file or block device) to the chunk store DIR as a layer and print\n"
	      "its id (sha256:<hex>) as the last line.  Work runs on every core.  When IMAGE\n"
	      "holds ext2/3/4, FAT or NTFS (or swap), blocks its filesystem marks free are\n"
	      "neither read nor stored; a hibernated or dirty volume is refused.\n"
	      "\n"
	      "  --store DIR        store folder (created if missing)\n"
	      "  --chunk-size SIZE  power of two from 4K to 4M (default 64K)\n"
	      "  --level N          zlib level 1..9 (default 6)\n"
	      "  --force            build a hibernated or dirty volume anyway: every block is\n"
	      "                     stored and the layer records that it was forced\n"
	      "  --no-fsmap         store every block, whatever the filesystem says\n"
	      "\n"
	      "With --token, --store is strata-server's base URL and the layer is built into a\n"
	      "staging folder, then uploaded under the capture task the token names (the answer\n"
	      "of POST /api/capture/NAME): only the chunks the server lacks travel, and the\n"
	      "token itself never does (docs/capture.md).\n"
	      "  --token TOKEN      the capture task's token (64 hex digits)\n"
	      "  --part LABEL       commit the layer as the next generation of the machine's\n"
	      "                     capture=yes partition LABEL\n"
	      "  --pubkey FILE      the server's manifest public key (PEM): check the server's\n"
	      "                     signature on the upload key's handshake; without it the\n"
	      "                     key is trusted on first use, and stderr says so\n"
	      "  --json             print {\"layer\", \"bytes_uploaded\", \"chunks_uploaded\",\n"
	      "                     \"chunks_present\", \"server_key\"} as the last line\n", f);
}

/** The parsed command line. */
struct build_args {
	const char *store, *path;
	const char *token, *part;  /**< an upload under a capture task (build_upload.c) */
	const char *pubkey;        /**< the server's key, checking the upload's hello */
	int json;
	unsigned int shift;
	int level;
	unsigned int flags;   /**< LAYER_BUILD_* */
};

static int parse_chunk_size(const char *val, unsigned int *shift)
{
	uint64_t v;

	if (!val || parse_size_arg("--chunk-size", val, &v))
		return -1;
	if (v < 4096 || v > (4u << 20) || (v & (v - 1)))
		return errorf("--chunk-size must be a power of two from 4K to 4M");
	*shift = (unsigned int)__builtin_ctzll(v);
	return 0;
}

/* Returns 0, 1 for --help, or -1. */
static int build_args(int argc, char **argv, struct build_args *a)
{
	const char *val;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (opt_value(argc, argv, &i, "--store", &val)) {
			if (!(a->store = val))
				return -1;
		} else if (opt_value(argc, argv, &i, "--chunk-size", &val)) {
			if (parse_chunk_size(val, &a->shift))
				return -1;
		} else if (opt_value(argc, argv, &i, "--token", &val)) {
			if (!(a->token = val))
				return -1;
		} else if (opt_value(argc, argv, &i, "--part", &val)) {
			if (!(a->part = val))
				return -1;
		} else if (opt_value(argc, argv, &i, "--pubkey", &val)) {
			if (!(a->pubkey = val))
				return -1;
		} else if (!strcmp(argv[i], "--json")) {
			a->json = 1;
		} else if (!strcmp(argv[i], "--force")) {
			a->flags |= LAYER_BUILD_FORCE;
		} else if (!strcmp(argv[i], "--no-fsmap")) {
			a->flags &= ~LAYER_BUILD_FSMAP;
		} else if (opt_value(argc, argv, &i, "--level", &val)) {
			if (!val || (a->level = atoi(val)) < 1 || a->level > 9)
				return errorf("--level must be 1..9");
		} else if (argv[i][0] == '-' || a->path) {
			return errorf("build: unexpected argument '%s' (see --help)", argv[i]);
		} else {
			a->path = argv[i];
		}
	}
	if (!a->store || !a->path)
		return errorf("build needs --store DIR and IMAGE (see --help)");
	return 0;
}

int cmd_build(int argc, char **argv)
{
	struct build_args a = { .shift = STRATA_CHUNK_SHIFT_DEFAULT, .level = 6,
				.flags = LAYER_BUILD_FSMAP };
	struct layer_build_stats st = { 0 };
	struct store *store;
	uint8_t id[32];
	char idstr[72];
	int rc = build_args(argc, argv, &a);

	if (rc) {
		if (rc > 0)
			build_usage(stdout);
		return rc > 0 ? 0 : 2;
	}
	if (a.token || a.part || a.json || a.pubkey)
		return build_upload(a.store, a.token, a.part, a.pubkey, a.json, a.path, a.shift,
				    a.level, a.flags);
	if (!strncmp(a.store, "http://", 7) || !strncmp(a.store, "https://", 8))
		return errorf("build: a store URL takes uploads only under a capture task: add "
			      "--token TOKEN (the answer of POST /api/capture/NAME), or give a "
			      "folder"), 2;
	if (store_open(a.store, 1, &store))
		return 1;
	rc = layer_build(store, a.path, a.shift, a.level, a.flags, id, &st);
	store_close(store);
	if (rc)
		return 1;
	strata_layer_id_format(idstr, id);
	fprintf(stderr, "%s: %llu bytes, %llu chunks of %u KiB: %llu zero, %llu free, %llu new "
		"(%.1f MiB stored), %llu already in the store; %.2f s\n", a.path,
		(unsigned long long)st.image_size, (unsigned long long)st.chunks,
		(1u << a.shift) >> 10, (unsigned long long)st.chunks_zero,
		(unsigned long long)st.chunks_free,
		(unsigned long long)st.chunks_new, (double)st.stored_bytes / 1048576.0,
		(unsigned long long)st.chunks_known, st.seconds);
	printf("%s\n", idstr);
	return 0;
}
