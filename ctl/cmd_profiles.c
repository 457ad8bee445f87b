/* profiles and layers: GET /api/profiles and GET /api/layers (docs/dashboard-api.md), as
 * tables or JSON: what the lab deploys, and which store layers it rests on. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "lab.h"
#include "order.h"
#include "table.h"

/** A cell listing names: room for a profile's partitions or a layer's profiles. */
#define LIST_MAX 256

/* The strings of o's array key, joined by commas into out (LIST_MAX bytes). */
static const char *joined(char *out, json_object *o, const char *key)
{
	json_object *a = NULL;
	size_t used = 0;

	out[0] = '\0';
	json_object_object_get_ex(o, key, &a);
	for (size_t i = 0; a && i < json_object_array_length(a) && used < LIST_MAX - 1; i++)
		used += (size_t)snprintf(out + used, LIST_MAX - used, "%s%s", i ? "," : "",
					 json_object_get_string(json_object_array_get_idx(a, i)));
	return out[0] ? out : "-";
}

/* A profile's partitions, "label:policy" each, into out (LIST_MAX bytes). */
static const char *parts_of(char *out, json_object *p)
{
	json_object *a = NULL;
	size_t used = 0;

	out[0] = '\0';
	json_object_object_get_ex(p, "parts", &a);
	for (size_t i = 0; a && i < json_object_array_length(a) && used < LIST_MAX - 1; i++) {
		json_object *part = json_object_array_get_idx(a, i);

		used += (size_t)snprintf(out + used, LIST_MAX - used, "%s%s:%s", i ? "," : "",
					 lab_str(part, "label"), lab_str(part, "policy"));
	}
	return out;
}

/** A "captured from" cell: "machine, age". */
#define FROM_MAX (2 * FMT_MAX + 8)

/* o's capture under key ({"machine","at",...} or null or absent) as "machine, age" into
 * from (FROM_MAX bytes); "-" without one. */
static const char *captured_cell(char *from, json_object *o, const char *key, time_t now)
{
	json_object *cap = NULL;
	char age[FMT_MAX];

	snprintf(from, FROM_MAX, "-");
	if (json_object_object_get_ex(o, key, &cap) && cap) {
		fmt_age(age, lab_int(cap, "at"), now);
		snprintf(from, FROM_MAX, "%s, %s", lab_str(cap, "machine"), age);
	}
	return from;
}

/* One row of the profiles table. */
static void profile_row(struct table *t, json_object *p, time_t now)
{
	char machines[FMT_MAX], parts[LIST_MAX], from[FROM_MAX];

	snprintf(machines, sizeof(machines), "%lld", (long long)lab_int(p, "machines"));
	captured_cell(from, p, "captured", now);
	const char *row[] = { lab_str(p, "name"), machines, parts_of(parts, p), from };
	table_row(t, row);
}

/* One row of the layers table. */
static void layer_row(struct table *t, json_object *l, time_t now)
{
	char id[17], machines[FMT_MAX], profiles[LIST_MAX], parts[LIST_MAX], from[FROM_MAX];

	snprintf(id, sizeof(id), "%.16s", lab_str(l, "id"));
	snprintf(machines, sizeof(machines), "%lld", (long long)lab_int(l, "machines"));
	const char *row[] = { id, machines, joined(profiles, l, "profiles"),
			      joined(parts, l, "parts"), captured_cell(from, l, "captured_from", now) };
	table_row(t, row);
}

/* GET path and print its array as a table of head, a row per element by row_fn (time is
 * handed for ages), or as JSON.  An exit code. */
static int listing(struct ctl *c, const char *path, const char *what,
		   const char *const *head, void (*row_fn)(struct table *, json_object *, time_t))
{
	json_object *o;
	struct table t;
	struct api a;
	int rc;

	if (c->nargs)
		return fprintf(stderr, "strata-ctl %s: takes no operands\n", what), CTL_EUSAGE;
	if ((rc = api_open(&a, c)))
		return rc;
	if ((rc = api_get_json(&a, path, what, &o)) == CTL_OK) {
		if (c->opts & OPT_JSON) {
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		} else {
			table_init(&t, head);
			for (size_t i = 0; i < json_object_array_length(o); i++)
				row_fn(&t, json_object_array_get_idx(o, i), time(NULL));
			rc = table_print(&t, stdout) ? CTL_EOTHER : CTL_OK;
		}
		json_object_put(o);
	}
	api_close(&a);
	return rc;
}

int cmd_profiles(struct ctl *c)
{
	static const char *const head[] = { "PROFILE", "MACHINES", "PARTITIONS",
					    "CAPTURED FROM", NULL };

	return listing(c, "/api/profiles", "profiles", head, profile_row);
}

int cmd_layers(struct ctl *c)
{
	static const char *const head[] = { "LAYER", "MACHINES", "PROFILES", "PARTITIONS",
					    "CAPTURED FROM", NULL };

	return listing(c, "/api/layers", "layers", head, layer_row);
}
