/*
 * libFuzzer target for an order's form (orders.h's order_req_parse), which reads what an
 * admin's browser or a script posts to /api/orders and /api/orders/preview, and what a
 * scheduled order's kept form gives back when it fires.  Invariants: an accepted order
 * names its machines exactly one way (a list, a room or all); its canonical form
 * (order_req_form, what a schedule keeps) reads back as the same order; a refusal says
 * why; nothing is read past the input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http_parse.h"
#include "orders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int field(void *ctx, const char *key, char *buf, size_t cap)
{
	return http_query_get(ctx, key, buf, cap);
}

/* Whether a and b are the same order, at= and wake= aside (a kept form has neither). */
static int same(const struct order_req *a, const struct order_req *b)
{
	return a->action == b->action && !strcmp(a->machines, b->machines) &&
	       !strcmp(a->room, b->room) && a->all == b->all && !strcmp(a->as, b->as) &&
	       a->prepared == b->prepared && a->force == b->force && a->has_mac == b->has_mac &&
	       (!a->has_mac || !memcmp(a->mac, b->mac, 6)) && a->generation == b->generation;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t now = 1796472000;   /* 2026-12-05T12:00:00Z */
	char *q = malloc(size + 1), form[ORDERS_FORM_MAX];
	struct order_req o, back;
	const char *why = NULL;

	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	if (order_req_parse(&o, field, q, now, &why)) {
		if (!why)
			abort();
	} else {
		if ((o.machines[0] != 0) + (o.room[0] != 0) + (o.all != 0) != 1)
			abort();
		order_req_form(&o, form, sizeof(form));
		if (order_req_parse(&back, field, form, now, &why) || !same(&o, &back))
			abort();
	}
	free(q);
	return 0;
}
