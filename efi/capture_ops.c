/* A capture's requests to strata-server (see capture_ops.h). */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "alloc.h"
#include "capture_ops.h"
#include "clock.h"
#include "log.h"
#include "need.h"
#include "rc.h"
#include "text.h"

/** Longest answer of a chunk upload, a commit or the end of a task: one line. */
#define CAPTURE_ANSWER_MAX 512
/** A progress report to the server at most this often (ms). */
#define CAPTURE_REPORT_MS 2000
/** Room for a capture request's URL: the server, the path, the query, the signature. */
#define CAPTURE_URL_MAX (ARGS_URL_MAX + 256 + STRATA_SESSION_SUFFIX_MAX)

int capture_io_need(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing)
{
	struct capture_io *io = ctx;
	char url[CAPTURE_URL_MAX], *body = strata_alloc(n * STRATA_NEED_LINE);
	struct fetch_body b = { body, 0, "text/plain" };
	uint8_t *ans = NULL;
	size_t len = 0, line = 0;
	int rc;

	if (!body)
		return log_fail(STRATA_ENOMEM, "capture: part %s: no memory for a have/need batch",
				io->label);
	b.len = strata_need_write(body, d, n, NULL);
	snprintf(url, sizeof(url), "%s/capture/need", io->a->args.server);
	rc = agent_signed_post(io->a, url, sizeof(url), &b, NULL, STRATA_NEED_BODY_MAX, &ans,
			       &len);
	if (rc == 0 && strata_need_answer_parse((const char *)ans, len, d, n, missing, &line))
		rc = log_fail(STRATA_EINVAL, "capture: part %s: the have/need answer is malformed "
			      "at line %zu", io->label, line);
	else if (rc)
		log_fail(rc, "capture: part %s: have/need batch of %zu names refused", io->label, n);
	strata_free(ans);
	strata_free(body);
	return rc;
}

int capture_io_upload(void *ctx, const struct strata_chunk *c, const uint8_t *file)
{
	struct capture_io *io = ctx;
	char url[CAPTURE_URL_MAX], hex[65], aad[16 + 64 + 1], line[CAPTURE_ANSWER_MAX];
	struct fetch_body b = { file, c->stored_size, "application/octet-stream" };
	uint8_t *ans;
	size_t len;
	int n, rc;

	strata_hex_encode(hex, c->digest, 32);
	snprintf(aad, sizeof(aad), "/capture/chunk/%s", hex);
	n = snprintf(url, sizeof(url), "%s%s", io->a->args.server, aad);
	if (c->flags & STRATA_ENTRY_ZLIB)
		snprintf(url + n, sizeof(url) - (size_t)n, "?z=1&len=%llu",
			 (unsigned long long)c->length);
	rc = agent_signed_post(io->a, url, sizeof(url), &b, io->sealed ? aad : NULL,
			       CAPTURE_ANSWER_MAX, &ans, &len);
	if (rc)
		return log_fail(rc, "capture: part %s: chunk %llu (%s): upload of %llu bytes "
				"refused", io->label, (unsigned long long)c->index, hex,
				(unsigned long long)c->stored_size);
	log_slice(line, sizeof(line), (char *)ans, strcspn((char *)ans, "\n"));
	strata_free(ans);
	return 0;
}

void capture_io_progress(void *ctx, const struct strata_capture_stats *st)
{
	struct capture_io *io = ctx;
	char msg[96];
	uint64_t now = clock_ms();

	if (st->to_read)          /* known once the scan is done: the rate's and ETA's base */
		io->bar.total = st->to_read;
	progress_update(&io->bar, st->read);
	if (now - io->last_report_ms < CAPTURE_REPORT_MS)
		return;
	io->last_report_ms = now;
	snprintf(msg, sizeof(msg), "part %s uploaded %llu", io->label,
		 (unsigned long long)st->uploaded);
	agent_report(io->a, "capture", st->read, st->to_read, msg);
}

int capture_io_commit(struct capture_io *io, const uint8_t *index, size_t len, char *line,
		      size_t cap, uint8_t layer[32])
{
	char url[CAPTURE_URL_MAX];
	struct fetch_body b = { index, len, "application/octet-stream" };
	uint8_t *ans;
	size_t n;
	int rc;

	snprintf(url, sizeof(url), "%s/capture/commit?part=%s%s", io->a->args.server, io->label,
		 io->forced ? "&force=yes" : "");
	rc = agent_signed_post(io->a, url, sizeof(url), &b, io->sealed ? "/capture/commit" : NULL,
			       CAPTURE_ANSWER_MAX, &ans, &n);
	if (rc)
		return log_fail(rc, "capture: part %s: the server did not commit its index (%zu "
				"bytes)", io->label, len);
	log_slice(line, cap, (char *)ans, strcspn((char *)ans, "\n"));
	strata_free(ans);
	if (strata_commit_answer_layer(line, strlen(line), layer))
		return log_fail(STRATA_EINVAL, "capture: part %s: the commit's answer names no "
				"layer=sha256:HEX: %s", io->label, line);
	return 0;
}

int capture_io_done(struct agent *a, const char *body, size_t len)
{
	char url[CAPTURE_URL_MAX], line[CAPTURE_ANSWER_MAX];
	struct fetch_body b = { body, len, "text/plain" };
	uint8_t *ans;
	size_t n;
	int rc;

	snprintf(url, sizeof(url), "%s/capture/done", a->args.server);
	rc = agent_signed_post(a, url, sizeof(url), &b, NULL, CAPTURE_ANSWER_MAX, &ans, &n);
	if (rc)
		return log_fail(rc, "capture: the server did not end the task (POST /capture/done)");
	log_msg("capture: server: %s", log_slice(line, sizeof(line), (char *)ans,
						 strcspn((char *)ans, "\n")));
	strata_free(ans);
	return 0;
}
