/*
 * Scheduled orders (at= on POST /api/orders): kept in the scheduled_orders table (db.c,
 * step 10), fired by the main loop, listed by GET /api/schedule, cancelled by POST
 * /api/schedule-cancel/ID.
 *
 * Why a poll every SCHEDULE_POLL_S seconds, not a timer armed for each order: the clock
 * may jump (NTP, a test's --clock-file), and a timer armed for the old time would strand
 * an order; a poll asks "what is due now?" of the server's clock (server_clock.h) and
 * misses nothing.  An order found more than SCHEDULE_LATE_S late (the server was down at
 * the time) is marked missed and audited, never run: a room is not reimaged in the middle
 * of the class that follows.  wake=yes wakes the machines (Wake-on-LAN, wol.h)
 * SCHEDULE_WAKE_S before the time, and again at it.  A scheduled order runs as the admin
 * who scheduled it, audited with via=schedule.
 */
#ifndef STRATA_SCHEDULE_H
#define STRATA_SCHEDULE_H

#include <stdint.h>
#include <stdio.h>
#include "orders.h"
#include "who.h"

struct server;

/** Seconds between polls, how late an order may still run, and how early a wake goes. */
#define SCHEDULE_POLL_S 10
#define SCHEDULE_LATE_S 900
#define SCHEDULE_WAKE_S 300

/**
 * Keep o (o->at set) for by: a pending row, its id into *id.  The form kept is
 * order_req_form's, read again when it fires.  0 or STRATA_EREPORTED.
 */
int schedule_add(struct server *s, const struct order_req *o, const struct who *by,
		 int64_t *id);

/**
 * Cancel scheduled order id for by.  0; STRATA_ENOENT no such order; STRATA_ESTALE when it
 * is no longer pending (fired, missed or cancelled); STRATA_EREPORTED.
 */
int schedule_cancel(struct server *s, int64_t id, const struct who *by);

/** Cancel the pending orders whose machines= list names name or mac (action=cancel on a
 *  machine).  0 or STRATA_EREPORTED. */
int schedule_cancel_naming(struct server *s, const char *name, const uint8_t mac[6],
			   const struct who *by);

/** GET /api/schedule's array, newest first (at most 500), to f.  0 or STRATA_EREPORTED. */
int schedule_json(struct server *s, FILE *f);

/**
 * The main loop's poll: call it every second or so (now_ms: loop_now()); every
 * SCHEDULE_POLL_S it sends the wakes due and runs, or marks missed, the orders due.
 */
void schedule_tick(struct server *s, uint64_t now_ms);

#endif /* STRATA_SCHEDULE_H */
