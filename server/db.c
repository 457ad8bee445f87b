/* strata-server's SQLite database: open, migrations, transactions (see db.h). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "db.h"
#include "host.h"

/*
 * The schema, one step per version: step i takes a database from user_version i to i+1.
 * Steps are never edited once released; a change is a new step.  Times are Unix seconds,
 * MACs are text "52:54:00:12:34:01".
 */
static const char *const migrations[] = {
	/* 1: the machines' state (what STATE_DIR/machines held) and the audit log. */
	"CREATE TABLE machines ("
	"  mac TEXT PRIMARY KEY,"
	"  version INTEGER NOT NULL,"        /* last manifest version issued */
	"  content BLOB NOT NULL,"           /* SHA-256 of that manifest minus its version */
	"  pending INTEGER NOT NULL,"        /* enum inv_action */
	"  inv_seen INTEGER NOT NULL,"       /* enum inv_action */
	"  result INTEGER NOT NULL,"         /* enum mstate_result */
	"  done INTEGER NOT NULL, total INTEGER NOT NULL, updated INTEGER NOT NULL,"
	"  message TEXT NOT NULL);"
	/* Every order: who gave it (the API token's NAME), what it named, what it asked. */
	"CREATE TABLE orders ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  token_name TEXT NOT NULL,"
	"  target TEXT NOT NULL,"            /* as requested: a name, a MAC or all */
	"  action TEXT NOT NULL);"
	/* The machines an order marked, and how each one's deployment ended. */
	"CREATE TABLE order_machines ("
	"  order_id INTEGER NOT NULL REFERENCES orders(id),"
	"  mac TEXT NOT NULL,"
	"  outcome TEXT,"                    /* NULL until the agent reports ok or failed */
	"  outcome_at INTEGER,"
	"  PRIMARY KEY (order_id, mac));"
	"CREATE INDEX order_machines_open ON order_machines(mac) WHERE outcome IS NULL;",
	/* 2: empty until machine-key pinning uses them: each machine's pinned public key, and
	 * the single-use nonces handed out to machines, kept until they expire. */
	"CREATE TABLE machine_keys ("
	"  mac TEXT PRIMARY KEY,"
	"  pubkey BLOB NOT NULL,"
	"  pinned_at INTEGER NOT NULL);"
	"CREATE TABLE nonces ("
	"  nonce BLOB PRIMARY KEY,"
	"  mac TEXT NOT NULL,"
	"  expires INTEGER NOT NULL);",
	/* 3: a key a machine presented that differs from its pinned one, kept until an admin
	 * accepts it (POST /api/accept-key) or the machine presents the pinned one again. */
	"ALTER TABLE machine_keys ADD COLUMN pending BLOB;"
	"ALTER TABLE machine_keys ADD COLUMN pending_at INTEGER;",
	/* 4: capture tasks (capture_task.h): one a machine at most while open.  The token is
	 * never stored: it is remade from nonce with STATE/capture.key, and sid (its task
	 * session's id, strata_session_task_derive) finds the task. */
	"CREATE TABLE capture_tasks ("
	"  id INTEGER PRIMARY KEY,"
	"  sid BLOB NOT NULL UNIQUE,"
	"  nonce BLOB NOT NULL,"
	"  mac TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"              /* gold or machine */
	"  profile TEXT,"                    /* gold: the profile it becomes */
	"  prepared INTEGER NOT NULL,"       /* gold: the admin confirmed generalization */
	"  token_name TEXT NOT NULL,"        /* the API credential that ordered it */
	"  created INTEGER NOT NULL,"
	"  ended INTEGER,"                   /* NULL while the task is open */
	"  outcome TEXT,"                    /* cancelled or committed, once ended */
	"  uploaded INTEGER NOT NULL DEFAULT 0);"  /* bytes of chunk files it stored */
	"CREATE UNIQUE INDEX capture_tasks_open ON capture_tasks(mac) WHERE ended IS NULL;"
	/* A machine's captured generations, one per commit of a capture=yes partition. */
	"CREATE TABLE generations ("
	"  id INTEGER PRIMARY KEY,"
	"  mac TEXT NOT NULL,"
	"  part TEXT NOT NULL,"              /* the partition's label */
	"  number INTEGER NOT NULL,"         /* 1, 2, .. per machine and partition */
	"  at INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"           /* the layer's image size */
	"  stored INTEGER NOT NULL,"         /* bytes of the chunk files its index names */
	"  uploaded INTEGER NOT NULL,"       /* bytes its task uploaded */
	"  source TEXT NOT NULL,"            /* upload: a task token's client */
	"  layer BLOB NOT NULL,"             /* layer id */
	"  task_id INTEGER NOT NULL REFERENCES capture_tasks(id),"
	"  UNIQUE (mac, part, number));",
	/* 5: a capture task commits each partition once (capture_commit.h) and ends with
	 * done, or failed with the agent's message; a gold task's done records the captured
	 * profile (capture_done.h), which the inventory loads beside its own. */
	"ALTER TABLE capture_tasks ADD COLUMN message TEXT;"   /* failed: the agent's text */
	"CREATE TABLE capture_commits ("
	"  task_id INTEGER NOT NULL REFERENCES capture_tasks(id),"
	"  part TEXT NOT NULL,"              /* the partition's label */
	"  layer BLOB NOT NULL,"             /* layer id: public (gold) or the machine's own */
	"  forced INTEGER NOT NULL,"         /* force=yes: built under force (no fs map, or a
						failed check) */
	"  size INTEGER NOT NULL,"
	"  stored INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (task_id, part));"
	"CREATE TABLE captured_profiles ("
	"  name TEXT PRIMARY KEY,"           /* the order's as=: never overwritten */
	"  task_id INTEGER NOT NULL REFERENCES capture_tasks(id),"
	"  mac TEXT NOT NULL,"               /* the source machine */
	"  machine TEXT NOT NULL,"           /* its inventory name then */
	"  token_name TEXT NOT NULL,"        /* the credential that ordered it */
	"  at INTEGER NOT NULL,"
	"  prepared INTEGER NOT NULL,"
	"  forced TEXT NOT NULL,"            /* labels committed with force=yes, comma-separated */
	"  layout TEXT NOT NULL);",          /* the unsigned layout (manifest text) */
	/* 6: when a machine with an interval capture (capture-every=, interval.h) was first
	 * seen at a network boot: its first interval runs from there. */
	"CREATE TABLE machine_seen ("
	"  mac TEXT PRIMARY KEY,"
	"  first INTEGER NOT NULL);",
	/* 7: an admin's restore orders (restore.h): generation N of every captured partition,
	 * written after the order's capture task commits, until the machine reports it
	 * deployed. */
	"CREATE TABLE restore_orders ("
	"  id INTEGER PRIMARY KEY,"
	"  mac TEXT NOT NULL,"
	"  generation INTEGER NOT NULL,"    /* the number, per captured partition */
	"  task_id INTEGER NOT NULL REFERENCES capture_tasks(id),"  /* the capture first */
	"  token_name TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  ended INTEGER,"                  /* NULL until the machine reports it deployed */
	"  last_generation INTEGER);",      /* then: max(generations.id), what it restored over */
	/* 8: a capture order's force=yes (capture_parse.h): strata.efi captures a filesystem
	 * it cannot map whole, forced, instead of refusing it. */
	"ALTER TABLE capture_tasks ADD COLUMN force INTEGER NOT NULL DEFAULT 0;",
	/* 9: a machine replaced by a new PC (replace.h): the new MAC took over the old one's
	 * rows in the transaction that wrote this one; moved says its private store folder
	 * was renamed too (a server killed before that renames it at start).  A key row with
	 * awaiting = 1 was made by a replacement: it pins no key, and the first key a PC
	 * presents for that MAC waits for an admin's acceptance like a differing one. */
	"CREATE TABLE replacements ("
	"  id INTEGER PRIMARY KEY,"
	"  machine TEXT NOT NULL,"          /* the inventory name it kept */
	"  old_mac TEXT NOT NULL,"
	"  new_mac TEXT NOT NULL,"
	"  token_name TEXT NOT NULL,"       /* the credential, or inventory for replaces= */
	"  at INTEGER NOT NULL,"
	"  moved INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX replacements_machine ON replacements(machine COLLATE NOCASE);"
	"CREATE INDEX replacements_old ON replacements(old_mac);"
	"CREATE INDEX replacements_new ON replacements(new_mac);"
	"ALTER TABLE machine_keys ADD COLUMN awaiting INTEGER NOT NULL DEFAULT 0;",
	/* 10: the dashboard's (issue 15): through what each order came (who.h: token,
	 * session, schedule, inventory, cli, machine, interval; older rows' fixed names give theirs);
	 * a failed machine's whole message; the layers each machine last deployed, per
	 * partition; and orders scheduled for later. */
	"ALTER TABLE orders ADD COLUMN via TEXT NOT NULL DEFAULT 'token';"
	"UPDATE orders SET via = token_name WHERE token_name IN ('inventory', 'machine', 'cli', 'interval');"
	"ALTER TABLE order_machines ADD COLUMN message TEXT;"  /* failed: the whole message */
	"CREATE TABLE deployed ("
	"  mac TEXT NOT NULL,"
	"  part TEXT NOT NULL,"              /* the partition's label */
	"  layer BLOB NOT NULL,"             /* layer id */
	"  version INTEGER NOT NULL,"        /* the manifest version that deployed it */
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (mac, part));"
	"CREATE TABLE scheduled_orders ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"             /* when it fires */
	"  wake INTEGER NOT NULL,"           /* 1: Wake-on-LAN first */
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  params TEXT NOT NULL,"            /* the order's form fields */
	"  token_name TEXT NOT NULL,"
	"  via TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"             /* pending done cancelled missed failed */
	"  ended INTEGER,"
	"  result TEXT);"
	"CREATE INDEX scheduled_due ON scheduled_orders(at) WHERE state = 'pending';",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int db_schema_version(void)
{
	return N_MIGRATIONS;
}

/* Report SQLite's last error on d with what we were doing. */
static int db_fail(struct db *d, const char *what)
{
	return errorf("%s: %s: %s", d->path, what, sqlite3_errmsg(d->h));
}

int db_exec(struct db *d, const char *sql)
{
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rc = errorf("%s: %s", d->path, msg ? msg : sqlite3_errmsg(d->h));
	sqlite3_free(msg);
	return rc;
}

int db_begin(struct db *d)
{
	pthread_mutex_lock(&d->lock);
	if (db_exec(d, "BEGIN IMMEDIATE") == 0)
		return 0;
	pthread_mutex_unlock(&d->lock);
	return STRATA_EREPORTED;
}

int db_end(struct db *d, int rc)
{
	if (rc == 0 && db_exec(d, "COMMIT"))
		rc = STRATA_EREPORTED;
	if (rc)
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* Bind the parameters fmt describes (see db_prepare). */
static int bind_all(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	int rc = SQLITE_OK;
	const uint8_t *p;

	for (int i = 1; fmt[i - 1] && rc == SQLITE_OK; i++) {
		if (fmt[i - 1] == 't')
			rc = sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else if (fmt[i - 1] == 'b')
			rc = sqlite3_bind_blob(st, i, va_arg(ap, const uint8_t *), 32,
					       SQLITE_TRANSIENT);
		else if (fmt[i - 1] == 'B') {
			p = va_arg(ap, const uint8_t *);
			rc = sqlite3_bind_blob(st, i, p, (int)va_arg(ap, size_t), SQLITE_TRANSIENT);
		} else
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
	}
	return rc;
}

static int prepare_v(struct db *d, const char *sql, const char *fmt, sqlite3_stmt **out,
		     va_list ap)
{
	if (sqlite3_prepare_v2(d->h, sql, -1, out, NULL) != SQLITE_OK)
		return db_fail(d, "cannot prepare a statement");
	if (bind_all(*out, fmt, ap) == SQLITE_OK)
		return 0;
	sqlite3_finalize(*out);
	*out = NULL;
	return db_fail(d, "cannot bind a parameter");
}

int db_prepare(struct db *d, const char *sql, const char *fmt, sqlite3_stmt **out, ...)
{
	va_list ap;
	int rc;

	va_start(ap, out);
	rc = prepare_v(d, sql, fmt, out, ap);
	va_end(ap);
	return rc;
}

int db_run(struct db *d, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = prepare_v(d, sql, fmt, &st, ap);
	va_end(ap);
	if (rc)
		return rc;
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(d, "cannot write");
	sqlite3_finalize(st);
	return rc;
}

int db_exists(struct db *d, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc, step;

	va_start(ap, fmt);
	rc = prepare_v(d, sql, fmt, &st, ap);
	va_end(ap);
	if (rc)
		return rc;
	step = sqlite3_step(st);
	rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : db_fail(d, "cannot read");
	sqlite3_finalize(st);
	return rc;
}

/* The database's user_version, or -1. */
static int user_version(struct db *d)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(d->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Apply the steps the database lacks, each with its new version in one transaction. */
static int migrate(struct db *d)
{
	int v = user_version(d);
	char set[40];

	if (v < 0)
		return db_fail(d, "cannot read the schema version");
	if (v > N_MIGRATIONS)
		return errorf("%s: schema version %d is newer than this server's (%d)", d->path, v,
			      N_MIGRATIONS);
	for (; v < N_MIGRATIONS; v++) {
		snprintf(set, sizeof(set), "PRAGMA user_version = %d", v + 1);
		if (db_begin(d))
			return STRATA_EREPORTED;
		if (db_end(d, db_exec(d, migrations[v]) || db_exec(d, set) ? STRATA_EREPORTED : 0))
			return STRATA_EREPORTED;
		fprintf(stderr, "strata-server: %s: schema version %d\n", d->path, v + 1);
	}
	return 0;
}

/* WAL (the backup and crash story of db.h relies on it), durable commits, a busy wait for
 * an outside reader such as `sqlite3 .backup`. */
static int configure(struct db *d)
{
	sqlite3_stmt *st;
	int wal = 0;

	sqlite3_busy_timeout(d->h, 5000);
	if (sqlite3_prepare_v2(d->h, "PRAGMA journal_mode = WAL", -1, &st, NULL) == SQLITE_OK) {
		wal = sqlite3_step(st) == SQLITE_ROW &&
		      !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
	}
	if (!wal)
		return db_fail(d, "cannot turn on WAL mode");
	return db_exec(d, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
}

/* Create a missing database file readable by the server alone: it holds the audit log, and
 * SQLite gives its -wal and -shm files the database file's mode. */
static int create_private(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return errorf("%s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

int db_open(const char *path, struct db **out)
{
	struct db *d = calloc(1, sizeof(*d));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;

	if (!d || !(d->path = strdup(path)))
		goto err_mem;
	pthread_mutex_init(&d->lock, NULL);
	if (create_private(path))
		goto err_db;
	if (sqlite3_open_v2(path, &d->h, flags, NULL) != SQLITE_OK) {
		db_fail(d, "cannot open the database");
		goto err_db;
	}
	if (configure(d) || migrate(d))
		goto err_db;
	*out = d;
	return 0;
err_db:
	db_close(d);
	return STRATA_EREPORTED;
err_mem:
	free(d);
	return errorf("out of memory");
}

void db_close(struct db *d)
{
	if (!d)
		return;
	sqlite3_close(d->h);
	pthread_mutex_destroy(&d->lock);
	free(d->path);
	free(d);
}
