/*
 * Unit tests of the event stream's hub (server/sse.c) against fake connections that
 * record suspends and resumes (a resume of a connection not suspended is an error, as it
 * is undefined in libmicrohttpd): the hello, suspending when caught up, a frame of changes
 * with one row per machine however many fields changed, a room's stream seeing its room
 * only, nothing published when nothing changed, a stream a whole ring behind told to
 * reload, a reload for a new catalog, a ping to an idle stream, and a stop with three
 * streams open (each resumed once, each ended, nothing leaked under LSan), and a stream
 * ended with its admin session.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "sse.h"

/* A connection as the hub sees it. */
struct fake {
	int suspended, suspends, resumes, bad_resumes;
};

static void fake_suspend(void *conn)
{
	struct fake *f = conn;

	f->suspended = 1;
	f->suspends++;
}

static void fake_resume(void *conn)
{
	struct fake *f = conn;

	if (!f->suspended)
		f->bad_resumes++;
	f->suspended = 0;
	f->resumes++;
}

/* A lab of three: pc1 and pc2 in room A, pc3 in B, all idle, catalog gen. */
static void lab(struct lab_view *v, uint64_t gen)
{
	static const char *const names[] = { "pc1", "pc2", "pc3" }, *const rooms[] = { "A", "A", "B" };

	v->t = calloc(3, sizeof(v->t[0]));
	v->n = 3;
	v->gen = gen;
	for (size_t i = 0; i < 3; i++) {
		strcpy(v->t[i].name, names[i]);
		strcpy(v->t[i].room, rooms[i]);
		v->t[i].mac[5] = (uint8_t)i;
		v->t[i].rate = -1;
		v->t[i].result = MSTATE_OK;
		lab_tile_settle(&v->t[i]);
	}
}

/* Everything st has due now, into out (cap bytes); the last read's result in *last. */
static size_t drain(struct sse_stream *st, char *out, size_t cap, ssize_t *last)
{
	size_t len = 0;
	ssize_t n;

	while ((n = sse_read(st, out + len, cap - 1 - len, 1000)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	*last = n;
	return len;
}

/* Make tile i of v deploying at done bytes (a report's worth of change). */
static void progress(struct lab_view *v, size_t i, uint64_t done)
{
	v->t[i].result = MSTATE_RUNNING;
	v->t[i].done = done;
	v->t[i].total = 1000;
	lab_tile_settle(&v->t[i]);
}

static void test_frames(void)
{
	struct fake fa = { 0 }, fb = { 0 };
	struct lab_view v0 = { 0 }, v1 = { 0 };
	struct sse_hub *h = NULL;
	struct sse_stream *all, *b;
	char buf[8192];
	ssize_t last;

	CHECK_EQ(sse_hub_new(fake_suspend, fake_resume, &h), 0);
	all = sse_open(h, NULL, &fa, NULL);
	b = sse_open(h, "B", &fb, NULL);
	CHECK(all && b && sse_streams(h) == 2);
	drain(all, buf, sizeof(buf), &last);
	CHECK(strstr(buf, "retry: 3000\n\nevent: hello\ndata: {\"seq\":0,") && last == 0);
	CHECK(fa.suspended && fa.suspends == 1);
	drain(b, buf, sizeof(buf), &last);
	CHECK(fb.suspended);
	lab(&v0, 1);
	lab(&v1, 1);
	CHECK_EQ(sse_publish(h, NULL, &v0), 0);              /* a first snapshot: nothing */
	CHECK_EQ(sse_publish(h, &v0, &v1), 0);               /* nothing changed */
	CHECK(fa.resumes == 0 && fb.resumes == 0);
	for (uint64_t k = 1; k <= 100; k++)                  /* 100 reports in one tick */
		progress(&v1, 0, k * 10);
	progress(&v1, 2, 5);
	CHECK_EQ(sse_publish(h, &v0, &v1), 1);
	CHECK(fa.resumes == 1 && fb.resumes == 1 && !fa.bad_resumes && !fb.bad_resumes);
	drain(all, buf, sizeof(buf), &last);
	CHECK(strstr(buf, "id: 1\nevent: tiles\ndata: {\"seq\":1,\"t\":[[0,\"deploying\",1000,"
			  "1000,null,null,\"none\"],[2,\"deploying\",5,1000,null,null,\"none\"]]}"));
	CHECK(strstr(buf, "event: machine\ndata: {\"i\":0,\"name\":\"pc1\""));
	CHECK(strstr(buf, "event: summary\ndata: {\"seq\":1,\"counts\":{\"total\":3,"));
	CHECK(last == 0 && fa.suspended);
	drain(b, buf, sizeof(buf), &last);
	CHECK(strstr(buf, "\"t\":[[2,\"deploying\",5,") && !strstr(buf, "[0,")
	      && !strstr(buf, "\"pc1\""));
	CHECK(strstr(buf, "\"counts\":{\"total\":1,"));
	sse_gone(all);
	sse_gone(b);
	CHECK_EQ(sse_streams(h), 0);
	sse_hub_free(h);
	lab_view_free(&v0);
	lab_view_free(&v1);
}

/* A hub with one stream, drained, and two generation-1 views to publish between: the
 * overrun tests' common start.  The caller owns *h, the stream and both views. */
static struct sse_stream *two_views(struct sse_hub **h, struct lab_view v[2], struct fake *fa)
{
	struct sse_stream *st;
	char buf[65536];
	ssize_t last;

	CHECK_EQ(sse_hub_new(fake_suspend, fake_resume, h), 0);
	st = sse_open(*h, "", fa, NULL);
	drain(st, buf, sizeof(buf), &last);
	lab(&v[0], 1);
	lab(&v[1], 1);
	return st;
}

/* Publish steps first..last, alternating the two views, each a progress tick of
 * machine 1; every publish must get its step's sequence number. */
static void publish_steps(struct sse_hub *h, struct lab_view v[2], int first, int last)
{
	for (int k = first; k <= last; k++) {
		progress(&v[k % 2], 1, (uint64_t)k);
		CHECK_EQ(sse_publish(h, &v[(k + 1) % 2], &v[k % 2]), (uint64_t)k);
	}
}

static void test_reload_and_overrun(void)
{
	struct fake fa = { 0 };
	struct lab_view v[2] = { { 0 }, { 0 } }, g2 = { 0 };
	struct sse_hub *h = NULL;
	struct sse_stream *st;
	char buf[65536];
	ssize_t last;

	st = two_views(&h, v, &fa);
	publish_steps(h, v, 1, SSE_RING + 6);                 /* never read: falls behind */
	CHECK(fa.resumes == 1 && !fa.bad_resumes);           /* resumed once, then running */
	drain(st, buf, sizeof(buf), &last);
	CHECK(!strncmp(buf, "event: reload\ndata: {\"why\":\"behind\"}\n\n", 38) && last == 0);
	lab(&g2, 2);
	CHECK_EQ(sse_publish(h, &v[0], &g2), SSE_RING + 7);
	drain(st, buf, sizeof(buf), &last);
	CHECK(strstr(buf, "event: reload\ndata: {\"seq\":71,\"gen\":2}") != NULL);
	sse_gone(st);
	sse_hub_free(h);
	lab_view_free(&v[0]);
	lab_view_free(&v[1]);
	lab_view_free(&g2);
}

/* A stream a whole ring behind while it has sent half a frame ends (-1), rather than a
 * reload event running into the half-sent line. */
static void test_overrun_mid_frame(void)
{
	struct fake fa = { 0 };
	struct lab_view v[2] = { { 0 }, { 0 } };
	struct sse_hub *h = NULL;
	struct sse_stream *st;
	char buf[65536];

	st = two_views(&h, v, &fa);
	publish_steps(h, v, 1, 1);
	CHECK_EQ(sse_read(st, buf, 5, 1000), 5);                 /* half of frame 1 */
	publish_steps(h, v, 2, SSE_RING + 6);
	CHECK_EQ(sse_read(st, buf, sizeof(buf), 1000), -1);
	sse_gone(st);
	sse_hub_free(h);
	lab_view_free(&v[0]);
	lab_view_free(&v[1]);
}

static void test_ping(void)
{
	struct fake fa = { 0 };
	struct sse_hub *h = NULL;
	struct sse_stream *st;
	char buf[1024];
	ssize_t last;

	CHECK_EQ(sse_hub_new(fake_suspend, fake_resume, &h), 0);
	st = sse_open(h, NULL, &fa, NULL);
	drain(st, buf, sizeof(buf), &last);                  /* sent at 1000 ms */
	sse_ping(h, 1000 + SSE_PING_MS - 1);
	CHECK(fa.suspended && fa.resumes == 0);
	sse_ping(h, 1000 + SSE_PING_MS);
	CHECK(!fa.suspended && fa.resumes == 1);
	drain(st, buf, sizeof(buf), &last);
	CHECK(!strcmp(buf, ": ping\n\n") && fa.suspended);
	sse_gone(st);
	sse_hub_free(h);
}

/* A stop with three streams open, two suspended: each suspended one resumed once, every
 * reader ends its stream, and no new stream opens. */
static void test_close(void)
{
	struct fake f[3] = { { 0 } }, g = { 0 };
	struct sse_stream *st[3];
	struct sse_hub *h = NULL;
	char buf[1024];
	ssize_t last;

	CHECK_EQ(sse_hub_new(fake_suspend, fake_resume, &h), 0);
	for (int i = 0; i < 3; i++)
		st[i] = sse_open(h, i == 2 ? "A" : NULL, &f[i], NULL);
	drain(st[0], buf, sizeof(buf), &last);
	drain(st[1], buf, sizeof(buf), &last);
	sse_close(h);
	CHECK(f[0].resumes == 1 && f[1].resumes == 1 && f[2].resumes == 0);
	CHECK(!f[0].bad_resumes && !f[1].bad_resumes && !f[2].bad_resumes);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(sse_read(st[i], buf, sizeof(buf), 2000), -1);
	CHECK(sse_open(h, NULL, &g, NULL) == NULL);
	for (int i = 0; i < 3; i++)
		sse_gone(st[i]);
	CHECK_EQ(sse_streams(h), 0);
	sse_hub_free(h);
}

/* Whether owner is live: the test's session, a first byte of 1. */
static int alive_if_one(void *ctx, const uint8_t owner[32])
{
	(*(int *)ctx)++;
	return owner[0] == 1;
}

/* A stream opened with a session ends with it: `end`, then the end of the stream; a
 * Bearer stream (no owner) and one of a live session stay. */
static void test_session_end(void)
{
	struct fake f[3] = { { 0 } };
	uint8_t live[32] = { 1 }, gone[32] = { 2 };
	struct sse_stream *st[3];
	struct sse_hub *h = NULL;
	char buf[1024];
	ssize_t last;
	int asked = 0;

	CHECK_EQ(sse_hub_new(fake_suspend, fake_resume, &h), 0);
	st[0] = sse_open(h, NULL, &f[0], NULL);
	st[1] = sse_open(h, NULL, &f[1], live);
	st[2] = sse_open(h, NULL, &f[2], gone);
	for (int i = 0; i < 3; i++)
		drain(st[i], buf, sizeof(buf), &last);
	sse_end_dead(h, alive_if_one, &asked);
	CHECK_EQ(asked, 2);
	CHECK(f[0].suspended && f[1].suspended && !f[2].suspended && f[2].resumes == 1);
	drain(st[2], buf, sizeof(buf), &last);
	CHECK(!strcmp(buf, "event: end\ndata: {\"why\":\"the session ended\"}\n\n") && last == -1);
	CHECK_EQ(sse_read(st[2], buf, sizeof(buf), 2000), -1);
	sse_end_dead(h, alive_if_one, &asked);
	CHECK_EQ(asked, 3);                                  /* an ended stream is not asked */
	for (int i = 0; i < 3; i++)
		sse_gone(st[i]);
	sse_hub_free(h);
}

static void test_full(void)
{
	struct fake f = { 0 };
	struct sse_hub *h = NULL;
	int n = 0;

	CHECK_EQ(sse_hub_new(fake_suspend, fake_resume, &h), 0);
	while (n < SSE_STREAMS_MAX + 5 && sse_open(h, NULL, &f, NULL))
		n++;
	CHECK_EQ(n, SSE_STREAMS_MAX);
	sse_hub_free(h);                                     /* frees the streams left */
}

int main(void)
{
	RUN(test_frames);
	RUN(test_reload_and_overrun);
	RUN(test_overrun_mid_frame);
	RUN(test_ping);
	RUN(test_close);
	RUN(test_session_end);
	RUN(test_full);
	return harness_summary();
}
