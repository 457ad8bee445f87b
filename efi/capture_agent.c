/*
 * The capture, strata.efi's side (docs/capture.md), as far as this build goes:
 *   task  -> GET /capture/task, signed by this boot's machine session: the server answers
 *            with the machine's open task (kind, profile), so nothing is read for a task
 *            that does not exist
 *   need  -> POST /capture/need (signed, b= over the body): one batch naming the disk's
 *            first CAPTURE_PROBE_BYTES, to which the server answers whether it lacks them;
 *            this proves the upload path on the boot path the PC came by
 * The capture engine (partitions read through the filesystem maps, chunk uploads, commits,
 * the gold layout) is not in this build: the run then ends failed, saying so, and nothing
 * on the disk was changed (it is only read).
 */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "alloc.h"
#include "capture_agent.h"
#include "crypto.h"
#include "log.h"
#include "rc.h"
#include "text.h"

/** Bytes of the disk the probe names in its need batch: one chunk of the lab's stores. */
#define CAPTURE_PROBE_BYTES (64u * 1024)
/** Longest answer of /capture/task or of one need batch of one line. */
#define CAPTURE_ANSWER_MAX 512

/* GET /capture/task: the server's line for our open task, logged. */
static int capture_task(struct agent *a)
{
	char url[ARGS_URL_MAX + 64 + STRATA_SESSION_SUFFIX_MAX], line[CAPTURE_ANSWER_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	snprintf(url, sizeof(url), "%s/capture/task", a->args.server);
	rc = agent_signed_buffer(a, url, sizeof(url), CAPTURE_ANSWER_MAX, &buf, &len);
	if (rc)
		return agent_fail(a, rc, "the server did not confirm the capture task");
	log_msg("capture: server: %s", log_slice(line, sizeof(line), (char *)buf,
						 strcspn((char *)buf, "\n")));
	strata_free(buf);
	return 0;
}

/* The name (SHA-256, hex and a newline) of the disk's first CAPTURE_PROBE_BYTES. */
static int probe_line(struct agent *a, char line[66])
{
	uint8_t *io = disk_buf_alloc(CAPTURE_PROBE_BYTES), digest[32];
	int rc;

	if (!io)
		return agent_fail(a, STRATA_ENOMEM, "no memory to read the disk");
	rc = disk_read(&a->disk, 0, io, CAPTURE_PROBE_BYTES);
	if (rc == 0)
		strata_sha256(io, CAPTURE_PROBE_BYTES, digest);
	disk_buf_free(io, CAPTURE_PROBE_BYTES);
	if (rc)
		return agent_fail(a, rc, "the disk's first chunk could not be read");
	strata_hex_encode(line, digest, 32);
	line[64] = '\n';
	line[65] = '\0';
	return 0;
}

/* POST /capture/need with one line: the answer says whether the server lacks it. */
static int capture_need(struct agent *a)
{
	char url[ARGS_URL_MAX + 160 + STRATA_SESSION_SUFFIX_MAX], line[66], shown[17];
	struct fetch_body body = { line, 65, "text/plain" };
	uint8_t *buf;
	size_t len;
	int rc = probe_line(a, line);

	if (rc)
		return rc;
	snprintf(url, sizeof(url), "%s/capture/need", a->args.server);
	rc = agent_signed_post(a, url, sizeof(url), &body, CAPTURE_ANSWER_MAX, &buf, &len);
	if (rc)
		return agent_fail(a, rc, "the server refused the have/need batch (see above)");
	log_msg("capture: need: the server lacks %u of 1 chunk (%s..)",
		(unsigned int)(len / 65), log_slice(shown, sizeof(shown), line, 16));
	strata_free(buf);
	return 0;
}

int capture_run(struct agent *a, EFI_HANDLE image)
{
	int rc;

	log_msg("capture: %s capture%s%s ordered", a->capture_gold ? "gold" : "machine",
		a->capture_gold ? " as profile " : "", a->capture_profile);
	rc = capture_task(a);
	if (rc == 0)
		rc = disk_find(&a->disk, CAPTURE_PROBE_BYTES, image);
	if (rc)
		return agent_fail(a, rc, "no disk to capture");
	rc = capture_need(a);
	if (rc)
		return rc;
	log_msg("capture: upload path ok over %s", fetch_backend_name(a->f));
	return agent_fail(a, log_fail(STRATA_ENOTSUP, "capture: this strata.efi has no capture "
				      "engine yet; nothing was uploaded or changed"),
			  "capture is not built into this strata.efi");
}
