/*
 * deploy NAME... | --all: one POST /api/deploy/NAME per machine (the server's "all" for
 * --all), after one confirmation.  A list is ordered machine by machine, so one unknown
 * name does not stop the rest: the exit code then says 7, some refused.
 *
 * deploy --room R: POST /api/orders/preview first, so the question says how many machines
 * and bytes the room will fetch; then POST /api/orders preview=ID, which the server runs
 * as one order (one audit row), or refuses with 409 when the lab changed in between.
 * --at TIME (any of the three forms) schedules it through POST /api/orders instead.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "fmt.h"
#include "lab.h"
#include "schedule.h"

/* The question naming the machines (the first few, then a count). */
static void question(const struct ctl *c, char *q, size_t cap)
{
	size_t o;

	if (c->opts & OPT_ALL) {
		snprintf(q, cap, "Deploy EVERY machine of %s at its next network boot?", c->server);
		return;
	}
	if (c->room) {
		snprintf(q, cap, "Deploy every machine of room %.64s?", c->room);
		return;
	}
	o = (size_t)snprintf(q, cap, "Deploy");
	for (int i = 0; i < c->nargs && i < 5 && o < cap; i++)
		o += (size_t)snprintf(q + o, cap - o, "%s %.64s", i ? "," : "", c->args[i]);
	if (c->nargs > 5 && o < cap)
		o += (size_t)snprintf(q + o, cap - o, " and %d more", c->nargs - 5);
	if (o < cap)
		snprintf(q + o, cap - o, " at the next network boot?");
}

/* Whether a name is "all" (any case), which the server takes as every machine: refused
 * as a name, so a list never orders the whole lab unseen; --all says it. */
static int names_all(const struct ctl *c)
{
	for (int i = 0; i < c->nargs; i++) {
		if (!strcasecmp(c->args[i], "all")) {
			fprintf(stderr, "strata-ctl deploy: 'all' is not a machine's name: to order "
				"every machine, say --all\n");
			return 1;
		}
	}
	return 0;
}

/* With --json, a refused machine's line: {"machine": NAME, "refused": true, "exit": RC}. */
static void print_refused(const char *name, int rc)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "machine", json_object_new_string(name));
	json_object_object_add(o, "refused", json_object_new_boolean(1));
	json_object_object_add(o, "exit", json_object_new_int(rc));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED));
	json_object_put(o);
}

/* Order one machine; its exit code. */
static int deploy_one(struct ctl *c, struct api *a, const char *name)
{
	char path[512], what[128];
	int rc = order_path(path, sizeof(path), "deploy", name, "");

	snprintf(what, sizeof(what), "deploy %.64s", name);
	if (rc == CTL_OK && !(c->opts & OPT_JSON))
		printf("%s: ", name);
	fflush(stdout);
	if (rc == CTL_OK)
		rc = order_post(c, a, name, path, what, NULL);
	if (rc && !(c->opts & OPT_JSON))
		printf("refused\n");
	else if (rc && rc != CTL_EINTR)
		print_refused(name, rc);
	return rc;
}

/* Every machine in turn: CTL_OK, the one failure's code when all failed alike, or 7. */
static int deploy_list(struct ctl *c, struct api *a)
{
	int ok = 0, last = CTL_OK;

	for (int i = 0; i < c->nargs && !ctl_interrupted; i++) {
		int rc = deploy_one(c, a, c->args[i]);

		if (rc == CTL_OK)
			ok++;
		else
			last = rc;
	}
	if (ctl_interrupted)
		return CTL_EINTR;
	return last == CTL_OK || !ok ? last : CTL_EPARTIAL;
}

/* The form of the order: action=deploy and which machines.  An exit code. */
static int deploy_form(const struct ctl *c, char *form, size_t cap)
{
	char list[SCHEDULE_FORM_MAX] = "";
	size_t o = 0;

	snprintf(form, cap, "action=deploy");
	if (c->opts & OPT_ALL)
		return form_add(form, cap, "all", "yes");
	if (c->room)
		return form_add(form, cap, "room", c->room);
	for (int i = 0; i < c->nargs; i++)
		if ((o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? "," : "",
					   c->args[i])) >= sizeof(list))
			return fprintf(stderr, "strata-ctl deploy: too many names for one order\n"),
			       CTL_EUSAGE;
	return form_add(form, cap, "machines", list);
}

/* The room's preview: its id into id, the question into q.  An exit code. */
static int room_preview(struct ctl *c, struct api *a, const char *form, char *id, size_t idcap,
			char *q, size_t qcap)
{
	char path[SCHEDULE_FORM_MAX + 32], bytes[FMT_MAX];
	struct api_resp resp;
	json_object *o, *m, *r;
	int rc;

	snprintf(path, sizeof(path), "/api/orders/preview?%s", form);
	if ((rc = api_request(a, "POST", path, "the order's preview", &resp)))
		return rc;
	rc = api_json(&resp, "the order's preview", &o);
	api_resp_free(&resp);
	if (rc)
		return rc;
	m = json_object_object_get(o, "machines");
	r = json_object_object_get(o, "refused");
	fmt_bytes(bytes, (uint64_t)lab_int(o, "total_bytes"));
	snprintf(id, idcap, "%s", lab_str(o, "preview") ? lab_str(o, "preview") : "");
	snprintf(q, qcap, "Deploy the %zu machines of room %.64s (about %s to fetch%s) at their "
		 "next network boot?", m ? json_object_array_length(m) : 0, c->room, bytes,
		 r && json_object_array_length(r) ? "; some refused: --json lists them" : "");
	json_object_put(o);
	return CTL_OK;
}

/* The confirmed room order's answer, for people or --json; its exit code: 7 when some
 * machines were refused beside those marked, 5 when all were. */
static int room_answer(const struct ctl *c, json_object *o)
{
	json_object *r = json_object_object_get(o, "refused");
	size_t nr = r ? json_object_array_length(r) : 0;
	int64_t marked = lab_int(o, "marked");

	if (c->opts & OPT_JSON)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	else
		printf("deploy marked on %lld machines (order %lld)\n", (long long)marked,
		       (long long)lab_int(o, "order"));
	for (size_t i = 0; !(c->opts & OPT_JSON) && i < nr; i++)
		printf("refused %s: %s\n", lab_str(json_object_array_get_idx(r, i), "name"),
		       lab_str(json_object_array_get_idx(r, i), "why"));
	return !nr ? CTL_OK : marked ? CTL_EPARTIAL : CTL_EREFUSED;
}

/* deploy --room R: preview, ask with the totals, confirm that preview. */
static int deploy_room(struct ctl *c, struct api *a, const char *form)
{
	char id[64], q[512], path[128];
	struct api_resp resp;
	json_object *o;
	int rc = room_preview(c, a, form, id, sizeof(id), q, sizeof(q));

	if (rc == CTL_OK)
		rc = ctl_confirm(c, q);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/api/orders?preview=%.40s", id);
	if ((rc = api_request(a, "POST", path, "deploy", &resp)))
		return rc;
	rc = api_json(&resp, "deploy", &o);
	api_resp_free(&resp);
	if (rc)
		return rc;
	rc = room_answer(c, o);
	json_object_put(o);
	return rc;
}

int cmd_deploy(struct ctl *c)
{
	char q[512], form[SCHEDULE_FORM_MAX];
	struct api a;
	int rc;

	if (!!c->nargs + !!(c->opts & OPT_ALL) + !!c->room != 1) {
		fprintf(stderr, "strata-ctl deploy: name the machines, or --all, or --room R (one "
			"of them); usage: strata-ctl deploy NAME... | --all | --room R\n");
		return CTL_EUSAGE;
	}
	if (names_all(c))
		return CTL_EUSAGE;
	if ((c->at || c->room) && (rc = deploy_form(c, form, sizeof(form))))
		return rc;
	if (c->at) {
		question(c, q, sizeof(q));
		return schedule_order(c, form, q);
	}
	if (c->room) {
		if ((rc = api_open(&a, c)))
			return rc;
		rc = deploy_room(c, &a, form);
		api_close(&a);
		return rc;
	}
	if ((rc = api_open(&a, c)))
		return rc;
	question(c, q, sizeof(q));
	rc = ctl_confirm(c, q);
	if (rc == CTL_OK && (c->opts & OPT_ALL))
		rc = deploy_one(c, &a, "all");
	else if (rc == CTL_OK)
		rc = deploy_list(c, &a);
	api_close(&a);
	return rc;
}
