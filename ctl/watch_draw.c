/* How watch shows the lab (watch.h). */
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "watch.h"

#define BAR 24

void watch_print_change(FILE *f, enum watch_mode mode, const struct watch_seen *s)
{
	char when[16], prog[FMT_MAX];
	time_t now = time(NULL);
	json_object *o;

	if (mode == WATCH_JSON) {
		o = json_object_new_object();
		json_object_object_add(o, "at", json_object_new_int64((int64_t)now));
		json_object_object_add(o, "name", json_object_new_string(s->key));
		json_object_object_add(o, "mac", json_object_new_string(s->mac));
		json_object_object_add(o, "state", json_object_new_string(s->state));
		json_object_object_add(o, "done", json_object_new_int64((int64_t)s->done));
		json_object_object_add(o, "total", json_object_new_int64((int64_t)s->total));
		json_object_object_add(o, "message", json_object_new_string(s->message));
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
		fmt_progress(prog, s->done, s->total);
		fprintf(f, "%s %s %s%s%s%s%s\n", when, s->key, s->state, s->total ? " " : "",
			s->total ? prog : "", s->message[0] ? ": " : "", s->message);
	}
	fflush(f);
}

/* One machine's bar: name, state, bar, percent, bytes, rate and time left. */
static void bar_line(FILE *f, const struct watch_seen *s)
{
	char bar[BAR + 1], done[FMT_MAX], total[FMT_MAX], rate[FMT_MAX], left[FMT_MAX] = "";
	int fill = s->total ? (int)((double)s->done * BAR / (double)s->total) : 0;

	if (!s->total) {
		fprintf(f, "\033[2K%-16.16s %-9s %s\n", s->key, s->state,
			strcmp(s->state, "queued") ? "no progress reported yet"
						   : "waits for its next network boot");
		return;
	}
	for (int i = 0; i < BAR; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR] = '\0';
	fmt_bytes(done, s->done);
	fmt_bytes(total, s->total);
	fmt_bytes(rate, (uint64_t)s->rate);
	if (s->rate > 0 && s->total > s->done)
		fmt_duration(left, (uint64_t)((double)(s->total - s->done) / s->rate));
	fprintf(f, "\033[2K%-16.16s %-9s [%s] %3d%% %9s of %-9s %9s/s %s%s\n", s->key, s->state,
		bar, (int)((double)s->done * 100 / (double)s->total), done, total,
		rate, left, left[0] ? " left" : "");
}

void watch_draw_bars(FILE *f, const struct watch_seen *seen, size_t n, int *lines)
{
	static const char *const states[] = { "deploying", "capturing", "queued", "failed", "idle" };
	size_t count[5] = { 0 };
	int shown = 0;

	if (*lines)
		fprintf(f, "\033[%dA\033[J", *lines);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 5; k++)
			count[k] += !strcmp(seen[i].state, states[k]);
		if (strcmp(seen[i].state, "idle") && strcmp(seen[i].state, "failed")) {
			bar_line(f, &seen[i]);
			shown++;
		}
	}
	fprintf(f, "\033[2K%zu machines: %zu deploying, %zu capturing, %zu queued, %zu failed, "
		"%zu idle\n", n, count[0], count[1], count[2], count[3], count[4]);
	fflush(f);
	*lines = shown + 1;
}
