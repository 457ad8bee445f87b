/* GET /api/events over the hub of sse.h (http_events.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crypto.h"
#include "http_events.h"
#include "http_login.h"
#include "login.h"
#include "lab_snapshot.h"
#include "loop.h"
#include "mem.h"
#include "rc.h"
#include "server_clock.h"
#include "sse.h"

/** A stream's reads: what one call of its reader may copy. */
#define EVENTS_BLOCK 16384

/* The hub and the loop thread's last snapshot (only the loop's thread touches prev). */
struct events {
	struct sse_hub *hub;
	struct lab_view prev;
	int have_prev;
	uint64_t last_ms;
	uint64_t db_ms;               /**< when prev's database fields were queried */
};

static void conn_suspend(void *conn)
{
	MHD_suspend_connection(conn);
}

static void conn_resume(void *conn)
{
	MHD_resume_connection(conn);
}

int http_events_start(struct server *s)
{
	struct events *e = calloc(1, sizeof(*e));

	if (!e || sse_hub_new(conn_suspend, conn_resume, &e->hub)) {
		free(e);
		return STRATA_ENOMEM;
	}
	s->events = e;
	return 0;
}

/* Drop the last snapshot: no stream is open, and the next one starts afresh. */
static void forget(struct events *e)
{
	if (e->have_prev)
		lab_view_free(&e->prev);
	e->have_prev = 0;
}

/* Whether the admin session a stream was opened with is live (sse_alive_fn). */
static int session_alive(void *ctx, const uint8_t owner[32])
{
	struct server *s = ctx;

	return s->login && login_alive(s->login, owner, server_now());
}

void http_events_tick(struct server *s, uint64_t now_ms)
{
	struct events *e = s->events;
	struct lab_view cur = { 0 };
	int fresh;

	if (!e || now_ms - e->last_ms < EVENTS_TICK_MS)
		return;
	e->last_ms = now_ms;
	if (!sse_streams(e->hub)) {
		forget(e);
		return;
	}
	fresh = !e->have_prev || now_ms - e->db_ms >= LAB_DB_EVERY_S * 1000;
	if (lab_snapshot_from(s, &cur, fresh ? NULL : &e->prev)) {
		lab_view_free(&cur);
		return;
	}
	if (fresh || !lab_view_same_layout(&e->prev, &cur))
		e->db_ms = now_ms;
	sse_end_dead(e->hub, session_alive, s);
	sse_publish(e->hub, e->have_prev ? &e->prev : NULL, &cur);
	forget(e);
	e->prev = cur;
	e->have_prev = 1;
	sse_ping(e->hub, now_ms);
}

uint64_t http_events_seq(struct server *s)
{
	return s->events ? sse_seq(s->events->hub) : 0;
}

void http_events_close(struct server *s)
{
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };

	if (!s->events)
		return;
	sse_close(s->events->hub);
	for (int i = 0; i < 50 && sse_streams(s->events->hub); i++)
		nanosleep(&ms10, NULL);
}

void http_events_free(struct server *s)
{
	struct events *e = s->events;

	if (!e)
		return;
	forget(e);
	sse_hub_free(e->hub);
	free(e);
	s->events = NULL;
}

/* MHD's content reader: the stream's next bytes, or suspended until the next frame. */
static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	return sse_read(cls, buf, max, loop_now());
}

/* MHD's end of the response: the connection is gone. */
static void reader_done(void *cls)
{
	sse_gone(cls);
}

/* The session a request came with, as its id hash (the SHA-256 of its cookie) into id:
 * 1, or 0 for a Bearer token. */
static int session_of(struct MHD_Connection *c, const struct req *r, const struct who *by,
		      uint8_t id[32])
{
	char cookie[HTTP_COOKIE_VALUE_LEN + 1];
	int got = by->via == VIA_SESSION && http_session_cookie(c, r, cookie) == 1;

	if (got)
		strata_sha256(cookie, strlen(cookie), id);
	strata_wipe(cookie, sizeof(cookie));
	return got;
}

enum MHD_Result http_events(struct MHD_Connection *c, struct req *r, struct server *s)
{
	const char *room = http_qfield(c, "room"), *why;
	struct MHD_Response *resp;
	struct sse_stream *st;
	uint8_t id[32];
	struct who by;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (room && !inv_room_ok(room))
		return http_fail(c, r, STRATA_EINVAL, "room= takes 1..32 of [A-Za-z0-9._-]");
	if (!s->events || !(st = sse_open(s->events->hub, room, c,
					  session_of(c, r, &by, id) ? id : NULL)))
		return http_fail(c, r, STRATA_ELIMIT, "too many event streams are open: close one");
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EVENTS_BLOCK, reader, st,
						 reader_done);
	if (!resp) {
		sse_gone(st);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return http_queue(c, r, 200, resp, 0);
}
