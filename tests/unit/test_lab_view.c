/*
 * Unit tests of the dashboard's tiles (server/lab_view.c) and its JSON writer
 * (server/json_out.c): the rule of states, gold status from deployed rows, the query's
 * parsing and refusals, the filters, rooms and their counts, pages, and a hostile message
 * escaped so that the answer holds no markup and stays valid JSON.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "json_out.h"
#include "lab_view.h"
#include "rc.h"

/* What f wrote, as a string the caller frees. */
static char *written(void (*fn)(FILE *f, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, arg);
	fclose(f);
	return buf;
}

static void write_str(FILE *f, const void *arg)
{
	json_str(f, arg);
}

static void test_json_escapes(void)
{
	char *s = written(write_str, "a\"b\\c<d>e&f\n\x01\x7f\xc3\xa9");

	CHECK(s && !strcmp(s, "\"a\\\"b\\\\c\\u003cd\\u003ee\\u0026f\\n\\u0001\\u007f"
			   "\\u00c3\\u00a9\""));
	free(s);
	s = written(write_str, NULL);
	CHECK(s && !strcmp(s, "null"));
	free(s);
}

static void test_states(void)
{
	CHECK_EQ(lab_state_of(MSTATE_FAILED, 1, 1, INV_ACTION_DEPLOY), LAB_FAILED);
	CHECK_EQ(lab_state_of(MSTATE_RUNNING, 1, 1, INV_ACTION_DEPLOY), LAB_CAPTURING);
	CHECK_EQ(lab_state_of(MSTATE_RUNNING, 0, 1, INV_ACTION_DEPLOY), LAB_RESTORING);
	CHECK_EQ(lab_state_of(MSTATE_RUNNING, 0, 0, INV_ACTION_NONE), LAB_DEPLOYING);
	CHECK_EQ(lab_state_of(MSTATE_OK, 0, 0, INV_ACTION_DEPLOY), LAB_QUEUED);
	CHECK_EQ(lab_state_of(MSTATE_NONE, 0, 0, INV_ACTION_ENROLL), LAB_QUEUED);
	CHECK_EQ(lab_state_of(MSTATE_OK, 0, 1, INV_ACTION_NONE), LAB_IDLE);
	CHECK(!strcmp(lab_state_name(LAB_RESTORING), "restoring"));
	CHECK(!strcmp(lab_state_name(LAB_IDLE), "idle"));
}

/* A tile named name in room, with result, wanting one layer of byte want. */
static void tile(struct lab_tile *t, const char *name, const char *room,
		 enum mstate_result result, int want)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	strcpy(t->room, room);
	strcpy(t->profile, "lab");
	t->mac[5] = (uint8_t)name[strlen(name) - 1];
	t->result = result;
	t->rate = -1;
	t->nwant = 1;
	strcpy(t->want[0].label, "root");
	memset(t->want[0].layer, want, 32);
}

static void test_gold(void)
{
	struct lab_tile t;
	uint8_t a[32], b[32];

	memset(a, 1, 32);
	memset(b, 2, 32);
	tile(&t, "pc1", "", MSTATE_NONE, 1);
	lab_tile_settle(&t);
	CHECK(t.never && t.gold == LAB_GOLD_BEHIND);
	tile(&t, "pc1", "", MSTATE_OK, 1);
	lab_tile_settle(&t);
	CHECK(!t.never && t.gold == LAB_GOLD_UNKNOWN);   /* deployed before rows were kept */
	lab_tile_deployed(&t, "CIDATA", b);              /* not a part it wants: ignored */
	lab_tile_deployed(&t, "root", a);
	lab_tile_settle(&t);
	CHECK(t.gold == LAB_GOLD_CURRENT);
	tile(&t, "pc1", "", MSTATE_OK, 1);
	lab_tile_deployed(&t, "root", b);
	lab_tile_settle(&t);
	CHECK(t.gold == LAB_GOLD_BEHIND && !t.never);
}

static void test_query(void)
{
	static const char *const bad[][2] = {
		{ "room", "" }, { "room", "a/b" }, { "room", "abcdefghijklmnopqrstuvwxyz0123456" },
		{ "q", "<x>" }, { "q", "a b" }, { "q", "a.b" }, { "q", "\xc3\xa9" }, { "filter", "everything" }, { "per", "0" },
		{ "per", "501" }, { "page", "0" }, { "page", "-1" }, { "page", "1x" },
		{ "stale_days", "" }, { "stale_days", "99999999999" }, { "color", "red" },
	};
	struct lab_query q;
	const char *why = NULL;

	lab_query_init(&q);
	CHECK(q.page == 1 && q.per == LAB_PER_DEFAULT && q.stale_days == LAB_STALE_DEFAULT);
	CHECK_EQ(lab_query_set(&q, "room", "B.204", &why), 0);
	CHECK_EQ(lab_query_set(&q, "q", "-0", &why), 0);
	CHECK_EQ(lab_query_set(&q, "q", "PC-0", &why), 0);
	CHECK_EQ(lab_query_set(&q, "filter", "stale", &why), 0);
	CHECK_EQ(lab_query_set(&q, "per", "500", &why), 0);
	CHECK(!strcmp(q.room, "B.204") && !strcmp(q.q, "PC-0") && q.filter == LAB_F_STALE
	      && q.per == 500);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK_MSG(lab_query_set(&q, bad[i][0], bad[i][1], &why) == STRATA_EINVAL && why,
			  "%s=%s", bad[i][0], bad[i][1]);
	}
}

/* A lab of 5: two rooms and two machines without one, in every state. */
static void lab(struct lab_view *v)
{
	v->t = calloc(5, sizeof(v->t[0]));
	v->n = 5;
	v->gen = 7;
	v->now = 100 * 86400;
	tile(&v->t[0], "pc5", "B", MSTATE_FAILED, 1);
	tile(&v->t[1], "pc4", "A", MSTATE_RUNNING, 1);
	tile(&v->t[2], "PC3", "A", MSTATE_OK, 1);
	tile(&v->t[3], "pc2", "", MSTATE_NONE, 1);
	tile(&v->t[4], "pc1", "", MSTATE_OK, 1);
	v->t[2].pending = INV_ACTION_DEPLOY;
	v->t[4].last_capture = 99 * 86400;
	lab_tile_deployed(&v->t[4], "root", v->t[4].want[0].layer);
	for (size_t i = 0; i < v->n; i++)
		lab_tile_settle(&v->t[i]);
	lab_view_sort(v);
}

/* How many tiles of v pass the query key=value. */
static size_t count(const struct lab_view *v, const char *key, const char *value)
{
	struct lab_query q;
	const char *why;
	size_t n = 0;

	lab_query_init(&q);
	if (key && lab_query_set(&q, key, value, &why))
		return 999;
	for (size_t i = 0; i < v->n; i++)
		n += lab_match(&v->t[i], &q, v->now);
	return n;
}

static void test_filters(void)
{
	struct lab_view v = { 0 }, w = { 0 };

	lab(&v);
	CHECK(!strcmp(v.t[0].name, "pc1") && !strcmp(v.t[1].name, "pc2"));   /* no room first */
	CHECK(!strcmp(v.t[2].name, "PC3") && !strcmp(v.t[3].name, "pc4"));   /* then A, any case */
	CHECK(!strcmp(v.t[4].name, "pc5"));
	CHECK_EQ(lab_view_find(&v, "pc3"), 2);
	CHECK_EQ(lab_view_find(&v, "pc9"), -1);
	CHECK_EQ(count(&v, NULL, NULL), 5);
	CHECK_EQ(count(&v, "room", "A"), 2);
	CHECK_EQ(count(&v, "filter", "failed"), 1);
	CHECK_EQ(count(&v, "filter", "running"), 1);
	CHECK_EQ(count(&v, "filter", "pending"), 1);
	CHECK_EQ(count(&v, "filter", "never"), 1);
	CHECK_EQ(count(&v, "filter", "behind"), 1);      /* pc2 never imaged; the rest unknown */
	CHECK_EQ(count(&v, "filter", "stale"), 4);       /* all but pc1, captured a day ago */
	CHECK_EQ(count(&v, "q", "pc"), 5);
	CHECK_EQ(count(&v, "q", "C3"), 1);
	CHECK(v.t[0].gold == LAB_GOLD_CURRENT);
	lab(&w);
	CHECK(lab_view_same_layout(&v, &w));
	w.t[4].mac[0] = 9;                               /* another machine at index 4 */
	CHECK(!lab_view_same_layout(&v, &w));
	w.t[4].mac[0] = 0;
	w.gen = 8;                                       /* a reload */
	CHECK(!lab_view_same_layout(&v, &w));
	w.gen = 7;
	w.n = 4;                                         /* one machine less */
	CHECK(!lab_view_same_layout(&v, &w));
	lab_view_free(&w);
	lab_view_free(&v);
	CHECK(v.t == NULL && v.n == 0);
}

struct page_arg {
	const struct lab_view *v;
	const struct lab_query *q;
};

static void write_page(FILE *f, const void *arg)
{
	const struct page_arg *a = arg;

	lab_machines_json(f, a->v, a->q);
}

static void test_pages_and_rooms(void)
{
	struct lab_view v = { 0 };
	struct lab_query q;
	struct page_arg a = { &v, &q };
	const char *why;
	char *s;

	lab(&v);
	lab_query_init(&q);
	lab_query_set(&q, "per", "2", &why);
	lab_query_set(&q, "page", "2", &why);
	s = written(write_page, &a);
	CHECK(s && strstr(s, "\"gen\":7,\"seq\":0,\"page\":2,\"per\":2,"));
	CHECK(s && strstr(s, "\"counts\":{\"total\":5,\"failed\":1,\"capturing\":0,"
			  "\"restoring\":0,\"deploying\":1,\"queued\":1,\"idle\":2}"));
	CHECK(s && strstr(s, "\"rooms\":[{\"name\":\"\",\"counts\":{\"total\":2,"));
	CHECK(s && strstr(s, "{\"name\":\"A\",\"counts\":{\"total\":2,"));
	CHECK(s && strstr(s, "{\"name\":\"B\",\"counts\":{\"total\":1,"));
	CHECK(s && strstr(s, "\"machines\":[{\"i\":2,\"name\":\"PC3\"")
	      && strstr(s, "{\"i\":3,\"name\":\"pc4\"") && !strstr(s, "\"name\":\"pc5\",\"mac\""));
	CHECK(s && strstr(s, "],\"total\":5}"));
	free(s);
	lab_query_set(&q, "page", "9", &why);
	s = written(write_page, &a);
	CHECK(s && strstr(s, "\"machines\":[],\"total\":5}"));
	free(s);
	lab_view_free(&v);
}

struct tile_arg {
	const struct lab_view *v;
	size_t i;
};

static void write_tile(FILE *f, const void *arg)
{
	const struct tile_arg *a = arg;

	lab_tile_json(f, a->v, a->i);
}

static void test_hostile_message(void)
{
	struct lab_view v = { 0 };
	struct tile_arg a = { &v, 4 };
	char *s;

	lab(&v);
	strcpy(v.t[4].message, "chunk 7: \"<script>alert(1)</script>\" & \\ \x1b[31m");
	strcpy(v.t[4].secure_boot, "enforcing");
	s = written(write_tile, &a);
	CHECK(s && !strchr(s, '<') && !strchr(s, '>') && !strchr(s, '&') && !strchr(s, 0x1b));
	CHECK(s && strstr(s, "\"message\":\"chunk 7: \\\"\\u003cscript\\u003ealert(1)"
			  "\\u003c/script\\u003e\\\" \\u0026 \\\\ \\u001b[31m\""));
	CHECK(s && strstr(s, "\"state\":\"failed\"") && strstr(s, "\"secure_boot\":\"enforcing\""));
	CHECK(s && strstr(s, "\"room\":\"B\"") && strstr(s, "\"rate\":null,\"eta\":null"));
	CHECK(s && strstr(s, "\"gold\":{\"current\":null,\"layers\":\"01010101\"}"));
	free(s);
	a.i = 0;
	s = written(write_tile, &a);
	CHECK(s && strstr(s, "\"room\":null") && strstr(s, "\"last_capture\":8553600")
	      && strstr(s, "\"current\":true"));
	free(s);
	lab_view_free(&v);
}

static void test_rate(void)
{
	struct lab_view v = { 0 };
	struct tile_arg a = { &v, 3 };
	char *s;

	lab(&v);
	v.t[3].done = 1000;
	v.t[3].total = 5000;
	v.t[3].rate = 100;
	s = written(write_tile, &a);
	CHECK(s && strstr(s, "\"state\":\"deploying\"") && strstr(s, "\"rate\":100,\"eta\":40"));
	free(s);
	lab_view_free(&v);
}

int main(void)
{
	RUN(test_json_escapes);
	RUN(test_states);
	RUN(test_gold);
	RUN(test_query);
	RUN(test_filters);
	RUN(test_pages_and_rooms);
	RUN(test_hostile_message);
	RUN(test_rate);
	return harness_summary();
}
