/*
 * deploy NAME... | --all: one POST /api/deploy/NAME per machine (the server's "all" for
 * --all), after one confirmation.  A list is ordered machine by machine, so one unknown
 * name does not stop the rest: the exit code then says 7, some refused.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "order.h"

/* The question naming the machines (the first few, then a count). */
static void question(const struct ctl *c, char *q, size_t cap)
{
	size_t o;

	if (c->opts & OPT_ALL) {
		snprintf(q, cap, "Deploy EVERY machine of %s at its next network boot?", c->server);
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

int cmd_deploy(struct ctl *c)
{
	char q[512];
	struct api a;
	int rc;

	if (!c->nargs == !(c->opts & OPT_ALL)) {
		fprintf(stderr, "strata-ctl deploy: name the machines, or --all (not both); usage: "
			"strata-ctl deploy NAME... | --all\n");
		return CTL_EUSAGE;
	}
	if (names_all(c))
		return CTL_EUSAGE;
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
