/*
 * The event stream's hub (GET /api/events, docs/dashboard-api.md): what the tiles' changes
 * become as server-sent events, and the streams that read them.
 *
 * Why a hub of frames: 5,000 machines reporting every few seconds must not flood a
 * browser, nor cost a write per report per stream.  Once a second at most, the loop's
 * thread compares two snapshots (lab_view.h) and publishes one frame: one row per machine
 * that changed, however many reports it sent, plus the whole tile of those whose state,
 * message or gold changed, and the counts when they changed; or, alone, `reload` when the
 * catalog changed (a SIGHUP: the tiles' indexes mean other machines).  A frame is rendered
 * once per room that some stream asked for (and once for all), kept in a ring of
 * SSE_RING frames, and copied by each stream's reader at its own pace.  A stream that fell
 * a whole ring behind gets `reload`.
 *
 * Threads: sse_publish, sse_ping and sse_close run on the loop's thread; readers run on
 * HTTP's threads.  Everything here is under the hub's lock.  A reader that is caught up
 * marks its stream suspended and calls the suspend function (MHD_suspend_connection) before
 * it returns 0; publishing resumes only streams so marked, clearing the mark, under the same
 * lock, so a connection is never resumed twice nor resumed unsuspended.  Lock order: the
 * hub's, then the HTTP library's own.
 */
#ifndef STRATA_SSE_H
#define STRATA_SSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lab_view.h"

/** Frames kept: a stream this far behind starts again with `reload`. */
#define SSE_RING 64
/** A comment line goes to an idle stream this often (ms), under MHD's 30 s timeout. */
#define SSE_PING_MS 15000
/** Streams open at once, all rooms together; more are refused (429). */
#define SSE_STREAMS_MAX 64

struct sse_hub;
struct sse_stream;

/** What suspends or resumes a stream's connection (MHD's, or a test's). */
typedef void sse_conn_fn(void *conn);

/** A hub (owned by the caller, sse_hub_free) with the connection functions.  0 or
 *  STRATA_ENOMEM. */
int sse_hub_new(sse_conn_fn *suspend, sse_conn_fn *resume, struct sse_hub **out);

/** Free the hub once no stream is left (after the HTTP daemons stopped).  NULL is fine. */
void sse_hub_free(struct sse_hub *h);

/**
 * A new stream of conn (borrowed) for room (NULL or "" for every room), starting at the
 * next frame, owned by the hub until sse_gone.  owner (copied; NULL for none) names the
 * admin session it was opened with (the SHA-256 of its cookie), so that sse_end_dead ends
 * it with that session.  NULL when the hub is closing, full, or out of memory.  Its first
 * bytes say `retry` and a `hello` event with the current seq and gen.
 */
struct sse_stream *sse_open(struct sse_hub *h, const char *room, void *conn,
			    const uint8_t owner[32]);

/** Whether the session owner names is still live (ctx: the caller's). */
typedef int sse_alive_fn(void *ctx, const uint8_t owner[32]);

/**
 * End every stream whose owner alive() says is gone (a logout, an expiry, an admin
 * removed): it sends `event: end`, then ends.  alive runs under the hub's lock.
 */
void sse_end_dead(struct sse_hub *h, sse_alive_fn *alive, void *ctx);

/**
 * A content reader's step: up to max bytes of what st has due into buf.  Returns how many
 * (> 0); 0 after suspending st's connection because nothing is due; -1 (end of stream)
 * once the hub is closing.  now_ms: the caller's monotonic clock, for pings.
 */
ssize_t sse_read(struct sse_stream *st, char *buf, size_t max, uint64_t now_ms);

/** The connection of st is gone (its response freed): forget and free st. */
void sse_gone(struct sse_stream *st);

/** The last frame's seq (0 before the first): what GET /api/machines names, so that a
 *  page knows which frames its tiles already hold. */
uint64_t sse_seq(struct sse_hub *h);

/** How many streams are open: publishing skips its snapshot when none is. */
size_t sse_streams(struct sse_hub *h);

/**
 * Publish what changed from prev to cur (the loop's two latest snapshots; prev NULL for
 * none) as one frame, and resume the streams it concerns.  Nothing is published when
 * nothing changed.  Returns the frame's seq, or 0 for none.
 */
uint64_t sse_publish(struct sse_hub *h, const struct lab_view *prev, const struct lab_view *cur);

/** Resume streams idle for SSE_PING_MS or more at now_ms, to send them a comment line. */
void sse_ping(struct sse_hub *h, uint64_t now_ms);

/** Stop: every reader ends its stream from now on, and suspended streams are resumed so
 *  that they do.  Before the HTTP daemons stop (MHD refuses to stop with one suspended). */
void sse_close(struct sse_hub *h);

#endif /* STRATA_SSE_H */
