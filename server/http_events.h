/*
 * GET /api/events (docs/dashboard-api.md): the tiles' changes as server-sent events, over
 * libmicrohttpd's suspend and resume, from the hub of sse.h.
 *
 * http.c starts it with the daemons, ticks it from its loop timer, and stops it before
 * them: the tick takes a snapshot (lab_snapshot.h) once a second while a stream is open and
 * publishes what changed; the stop ends every stream and resumes the suspended ones, since
 * stopping a daemon with a suspended connection is an API violation.
 */
#ifndef STRATA_HTTP_EVENTS_H
#define STRATA_HTTP_EVENTS_H

#include "http_req.h"

/** Gap between two published frames, at least (ms). */
#define EVENTS_TICK_MS 1000

/** The hub and its last snapshot, into s->events.  0 or STRATA_ENOMEM. */
int http_events_start(struct server *s);

/** From the loop's timer: publish the changes, at most once per EVENTS_TICK_MS, and ping
 *  idle streams.  now_ms: loop_now(). */
void http_events_tick(struct server *s, uint64_t now_ms);

/** End every stream, resuming the suspended ones, and give them up to 500 ms to go; before
 *  the daemons stop. */
void http_events_close(struct server *s);

/** Free what http_events_start made, after the daemons stopped.  Safe when never started. */
void http_events_free(struct server *s);

/** The last frame's seq (sse_seq), 0 without a hub. */
uint64_t http_events_seq(struct server *s);

/** GET /api/events[?room=R]: 200 with a stream that ends only with the client or the
 *  server; 401/403 as http_authorize says; 400 for a bad room; 429 when 64 are open. */
enum MHD_Result http_events(struct MHD_Connection *c, struct req *r, struct server *s);

#endif /* STRATA_HTTP_EVENTS_H */
