/* An order's form, read and written back (orders.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_parse.h"
#include "orders.h"
#include "rc.h"
#include "schedule_parse.h"
#include "text.h"

static const char *const action_names[] = {
	[ORDER_DEPLOY] = "deploy", [ORDER_CAPTURE] = "capture", [ORDER_REPLACE] = "replace",
	[ORDER_RESTORE] = "restore", [ORDER_BOOT_LOCAL] = "boot-local", [ORDER_CANCEL] = "cancel",
	[ORDER_WAKE] = "wake", [ORDER_ACCEPT_KEY] = "accept-key",
};

const char *order_action_name(enum order_action a)
{
	return (unsigned int)a < sizeof(action_names) / sizeof(action_names[0])
		? action_names[a] : "?";
}

/* The action named v into *a.  0 or -1. */
static int action_parse(const char *v, enum order_action *a)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (!strcmp(v, action_names[i])) {
			*a = (enum order_action)i;
			return 0;
		}
	return -1;
}

/* Whether v is a machines= list: 1..ORDERS_LIST_MAX-1 bytes of names, MACs and commas,
 * no empty item.  What lets the list go into a form and the audit without escaping. */
static int list_ok(const char *v)
{
	size_t n = strlen(v);

	return n && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789._-:,") == n && v[0] != ',' && v[n - 1] != ',' &&
	       !strstr(v, ",,");
}

/* A yes/no field: 1 for "yes", 0 absent or "no", -1 otherwise. */
static int yes(order_field_fn *get, void *ctx, const char *key)
{
	char buf[8];
	int got = get(ctx, key, buf, sizeof(buf));

	if (got <= 0)
		return got;
	return !strcmp(buf, "yes") ? 1 : !strcmp(buf, "no") ? 0 : -1;
}

/* Which machines: machines=, room= or all=yes (exactly one).  0 or STRATA_EINVAL. */
static int target_parse(struct order_req *o, order_field_fn *get, void *ctx, const char **why)
{
	int m = get(ctx, "machines", o->machines, sizeof(o->machines));
	int r = get(ctx, "room", o->room, sizeof(o->room));
	int a = yes(get, ctx, "all");

	*why = "name the machines: machines=a,b (names or MACs), room=R or all=yes, one of them";
	if (m < 0 || r < 0 || a < 0 || (m > 0) + (r > 0) + (a > 0) != 1)
		return STRATA_EINVAL;
	if (m > 0 && !strcmp(o->machines, "all")) {
		o->machines[0] = '\0';
		o->all = 1;
	} else
		o->all = a > 0;
	if ((m > 0 && !o->all && !list_ok(o->machines)) || (r > 0 && !inv_room_ok(o->room)))
		return STRATA_EINVAL;
	return 0;
}

/* capture's as=, prepared=, force=, through the capture route's own checks. */
static int capture_parse(struct order_req *o, order_field_fn *get, void *ctx, const char **why)
{
	char as[INV_NAME_MAX + 2], prep[8], frc[8];
	int ga = get(ctx, "as", as, sizeof(as)), gp = get(ctx, "prepared", prep, sizeof(prep));
	int gf = get(ctx, "force", frc, sizeof(frc)), rc;
	struct capture_order co;

	*why = "as=, prepared= and force= must be short plain text";
	if (ga < 0 || gp < 0 || gf < 0)
		return STRATA_EINVAL;
	rc = capture_order_parse(ga > 0 ? as : NULL, gp > 0 ? prep : NULL, &co, why);
	if (rc == 0)
		rc = capture_order_force(gf > 0 ? frc : NULL, &co, why);
	if (rc)
		return rc;
	snprintf(o->as, sizeof(o->as), "%s", co.profile);
	o->prepared = co.prepared;
	o->force = co.force;
	return 0;
}

/* restore's generation= (from 1) and replace's mac=. */
static int args_parse(struct order_req *o, order_field_fn *get, void *ctx, const char **why)
{
	char buf[24], *end;

	if (o->action == ORDER_RESTORE) {
		*why = "generation= must be a generation number (1, 2, ..; GET "
		       "/api/generations/NAME lists them)";
		if (get(ctx, "generation", buf, sizeof(buf)) <= 0 || buf[0] < '1' || buf[0] > '9')
			return STRATA_EINVAL;
		o->generation = strtoll(buf, &end, 10);
		return *end || o->generation < 1 ? STRATA_EINVAL : 0;
	}
	if (o->action == ORDER_REPLACE) {
		*why = "mac= must be the new PC's MAC, like 52:54:00:12:34:56";
		if (get(ctx, "mac", buf, sizeof(buf)) <= 0 || strata_mac_parse(o->mac, buf, strlen(buf)))
			return STRATA_EINVAL;
		o->has_mac = 1;
	}
	return 0;
}

/* at= and wake=yes. */
static int when_parse(struct order_req *o, order_field_fn *get, void *ctx, int64_t now,
		      const char **why)
{
	char buf[40];
	int amb, got = get(ctx, "at", buf, sizeof(buf)), w = yes(get, ctx, "wake"), rc;

	*why = "at= must be YYYY-MM-DDTHH:MM[:SS], then Z, +HH:MM, -HH:MM or nothing";
	if (got < 0)
		return STRATA_EINVAL;
	*why = "wake= must be yes or no, and comes with at=";
	if (w < 0 || (w > 0 && got == 0))
		return STRATA_EINVAL;
	o->wake = w > 0;
	if (got == 0)
		return 0;
	rc = schedule_parse_time(buf, now, &o->at, &amb, why);
	return rc ? STRATA_EINVAL : 0;
}

int order_req_parse(struct order_req *o, order_field_fn *get, void *ctx, int64_t now,
		    const char **why)
{
	char buf[16];
	int rc;

	memset(o, 0, sizeof(*o));
	*why = "action= must be deploy, capture, replace, restore, boot-local, cancel, wake or "
	       "accept-key";
	if (get(ctx, "action", buf, sizeof(buf)) <= 0 || action_parse(buf, &o->action))
		return STRATA_EINVAL;
	rc = target_parse(o, get, ctx, why);
	if (rc == 0 && o->action == ORDER_CAPTURE)
		rc = capture_parse(o, get, ctx, why);
	if (rc == 0)
		rc = args_parse(o, get, ctx, why);
	if (rc == 0)
		rc = when_parse(o, get, ctx, now, why);
	return rc;
}

void order_req_target(const struct order_req *o, char *out, size_t cap)
{
	if (o->all)
		snprintf(out, cap, "all");
	else if (o->room[0])
		snprintf(out, cap, "room:%s", o->room);
	else
		snprintf(out, cap, "%s", o->machines);
}

void order_req_form(const struct order_req *o, char *out, size_t cap)
{
	char mac[18];
	int n;

	n = snprintf(out, cap, "action=%s&%s%s", order_action_name(o->action),
		     o->all ? "all=yes" : o->room[0] ? "room=" : "machines=",
		     o->all ? "" : o->room[0] ? o->room : o->machines);
	if (o->as[0] && n > 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, "&as=%s", o->as);
	if (o->prepared && n > 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, "&prepared=yes");
	if (o->force && n > 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, "&force=yes");
	if (o->generation && n > 0 && (size_t)n < cap)
		n += snprintf(out + n, cap - (size_t)n, "&generation=%lld", (long long)o->generation);
	if (o->has_mac && n > 0 && (size_t)n < cap) {
		strata_mac_format(mac, o->mac);
		snprintf(out + n, cap - (size_t)n, "&mac=%s", mac);
	}
}
