/* gc [--dry-run]: POST /api/gc (docs/retention.md); a dry run needs no confirmation. */
#include <stdio.h>
#include "fmt.h"
#include "lab.h"
#include "order.h"

/* The answer for people: what was (or would be) deleted. */
static void print_gc(json_object *o)
{
	char bytes[FMT_MAX], pub[FMT_MAX];
	int dry = json_object_get_boolean(json_object_object_get(o, "dry_run"));

	fmt_bytes(bytes, (uint64_t)lab_int(o, "bytes"));
	fmt_bytes(pub, (uint64_t)lab_int(o, "public_bytes"));
	printf("%s %lld files (%s) and %lld indexes; of them %lld public files (%s); "
	       "%lld kept as recent\n", dry ? "would delete" : "deleted",
	       (long long)lab_int(o, "files"), bytes, (long long)lab_int(o, "indexes"),
	       (long long)lab_int(o, "public_files"), pub, (long long)lab_int(o, "kept_recent"));
}

int cmd_gc(struct ctl *c)
{
	int dry = (c->opts & OPT_DRY_RUN) != 0;
	struct ctl go = *c;

	if (c->nargs)
		return fprintf(stderr, "strata-ctl gc: takes no operands\n"), CTL_EUSAGE;
	if (dry)
		go.opts |= OPT_YES;
	return order_run(&go, NULL, "Delete what no layer, profile or kept generation names?",
			 dry ? "/api/gc?dry-run=yes" : "/api/gc", dry ? "gc --dry-run" : "gc",
			 print_gc);
}
