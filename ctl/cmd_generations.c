/* generations NAME: GET /api/generations/NAME (docs/retention.md), as a table or JSON. */
#include <stdio.h>
#include <time.h>
#include "fmt.h"
#include "lab.h"
#include "order.h"
#include "table.h"

/* One row per generation of one partition. */
static void part_rows(struct table *t, json_object *part, time_t now)
{
	json_object *gens = NULL;
	const char *label = lab_str(part, "part");

	json_object_object_get_ex(part, "generations", &gens);
	for (size_t i = 0; gens && i < json_object_array_length(gens); i++) {
		json_object *g = json_object_array_get_idx(gens, i);
		char num[FMT_MAX], at[FMT_MAX], size[FMT_MAX], stored[FMT_MAX], up[FMT_MAX];

		snprintf(num, sizeof(num), "%lld", (long long)lab_int(g, "number"));
		fmt_age(at, lab_int(g, "at"), now);
		fmt_bytes(size, (uint64_t)lab_int(g, "size"));
		fmt_bytes(stored, (uint64_t)lab_int(g, "stored"));
		fmt_bytes(up, (uint64_t)lab_int(g, "uploaded"));
		const char *row[] = { label, num, at, size, stored, up, lab_str(g, "source") };
		table_row(t, row);
	}
}

/* The answer for people: the policy line, then the table. */
static int print_generations(json_object *o)
{
	static const char *const head[] = { "PART", "GENERATION", "CAPTURED", "SIZE", "STORED",
					    "UPLOADED", "SOURCE", NULL };
	char store[FMT_MAX];
	json_object *parts = NULL;
	struct table t;

	fmt_bytes(store, (uint64_t)lab_int(o, "store_bytes"));
	printf("%s (%s): keep %lld, keep daily %lld days, private store %s\n",
	       lab_str(o, "machine"), lab_str(o, "mac"), (long long)lab_int(o, "keep"),
	       (long long)lab_int(o, "keep_daily"), store);
	json_object_object_get_ex(o, "partitions", &parts);
	table_init(&t, head);
	for (size_t i = 0; parts && i < json_object_array_length(parts); i++)
		part_rows(&t, json_object_array_get_idx(parts, i), time(NULL));
	return table_print(&t, stdout) ? CTL_EOTHER : CTL_OK;
}

int cmd_generations(struct ctl *c)
{
	const char *name = order_one_name(c, "generations NAME");
	char path[512], what[128];
	json_object *o;
	struct api a;
	int rc;

	if (!name)
		return CTL_EUSAGE;
	if ((rc = order_path(path, sizeof(path), "generations", name, "")) ||
	    (rc = api_open(&a, c)))
		return rc;
	snprintf(what, sizeof(what), "generations of %.64s", name);
	if ((rc = api_get_json(&a, path, what, &o)) == CTL_OK) {
		if (c->opts & OPT_JSON)
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		else
			rc = print_generations(o);
		json_object_put(o);
	}
	api_close(&a);
	return rc;
}
