/*
 * The one flow of every order strata-ctl gives: confirm, POST, print the answer.  The
 * server's order routes answer a line of text (deploy, accept-key, cancel) or a JSON
 * object (capture, replace, restore, gc); --json prints JSON either way.
 */
#ifndef STRATA_CTL_ORDER_H
#define STRATA_CTL_ORDER_H

#include <json-c/json.h>
#include "api.h"

/** Prints a JSON answer for people (the object borrowed). */
typedef void (*order_print_fn)(json_object *answer);

/**
 * POST path (built by the caller, escaped) once confirmed by question, and print the
 * answer: with --json as JSON (a text answer as {"machine": MACHINE, "message": TEXT},
 * machine left out when NULL), otherwise JSON answers
 * through print and text as it came.  what names the order and machine in errors.
 * Returns an exit code.
 */
int order_run(struct ctl *c, const char *machine, const char *question, const char *path,
	      const char *what, order_print_fn print);

/** POST path on an open api and print the answer as order_run does; an exit code. */
int order_post(struct ctl *c, struct api *a, const char *machine, const char *path,
	       const char *what, order_print_fn print);

/**
 * "/api/VERB/NAME" with NAME escaped, then "?" and query when query is not empty, into
 * out (cap).  0, or CTL_EUSAGE (said) when it does not fit.
 */
int order_path(char *out, size_t cap, const char *verb, const char *name, const char *query);

/** The one NAME operand of a command, or NULL having printed its usage. */
const char *order_one_name(const struct ctl *c, const char *usage);

#endif /* STRATA_CTL_ORDER_H */
