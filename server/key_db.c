/* Machine key and nonce rows (see key_db.h). */
#include <sqlite3.h>
#include <string.h>
#include <sys/random.h>
#include "host.h"
#include "key_db.h"

/* Drop expired nonces and mac's oldest beyond the limit, then store nonce. */
static int nonce_store(struct db *d, const char *mac, int64_t now,
		       const uint8_t nonce[KEY_NONCE_LEN])
{
	int rc = db_run(d, "DELETE FROM nonces WHERE expires < ?", "i", now);

	if (rc == 0)
		rc = db_run(d, "DELETE FROM nonces WHERE mac = ? AND nonce NOT IN (SELECT nonce "
			    "FROM nonces WHERE mac = ? ORDER BY expires DESC LIMIT ?)", "tti", mac,
			    mac, (int64_t)KEY_NONCES_PER_MAC - 1);
	if (rc == 0)
		rc = db_run(d, "INSERT INTO nonces (nonce, mac, expires) VALUES (?, ?, ?)", "Bti",
			    nonce, (size_t)KEY_NONCE_LEN, mac, now + KEY_NONCE_TTL);
	return rc;
}

int key_nonce_issue(struct db *d, const char *mac, int64_t now, uint8_t out[KEY_NONCE_LEN])
{
	int rc;

	if (getrandom(out, KEY_NONCE_LEN, 0) != KEY_NONCE_LEN)
		return errorf("cannot get random bytes for a nonce");
	rc = db_begin(d);
	if (rc)
		return rc;
	return db_end(d, nonce_store(d, mac, now, out));
}

int key_nonce_take(struct db *d, const char *mac, const uint8_t nonce[KEY_NONCE_LEN],
		   int64_t now)
{
	int rc = db_run(d, "DELETE FROM nonces WHERE nonce = ? AND mac = ? AND expires >= ?",
			"Bti", nonce, (size_t)KEY_NONCE_LEN, mac, now);

	if (rc)
		return rc;
	return sqlite3_changes(d->h) == 1 ? 0 : STRATA_EAUTH;
}

/* Copy a 65-byte key column into out; 1 when it held one. */
static int key_column(sqlite3_stmt *st, int col, uint8_t out[KEY_PUB_LEN])
{
	if (sqlite3_column_bytes(st, col) != KEY_PUB_LEN)
		return 0;
	memcpy(out, sqlite3_column_blob(st, col), KEY_PUB_LEN);
	return 1;
}

int key_row_get(struct db *d, const char *mac, struct key_row *out)
{
	sqlite3_stmt *st;
	int rc = db_prepare(d, "SELECT pubkey, pinned_at, pending, pending_at, awaiting FROM "
			    "machine_keys WHERE mac = ?", "t", &st, mac);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		out->pinned = key_column(st, 0, out->pub);
		out->pinned_at = sqlite3_column_int64(st, 1);
		out->pending = key_column(st, 2, out->other);
		out->pending_at = sqlite3_column_int64(st, 3);
		out->awaiting = sqlite3_column_int(st, 4) != 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = errorf("%s: cannot read the key of %s: %s", d->path, mac, sqlite3_errmsg(d->h));
	}
	sqlite3_finalize(st);
	return rc;
}

int key_pending_macs(struct db *d, char (*macs)[18], int cap)
{
	sqlite3_stmt *st;
	int n = 0, step, rc = db_prepare(d, "SELECT mac FROM machine_keys WHERE pending IS NOT "
					 "NULL ORDER BY mac LIMIT ?", "i", &st, (int64_t)cap);

	if (rc)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(macs[n++], 18, "%s", (const char *)sqlite3_column_text(st, 0));
	if (step != SQLITE_DONE)
		n = errorf("%s: cannot list pending keys: %s", d->path, sqlite3_errmsg(d->h));
	sqlite3_finalize(st);
	return n;
}

int key_pin(struct db *d, const char *mac, const uint8_t pub[KEY_PUB_LEN], int64_t now)
{
	return db_run(d, "INSERT OR REPLACE INTO machine_keys (mac, pubkey, pinned_at, pending, "
		      "pending_at) VALUES (?, ?, ?, NULL, NULL)", "tBi", mac, pub,
		      (size_t)KEY_PUB_LEN, now);
}

int key_set_pending(struct db *d, const char *mac, const uint8_t pub[KEY_PUB_LEN], int64_t now)
{
	return db_run(d, "UPDATE machine_keys SET pending = ?, pending_at = ? WHERE mac = ?",
		      "Bit", pub, (size_t)KEY_PUB_LEN, now, mac);
}

int key_await(struct db *d, const char *mac, int64_t now)
{
	return db_run(d, "INSERT OR REPLACE INTO machine_keys (mac, pubkey, pinned_at, pending, "
		      "pending_at, awaiting) VALUES (?, x'', ?, NULL, NULL, 1)", "ti", mac, now);
}

int key_forget(struct db *d, const char *mac)
{
	return db_run(d, "DELETE FROM machine_keys WHERE mac = ?", "t", mac);
}
