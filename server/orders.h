/*
 * Orders as the dashboard and strata-ctl give them (docs/dashboard-api.md): one action on
 * a set of machines (a list, a room or all), first previewed, then confirmed, now or at a
 * time (schedule.h).
 *
 * Why a preview: an order reimages a room.  The preview says, per machine, what it will
 * fetch (impact.h), which partitions are written, kept or restored, whether the user's
 * data survives, and which machines the order refuses, before anything is recorded.  The
 * confirmation runs exactly what was previewed: it is bound to the admin who asked and to
 * the lab as it was (the catalog's generation and each machine's state), and answers 409
 * when either changed in between, so nobody confirms a preview of another lab.
 *
 * Why no second implementation: every action runs through the code its own route uses
 * (server_mark_list, server_capture_order, restore_order, replace_order,
 * server_capture_cancel, server_accept_keys), so its checks, records and audit rows are
 * the same whichever way the order came.
 */
#ifndef STRATA_ORDERS_H
#define STRATA_ORDERS_H

#include <stdint.h>
#include <stdio.h>
#include "inventory.h"
#include "who.h"

struct server;

/** What an order does.  The names (order_action_name) are the form's and the audit's. */
enum order_action {
	ORDER_DEPLOY = 0, ORDER_CAPTURE, ORDER_REPLACE, ORDER_RESTORE, ORDER_BOOT_LOCAL,
	ORDER_CANCEL, ORDER_WAKE, ORDER_ACCEPT_KEY,
};

/** Longest machines= list (names or MACs, comma-separated). */
#define ORDERS_LIST_MAX 1024
/** Longest canonical form of an order (order_req_form), what a schedule keeps. */
#define ORDERS_FORM_MAX (ORDERS_LIST_MAX + 256)
/** Previews kept at once, and for how long (s). */
#define ORDERS_PREVIEWS 64
#define ORDERS_PREVIEW_S 300

/** An order as its form gives it, checked for syntax (not yet against the lab). */
struct order_req {
	enum order_action action;
	char machines[ORDERS_LIST_MAX];  /**< machines=a,b: names or MACs; "" otherwise */
	char room[INV_ROOM_MAX + 1];     /**< room=R; "" otherwise */
	int all;                         /**< all=yes or machines=all */
	char as[INV_NAME_MAX + 1];       /**< capture: the gold profile; "" a machine capture */
	int prepared, force;             /**< capture: prepared=yes, force=yes */
	uint8_t mac[6];                  /**< replace: the new PC */
	int has_mac;
	int64_t generation;              /**< restore: the generation, from 1 */
	int64_t at;                      /**< at=: Unix seconds; 0 now */
	int wake;                        /**< wake=yes: Wake-on-LAN before at */
};

/** Reads one form field: 1 with buf set (NUL-terminated, cap bytes), 0 absent, -1 bad. */
typedef int order_field_fn(void *ctx, const char *key, char *buf, size_t cap);

/**
 * Read an order from its form through get (the request's fields, or a schedule's kept
 * form).  now is the server's clock, for at= (schedule_parse.h).  0 with *o filled, or
 * STRATA_EINVAL with *why (static) naming the field at fault and its form.
 */
int order_req_parse(struct order_req *o, order_field_fn *get, void *ctx, int64_t now,
		    const char **why);

/** o's canonical form without at= and wake= ("action=deploy&room=B"): what a schedule
 *  keeps and re-reads when it fires.  Into out (ORDERS_FORM_MAX bytes). */
void order_req_form(const struct order_req *o, char *out, size_t cap);

/** o's target as the audit log names it: "all", "room:R" or the machines= list. */
void order_req_target(const struct order_req *o, char *out, size_t cap);

/** The action's word ("deploy", "boot-local", ...): static. */
const char *order_action_name(enum order_action a);

/**
 * Preview o for by (borrowed): write the preview's JSON to f (docs/dashboard-api.md) and
 * keep the preview for ORDERS_PREVIEW_S seconds under a new random id.  Takes the locks
 * itself.  0, STRATA_ENOMEM or STRATA_EREPORTED.
 */
int orders_preview(struct server *s, const struct order_req *o, const struct who *by,
		   FILE *f);

/**
 * The preview id (32 hex digits) that by made, into *o, if the lab is still as it was
 * then: 0 (the preview is used up), STRATA_ENOENT (no such preview, expired, or another
 * admin's), STRATA_ESTALE (the lab changed since: *o is still filled, and the preview
 * is dropped).
 */
int orders_take_preview(struct server *s, const char *id, const struct who *by,
			struct order_req *o);

/**
 * Run o now for by: each machine through the existing order code.  Writes
 * {"order","scheduled":null,"marked","refused"} to f.  0 when it ran (refusals are in the
 * answer), STRATA_ENOENT when it names no machine, STRATA_EREPORTED.
 */
int orders_run(struct server *s, const struct order_req *o, const struct who *by, FILE *f);

#endif /* STRATA_ORDERS_H */
