/*
 * watch [--until-idle]: poll /machines.json every --interval seconds and show what
 * changed (watch.h).  Polling /machines.json, not the server's event stream
 * (/api/events); a poll costs the server 4 statements per machine, so keep the interval at
 * 1 s or more on a large lab.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lab.h"
#include "watch.h"

/** The watch's state across polls. */
struct watch {
	struct ctl *c;
	enum watch_mode mode;
	struct watch_seen *seen;   /**< owned, n entries in the server's order */
	size_t n;
	int polls, lines, failed;  /**< failed: machines that failed while watched */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What m says now, into cur (key, state, progress, message). */
static void read_machine(json_object *m, struct watch_seen *cur)
{
	const char *name = lab_str(m, "name"), *mac = lab_str(m, "mac"), *msg = lab_str(m, "message");

	memset(cur, 0, sizeof(*cur));
	snprintf(cur->key, sizeof(cur->key), "%s", name && *name ? name : mac ? mac : "?");
	snprintf(cur->mac, sizeof(cur->mac), "%s", mac ? mac : "");
	snprintf(cur->message, sizeof(cur->message), "%s", msg ? msg : "");
	cur->state = lab_state(m);
	cur->done = (uint64_t)lab_int(m, "done");
	cur->total = (uint64_t)lab_int(m, "total");
	cur->decile = cur->total ? (int)((double)cur->done * 10 / (double)cur->total) : -1;
	cur->at = now_mono();
}

/* cur's rate: the server's for a capture, else measured since prev (kept while still). */
static void set_rate(json_object *m, struct watch_seen *cur, const struct watch_seen *prev)
{
	json_object *cap;

	if (json_object_object_get_ex(m, "capture", &cap))
		cur->rate = (double)lab_int(cap, "rate");
	else if (prev && cur->done > prev->done && cur->at > prev->at)
		cur->rate = (double)(cur->done - prev->done) / (cur->at - prev->at);
	else if (prev && cur->done == prev->done)
		cur->rate = prev->rate;
}

/* The entry for key in the last poll: at i when the order held, else searched. */
static const struct watch_seen *previous(const struct watch *w, size_t i, const char *key)
{
	if (i < w->n && !strcmp(w->seen[i].key, key))
		return &w->seen[i];
	for (size_t k = 0; k < w->n; k++)
		if (!strcmp(w->seen[k].key, key))
			return &w->seen[k];
	return NULL;
}

/* Whether cur differs from prev in what watch reports: state, decile or message. */
static int changed(const struct watch_seen *cur, const struct watch_seen *prev)
{
	return !prev || strcmp(cur->state, prev->state) || cur->decile != prev->decile ||
	       strcmp(cur->message, prev->message);
}

/* One machine of a poll: count a new failure, print its change. */
static void note(struct watch *w, const struct watch_seen *cur, const struct watch_seen *prev)
{
	int first = w->polls == 0;

	if (!strcmp(cur->state, "failed") && !first && (!prev || strcmp(prev->state, "failed")))
		w->failed++;
	if (first ? !strcmp(cur->state, "idle") : !changed(cur, prev))
		return;
	if (w->mode != WATCH_BARS)
		watch_print_change(stdout, w->mode, cur);
	else if (!strcmp(cur->state, "failed") && !first) {
		if (w->lines)
			fprintf(stdout, "\033[%dA\033[J", w->lines);
		w->lines = 0;
		watch_print_change(stdout, WATCH_LINES, cur);
	}
}

/* Take one /machines.json: note each machine, keep what was seen.  Sets *settled when
 * every machine is idle or failed.  An exit code. */
static int poll_once(struct watch *w, struct api *a, int *settled)
{
	json_object *doc, *list;
	struct watch_seen *next;
	size_t n;
	int rc = lab_get(a, &doc);

	if (rc)
		return rc;
	list = lab_machines(doc);
	n = json_object_array_length(list);
	if (!(next = calloc(n ? n : 1, sizeof(*next)))) {
		json_object_put(doc);
		return fprintf(stderr, "strata-ctl watch: out of memory\n"), CTL_EOTHER;
	}
	*settled = 1;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(list, i);
		const struct watch_seen *prev;

		read_machine(m, &next[i]);
		prev = previous(w, i, next[i].key);
		set_rate(m, &next[i], prev);
		note(w, &next[i], prev);
		*settled &= lab_state_settled(next[i].state);
	}
	json_object_put(doc);
	free(w->seen);
	w->seen = next;
	w->n = n;
	w->polls++;
	if (w->mode == WATCH_BARS)
		watch_draw_bars(stdout, w->seen, w->n, &w->lines);
	return CTL_OK;
}

/* Sleep the interval; 0, or -1 when SIGINT came. */
static int pause_interval(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };

	return nanosleep(&ts, NULL) || ctl_interrupted ? -1 : 0;
}

int cmd_watch(struct ctl *c)
{
	struct watch w = { .c = c, .mode = c->opts & OPT_JSON ? WATCH_JSON
					  : c->out_tty ? WATCH_BARS : WATCH_LINES };
	struct api a;
	int rc, settled = 0;

	if (c->nargs)
		return fprintf(stderr, "strata-ctl watch: takes no operands\n"), CTL_EUSAGE;
	if ((rc = api_open(&a, c)))
		return rc;
	while ((rc = poll_once(&w, &a, &settled)) == CTL_OK) {
		if ((c->opts & OPT_UNTIL_IDLE) && settled)
			break;
		if (pause_interval(c->interval))
			break;
	}
	free(w.seen);
	api_close(&a);
	if (ctl_interrupted)
		return CTL_EINTR;
	return rc ? rc : w.failed ? CTL_EWATCHFAIL : CTL_OK;
}
