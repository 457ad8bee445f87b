/* library: GET /api/library (docs/dashboard-api.md), the store's sizes and each layer's;
 * while the server computes them (202) it asks again every half second, within --timeout. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "fmt.h"
#include "lab.h"
#include "order.h"
#include "table.h"

/* The layers as a table: id (16 hex digits, as `strata-ctl layers`), image size, stored
 * and unique bytes.  0 or CTL_EOTHER. */
static int print_layers(json_object *o)
{
	static const char *const head[] = { "LAYER", "SIZE", "STORED", "UNIQUE", NULL };
	json_object *a = json_object_object_get(o, "per_layer");
	struct table t;

	table_init(&t, head);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *l = json_object_array_get_idx(a, i);
		char id[17], size[FMT_MAX], stored[FMT_MAX], unique[FMT_MAX];

		snprintf(id, sizeof(id), "%.16s", lab_str(l, "id"));
		fmt_bytes(size, (uint64_t)lab_int(l, "size"));
		fmt_bytes(stored, (uint64_t)lab_int(l, "stored"));
		fmt_bytes(unique, (uint64_t)lab_int(l, "unique"));
		const char *row[] = { id, size, stored, unique };
		table_row(&t, row);
	}
	return table_print(&t, stdout) ? CTL_EOTHER : CTL_OK;
}

/* The answer for people: one line, then the layers' table when there are layers.  An
 * exit code. */
static int print_library(json_object *o)
{
	char store[FMT_MAX], logical[FMT_MAX], at[FMT_MAX];
	json_object *a = json_object_object_get(o, "per_layer");

	fmt_bytes(store, (uint64_t)lab_int(o, "store_bytes"));
	fmt_bytes(logical, (uint64_t)lab_int(o, "logical_bytes"));
	fmt_age(at, lab_int(o, "computed_at"), time(NULL));
	printf("%lld layers: %s of data in %s stored, ratio %.2f (computed %s)\n",
	       (long long)lab_int(o, "layers"), logical, store,
	       json_object_get_double(json_object_object_get(o, "dedup_ratio")), at);
	return a && json_object_array_length(a) ? print_layers(o) : CTL_OK;
}

/* GET until the answer is not 202; CTL_OK with *out, or an exit code. */
static int fetch(struct ctl *c, struct api *a, json_object **out)
{
	struct api_resp r;
	int rc;

	for (long tries = c->timeout * 2; !ctl_interrupted; tries--) {
		rc = api_request(a, "GET", "/api/library", "library", &r);
		if (rc)
			return rc;
		if (r.status != 202) {
			rc = api_json(&r, "library", out);
			api_resp_free(&r);
			return rc;
		}
		api_resp_free(&r);
		if (tries <= 0) {
			fprintf(stderr, "strata-ctl library: the server is still computing; "
				"ask again later\n");
			return CTL_EOTHER;
		}
		usleep(500000);
	}
	return CTL_EINTR;
}

int cmd_library(struct ctl *c)
{
	json_object *o;
	struct api a;
	int rc;

	if (c->nargs)
		return fprintf(stderr, "strata-ctl library: takes no operands\n"), CTL_EUSAGE;
	if ((rc = api_open(&a, c)))
		return rc;
	if ((rc = fetch(c, &a, &o)) == CTL_OK) {
		if (c->opts & OPT_JSON)
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		else
			rc = print_library(o);
		json_object_put(o);
	}
	api_close(&a);
	return rc;
}
