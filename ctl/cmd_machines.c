/* machines and show: the lab from /machines.json (lab.h), as a table or one machine. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "lab.h"
#include "table.h"

/* The member key of a machine's sub-object sub, or NULL. */
static const char *sub_str(json_object *m, const char *sub, const char *key)
{
	json_object *o;

	return json_object_object_get_ex(m, sub, &o) ? lab_str(o, key) : NULL;
}

/* One table row for machine m. */
static void machine_row(struct table *t, json_object *m, time_t now)
{
	char prog[FMT_MAX], cap[FMT_MAX];
	json_object *g = NULL;

	fmt_progress(prog, (uint64_t)lab_int(m, "done"), (uint64_t)lab_int(m, "total"));
	json_object_object_get_ex(m, "generation", &g);
	fmt_age(cap, g ? lab_int(g, "at") : 0, now);
	const char *row[] = { lab_str(m, "name"), lab_str(m, "mac"), lab_str(m, "profile"),
			      lab_state(m), prog, sub_str(m, "key", "state"), cap,
			      lab_str(m, "message") };
	table_row(t, row);
}

/* Open the API and read the lab: an exit code, *doc set on CTL_OK. */
static int read_lab(struct ctl *c, struct api *a, json_object **doc)
{
	int rc = api_open(a, c);

	if (rc == CTL_OK && (rc = lab_get(a, doc)))
		api_close(a);
	return rc;
}

int cmd_machines(struct ctl *c)
{
	static const char *const head[] = { "NAME", "MAC", "PROFILE", "STATE", "PROGRESS", "KEY",
					    "CAPTURED", "MESSAGE", NULL };
	json_object *doc, *list;
	struct table t;
	struct api a;
	int rc;

	if (c->nargs)
		return fprintf(stderr, "strata-ctl machines: takes no operands\n"), CTL_EUSAGE;
	if ((rc = read_lab(c, &a, &doc)))
		return rc;
	list = lab_machines(doc);
	if (c->opts & OPT_JSON) {
		puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	} else {
		table_init(&t, head);
		for (size_t i = 0; i < json_object_array_length(list); i++)
			machine_row(&t, json_object_array_get_idx(list, i), time(NULL));
		rc = table_print(&t, stdout) ? CTL_EOTHER : CTL_OK;
	}
	json_object_put(doc);
	api_close(&a);
	return rc;
}

/* One "key: value" line, skipped when value is NULL or empty. */
static void field(const char *key, const char *value)
{
	if (value && *value)
		printf("%-14s %s\n", key, value);
}

/* A machine for people: its fields, then its generations when the server gave them. */
static void print_machine(json_object *m, json_object *gens)
{
	char prog[FMT_MAX], upd[FMT_MAX], ver[FMT_MAX];
	json_object *parts;

	fmt_progress(prog, (uint64_t)lab_int(m, "done"), (uint64_t)lab_int(m, "total"));
	fmt_age(upd, lab_int(m, "updated"), time(NULL));
	snprintf(ver, sizeof(ver), "%lld", (long long)lab_int(m, "manifest_version"));
	field("name:", lab_str(m, "name"));
	field("mac:", lab_str(m, "mac"));
	field("profile:", lab_str(m, "profile"));
	field("manifest:", ver);
	field("state:", lab_state(m));
	field("pending:", lab_str(m, "pending"));
	field("last report:", lab_str(m, "result"));
	field("progress:", prog);
	field("reported:", upd);
	field("message:", lab_str(m, "message"));
	field("secure boot:", lab_str(m, "secure_boot"));
	field("key:", sub_str(m, "key", "state"));
	field("fingerprint:", sub_str(m, "key", "fingerprint"));
	field("replaced:", lab_str(m, "replaced"));
	if (gens && json_object_object_get_ex(gens, "partitions", &parts))
		printf("generations:   %zu partition(s) captured (strata-ctl generations %s)\n",
		       json_object_array_length(parts), lab_str(m, "name"));
}

/* NAME's generations, added to m as "generations" for show; NULL when refused. */
static json_object *generations_of(struct api *a, const char *name)
{
	char esc[256], path[320];
	json_object *g = NULL;

	if (!api_escape(esc, sizeof(esc), name)) {
		snprintf(path, sizeof(path), "/api/generations/%s", esc);
		api_get_json(a, path, "generations", &g);
	}
	return g;
}

int cmd_show(struct ctl *c)
{
	json_object *doc, *m, *g = NULL;
	struct api a;
	int rc;

	if (c->nargs != 1)
		return fprintf(stderr, "strata-ctl show: name one machine; usage: strata-ctl show "
			       "NAME\n"), CTL_EUSAGE;
	if ((rc = read_lab(c, &a, &doc)))
		return rc;
	if (!(m = lab_find(doc, c->args[0]))) {
		fprintf(stderr, "strata-ctl show: %s has no machine %.64s (by name or MAC): "
			"'strata-ctl machines' lists them\n", c->server, c->args[0]);
		rc = CTL_ENOTFOUND;
	} else if ((g = generations_of(&a, c->args[0]))) {
		json_object_object_add(m, "generations", g);
	}
	if (m && (c->opts & OPT_JSON))
		puts(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY));
	else if (m)
		print_machine(m, g);
	json_object_put(doc);
	api_close(&a);
	return rc;
}
