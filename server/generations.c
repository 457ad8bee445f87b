/* Listing a machine's captured generations (see generations.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "generations.h"
#include "host.h"
#include "private_store.h"
#include "quota.h"
#include "retention.h"
#include "server.h"
#include "text.h"

/* The one machine who names into mac and name ("" when only a MAC outside the
 * inventory).  0, STRATA_ENOENT or STRATA_EINVAL. */
static int one_machine(struct server *s, const char *who, uint8_t mac[6],
		       char name[INV_NAME_MAX + 1])
{
	int rc = server_match_one(s, who, mac, name);

	if (rc == STRATA_ENOENT && strata_mac_parse(mac, who, strlen(who)) == 0)
		return name[0] = '\0', 0;
	return rc;
}

/* One generation row (part, number, at, size, stored, uploaded, source, layer) as JSON;
 * opens a new partition's object when part changes (*last, the caller's, tracks it). */
static void json_row(FILE *f, sqlite3_stmt *st, char *last, size_t cap)
{
	const char *part = (const char *)sqlite3_column_text(st, 0);
	char hex[65] = "";
	int first = !last[0], same = !strcmp(last, part);

	if (sqlite3_column_bytes(st, 7) == 32)
		strata_hex_encode(hex, sqlite3_column_blob(st, 7), 32);
	if (!same)
		fprintf(f, "%s\n    {\"part\": \"%s\", \"generations\": [", first ? "" : "]},",
			part);
	fprintf(f, "%s\n      {\"number\": %lld, \"at\": %lld, \"size\": %lld, \"stored\": %lld, "
		"\"uploaded\": %lld, \"source\": \"%s\", \"layer\": \"sha256:%s\"}",
		same ? "," : "", (long long)sqlite3_column_int64(st, 1),
		(long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3),
		(long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5),
		(const char *)sqlite3_column_text(st, 6), hex);
	snprintf(last, cap, "%s", part);
}

/* The partitions array of smac's generations.  0 or STRATA_EREPORTED. */
static int json_parts(FILE *f, struct db *d, const char *smac)
{
	char last[64] = "";
	sqlite3_stmt *st;
	int step, rc = db_prepare(d, "SELECT part, number, at, size, stored, uploaded, source, "
				  "layer FROM generations WHERE mac = ? ORDER BY part, number",
				  "t", &st, smac);

	if (rc)
		return rc;
	fputs(", \"partitions\": [", f);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		json_row(f, st, last, sizeof(last));
	fputs(last[0] ? "]}\n  ]" : "]", f);
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : errorf("%s: cannot read the generations of %s: %s",
						d->path, smac, sqlite3_errmsg(d->h));
}

/* The machine's policy and store bytes, as the listing's first members. */
static void json_head(FILE *f, struct server *s, const uint8_t mac[6], const char *name)
{
	char smac[18], dir[PRIVATE_DIR_MAX];
	struct keep_policy p;
	uint64_t bytes = 0;

	strata_mac_format(smac, mac);
	retention_policy(s, mac, &p, NULL);
	if (private_store_dir(dir, sizeof(dir), s->cfg.private_dir, mac) == 0)
		(void)quota_tree_bytes(dir, &bytes);
	fprintf(f, "{\"machine\": \"%s\", \"mac\": \"%s\", \"keep\": %u, \"keep_daily\": %u, "
		"\"quota\": %llu, \"capture_every\": %llu, \"store_bytes\": %llu", name, smac,
		p.keep, p.keep_daily, (unsigned long long)p.quota, (unsigned long long)p.every,
		(unsigned long long)bytes);
}

int generations_json(struct server *s, const char *who, char **out)
{
	char name[INV_NAME_MAX + 1], smac[18];
	uint8_t mac[6];
	size_t len = 0;
	FILE *f;
	int rc = one_machine(s, who, mac, name);

	*out = NULL;
	if (rc)
		return rc;
	if (!(f = open_memstream(out, &len)))
		return STRATA_ENOMEM;
	strata_mac_format(smac, mac);
	json_head(f, s, mac, name);
	rc = json_parts(f, s->state->db, smac);
	fputs("}\n", f);
	fclose(f);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

void generations_latest_json(FILE *f, struct server *s, const uint8_t mac[6])
{
	sqlite3_stmt *st;
	char smac[18];

	strata_mac_format(smac, mac);
	if (db_prepare(s->state->db, "SELECT part, number, at, uploaded FROM generations WHERE "
		       "mac = ? ORDER BY at DESC, id DESC LIMIT 1", "t", &st, smac)) {
		fputs(", \"generation\": null", f);
		return;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		fprintf(f, ", \"generation\": {\"part\": \"%s\", \"number\": %lld, \"at\": %lld, "
			"\"uploaded\": %lld}", (const char *)sqlite3_column_text(st, 0),
			(long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
			(long long)sqlite3_column_int64(st, 3));
	else
		fputs(", \"generation\": null", f);
	sqlite3_finalize(st);
}
