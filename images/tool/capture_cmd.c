/*
 * `strata-image capture-done --store URL --token TOKEN [--layout FILE]`: end a capture
 * task (docs/capture.md, "Done").  A task's `build --token --part` runs each commit one
 * partition; this says the task is complete.  A gold capture sends the reference disk's
 * layout (FILE: an unsigned manifest, strata_layout_parse), which becomes the order's
 * profile; a machine capture sends none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "manifest.h"
#include "upload.h"

static const char capture_done_help[] =
	"usage: strata-image capture-done --store URL --token TOKEN [--layout FILE]\n\n"
	"End the capture task TOKEN names (the answer of POST /api/capture/NAME) on\n"
	"strata-server at URL, after its partitions were committed with\n"
	"  strata-image build --store URL --token TOKEN --part LABEL IMAGE\n\n"
	"  --layout FILE  a gold capture: the reference disk's partitions as an unsigned\n"
	"                 manifest (docs/capture.md); it becomes the order's profile.\n"
	"                 A machine capture takes no layout.\n"
	"Prints the server's answer; exit status 0, 1 when refused, 2 for usage.\n";

/** capture-done's arguments. */
struct done_args {
	const char *store, *token, *layout;
};

/* Returns 0, 1 for --help, or -1 (printed). */
static int done_args(int argc, char **argv, struct done_args *a)
{
	const char *val;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (opt_value(argc, argv, &i, "--store", &val))
			a->store = val;
		else if (opt_value(argc, argv, &i, "--token", &val))
			a->token = val;
		else if (opt_value(argc, argv, &i, "--layout", &val))
			a->layout = val;
		else
			return errorf("capture-done: unexpected argument '%s' (see --help)", argv[i]);
		if (!val)
			return -1;
	}
	if (!a->store || !a->token)
		return errorf("capture-done needs --store URL and --token TOKEN (see --help)");
	return 0;
}

/* Read and check the layout file a->layout into *text (the caller's).  0 or 1. */
static int read_layout(const char *path, uint8_t **text, size_t *len)
{
	struct strata_diag diag = { 0 };
	struct strata_manifest m;

	if (read_file(path, STRATA_MANIFEST_MAX, text, len))
		return 1;
	if (strata_layout_parse(&m, (const char *)*text, *len, &diag) == 0)
		return 0;
	errorf("%s:%llu: %s", path, (unsigned long long)diag.where, diag.msg);
	free(*text);
	*text = NULL;
	return 1;
}

int cmd_capture_done(int argc, char **argv)
{
	struct done_args a = { 0 };
	struct upload_job job = { 0 };
	char base[1024], answer[512];
	uint8_t *text = NULL;
	size_t len = 0;
	int rc = done_args(argc, argv, &a);

	if (rc)
		return rc == 1 ? (fputs(capture_done_help, stdout), 0) : 2;
	rc = capture_base_url(a.store, base, sizeof(base));
	if (rc)
		return rc;
	if (a.layout && read_layout(a.layout, &text, &len))
		return 1;
	job.base = base;
	job.token = a.token;
	rc = upload_done(&job, (const char *)text, len, answer, sizeof(answer)) ? 1 : 0;
	if (rc == 0)
		printf("%s", answer);
	free(text);
	return rc;
}
