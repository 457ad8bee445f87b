/* The event stream's hub (sse.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rc.h"
#include "sse.h"

/** Longest text a stream sends outside frames: hello, reload, ping. */
#define PRE_MAX 160

/* One frame as one room's streams read it (room "" with all set: every room's). */
struct sse_text {
	char room[INV_ROOM_MAX + 1];
	int all;
	char *text;                   /**< owned; NULL: nothing for this room */
	size_t len;
};

/* One published frame: its seq and its texts (owned). */
struct sse_frame {
	uint64_t seq;
	struct sse_text *t;
	size_t n;
};

struct sse_stream {
	struct sse_hub *hub;
	struct sse_stream *next;
	void *conn;                   /**< borrowed: the HTTP connection */
	char room[INV_ROOM_MAX + 1];  /**< "" every room */
	uint64_t seq;                 /**< the next frame it reads */
	size_t off;                   /**< how much of that frame's text it sent */
	char pre[PRE_MAX];            /**< a text sent before the next frame */
	size_t pre_len, pre_off;
	int suspended;                /**< its connection is suspended (the hub's lock) */
	int ping;                     /**< a comment line is due */
	uint8_t owner[32];            /**< the admin session it belongs to, when has_owner */
	int has_owner;
	int end;                      /**< 1: its session ended, `end` is due; 2: sent */
	uint64_t last_ms;             /**< when it last sent something */
};

struct sse_hub {
	pthread_mutex_t lock;
	sse_conn_fn *suspend, *resume;
	struct sse_stream *streams;
	size_t nstreams;
	struct sse_frame ring[SSE_RING];
	uint64_t seq;                 /**< the last frame published; 0 none */
	uint64_t gen;                 /**< the catalog generation it was made from */
	int closing;
};

int sse_hub_new(sse_conn_fn *suspend, sse_conn_fn *resume, struct sse_hub **out)
{
	struct sse_hub *h = calloc(1, sizeof(*h));

	if (!h)
		return STRATA_ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->suspend = suspend;
	h->resume = resume;
	*out = h;
	return 0;
}

static void frame_free(struct sse_frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->t[i].text);
	free(f->t);
	memset(f, 0, sizeof(*f));
}

void sse_hub_free(struct sse_hub *h)
{
	if (!h)
		return;
	for (int i = 0; i < SSE_RING; i++)
		frame_free(&h->ring[i]);
	while (h->streams)
		sse_gone(h->streams);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

struct sse_stream *sse_open(struct sse_hub *h, const char *room, void *conn,
			    const uint8_t owner[32])
{
	struct sse_stream *st = NULL;

	pthread_mutex_lock(&h->lock);
	if (!h->closing && h->nstreams < SSE_STREAMS_MAX && (st = calloc(1, sizeof(*st)))) {
		st->hub = h;
		st->conn = conn;
		snprintf(st->room, sizeof(st->room), "%s", room ? room : "");
		st->seq = h->seq + 1;
		if ((st->has_owner = owner != NULL))
			memcpy(st->owner, owner, 32);
		st->pre_len = (size_t)snprintf(st->pre, sizeof(st->pre), "retry: 3000\n\nevent: "
					       "hello\ndata: {\"seq\":%llu,\"gen\":%llu}\n\n",
					       (unsigned long long)h->seq,
					       (unsigned long long)h->gen);
		st->next = h->streams;
		h->streams = st;
		h->nstreams++;
	}
	pthread_mutex_unlock(&h->lock);
	return st;
}

void sse_gone(struct sse_stream *st)
{
	struct sse_hub *h = st->hub;
	struct sse_stream **p;

	pthread_mutex_lock(&h->lock);
	for (p = &h->streams; *p && *p != st; p = &(*p)->next)
		;
	if (*p) {
		*p = st->next;
		h->nstreams--;
	}
	pthread_mutex_unlock(&h->lock);
	free(st);
}

uint64_t sse_seq(struct sse_hub *h)
{
	uint64_t seq;

	pthread_mutex_lock(&h->lock);
	seq = h->seq;
	pthread_mutex_unlock(&h->lock);
	return seq;
}

size_t sse_streams(struct sse_hub *h)
{
	size_t n;

	pthread_mutex_lock(&h->lock);
	n = h->nstreams;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* st's text of frame f, or NULL when f has nothing for its room. */
static const struct sse_text *text_of(const struct sse_frame *f, const struct sse_stream *st)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->t[i].all ? !st->room[0] : !strcmp(f->t[i].room, st->room))
			return f->t[i].text ? &f->t[i] : NULL;
	return NULL;
}

/* Copy what st's pre holds. */
static ssize_t copy_pre(struct sse_stream *st, char *buf, size_t max)
{
	size_t n = st->pre_len - st->pre_off;

	if (n > max)
		n = max;
	memcpy(buf, st->pre + st->pre_off, n);
	st->pre_off += n;
	if (st->pre_off == st->pre_len)
		st->pre_len = st->pre_off = 0;
	return (ssize_t)n;
}

/* Put text in st's pre (it is empty). */
static void set_pre(struct sse_stream *st, const char *text)
{
	st->pre_len = (size_t)snprintf(st->pre, sizeof(st->pre), "%s", text);
	st->pre_off = 0;
}

/* The next bytes of frames for st, or 0 when it is caught up.  The hub's lock. */
static ssize_t copy_frames(struct sse_hub *h, struct sse_stream *st, char *buf, size_t max)
{
	while (st->seq <= h->seq) {
		const struct sse_frame *f = &h->ring[st->seq % SSE_RING];
		const struct sse_text *t = f->seq == st->seq ? text_of(f, st) : NULL;
		size_t n;

		if (!t || st->off >= t->len) {
			st->seq++;
			st->off = 0;
			continue;
		}
		n = t->len - st->off < max ? t->len - st->off : max;
		memcpy(buf, t->text + st->off, n);
		st->off += n;
		return (ssize_t)n;
	}
	return 0;
}

ssize_t sse_read(struct sse_stream *st, char *buf, size_t max, uint64_t now_ms)
{
	struct sse_hub *h = st->hub;
	ssize_t n = 0;

	pthread_mutex_lock(&h->lock);
	if (h->closing || (st->end == 2 && !st->pre_len)) {
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	if (st->end == 1 && !st->pre_len) {
		set_pre(st, "event: end\ndata: {\"why\":\"the session ended\"}\n\n");
		st->end = 2;
	}
	if (!st->pre_len && h->seq >= SSE_RING && st->seq <= h->seq - SSE_RING) {
		/* Behind by a whole ring.  Mid-frame, a reload event would run into the
		 * half-sent line: end the stream instead (EventSource reconnects). */
		if (st->off) {
			pthread_mutex_unlock(&h->lock);
			return -1;
		}
		set_pre(st, "event: reload\ndata: {\"why\":\"behind\"}\n\n");
		st->seq = h->seq + 1;
		st->off = 0;
	}
	if (!st->pre_len && st->ping && st->seq > h->seq)
		set_pre(st, ": ping\n\n");
	st->ping = 0;
	n = st->pre_len ? copy_pre(st, buf, max) : copy_frames(h, st, buf, max);
	if (n > 0) {
		st->last_ms = now_ms;
	} else {
		st->suspended = 1;
		h->suspend(st->conn);
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* Resume st if it is suspended.  The hub's lock. */
static void wake(struct sse_hub *h, struct sse_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = 0;
	h->resume(st->conn);
}

/* The tiles event's rows of room (NULL: all) that changed, to f.  How many. */
static size_t rows_json(FILE *f, const struct lab_view *prev, const struct lab_view *cur,
			const char *room, uint64_t seq)
{
	size_t n = 0;

	for (size_t i = 0; i < cur->n; i++) {
		if (room && strcmp(cur->t[i].room, room))
			continue;
		if (!(lab_tile_change(&prev->t[i], &cur->t[i]) & LAB_CHANGE_ROW))
			continue;
		fputs(n++ ? "," : "", f);
		lab_tile_row_json(f, cur, i);
	}
	return n;
}

/* The machine events of room (NULL: all): whole tiles of those whose state, message,
 * gold or key changed.  How many. */
static size_t machines_json(FILE *f, const struct lab_view *prev, const struct lab_view *cur,
			    const char *room)
{
	size_t n = 0;

	for (size_t i = 0; i < cur->n; i++) {
		if (room && strcmp(cur->t[i].room, room))
			continue;
		if (!(lab_tile_change(&prev->t[i], &cur->t[i]) & LAB_CHANGE_TILE))
			continue;
		fputs("event: machine\ndata: ", f);
		lab_tile_json(f, cur, i);
		fputs("\n\n", f);
		n++;
	}
	return n;
}

/* The counts of room (NULL: all) in v, as a new string (NULL without memory). */
static char *counts_text(const struct lab_view *v, const char *room)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	lab_counts_json(f, v, room);
	fclose(f);
	return buf;
}

/* The summary event of room when its counts changed, to f.  1 when written. */
static int summary_json(FILE *f, const struct lab_view *prev, const struct lab_view *cur,
			const char *room, uint64_t seq)
{
	char *a = counts_text(prev, room), *b = counts_text(cur, room);
	int changed = a && b && strcmp(a, b);

	if (changed)
		fprintf(f, "event: summary\ndata: {\"seq\":%llu,\"counts\":%s}\n\n",
			(unsigned long long)seq, b);
	free(a);
	free(b);
	return changed;
}

/* Frame seq's text for room (NULL: all) into t: NULL text when nothing changed there. */
static void render(struct sse_text *t, const struct lab_view *prev, const struct lab_view *cur,
		   const char *room, uint64_t seq)
{
	FILE *f = open_memstream(&t->text, &t->len);
	size_t rows, tiles;
	int summary;

	if (!f)
		return;
	fprintf(f, "id: %llu\nevent: tiles\ndata: {\"seq\":%llu,\"t\":[", (unsigned long long)seq,
		(unsigned long long)seq);
	rows = rows_json(f, prev, cur, room, seq);
	fputs("]}\n\n", f);
	tiles = machines_json(f, prev, cur, room);
	summary = summary_json(f, prev, cur, room, seq);
	if (fclose(f) || !(rows || tiles || summary)) {
		free(t->text);
		t->text = NULL;
		t->len = 0;
	}
}

/* The reload frame's one text, for every stream. */
static void render_reload(struct sse_text *t, const struct lab_view *cur, uint64_t seq)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "id: %llu\nevent: reload\ndata: {\"seq\":%llu,"
			 "\"gen\":%llu}\n\n", (unsigned long long)seq, (unsigned long long)seq,
			 (unsigned long long)cur->gen);

	t->text = strdup(buf);
	t->len = t->text ? (size_t)n : 0;
}

/* The rooms the open streams ask for, into f->t (one text each, plus all), unrendered. */
static int frame_rooms(struct sse_hub *h, struct sse_frame *f)
{
	size_t n = 0;

	pthread_mutex_lock(&h->lock);
	f->t = calloc(h->nstreams + 1, sizeof(*f->t));
	for (struct sse_stream *st = h->streams; f->t && st; st = st->next) {
		size_t k = 0;

		while (k < n && (f->t[k].all != !st->room[0] || strcmp(f->t[k].room, st->room)))
			k++;
		if (k == n) {
			f->t[n].all = !st->room[0];
			strcpy(f->t[n++].room, st->room);
		}
	}
	pthread_mutex_unlock(&h->lock);
	f->n = n;
	return f->t ? 0 : STRATA_ENOMEM;
}

/* Put f in the ring as the next frame and resume every suspended stream. */
static uint64_t frame_put(struct sse_hub *h, struct sse_frame *f, uint64_t gen)
{
	uint64_t seq;

	pthread_mutex_lock(&h->lock);
	seq = f->seq = h->seq + 1;
	frame_free(&h->ring[seq % SSE_RING]);
	h->ring[seq % SSE_RING] = *f;
	h->seq = seq;
	h->gen = gen;
	for (struct sse_stream *st = h->streams; st; st = st->next)
		wake(h, st);
	pthread_mutex_unlock(&h->lock);
	return seq;
}

uint64_t sse_publish(struct sse_hub *h, const struct lab_view *prev, const struct lab_view *cur)
{
	struct sse_frame f = { 0 };
	uint64_t seq;
	int layout = prev && lab_view_same_layout(prev, cur), any = 0;

	if (!prev || frame_rooms(h, &f))
		return 0;
	pthread_mutex_lock(&h->lock);
	seq = h->seq + 1;             /* only the loop's thread publishes */
	pthread_mutex_unlock(&h->lock);
	for (size_t i = 0; i < f.n; i++) {
		if (layout)
			render(&f.t[i], prev, cur, f.t[i].all ? NULL : f.t[i].room, seq);
		else
			render_reload(&f.t[i], cur, seq);
		any |= f.t[i].text != NULL;
	}
	if (!any) {
		frame_free(&f);
		return 0;
	}
	return frame_put(h, &f, cur->gen);
}

void sse_ping(struct sse_hub *h, uint64_t now_ms)
{
	pthread_mutex_lock(&h->lock);
	for (struct sse_stream *st = h->streams; st; st = st->next)
		if (st->suspended && now_ms - st->last_ms >= SSE_PING_MS) {
			st->ping = 1;
			wake(h, st);
		}
	pthread_mutex_unlock(&h->lock);
}

void sse_end_dead(struct sse_hub *h, sse_alive_fn *alive, void *ctx)
{
	pthread_mutex_lock(&h->lock);
	for (struct sse_stream *st = h->streams; st; st = st->next)
		if (st->has_owner && !st->end && !alive(ctx, st->owner)) {
			st->end = 1;
			wake(h, st);
		}
	pthread_mutex_unlock(&h->lock);
}

void sse_close(struct sse_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->closing = 1;
	for (struct sse_stream *st = h->streams; st; st = st->next)
		wake(h, st);
	pthread_mutex_unlock(&h->lock);
}
