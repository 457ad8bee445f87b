/*
 * wake NAME... | --room R: Wake-on-LAN through POST /api/wake (docs/wol.md).  One
 * request names every machine, so the server writes one audit row and sends each magic
 * packet from its own queue; strata-ctl never sends a packet itself (it may run far from
 * the lab's segment).
 */
#include <stdio.h>
#include <string.h>
#include "lab.h"
#include "order.h"

/** The longest query built: names= of every operand. */
#define WAKE_QUERY_MAX 2048

/* The answer for people: "woke N machines: A, B, ...". */
static void print_wake(json_object *o)
{
	json_object *list = json_object_object_get(o, "machines");
	size_t n = list ? json_object_array_length(list) : 0;

	printf("magic packets queued for %zu machine%s:", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(list, i);
		const char *name = lab_str(m, "name"), *mac = lab_str(m, "mac");

		printf("%s %s (%s)", i ? "," : "", name ? name : "?", mac ? mac : "?");
	}
	printf("\n");
}

/* The query: names=A,B (each escaped) or room=R, after "/api/wake?".  0 or CTL_EUSAGE. */
static int wake_path(const struct ctl *c, char *path, size_t cap)
{
	size_t o = (size_t)snprintf(path, cap, "/api/wake?%s=", c->room ? "room" : "names");
	char esc[512];

	if (c->room)
		return api_escape(esc, sizeof(esc), c->room) ||
			(size_t)snprintf(path + o, cap - o, "%s", esc) >= cap - o ? CTL_EUSAGE : 0;
	for (int i = 0; i < c->nargs; i++) {
		if (api_escape(esc, sizeof(esc), c->args[i]) ||
		    (o += (size_t)snprintf(path + o, cap - o, "%s%s", i ? "," : "", esc)) >= cap)
			return CTL_EUSAGE;
	}
	return 0;
}

int cmd_wake(struct ctl *c)
{
	char path[WAKE_QUERY_MAX], q[160];

	if (!c->room == !c->nargs) {
		fprintf(stderr, "strata-ctl wake: name the machines or give --room R, not both; "
			"usage: strata-ctl wake NAME... | --room R [--yes]\n");
		return CTL_EUSAGE;
	}
	if (wake_path(c, path, sizeof(path))) {
		fprintf(stderr, "strata-ctl wake: too many or too long names for one request; "
			"use --room R\n");
		return CTL_EUSAGE;
	}
	if (c->room)
		snprintf(q, sizeof(q), "Wake every machine of room %.64s?", c->room);
	else
		snprintf(q, sizeof(q), "Wake %.64s%s?", c->args[0],
			 c->nargs > 1 ? " and the others named" : "");
	return order_run(c, NULL, q, path, "wake", print_wake);
}
