/*
 * What strata-server knows about each machine beyond the inventory: its manifest version,
 * its pending action, and what its agent last reported.  Kept in memory behind a lock
 * (HTTP threads and the main loop share it) and written to the database's machines table
 * (db.h) after every change, so a restart keeps versions growing and failures visible.
 *
 * Older servers kept it in a text file, STATE_DIR/machines; state_open imports that file
 * into a database that lacks its machines and renames it machines.imported.
 */
#ifndef STRATA_STATE_H
#define STRATA_STATE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "db.h"
#include "inventory.h"

enum mstate_result {
	MSTATE_NONE = 0,      /**< nothing reported yet */
	MSTATE_RUNNING = 1,   /**< an agent is deploying */
	MSTATE_OK = 2,        /**< the last deployment succeeded */
	MSTATE_FAILED = 3,    /**< the last deployment failed; kept until the next one */
};

/** Largest byte count a report may give: SQLite stores signed 64-bit integers. */
#define STATE_BYTES_MAX ((uint64_t)INT64_MAX)

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
	char message[400];           /**< last report's text, for the JSON view: a disk
					  shortfall (docs/restore.md) whole */
	/* In memory only: a capture's progress (phase=capture reports), for its rate. */
	int capturing;               /**< the last report was phase=capture */
	time_t cap_t0;               /**< when this capture's first report came */
	uint64_t cap_d0;             /**< the bytes read it said */
	/* In memory only: a deployment's progress (phase=progress reports), for the
	 * dashboard's rate (lab_view.h). */
	time_t dep_t0;               /**< when this deployment's first report came */
	uint64_t dep_d0;             /**< the bytes written it said */
	/* In memory only (boot_watch.h): */
	time_t boot_fetched;         /**< when the PC last fetched strata.efi, or 0 */
	time_t agent_seen;           /**< when its agent last spoke (registration, report) */
	char secure_boot[12];        /**< "enforcing", "setup", "off" as reported, or "" */
	/* In memory only: how a multicast deployment's store bytes came so far (its
	 * reports' mc= and rep=; docs/multicast.md), 0 for a deployment by HTTP alone. */
	uint64_t mc_bytes;           /**< received by multicast, verified and written */
	uint64_t repair_bytes;       /**< fetched by HTTP (the repair, or unicast) */
};

/** All machines' state.  Lock `lock` around any access to `m`. */
struct state {
	pthread_mutex_t lock;
	struct db *db;               /**< STATE_DIR/strata.db, owned; also the audit log's */
	struct mstate *m;
	size_t n;
};

/**
 * Open STATE_DIR/strata.db (created and migrated when needed), import an old
 * STATE_DIR/machines file, and load every machine.  The caller owns *st.  0 or
 * STRATA_EREPORTED.
 */
int state_open(const char *dir, struct state **st);
void state_close(struct state *st);

/** The entry for mac, created if missing.  Call with st->lock held. */
struct mstate *state_get(struct state *st, const uint8_t mac[6]);

/** The entry for mac, or NULL: never adds one, for questions any MAC on the network can
 *  ask (the proxyDHCP's).  Call with st->lock held. */
struct mstate *state_find(struct state *st, const uint8_t mac[6]);

/**
 * st's entries sorted by MAC, for a caller that looks up every machine at once (the
 * dashboard's snapshot, once a second while a stream is open): state_find scans, so one
 * per machine costs machines x entries, 10-20 ms for 5,000 machines, under st->lock, which
 * every report waits for (docs/benchmarks.md, "Dashboard").  Call with st->lock held and
 * use it only while holding it: the array is the caller's to free, the entries stay st's.
 * NULL without memory.
 */
const struct mstate **state_index(const struct state *st);

/** The entry for mac through ix (state_index's of st, st->lock still held), or NULL. */
const struct mstate *state_index_find(const struct state *st, const struct mstate **ix,
				      const uint8_t mac[6]);

/**
 * Drop mac's entry, in memory and in the database, if its agent never reported (a machine
 * that only asked what to boot): the unknown-machine table forgets such machines, and
 * their entries must not pile up when someone makes up MACs.  Entries with a report stay,
 * so a machine that comes back keeps its history.  Call with st->lock held.
 * 0 or STRATA_EREPORTED.
 */
int state_forget_unreported(struct state *st, const uint8_t mac[6]);

/**
 * Delete mac's row inside a transaction the caller opened with db_begin on st->db: a MAC a
 * replacement retired (replace.h) is an unknown machine again.  state_remove drops the
 * entry from memory once that transaction committed.  Call with st->lock held.
 * 0 or STRATA_EREPORTED.
 */
int state_delete(struct state *st, const uint8_t mac[6]);

/** Drop mac's entry from memory only (see state_delete).  Call with st->lock held. */
void state_remove(struct state *st, const uint8_t mac[6]);

/** Write every machine in one transaction.  Call with st->lock held. */
int state_save(struct state *st);

/** Write mac's row (if it has one) in a transaction of its own.  Call with st->lock held.
 *  0 or STRATA_EREPORTED. */
int state_save_one(struct state *st, const uint8_t mac[6]);

/**
 * Write one machine's row inside a transaction the caller opened with db_begin on st->db,
 * so it commits together with the caller's other records (an order and its audit row).
 * Call with st->lock held.  0 or STRATA_EREPORTED.
 */
int state_put(struct state *st, const struct mstate *m);

const char *mstate_result_name(enum mstate_result r);

#endif /* STRATA_STATE_H */
