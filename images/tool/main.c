/*
 * strata-image: build, inspect, verify, sign and apply Strata layers on Linux.
 * Each subcommand lives in its own file; this one only dispatches.
 */
#include <curl/curl.h>
#include <string.h>
#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "build", cmd_build, "add an image (file or block device) to a store as a layer" },
	{ "apply", cmd_apply, "make a file or block device hold a layer, fetching only changes" },
	{ "inspect", cmd_inspect, "describe a layer" },
	{ "verify", cmd_verify, "re-hash every chunk of a layer, or of a whole store" },
	{ "keygen", cmd_keygen, "create an ECDSA P-256 key pair for signing manifests" },
	{ "manifest", cmd_manifest, "sign or verify a machine manifest" },
	{ "capture-done", cmd_capture_done, "end a capture task (after build --token --part)" },
	{ "capture-disk", cmd_capture_disk, "a gold capture of a whole GPT disk, then done" },
	{ "sb", cmd_sb, "Secure Boot: make the lab's PK, KEK and db keys and their payloads" },
	{ "push", cmd_push, "copy a store to an S3-compatible bucket, or layers from one" },
};

static void usage(FILE *f)
{
	fputs("usage: strata-image COMMAND [OPTIONS]   (COMMAND --help for its options)\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	int rc;

	host_prog = "strata-image";
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			curl_global_init(CURL_GLOBAL_DEFAULT);
			rc = commands[i].run(argc - 1, argv + 1);
			curl_global_cleanup();
			return rc;
		}
	}
	errorf("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
