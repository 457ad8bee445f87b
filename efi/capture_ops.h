/*
 * A capture's requests to strata-server (docs/capture.md), as the core engine's callbacks
 * (images/core/capture.h struct strata_capture_ops) and the steps around them: have/need
 * batches, chunk uploads, the commit of a partition's index, the task's end.  Every request
 * is signed by this boot's machine session (agent_signed_post); a machine capture's
 * uploads travel sealed under the session's enc key, a gold capture's (public data) in
 * clear.  The flow (which partitions, in which order) is capture_agent.c's.
 */
#ifndef STRATA_EFI_CAPTURE_OPS_H
#define STRATA_EFI_CAPTURE_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "capture.h"
#include "progress.h"

struct agent;

/** One partition's capture, shared by the callbacks.  The caller's, on its stack. */
struct capture_io {
	struct agent *a;
	const char *label;         /**< the partition's label (borrowed): every message names it */
	int sealed;                /**< machine capture: uploads sealed (seal.h) */
	int forced;                /**< the engine forced this partition: commit force=yes */
	struct progress bar;       /**< the screen's line: bytes read of to_read */
	uint64_t last_report_ms;   /**< the last progress report to the server */
};

/** strata_capture_ops.need: POST /capture/need with d[0..n) (need.h), answer parsed. */
int capture_io_need(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing);

/** strata_capture_ops.upload: POST /capture/chunk/HEX with the chunk's file. */
int capture_io_upload(void *ctx, const struct strata_chunk *c, const uint8_t *file);

/** strata_capture_ops.progress: the screen's line, and a report every few seconds. */
void capture_io_progress(void *ctx, const struct strata_capture_stats *st);

/**
 * POST /capture/commit?part=LABEL[&force=yes] with the partition's index[0..len): the
 * server's answer line (its first line) into line (cap bytes), and the layer id it names
 * (layer=sha256:HEX) into layer.  Why the answer's id: a server whose store holds a chunk
 * at another zlib level rewrites the index's stored sizes to its files, so the layer it
 * committed is not the engine's (docs/capture.md, "Commit").  0, or the rc (logged,
 * naming the part; STRATA_EINVAL for an answer naming no layer).
 */
int capture_io_commit(struct capture_io *io, const uint8_t *index, size_t len, char *line,
		      size_t cap, uint8_t layer[32]);

/**
 * POST /capture/done with body[0..len) (empty for a machine capture, the layout for a gold
 * one): the task ends at the server.  0, or the rc (logged).
 */
int capture_io_done(struct agent *a, const char *body, size_t len);

#endif /* STRATA_EFI_CAPTURE_OPS_H */
