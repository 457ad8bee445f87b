/*
 * The orders on one machine: capture, replace, restore, accept-key and cancel (order.h
 * runs each).  deploy, which takes several machines, is in cmd_deploy.c.
 */
#include <stdio.h>
#include <string.h>
#include "lab.h"
#include "order.h"
#include "schedule.h"
#include "text.h"

#define Q_MAX 512

/* --at TIME: the order of the one machine name as a form (action, machines=, then extra,
 * "k=v&.." already escaped), scheduled through POST /api/orders.  An exit code. */
static int scheduled(struct ctl *c, const char *action, const char *name, const char *extra,
		     const char *question)
{
	char form[SCHEDULE_FORM_MAX];
	int rc;

	snprintf(form, sizeof(form), "action=%s", action);
	if ((rc = form_add(form, sizeof(form), "machines", name)))
		return rc;
	if (*extra && strlen(form) + strlen(extra) + 2 < sizeof(form))
		strcat(strcat(form, "&"), extra);
	return schedule_order(c, form, question);
}

/* A capture's answer: what was ordered, and the task's token for strata-image. */
static void print_capture(json_object *o)
{
	const char *kind = lab_str(o, "kind"), *profile = lab_str(o, "profile");

	printf("capture of %s ordered (%s%s%s): its next network boot runs it\n",
	       lab_str(o, "machine"), kind ? kind : "machine", profile ? ", to become profile " : "",
	       profile ? profile : "");
	printf("task token (for strata-image capture-disk --token, instead): %s\n",
	       lab_str(o, "token"));
}

/* --as needs --prepared: asked on a terminal, required elsewhere.  An exit code. */
static int capture_prepared(struct ctl *c, const char *name)
{
	struct ctl ask = *c;
	char q[256];

	if (!c->as)
		return fprintf(stderr, "strata-ctl capture: --prepared goes with --as PROFILE\n"),
		       CTL_EUSAGE;
	if (c->opts & OPT_PREPARED)
		return CTL_OK;
	if (!c->in_tty) {
		fprintf(stderr, "strata-ctl capture: a gold capture of %s needs the PC generalized "
			"first (sysprep, or cloud-init clean): add --prepared once it is\n", name);
		return CTL_EUSAGE;
	}
	snprintf(q, sizeof(q), "Has %s been generalized for a gold image (sysprep, or "
		 "cloud-init clean)?", name);
	ask.opts &= ~(unsigned int)OPT_YES;
	return ctl_confirm(&ask, q);
}

int cmd_capture(struct ctl *c)
{
	const char *name = order_one_name(c, "capture NAME [--as PROFILE [--prepared]] [--force]");
	char as[200] = "", q[Q_MAX], path[Q_MAX], what[128];
	int rc;

	if (!name)
		return CTL_EUSAGE;
	if ((c->as || (c->opts & OPT_PREPARED)) && (rc = capture_prepared(c, name)))
		return rc;
	if (c->as && api_escape(as, sizeof(as), c->as))
		return fprintf(stderr, "strata-ctl capture: --as is too long\n"), CTL_EUSAGE;
	snprintf(q, sizeof(q), "%s%s%s%s", c->as ? "as=" : "", as, c->as ? "&prepared=yes" : "",
		 c->opts & OPT_FORCE ? (c->as ? "&force=yes" : "force=yes") : "");
	if ((rc = order_path(path, sizeof(path), "capture", name, q)))
		return rc;
	snprintf(what, sizeof(what), "capture %.64s", name);
	if (c->at) {
		snprintf(q, sizeof(q), "%s%s%s%s", c->as ? "as=" : "", as,
			 c->as ? "&prepared=yes" : "", c->opts & OPT_FORCE ? (c->as ?
			 "&force=yes" : "force=yes") : "");
		snprintf(path, sizeof(path), "Capture %.64s%s%.64s", name,
			 c->as ? " as the gold profile " : "", c->as ? c->as : "");
		return scheduled(c, "capture", name, q, path);
	}
	snprintf(q, sizeof(q), "Capture %.64s%s%.64s at its next network boot?", name,
		 c->as ? " as the gold profile " : "", c->as ? c->as : "");
	return order_run(c, name, q, path, what, print_capture);
}

static void print_replace(json_object *o)
{
	printf("%s is now the PC %s (was %s); its key is %s: once it has booted, "
	       "strata-ctl accept-key %s\n", lab_str(o, "machine"), lab_str(o, "mac"),
	       lab_str(o, "replaced"), lab_str(o, "key"), lab_str(o, "machine"));
}

int cmd_replace(struct ctl *c)
{
	const char *name = order_one_name(c, "replace NAME --mac MAC");
	char q[Q_MAX], path[Q_MAX], what[128];
	uint8_t mac[6];
	int rc;

	if (!name)
		return CTL_EUSAGE;
	if (!c->mac || strata_mac_parse(mac, c->mac, strlen(c->mac))) {
		fprintf(stderr, "strata-ctl replace: give the new PC's MAC: --mac 52:54:00:12:34:56\n");
		return CTL_EUSAGE;
	}
	snprintf(q, sizeof(q), "mac=%s", c->mac);
	if ((rc = order_path(path, sizeof(path), "replace", name, q)))
		return rc;
	snprintf(what, sizeof(what), "replace %.64s", name);
	snprintf(q, sizeof(q), "Let the PC %s take %.64s over (name, profile, layers, "
		 "generations)?", c->mac, name);
	if (c->at) {
		snprintf(path, sizeof(path), "mac=%s", c->mac);
		return scheduled(c, "replace", name, path, q);
	}
	return order_run(c, name, q, path, what, print_replace);
}

static void print_restore(json_object *o)
{
	printf("restore of %s to generation %lld ordered: its next boot captures what it holds "
	       "first, then restores\n", lab_str(o, "machine"), (long long)lab_int(o, "generation"));
	printf("task token (for strata-image capture-disk --token, instead): %s\n",
	       lab_str(o, "token"));
}

int cmd_restore(struct ctl *c)
{
	const char *name = order_one_name(c, "restore NAME --generation N");
	char q[Q_MAX], path[Q_MAX], what[128];
	int rc;

	if (!name)
		return CTL_EUSAGE;
	if (!c->generation) {
		fprintf(stderr, "strata-ctl restore: which generation? --generation N "
			"(strata-ctl generations %s lists them)\n", name);
		return CTL_EUSAGE;
	}
	snprintf(q, sizeof(q), "generation=%llu", (unsigned long long)c->generation);
	if ((rc = order_path(path, sizeof(path), "restore", name, q)))
		return rc;
	snprintf(what, sizeof(what), "restore %.64s", name);
	snprintf(q, sizeof(q), "Restore %.64s's captured partitions to generation %llu (what "
		 "they hold now is captured first)?", name, (unsigned long long)c->generation);
	if (c->at) {
		snprintf(path, sizeof(path), "generation=%llu", (unsigned long long)c->generation);
		return scheduled(c, "restore", name, path, q);
	}
	return order_run(c, name, q, path, what, print_restore);
}

int cmd_accept_key(struct ctl *c)
{
	const char *name = order_one_name(c, "accept-key NAME");
	char q[Q_MAX], path[Q_MAX], what[128];
	int rc;

	if (!name)
		return CTL_EUSAGE;
	if ((rc = order_path(path, sizeof(path), "accept-key", name, "")))
		return rc;
	snprintf(what, sizeof(what), "accept-key %.64s", name);
	snprintf(q, sizeof(q), "Trust the key %.64s presented from now on?", name);
	return order_run(c, name, q, path, what, NULL);
}

int cmd_cancel(struct ctl *c)
{
	const char *name = order_one_name(c, "cancel NAME");
	char q[Q_MAX], path[Q_MAX], what[128];
	int rc;

	if (!name)
		return CTL_EUSAGE;
	if ((rc = order_path(path, sizeof(path), "capture-cancel", name, "")))
		return rc;
	snprintf(what, sizeof(what), "cancel %.64s", name);
	snprintf(q, sizeof(q), "End %.64s's open capture task?", name);
	return order_run(c, name, q, path, what, NULL);
}
