/*
 * The lab as the dashboard sees it (docs/dashboard-api.md): one tile per machine, with its
 * state, progress, gold status, last capture, key and Secure Boot, and the filters, pages
 * and rooms GET /api/machines answers from it.
 *
 * Why a snapshot: /machines.json runs four SQL statements per machine under the catalog,
 * extra and state locks, so a lab of 5,000 machines would stall every agent's report while
 * a browser refreshes.  A snapshot copies the in-memory fields under those locks (no SQL
 * there), releases them, then fills the database's fields from a few grouped queries
 * (lab_snapshot.h).  What this file holds is pure: the tile, its state's rule, the query's
 * parsing, the filters, the pages and the JSON, so it is unit-tested without a server.
 */
#ifndef STRATA_LAB_VIEW_H
#define STRATA_LAB_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "inventory.h"
#include "state.h"

/** A tile's state: the first of these that applies, in this order (lab_state_of). */
enum lab_state {
	LAB_FAILED = 0,      /**< its last deployment or capture failed */
	LAB_CAPTURING,       /**< an agent is capturing (phase=capture reports) */
	LAB_RESTORING,       /**< an agent is deploying under an open restore order */
	LAB_DEPLOYING,       /**< an agent is deploying */
	LAB_QUEUED,          /**< an order waits for its next network boot */
	LAB_IDLE,
	LAB_NSTATES
};

/** Whether the machine runs its profile's current layers. */
enum lab_gold {
	LAB_GOLD_UNKNOWN = 0, /**< deployed before the server recorded layers: null */
	LAB_GOLD_CURRENT,     /**< every layer it last deployed is its profile's */
	LAB_GOLD_BEHIND,      /**< some layer differs (or it was never imaged) */
};

/** Its machine key (docs/security.md "Machine keys"). */
enum lab_key { LAB_KEY_NONE = 0, LAB_KEY_PINNED, LAB_KEY_DIFFERS, LAB_KEY_AWAITING };

/** A layer the profile names for one partition: what gold status compares against. */
struct lab_want {
	char label[STRATA_LABEL_MAX + 1];
	uint8_t layer[32];
};

/** One machine, copied: nothing in it points into the catalog or the state. */
struct lab_tile {
	uint8_t mac[6];
	char name[INV_NAME_MAX + 1];
	char profile[INV_NAME_MAX + 1];
	char room[INV_ROOM_MAX + 1];
	char site[INV_NAME_MAX + 1];
	enum lab_state state;
	enum inv_action pending;
	uint64_t done, total;        /**< bytes of the running deployment or capture */
	uint64_t mc_bytes, repair_bytes; /**< its store bytes by multicast and by HTTP (mstate) */
	double rate;                 /**< bytes/s of the running capture; < 0 unknown */
	enum lab_gold gold;
	int never;                   /**< never imaged: no layer recorded, no outcome */
	time_t last_capture;         /**< its latest generation's time; 0 none */
	char secure_boot[12];        /**< as reported, "" unknown */
	enum lab_key key;
	time_t updated;              /**< its agent's last report; 0 none */
	char message[400];           /**< that report's text (sanitised by server.c) */
	/* Inputs of the state and gold rules, kept for them (lab_tile_settle). */
	enum mstate_result result;
	int capturing, restoring;
	struct lab_want want[STRATA_MAX_PARTS];
	unsigned int nwant;          /**< the profile's parts with a store layer */
	unsigned int deployed_rows, deployed_match, deployed_differ;
};

/** The whole lab, sorted by room then name (a state change never reorders). */
struct lab_view {
	struct lab_tile *t;          /**< owned */
	size_t n;
	uint64_t gen;                /**< the catalog's generation: a reload changes it */
	uint64_t seq;                /**< the event stream's last frame when it was taken */
	time_t now;
};

/** The filters of GET /api/machines?filter=. */
enum lab_filter {
	LAB_F_ALL = 0, LAB_F_FAILED, LAB_F_BEHIND, LAB_F_NEVER, LAB_F_STALE, LAB_F_RUNNING,
	LAB_F_PENDING,
};

/** Most tiles a page holds, and how many without per=. */
#define LAB_PER_MAX 500
#define LAB_PER_DEFAULT 200
/** Days after which a capture is stale without stale_days=. */
#define LAB_STALE_DEFAULT 30

/** A request's question: GET /api/machines's query. */
struct lab_query {
	char room[INV_ROOM_MAX + 1]; /**< "" any */
	char q[INV_NAME_MAX + 1];    /**< a part of the name, any case; "" any */
	enum lab_filter filter;
	unsigned int stale_days;
	unsigned int page, per;      /**< page from 1 */
};

/** A query with nothing chosen: every machine, page 1 of LAB_PER_DEFAULT. */
void lab_query_init(struct lab_query *q);

/**
 * Set key (room, q, filter, stale_days, page, per) of q to value (hostile, decoded).
 * 0; STRATA_EINVAL with *why (static) for a malformed value or another key.
 */
int lab_query_set(struct lab_query *q, const char *key, const char *value, const char **why);

/** A query's decimal (hostile) in [lo, hi], digits only, at most 9: 0 with *out, or
 *  STRATA_EINVAL.  The one number reader of the dashboard's GET queries. */
int lab_number(const char *v, unsigned int lo, unsigned int hi, unsigned int *out);

/** The state rule: failed, capturing, restoring, deploying, queued, idle. */
enum lab_state lab_state_of(enum mstate_result result, int capturing, int restoring,
			    enum inv_action pending);

/** A state's word in the JSON ("failed", ...): static. */
const char *lab_state_name(enum lab_state s);

/** Record one deployed row (a partition's label and the layer it got) against t's want. */
void lab_tile_deployed(struct lab_tile *t, const char *label, const uint8_t layer[32]);

/** Settle t's state, gold and never from its inputs, once every row is in. */
void lab_tile_settle(struct lab_tile *t);

/** Whether t passes q's room, name and filter at time now. */
int lab_match(const struct lab_tile *t, const struct lab_query *q, time_t now);

/** Sort v's tiles by room, then name (machines without a room first). */
void lab_view_sort(struct lab_view *v);

/** The index of the tile named name (any case) in v, or -1. */
long lab_view_find(const struct lab_view *v, const char *name);

/** Whether b lists the same machines at the same indexes as a, from one catalog: else an
 *  index of a means another machine in b. */
int lab_view_same_layout(const struct lab_view *a, const struct lab_view *b);

/** Tile i of v's members, without the braces: what a machine's page starts with. */
void lab_tile_fields(FILE *f, const struct lab_view *v, size_t i);

/** Tile i of v as a JSON object (the TILE of docs/dashboard-api.md), to f. */
void lab_tile_json(FILE *f, const struct lab_view *v, size_t i);

/** {"total":N,"failed":N,...,"idle":N}: how many tiles of room (NULL: all) are in each
 *  state, to f. */
void lab_counts_json(FILE *f, const struct lab_view *v, const char *room);

/** Tile i's row of an event stream's tiles frame, [i,"state",done,total,rate,eta,
 *  "pending"] (rate and eta null when unknown), to f. */
void lab_tile_row_json(FILE *f, const struct lab_view *v, size_t i);

/** What changed from a to b (the same machine in two snapshots of one catalog). */
#define LAB_CHANGE_ROW  1u   /**< a field of its row: state, bytes, rate, pending */
#define LAB_CHANGE_TILE 2u   /**< a field only its whole tile has: state, gold, key,
				  last capture, Secure Boot, message */
unsigned int lab_tile_change(const struct lab_tile *a, const struct lab_tile *b);

/** GET /api/machines's answer for q, to f: gen, seq, page, per, counts, rooms, machines,
 *  total. */
void lab_machines_json(FILE *f, const struct lab_view *v, const struct lab_query *q);

/** Free what v owns; v may be zeroed or half filled. */
void lab_view_free(struct lab_view *v);

#endif /* STRATA_LAB_VIEW_H */
