/*
 * Scheduled orders: --at on an order (schedule_order), schedule (the list) and
 * schedule-cancel ID.  The server keeps and runs them (docs/dashboard-api.md "Orders").
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lab.h"
#include "schedule.h"
#include "table.h"
#include "text.h"

int form_add(char *form, size_t cap, const char *key, const char *value)
{
	char esc[SCHEDULE_FORM_MAX];
	size_t o = strlen(form);

	if (api_escape(esc, sizeof(esc), value) ||
	    (size_t)snprintf(form + o, cap - o, "%s%s=%s", o ? "&" : "", key, esc) >= cap - o) {
		fprintf(stderr, "strata-ctl: --%s is too long\n", key);
		return CTL_EUSAGE;
	}
	return CTL_OK;
}

static void print_scheduled(json_object *o)
{
	printf("order scheduled as %lld; strata-ctl schedule lists it, strata-ctl "
	       "schedule-cancel %lld cancels it\n", (long long)lab_int(o, "scheduled"),
	       (long long)lab_int(o, "scheduled"));
}

int schedule_order(struct ctl *c, const char *form, const char *question)
{
	char path[SCHEDULE_FORM_MAX + 64], f[SCHEDULE_FORM_MAX], q[640];
	int rc;

	snprintf(f, sizeof(f), "%s", form);
	if ((rc = form_add(f, sizeof(f), "at", c->at)))
		return rc;
	if ((c->opts & OPT_WAKE) && (rc = form_add(f, sizeof(f), "wake", "yes")))
		return rc;
	snprintf(path, sizeof(path), "/api/orders?%s&confirm=yes", f);
	snprintf(q, sizeof(q), "%s (scheduled at %.40s%s)", question, c->at,
		 c->opts & OPT_WAKE ? ", woken first" : "");
	return order_run(c, NULL, q, path, "schedule", print_scheduled);
}

/* A time as the server's zone would say it, for people. */
static void when(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, cap, "%lld", (long long)t);
}

/* One row of the list. */
static void schedule_row(struct table *t, json_object *o)
{
	char id[24], at[32];
	json_object *w;

	snprintf(id, sizeof(id), "%lld", (long long)lab_int(o, "id"));
	when(at, sizeof(at), lab_int(o, "at"));
	w = json_object_object_get(o, "wake");
	table_row(t, (const char *const[]){ id, at, lab_str(o, "action"), lab_str(o, "target"),
		  w && json_object_get_boolean(w) ? "yes" : "no", lab_str(o, "by"),
		  lab_str(o, "state"), NULL });
}

int cmd_schedule(struct ctl *c)
{
	static const char *const headers[] = { "ID", "AT", "ACTION", "TARGET", "WAKE", "BY",
					       "STATE", NULL };
	json_object *list;
	struct table t;
	struct api a;
	int rc;

	if (c->nargs)
		return fprintf(stderr, "strata-ctl schedule: no operands; usage: strata-ctl "
			       "schedule [--json]\n"), CTL_EUSAGE;
	if ((rc = api_open(&a, c)))
		return rc;
	rc = api_get_json(&a, "/api/schedule", "the schedule", &list);
	api_close(&a);
	if (rc)
		return rc;
	if (c->opts & OPT_JSON || !json_object_is_type(list, json_type_array)) {
		puts(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY));
	} else {
		table_init(&t, headers);
		for (size_t i = 0; i < json_object_array_length(list); i++)
			schedule_row(&t, json_object_array_get_idx(list, i));
		rc = table_print(&t, stdout) ? CTL_EOTHER : CTL_OK;
	}
	json_object_put(list);
	return rc;
}

int cmd_schedule_cancel(struct ctl *c)
{
	char path[64], q[96];
	uint64_t id;

	if (c->nargs != 1 || strata_u64_parse(&id, c->args[0], strlen(c->args[0]), INT64_MAX) ||
	    !id)
		return fprintf(stderr, "strata-ctl schedule-cancel: one order's number; usage: "
			       "strata-ctl schedule-cancel ID [--yes]\n"), CTL_EUSAGE;
	snprintf(path, sizeof(path), "/api/schedule-cancel/%llu", (unsigned long long)id);
	snprintf(q, sizeof(q), "Cancel scheduled order %llu?", (unsigned long long)id);
	return order_run(c, NULL, q, path, "schedule-cancel", NULL);
}
