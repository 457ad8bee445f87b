/*
 * The lab as /machines.json tells it (strata-ctl reads that view, not the paged
 * /api/machines), and what strata-ctl derives from it: a machine's state in the
 * dashboard's words.
 */
#ifndef STRATA_CTL_LAB_H
#define STRATA_CTL_LAB_H

#include <stdint.h>
#include <json-c/json.h>
#include "api.h"

/**
 * GET /machines.json into *doc (owned by the caller, json_object_put), checked to hold a
 * "machines" array.  An exit code (ctl.h), CTL_OK when *doc is set.
 */
int lab_get(struct api *a, json_object **doc);

/** The "machines" array of doc (borrowed). */
json_object *lab_machines(json_object *doc);

/** The machine called name, or whose MAC is name (':' or '-' separated), or NULL. */
json_object *lab_find(json_object *doc, const char *name);

/**
 * A machine's state, the first that applies: "failed" (its last report failed),
 * "capturing" or "deploying" (running, a capture's progress or not), "queued" (an order
 * pending), "idle".  A restore shows as capturing, then deploying: /machines.json does not
 * tell a restore apart.
 */
const char *lab_state(json_object *m);

/** Whether state is one a machine stays in until someone acts (idle or failed). */
int lab_state_settled(const char *state);

/** o's string member key (borrowed), or NULL when absent or not a string. */
const char *lab_str(json_object *o, const char *key);

/** o's integer member key, or 0 when absent or not an integer. */
int64_t lab_int(json_object *o, const char *key);

#endif /* STRATA_CTL_LAB_H */
