/* `strata-image build --store URL --token TOKEN`: build, then upload (see cli.h). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "codec.h"
#include "layer_build.h"
#include "manifest.h"
#include "need.h"
#include "upload.h"

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) ? -1 : 0;
}

/* The base URL without trailing slashes, into out (cap bytes).  0, or 2 for usage. */
static int base_url(const char *url, char *out, size_t cap)
{
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return errorf("--token uploads to strata-server: --store must be its base URL "
			      "(http://HOST[:PORT])"), 2;
	while (n > 8 && url[n - 1] == '/')
		n--;
	if (n >= cap)
		return errorf("--store: URL too long"), 2;
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}

int capture_base_url(const char *url, char *out, size_t cap)
{
	return base_url(url, out, cap);
}

/* Build path into the folder store dir: the layer id into id.  0 or 1. */
static int stage(const char *dir, const char *path, unsigned int shift, int level,
		 unsigned int flags, uint8_t id[32])
{
	struct layer_build_stats st = { 0 };
	struct store *store;
	int rc;

	if (store_open(dir, 1, &store))
		return 1;
	rc = layer_build(store, path, shift, level, flags, id, &st);
	store_close(store);
	return rc ? 1 : 0;
}

/* The result: the layer id, the commit's answer, and with json the counts. */
static void report(const uint8_t id[32], const struct upload_stats *st, const char *answer,
		   int json)
{
	char idstr[72];

	strata_layer_id_format(idstr, id);
	fprintf(stderr, "upload: %llu bytes in %llu chunks uploaded, %llu chunks present\n",
		(unsigned long long)st->bytes_uploaded, (unsigned long long)st->chunks_uploaded,
		(unsigned long long)st->chunks_present);
	if (answer[0])
		fprintf(stderr, "commit: %s", answer);
	if (json)
		printf("{\"layer\": \"%s\", \"bytes_uploaded\": %llu, \"chunks_uploaded\": %llu, "
		       "\"chunks_present\": %llu, \"server_key\": \"%s\"}\n", idstr,
		       (unsigned long long)st->bytes_uploaded,
		       (unsigned long long)st->chunks_uploaded,
		       (unsigned long long)st->chunks_present,
		       st->server_key_checked ? "checked" : "unchecked (trust on first use)");
	else
		printf("%s\n", idstr);
}

/* Build path into a staging folder (removed after) and upload it under job's task (its
 * staging and id filled here): the layer id into id (the one the commit's answer names,
 * when it committed), the counts into *st, the commit's
 * answer into answer.  0 or 1 (printed). */
static int stage_upload(struct upload_job *job, const char *path, unsigned int shift,
			int level, unsigned int flags, uint8_t id[32], struct upload_stats *st,
			char *answer, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	int rc;

	snprintf(dir, sizeof(dir), "%s/strata-stage.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return errorf("cannot make a staging folder under %s", tmp ? tmp : "/tmp"), 1;
	rc = stage(dir, path, shift, level, flags, id);
	if (rc == 0) {
		job->staging = dir;
		job->id = id;
		job->forced = !!(flags & LAYER_BUILD_FORCE);
		rc = upload_layer(job, st, answer, cap) ? 1 : 0;
	}
	/* The layer the server committed: its own when it rewrote stored sizes to its files. */
	if (rc == 0 && answer[0] && strata_commit_answer_layer(answer, strlen(answer), id)) {
		errorf("the commit's answer names no layer=sha256:HEX: %s", answer);
		rc = 1;
	}
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

int build_upload(const char *url, const char *token, const char *part, const char *pubkey,
		 int json, const char *path, unsigned int shift, int level, unsigned int flags)
{
	struct upload_job job = { .token = token, .part = part, .pubkey = pubkey };
	char base[1024], answer[512];
	struct upload_stats st;
	uint8_t id[32];
	int rc;

	if (!token)
		return errorf("build: --part, --pubkey and --json go with --token TOKEN (the answer of POST "
			      "/api/capture/NAME)"), 2;
	rc = base_url(url, base, sizeof(base));
	if (rc)
		return rc;
	job.base = base;
	rc = stage_upload(&job, path, shift, level, flags, id, &st, answer, sizeof(answer));
	if (rc == 0)
		report(id, &st, answer, json);
	return rc;
}

int capture_part_upload(const char *base, const char *token, const char *pubkey,
			const char *label, const char *path, unsigned int flags, uint8_t id[32])
{
	struct upload_job job = { .base = base, .token = token, .part = label,
				  .pubkey = pubkey };
	char answer[512];
	struct upload_stats st;
	int rc = stage_upload(&job, path, STRATA_CHUNK_SHIFT_DEFAULT, STRATA_DEFLATE_LEVEL, flags, id, &st, answer,
			      sizeof(answer));

	if (rc == 0)
		fprintf(stderr, "%s: %llu bytes uploaded; commit: %s", label,
			(unsigned long long)st.bytes_uploaded, answer);
	return rc;
}
