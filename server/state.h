/*
 * What strata-server knows about each machine beyond the inventory: its manifest version,
 * its pending action, and what its agent last reported.  Kept in memory behind a lock
 * (HTTP threads and the main loop share it) and written to STATE_DIR/machines after every
 * change, so a restart keeps versions growing and failures visible.
 */
#ifndef STRATA_STATE_H
#define STRATA_STATE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "inventory.h"

enum mstate_result {
	MSTATE_NONE = 0,      /**< nothing reported yet */
	MSTATE_RUNNING = 1,   /**< an agent is deploying */
	MSTATE_OK = 2,        /**< the last deployment succeeded */
	MSTATE_FAILED = 3,    /**< the last deployment failed; kept until the next one */
};

/** One machine's state. */
struct mstate {
	uint8_t mac[6];
	uint64_t version;            /**< last manifest version issued */
	uint8_t content[32];         /**< hash of that manifest minus its version line */
	enum inv_action pending;     /**< what the next network boot does */
	enum inv_action inv_seen;    /**< the inventory's order when last applied */
	enum mstate_result result;
	uint64_t done, total;        /**< bytes, from the last progress report */
	time_t updated;              /**< last report */
	char message[160];           /**< last report's text, for the JSON view */
};

/** All machines' state.  Lock `lock` around any access to `m`. */
struct state {
	pthread_mutex_t lock;
	char *path;                  /**< STATE_DIR/machines */
	struct mstate *m;
	size_t n;
};

/** Load STATE_DIR/machines (missing is fine).  The caller owns *st. */
int state_open(const char *dir, struct state **st);
void state_close(struct state *st);

/** The entry for mac, created if missing.  Call with st->lock held. */
struct mstate *state_get(struct state *st, const uint8_t mac[6]);

/**
 * Drop mac's entry if its agent never reported (a machine that only asked what to boot):
 * the unknown-machine table forgets such machines, and their entries must not pile up
 * when someone makes up MACs.  Entries with a report stay, so a machine that comes back
 * keeps its history.  Call with st->lock held.
 */
void state_forget_unreported(struct state *st, const uint8_t mac[6]);

/** Write the state file atomically.  Call with st->lock held. */
int state_save(struct state *st);

const char *mstate_result_name(enum mstate_result r);

#endif /* STRATA_STATE_H */
