/*
 * register MAC... --pattern P --profile X [--start N] [--room R] [--site S]: POST
 * /api/register (docs/registration.md) after one confirmation; prints each MAC's name.
 */
#include <stdio.h>
#include <string.h>
#include "lab.h"
#include "order.h"
#include "text.h"

/** The longest query built. */
#define REGISTER_QUERY_MAX 8192

/* The answer for people: "MAC  NAME" lines, then the file. */
static void print_register(json_object *o)
{
	json_object *list = json_object_object_get(o, "registered");

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *m = json_object_array_get_idx(list, i);

		printf("%s  %s\n", lab_str(m, "mac"), lab_str(m, "name"));
	}
	printf("written to %s; the server reloads its inventory\n", lab_str(o, "file"));
}

/* "&KEY=VALUE" (escaped) at out + *o; 0, or -1 when it does not fit. */
static int add(char *out, size_t cap, size_t *o, const char *key, const char *value)
{
	char esc[512];

	if (!value)
		return 0;
	if (api_escape(esc, sizeof(esc), value))
		return -1;
	*o += (size_t)snprintf(out + *o, cap - *o, "&%s=%s", key, esc);
	return *o < cap ? 0 : -1;
}

/* /api/register?macs=A,B&pattern=..&profile=..[&start=..&room=..&site=..]. */
static int register_path(const struct ctl *c, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "/api/register?macs=");
	char start[24];

	for (int i = 0; i < c->nargs && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", c->args[i]);
	snprintf(start, sizeof(start), "%llu", (unsigned long long)c->start);
	if (o >= cap || add(out, cap, &o, "pattern", c->pattern) ||
	    add(out, cap, &o, "profile", c->profile) ||
	    add(out, cap, &o, "start", c->start ? start : NULL) ||
	    add(out, cap, &o, "room", c->room) || add(out, cap, &o, "site", c->site))
		return -1;
	return 0;
}

/* Each operand is a MAC (checked here, so a typo is not sent). */
static int macs_ok(const struct ctl *c)
{
	uint8_t mac[6];

	for (int i = 0; i < c->nargs; i++)
		if (strata_mac_parse(mac, c->args[i], strlen(c->args[i]))) {
			fprintf(stderr, "strata-ctl register: '%s' is not a MAC like "
				"52:54:00:12:34:56\n", c->args[i]);
			return 0;
		}
	return 1;
}

int cmd_register(struct ctl *c)
{
	char path[REGISTER_QUERY_MAX], q[200];

	if (!c->nargs || !c->pattern || !c->profile) {
		fprintf(stderr, "strata-ctl register: usage: strata-ctl register MAC... "
			"--pattern P --profile X [--start N] [--room R] [--site S]\n");
		return CTL_EUSAGE;
	}
	if (!macs_ok(c))
		return CTL_EUSAGE;
	if (register_path(c, path, sizeof(path))) {
		fprintf(stderr, "strata-ctl register: too many MACs for one request\n");
		return CTL_EUSAGE;
	}
	snprintf(q, sizeof(q), "Register %d PC%s as %.64s, profile %.64s?", c->nargs,
		 c->nargs == 1 ? "" : "s", c->pattern, c->profile);
	return order_run(c, NULL, q, path, "register", print_register);
}
