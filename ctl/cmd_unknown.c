/* unknown: GET /api/unknown (docs/registration.md), the PCs to register, as a table or
 * JSON. */
#include <stdio.h>
#include <time.h>
#include "fmt.h"
#include "lab.h"
#include "order.h"
#include "table.h"

/* The answer for people: one row per PC, then what was forgotten. */
static int print_unknown(json_object *o)
{
	static const char *const head[] = { "MAC", "HOW", "ADDRESS", "SEEN", "FIRST", "LAST",
					    "SERVED", NULL };
	json_object *pcs = json_object_object_get(o, "pcs");
	time_t now = time(NULL);
	struct table t;

	table_init(&t, head);
	for (size_t i = 0; pcs && i < json_object_array_length(pcs); i++) {
		json_object *p = json_object_array_get_idx(pcs, i);
		char seen[FMT_MAX], first[FMT_MAX], last[FMT_MAX];

		snprintf(seen, sizeof(seen), "%lld", (long long)lab_int(p, "seen"));
		fmt_age(first, lab_int(p, "first"), now);
		fmt_age(last, lab_int(p, "last"), now);
		const char *row[] = { lab_str(p, "mac"), lab_str(p, "how"), lab_str(p, "ip"),
				      seen, first, last,
				      json_object_get_boolean(json_object_object_get(p, "served"))
				      ? "yes" : "no" };
		table_row(&t, row);
	}
	if (table_print(&t, stdout))
		return CTL_EOTHER;
	if (lab_int(o, "forgotten"))
		printf("(%lld more were forgotten: the list keeps the 1,024 seen last)\n",
		       (long long)lab_int(o, "forgotten"));
	return CTL_OK;
}

int cmd_unknown(struct ctl *c)
{
	json_object *o;
	struct api a;
	int rc;

	if (c->nargs)
		return fprintf(stderr, "strata-ctl unknown: takes no operands\n"), CTL_EUSAGE;
	if ((rc = api_open(&a, c)))
		return rc;
	if ((rc = api_get_json(&a, "/api/unknown", "unknown PCs", &o)) == CTL_OK) {
		if (c->opts & OPT_JSON)
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		else
			rc = print_unknown(o);
		json_object_put(o);
	}
	api_close(&a);
	return rc;
}
