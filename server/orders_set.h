/*
 * The machines an order names, resolved against the catalog (orders.h): internal to
 * server/orders*.c.  Why a copy: the preview and the run both need the list, and neither
 * may keep a pointer into a catalog a reload can free.
 */
#ifndef STRATA_ORDERS_SET_H
#define STRATA_ORDERS_SET_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "orders.h"
#include "server.h"

struct impact;

/** One machine an order names, or one item of machines= that names none. */
struct order_mach {
	size_t i;                        /**< index in the catalog's products; SIZE_MAX: none */
	uint8_t mac[6];
	char name[INV_NAME_MAX + 1];     /**< the machine's name, or the unmatched item */
	const char *why;                 /**< static: why the order refuses it; NULL: taken */
};

/** The machines of an order, in catalog order for room= and all, else the list's. */
struct order_set {
	struct order_mach *m;            /**< owned */
	size_t n, taken;                 /**< entries, and those without a why */
	size_t cap;                      /**< room in m: what the order can name at most */
	uint64_t gen;                    /**< the catalog's generation it was resolved in */
	uint8_t lab[32];                 /**< orders_set_lab of it */
};

/**
 * Resolve o's machines and check each as its own order would (a capture, restore or
 * replacement takes one machine; a capture none with an open task; ...).  Call with the
 * catalog's read lock; takes the state lock for lab.  0 with *set (free with
 * orders_set_free), STRATA_ENOMEM or STRATA_EREPORTED.
 */
int orders_set_resolve(struct server *s, const struct order_req *o, struct order_set *set);

void orders_set_free(struct order_set *set);

/** Write `"refused": [{"name","why"}]` for set's refused machines into f: the same list
 *  in a preview's answer and in a run's (orders.c). */
void orders_refused_json(FILE *f, const struct order_set *set);

/** Whether order o writes part p from the store (deploy, restore and replace write the
 *  layer parts that are not capture=yes): what the preview lists and the cost counts. */
int orders_writes(const struct order_req *o, const struct inv_part *p);

/**
 * Add to *im what machine m (of the catalog: call with its read lock) would fetch for o:
 * each written layer against the one it last deployed to that partition (the deployed
 * table; none for a replacement's new PC), its machine layer in full unless it deployed
 * that one.  Layer pairs' costs are remembered (256), so a room of identical PCs costs
 * one diff.  A layer the store lacks counts nothing.
 */
void orders_machine_cost(struct server *s, const struct order_req *o,
			 const struct order_mach *m, struct impact *im);

/** action=wake of set's taken machines for by: one audit row naming o's target, then the
 *  magic packets (wol.h's wol_order).  How many machines, or wol_order's rc. */
int orders_wake(struct server *s, const struct order_req *o, const struct order_set *set,
		const struct who *by);

#endif /* STRATA_ORDERS_SET_H */
