/*
 * Orders through POST /api/orders (docs/dashboard-api.md "Orders"): what strata-ctl's
 * --at and deploy --room send.  Why that route: it is the one that schedules (at=) and
 * the one whose preview says what a room will fetch before anyone confirms.
 */
#ifndef STRATA_CTL_SCHEDULE_H
#define STRATA_CTL_SCHEDULE_H

#include "order.h"

/** The longest form sent. */
#define SCHEDULE_FORM_MAX 2048

/**
 * Append "&KEY=VALUE" (VALUE percent-encoded) to form (cap bytes).  CTL_OK, or
 * CTL_EUSAGE when it does not fit (said on stderr, naming KEY).
 */
int form_add(char *form, size_t cap, const char *key, const char *value);

/**
 * Schedule the order form ("action=...&machines=..."; --at and --wake are added) at
 * c->at, after question is confirmed: POST /api/orders?FORM&confirm=yes.  Prints "order
 * scheduled as N at TIME" (or the answer, with --json).  An exit code.
 */
int schedule_order(struct ctl *c, const char *form, const char *question);

#endif /* STRATA_CTL_SCHEDULE_H */
