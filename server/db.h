/*
 * strata-server's database: one SQLite file, STATE_DIR/strata.db, holding the machines'
 * state (state.c), the audit log of orders (audit.c) and, for key pinning, machine keys
 * and nonces.
 *
 * Why SQLite: a record the server acknowledged must survive a crash at any moment and a
 * record it did not finish must not appear half-written.  Every change runs in a
 * transaction (db_begin .. db_end); WAL mode with synchronous=FULL makes a commit durable
 * before the server answers, and lets `sqlite3 strata.db .backup` copy a consistent
 * snapshot while the server runs.
 *
 * The schema's version is SQLite's user_version; db.c's migrations table says what each
 * version adds, and db_open applies the missing ones in order, each in its own
 * transaction, so a server killed during a migration starts the step again.
 *
 * Threads: one connection shared by the HTTP threads and the main loop.  db_begin takes
 * the database's mutex, so one transaction runs at a time; SQLite's own serialized mode
 * covers single statements.  Lock order: any other lock (catalog, state) before this one.
 */
#ifndef STRATA_DB_H
#define STRATA_DB_H

#include <pthread.h>
#include <stdint.h>

struct sqlite3;
struct sqlite3_stmt;

/** An open database. */
struct db {
	struct sqlite3 *h;
	pthread_mutex_t lock;     /**< held from db_begin to db_end */
	char *path;               /**< for messages, owned */
};

/** Schema version this build writes (the number of migration steps). */
int db_schema_version(void);

/**
 * Open (creating if missing) the database at path, in WAL mode with a busy timeout, and
 * migrate it to db_schema_version().  A database newer than this build is refused.
 * 0 or STRATA_EREPORTED; *out is the caller's, closed with db_close.
 */
int db_open(const char *path, struct db **out);
void db_close(struct db *d);

/** Take the lock and start a write transaction.  0 or STRATA_EREPORTED (lock released). */
int db_begin(struct db *d);

/**
 * End what db_begin started: COMMIT when rc is 0, else ROLLBACK; release the lock.
 * Returns rc, or STRATA_EREPORTED when the commit failed (then nothing was written).
 */
int db_end(struct db *d, int rc);

/** Run SQL without results (one or more statements).  0 or STRATA_EREPORTED. */
int db_exec(struct db *d, const char *sql);

/**
 * Prepare one statement and bind its parameters from fmt, one letter each: 't' text
 * (const char *), 'b' a 32-byte blob (const uint8_t *), 'B' a blob of any size (const
 * uint8_t *, then its size_t length), 'i' int64_t.  *out is the
 * caller's, finalised with sqlite3_finalize.  0 or STRATA_EREPORTED.
 */
int db_prepare(struct db *d, const char *sql, const char *fmt, struct sqlite3_stmt **out,
	       ...);

/** db_prepare, one step (no row expected), finalise.  0 or STRATA_EREPORTED. */
int db_run(struct db *d, const char *sql, const char *fmt, ...);

/** Whether the query sql (bound as db_prepare) gives a row: the one shape of the
 *  server's "is there one?" questions (an open task, a commit, a profile's name).  1, 0,
 *  or STRATA_EREPORTED (logged, naming the database). */
int db_exists(struct db *d, const char *sql, const char *fmt, ...);

#endif /* STRATA_DB_H */
