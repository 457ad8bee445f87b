/*
 * Unit tests for strata-ctl's pure parts (ctl/): the token file, numbers for people, a
 * machine's state and lookup from /machines.json, aligned tables, and the strict reading of
 * an answer as JSON.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "api.h"
#include "fmt.h"
#include "harness.h"
#include "lab.h"
#include "table.h"
#include "token.h"

volatile sig_atomic_t ctl_interrupted;

#define TOK "0123456789abcdef0123"

/* token_read of a file holding text; its rc, the token in out. */
static int token_of(const char *text, char *out, size_t cap)
{
	char path[] = "/tmp/strata-ctl-token.XXXXXX";
	int fd = mkstemp(path), rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -2;
	close(fd);
	rc = token_read(path, out, cap);
	unlink(path);
	return rc;
}

static void test_token(void)
{
	char t[API_TOKEN_MAX + 1];

	CHECK_EQ(token_of(TOK "\n", t, sizeof(t)), 0);
	CHECK(!strcmp(t, TOK));
	CHECK_EQ(token_of("# mine\n\n  admin\t" TOK "\r\n", t, sizeof(t)), 0);
	CHECK(!strcmp(t, TOK));
	CHECK_EQ(token_of("   # only a comment " TOK "\n", t, sizeof(t)), -1);
	CHECK_EQ(token_of("", t, sizeof(t)), -1);
	CHECK_EQ(token_of("short\n", t, sizeof(t)), -1);
	CHECK_EQ(token_of("0123456789abcdef\"x\n", t, sizeof(t)), -1);
	CHECK_EQ(token_of(TOK "\n", t, 8), -1);
	CHECK_EQ(token_read("/nonexistent/strata-token", t, sizeof(t)), -1);
}

static void test_fmt(void)
{
	char b[FMT_MAX];

	fmt_bytes(b, 999);
	CHECK(!strcmp(b, "999 B"));
	fmt_bytes(b, 2600000000ull);
	CHECK(!strcmp(b, "2.6 GB"));
	fmt_bytes(b, UINT64_MAX);
	CHECK(!strcmp(b, "18.4 EB"));
	fmt_age(b, 0, 1000);
	CHECK(!strcmp(b, "never"));
	fmt_age(b, 1000 - 300, 1000);
	CHECK(!strcmp(b, "5 min ago"));
	fmt_age(b, 2000, 1000);
	CHECK(!strcmp(b, "just now"));
	fmt_duration(b, 192);
	CHECK(!strcmp(b, "3:12"));
	fmt_duration(b, 3723);
	CHECK(!strcmp(b, "1:02:03"));
	fmt_progress(b, 45, 100);
	CHECK(!strcmp(b, "45% of 100 B"));
	fmt_progress(b, 5, 0);
	CHECK(!strcmp(b, "-"));
	fmt_progress(b, UINT64_MAX, UINT64_MAX - 1);
	CHECK(!strcmp(b, "100% of 18.4 EB"));
}

/* body parsed strictly: CTL_OK or not, the document in *doc. */
static int parse(const char *body, json_object **doc)
{
	struct api_resp r = { .status = 200, .body = (char *)body, .len = strlen(body) };

	return api_json(&r, "test", doc);
}

static void test_json(void)
{
	json_object *doc;
	char deep[80];

	CHECK_EQ(parse("{\"a\": 1}\n \r\n", &doc), CTL_OK);
	json_object_put(doc);
	CHECK_EQ(parse("{\"a\": 1} x", &doc), CTL_EOTHER);
	CHECK(doc == NULL);
	CHECK_EQ(parse("{\"a\": 1", &doc), CTL_EOTHER);
	/* json-c 0.16's strict mode still takes single-quoted strings (it reads the same
	 * values, so nothing is lost); a trailing comma it refuses. */
	CHECK_EQ(parse("{\"a\": 1,}", &doc), CTL_EOTHER);
	CHECK_EQ(parse("", &doc), CTL_EOTHER);
	memset(deep, '[', 40);
	memset(deep + 40, ']', 39);
	deep[79] = '\0';
	CHECK_EQ(parse(deep, &doc), CTL_EOTHER);
}

static const char lab[] = "{\"machines\": ["
	"{\"mac\": \"52:54:00:5e:00:01\", \"name\": \"pc01\", \"pending\": \"deploy\", \"result\": \"failed\"},"
	"{\"mac\": \"52:54:00:5e:00:02\", \"name\": \"pc02\", \"pending\": \"none\", \"result\": \"running\","
	" \"capture\": {\"rate\": null}},"
	"{\"mac\": \"52:54:00:5e:00:03\", \"name\": \"pc03\", \"pending\": \"none\", \"result\": \"running\"},"
	"{\"mac\": \"52:54:00:5e:00:04\", \"name\": \"pc04\", \"pending\": \"enroll\", \"result\": \"ok\"},"
	"{\"mac\": \"52:54:00:5e:00:05\", \"name\": \"pc05\", \"pending\": \"none\", \"result\": \"none\", \"done\": \"7\"}"
	"]}";

/* The state of the machine called name in doc, "" when not found. */
static const char *state_of(json_object *doc, const char *name)
{
	json_object *m = lab_find(doc, name);

	return m ? lab_state(m) : "";
}

static void test_lab(void)
{
	json_object *doc;

	CHECK_EQ(parse(lab, &doc), CTL_OK);
	if (!doc)
		return;
	CHECK(!strcmp(state_of(doc, "pc01"), "failed"));
	CHECK(!strcmp(state_of(doc, "pc02"), "capturing"));
	CHECK(!strcmp(state_of(doc, "pc03"), "deploying"));
	CHECK(!strcmp(state_of(doc, "pc04"), "queued"));
	CHECK(!strcmp(state_of(doc, "pc05"), "idle"));
	CHECK(!strcmp(state_of(doc, "52-54-00-5E-00-03"), "deploying"));
	CHECK(!strcmp(state_of(doc, "52:54:00:5e:00:04"), "queued"));
	CHECK(!strcmp(state_of(doc, "52_54_00_5e_00_04"), ""));
	CHECK(!strcmp(state_of(doc, "pc0"), ""));
	CHECK_EQ(lab_int(lab_find(doc, "pc05"), "done"), 0);
	CHECK(lab_state_settled("idle") && lab_state_settled("failed"));
	CHECK(!lab_state_settled("queued") && !lab_state_settled("deploying"));
	json_object_put(doc);
}

static void test_table(void)
{
	static const char *const head[] = { "NAME", "STATE", "MESSAGE", NULL };
	static const char *const r1[] = { "pc01", "deploying", "" };
	static const char *const r2[] = { "a-long-name", NULL, "x y" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct table t;

	table_init(&t, head);
	table_row(&t, r1);
	table_row(&t, r2);
	CHECK_EQ(table_print(&t, f), 0);
	fclose(f);
	CHECK(buf && !strcmp(buf, "NAME         STATE      MESSAGE\n"
				  "pc01         deploying  \n"
				  "a-long-name  -          x y\n"));
	free(buf);
}

int main(void)
{
	RUN(test_token);
	RUN(test_fmt);
	RUN(test_json);
	RUN(test_lab);
	RUN(test_table);
	return harness_summary();
}
