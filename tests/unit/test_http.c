/*
 * Unit tests for strata-server's HTTP parsers (server/http_parse.c): routes are strict
 * (nothing outside the served folders can be named), Range follows RFC 9110 for one range,
 * and query values are decoded with control bytes refused.
 */
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "http_parse.h"
#include "rc.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_routes_good(void)
{
	struct http_route r;

	CHECK_EQ(http_route("/boot/snponly.efi", &r), ROUTE_BOOT);
	CHECK(strcmp(r.name, "snponly.efi") == 0);
	CHECK_EQ(http_route("/ipxe/boot.ipxe", &r), ROUTE_SCRIPT_ANY);
	CHECK_EQ(http_route("/ipxe/52-54-00-12-34-56", &r), ROUTE_SCRIPT);
	CHECK(r.mac[0] == 0x52 && r.mac[5] == 0x56);
	CHECK_EQ(http_route("/manifest/52:54:00:12:34:56", &r), ROUTE_MANIFEST);
	CHECK_EQ(http_route("/report/52:54:00:12:34:56", &r), ROUTE_REPORT);
	CHECK_EQ(http_route("/store/layers/" HEX64 ".idx", &r), ROUTE_STORE_INDEX);
	CHECK(r.digest[0] == 0x01 && r.digest[31] == 0xef);
	CHECK_EQ(http_route("/store/chunks/01/" HEX64, &r), ROUTE_STORE_CHUNK);
	CHECK_EQ(http_route("/store/runs/" HEX64 "/3-9", &r), ROUTE_STORE_RUN);
	CHECK(r.first == 3 && r.last == 9);
	CHECK_EQ(http_route("/machines.json", &r), ROUTE_MACHINES);
	CHECK_EQ(http_route("/api/deploy/pc01", &r), ROUTE_DEPLOY);
	CHECK_EQ(http_route("/key/52:54:00:12:34:56/nonce", &r), ROUTE_KEY_NONCE);
	CHECK(r.mac[0] == 0x52 && r.mac[5] == 0x56);
	CHECK_EQ(http_route("/key/52:54:00:12:34:56", &r), ROUTE_KEY);
	CHECK_EQ(http_route("/mcast/status/52:54:00:12:34:57", &r), ROUTE_MCAST_STATUS);
	CHECK(r.mac[0] == 0x52 && r.mac[5] == 0x57);
	CHECK_EQ(http_route("/mcast/status/52:54:00:12:34", &r), ROUTE_NONE);
	CHECK_EQ(http_route("/mcast/status/52:54:00:12:34:57/x", &r), ROUTE_NONE);
	CHECK_EQ(http_route("/mcast/status", &r), ROUTE_NONE);
	CHECK_EQ(http_route("/api/mcast.json", &r), ROUTE_MCAST_JSON);
	CHECK_EQ(http_route("/api/mcast.json/", &r), ROUTE_NONE);
	CHECK_EQ(http_route("/api/accept-key/pc01", &r), ROUTE_ACCEPT_KEY);
	CHECK(strcmp(r.name, "pc01") == 0);
	CHECK_EQ(http_route("/api/accept-key", &r), ROUTE_ACCEPT_KEY);
	CHECK(r.name[0] == '\0');
	CHECK_EQ(http_route("/api/capture/pc01", &r), ROUTE_CAPTURE);
	CHECK(strcmp(r.name, "pc01") == 0);
	CHECK_EQ(http_route("/api/capture-cancel/52-54-00-12-34-56", &r), ROUTE_CAPTURE_CANCEL);
	CHECK(strcmp(r.name, "52-54-00-12-34-56") == 0);
	CHECK_EQ(http_route("/capture/task", &r), ROUTE_CAPTURE_TASK);
	CHECK_EQ(http_route("/api/restore/pc01", &r), ROUTE_RESTORE);
	CHECK(strcmp(r.name, "pc01") == 0);
	CHECK_EQ(http_route("/api/replace/pc01", &r), ROUTE_REPLACE);
	CHECK(strcmp(r.name, "pc01") == 0);
	CHECK_EQ(http_route("/api/generations/pc01", &r), ROUTE_GENERATIONS);
	CHECK(strcmp(r.name, "pc01") == 0);
	CHECK_EQ(http_route("/api/gc", &r), ROUTE_GC);
	CHECK_EQ(http_route("/api/enroll/pc01", &r), ROUTE_ENROLL);
	CHECK(!strcmp(r.name, "pc01"));
	CHECK_EQ(http_route("/api/gc/x", &r), ROUTE_NONE);
	CHECK_EQ(http_route("/api/generations", &r), ROUTE_NONE);
	CHECK_EQ(http_route("/capture/need", &r), ROUTE_CAPTURE_NEED);
	CHECK_EQ(http_route("/capture/commit", &r), ROUTE_CAPTURE_COMMIT);
	CHECK_EQ(http_route("/capture/done", &r), ROUTE_CAPTURE_DONE);
	CHECK_EQ(http_route("/capture/hello", &r), ROUTE_CAPTURE_HELLO);
	CHECK_EQ(http_route("/capture/chunk/" HEX64, &r), ROUTE_CAPTURE_CHUNK);
	CHECK(r.digest[0] == 0x01 && r.digest[31] == 0xef);
	CHECK_EQ(http_route("/private/52:54:00:12:34:56/layers/" HEX64 ".idx", &r),
		 ROUTE_PRIVATE_INDEX);
	CHECK(r.mac[0] == 0x52 && r.mac[5] == 0x56 && r.digest[0] == 0x01);
	CHECK_EQ(http_route("/private/52-54-00-12-34-57/runs/" HEX64 "/0-15", &r),
		 ROUTE_PRIVATE_RUN);
	CHECK(r.mac[5] == 0x57 && r.first == 0 && r.last == 15 && r.digest[31] == 0xef);
}

/* The dashboard's routes (issue 15's contract), which are admin routes, and which POST. */
static void test_routes_dashboard(void)
{
	static const struct {
		const char *path;
		enum http_route_kind kind;
		int post;
	} good[] = {
		{ "/", ROUTE_ROOT, 0 }, { "/ui", ROUTE_UI, 0 }, { "/ui/app.js", ROUTE_UI_FILE, 0 },
		{ "/api/login", ROUTE_LOGIN, 1 }, { "/api/logout", ROUTE_LOGOUT, 1 },
		{ "/api/session", ROUTE_SESSION, 0 }, { "/api/machines", ROUTE_API_MACHINES, 0 },
		{ "/api/machine/pc01", ROUTE_API_MACHINE, 0 }, { "/api/events", ROUTE_EVENTS, 0 },
		{ "/api/profiles", ROUTE_PROFILES, 0 }, { "/api/layers", ROUTE_LAYERS, 0 },
		{ "/api/library", ROUTE_LIBRARY, 0 }, { "/api/audit", ROUTE_AUDIT, 0 },
		{ "/api/orders/preview", ROUTE_ORDERS_PREVIEW, 1 }, { "/api/orders", ROUTE_ORDERS, 1 },
		{ "/api/schedule", ROUTE_SCHEDULE, 0 },
		{ "/api/schedule-cancel/42", ROUTE_SCHEDULE_CANCEL, 1 },
		{ "/api/unknown", ROUTE_UNKNOWN, 0 }, { "/api/register", ROUTE_REGISTER, 1 },
	};
	struct http_route r;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_MSG(http_route(good[i].path, &r) == good[i].kind, "'%s'", good[i].path);
		CHECK_MSG(http_route_admin(r.kind), "'%s' not admin", good[i].path);
		CHECK_MSG(http_route_post(r.kind) == good[i].post, "'%s' post", good[i].path);
	}
	CHECK_EQ(http_route("/api/machine/pc01", &r), ROUTE_API_MACHINE);
	CHECK(!strcmp(r.name, "pc01"));
	CHECK_EQ(http_route("/ui/app.js", &r), ROUTE_UI_FILE);
	CHECK(!strcmp(r.name, "app.js"));
	CHECK_EQ(http_route("/api/schedule-cancel/42", &r), ROUTE_SCHEDULE_CANCEL);
	CHECK(r.first == 42);
	/* what the agents use stays off the admin list, so the plain port keeps it */
	CHECK(!http_route_admin(ROUTE_BOOT) && !http_route_admin(ROUTE_MANIFEST));
	CHECK(!http_route_admin(ROUTE_REPORT) && !http_route_admin(ROUTE_CAPTURE_CHUNK));
	CHECK(!http_route_admin(ROUTE_PRIVATE_RUN) && !http_route_admin(ROUTE_KEY));
	CHECK(http_route_admin(ROUTE_MACHINES) && http_route_admin(ROUTE_DEPLOY));
	CHECK(http_route_post(ROUTE_DEPLOY) && !http_route_post(ROUTE_REPORT));
}

static void test_routes_bad(void)
{
	static const char *const bad[] = {
		"", "//", "boot/x", "/boot/", "/boot/..", "/boot/../x", "/boot/.hidden",
		"/boot/a/b", "/boot//x", "/boot/x y", "/boot/%2e%2e", "/ipxe/52-54-00-12-34",
		"/ipxe/52-54-00-12-34-5g", "/store/chunks/02/" HEX64, "/store/chunks/01/" HEX64 "/",
		"/store/layers/" HEX64, "/store/layers/" HEX64 ".idx/x", "/store/runs/" HEX64 "/9-3",
		"/store/runs/" HEX64 "/-1-3", "/store/runs/" HEX64 "/1-99999999999",
		"/store/runs/" HEX64, "/state/server.key", "/api/deploy", "/api/deploy/../x",
		"/machines.json/x", "/report/52:54:00:12:34:56/x", "/key/52:54:00:12:34:56/nonce/x",
		"/key/52:54:00:12:34:56/other", "/key/pc01/nonce", "/key/52:54:00:12:34",
		"/api/accept-key/../x", "/api/accept-key/a/b", "/api/other/pc01",
		"/api/capture", "/api/capture/", "/api/capture/../x", "/api/capture/a/b",
		"/api/capture-cancel", "/api/capture-cancel/.x", "/api/Capture/pc01",
		"/api/restore", "/api/restore/", "/api/restore/../x", "/api/restore/a/b",
		"/api/replace", "/api/replace/", "/api/replace/../x", "/api/replace/a/b",
		"/capture", "/capture/", "/capture/task/x", "/capture/other", "/capture/chunk",
		"/capture/done/x",
		"/capture/chunk/", "/capture/chunk/0123", "/capture/chunk/" HEX64 "/x",
		"/capture/chunk/" HEX64 "0",
		/* a private store serves indexes and runs of a named machine, nothing else */
		"/private/52:54:00:12:34:56/chunks/01/" HEX64, "/private/52:54:00:12:34:56",
		"/private/52:54:00:12:34:56/", "/private/pc01/layers/" HEX64 ".idx",
		"/private/52:54:00:12:34/layers/" HEX64 ".idx",
		"/private/52:54:00:12:34:56/layers/" HEX64 ".idx/x",
		"/private/52:54:00:12:34:56/runs/" HEX64 "/9-3",
		"/private/52:54:00:12:34:56/runs/" HEX64, "/private/layers/" HEX64 ".idx",
		"/private/52:54:00:12:34:56/../store/layers/" HEX64 ".idx",
		"/private/52:54:00:12:34:56//layers/" HEX64 ".idx",
		/* the dashboard's routes: exact words, one safe name, an ID without a 0 first */
		"/ui/", "/ui/../x", "/ui/.x", "/ui/a/b", "/ui/%2e%2e", "/api/login/x", "/api/Login",
		"/api/orders/other", "/api/orders/preview/x", "/api/machine", "/api/machine/..",
		"/api/schedule-cancel/0", "/api/schedule-cancel/x", "/api/schedule-cancel/01",
		"/api/schedule-cancel/99999999999999999999", "/api/session/",
	};
	struct http_route r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(http_route(bad[i], &r) == ROUTE_NONE, "'%s' routed", bad[i]);
}

static void test_range(void)
{
	uint64_t s = 0, n = 0;

	CHECK_EQ(http_range_parse(NULL, 100, &s, &n), RANGE_NONE);
	CHECK_EQ(http_range_parse("bytes=0-9", 100, &s, &n), RANGE_PARTIAL);
	CHECK(s == 0 && n == 10);
	CHECK_EQ(http_range_parse("bytes=90-200", 100, &s, &n), RANGE_PARTIAL);
	CHECK(s == 90 && n == 10);
	CHECK_EQ(http_range_parse("bytes=95-", 100, &s, &n), RANGE_PARTIAL);
	CHECK(s == 95 && n == 5);
	CHECK_EQ(http_range_parse("bytes=-5", 100, &s, &n), RANGE_PARTIAL);
	CHECK(s == 95 && n == 5);
	CHECK_EQ(http_range_parse("bytes=-500", 100, &s, &n), RANGE_PARTIAL);
	CHECK(s == 0 && n == 100);
	CHECK_EQ(http_range_parse("bytes=100-", 100, &s, &n), RANGE_UNSATISFIABLE);
	CHECK_EQ(http_range_parse("bytes=-0", 100, &s, &n), RANGE_UNSATISFIABLE);
	CHECK_EQ(http_range_parse("bytes=0-0", 0, &s, &n), RANGE_UNSATISFIABLE);
	CHECK_EQ(http_range_parse("bytes=9-3", 100, &s, &n), RANGE_NONE);
	CHECK_EQ(http_range_parse("bytes=0-1,5-6", 100, &s, &n), RANGE_NONE);
	CHECK_EQ(http_range_parse("bytes=a-b", 100, &s, &n), RANGE_NONE);
	CHECK_EQ(http_range_parse("items=0-1", 100, &s, &n), RANGE_NONE);
	CHECK_EQ(http_range_parse("bytes=-", 100, &s, &n), RANGE_NONE);
	CHECK_EQ(http_range_parse("bytes=99999999999999999999-", 100, &s, &n), RANGE_NONE);
	CHECK_EQ(http_range_parse("bytes=007-8", 100, &s, &n), RANGE_PARTIAL);
	CHECK(s == 7 && n == 2);
}

static void test_query(void)
{
	char out[16];

	CHECK_EQ(http_query_get("a=1&phase=ok&b=2", "phase", out, sizeof(out)), 1);
	CHECK(strcmp(out, "ok") == 0);
	CHECK_EQ(http_query_get("msg=disk+too%20small", "msg", out, sizeof(out)), 1);
	CHECK(strcmp(out, "disk too small") == 0);
	CHECK_EQ(http_query_get("phases=x", "phase", out, sizeof(out)), 0);
	CHECK_EQ(http_query_get("msg=%0a", "msg", out, sizeof(out)), -1);
	CHECK_EQ(http_query_get("msg=%00", "msg", out, sizeof(out)), -1);
	CHECK_EQ(http_query_get("msg=%4", "msg", out, sizeof(out)), -1);
	CHECK_EQ(http_query_get("msg=%zz", "msg", out, sizeof(out)), -1);
	CHECK_EQ(http_query_get("msg=0123456789abcdefXX", "msg", out, sizeof(out)), -1);
}

/* One table from rc to status: the codes handlers use, and 500 for anything else. */
static void test_status_table(void)
{
	CHECK_EQ(http_status_of(0), 200);
	CHECK_EQ(http_status_of(STRATA_EINVAL), 400);
	CHECK_EQ(http_status_of(STRATA_EAUTH), 401);
	CHECK_EQ(http_status_of(STRATA_ELIMIT), 429);
	CHECK_EQ(http_status_of(STRATA_EACCES), 403);
	CHECK_EQ(http_status_of(STRATA_ENOENT), 404);
	CHECK_EQ(http_status_of(STRATA_ECORRUPT), 404);
	CHECK_EQ(http_status_of(STRATA_ERANGE), 416);
	CHECK_EQ(http_status_of(STRATA_ENOMEM), 500);
	CHECK_EQ(http_status_of(STRATA_EREPORTED), 500);
	CHECK_EQ(http_status_of(STRATA_ENOSPC), 503);
	CHECK_EQ(http_status_of(-1000), 500);
	CHECK_EQ(http_status_of(1), 500);
	/* errorf's code is its own, no longer the same number as malformed input. */
	CHECK(STRATA_EREPORTED != STRATA_EINVAL && STRATA_EREPORTED != -1);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Only "Bearer TOKEN" carries a token; nothing else is taken for one. */
static void test_bearer(void)
{
	CHECK(http_bearer(NULL) == NULL);
	CHECK(strcmp(or_empty(http_bearer("Bearer abc")), "abc") == 0);
	CHECK(strcmp(or_empty(http_bearer("bearer  abc")), "abc") == 0);
	CHECK(http_bearer("Bearer ") == NULL);
	CHECK(http_bearer("Bearer") == NULL);
	CHECK(http_bearer("Basic YWxpY2U6eA==") == NULL);
	CHECK(http_bearer("Bearerabc") == NULL);
}

/* A browser's request from any other origin than the server's own is refused. */
static void test_origin(void)
{
	const char *url = "http://10.78.0.2";

	CHECK(http_origin_ok(NULL, url));
	CHECK(http_origin_ok("http://10.78.0.2", url));
	CHECK(http_origin_ok("HTTP://10.78.0.2:80", url));
	CHECK(http_origin_ok("http://10.78.0.2", "http://10.78.0.2:80/"));
	CHECK(http_origin_ok("https://lab.example:443", "https://lab.example/strata"));
	CHECK(!http_origin_ok("http://10.78.0.2:8080", url));
	CHECK(!http_origin_ok("http://127.0.0.1", url));
	CHECK(!http_origin_ok("https://10.78.0.2", url));
	CHECK(!http_origin_ok("http://10.78.0.2.evil.example", url));
	CHECK(!http_origin_ok("null", url));
	CHECK(!http_origin_ok("", url));
	CHECK(!http_origin_ok("http://127.0.0.1:8080", "http://127.0.0.1:80"));
}

/* --trusted-proxies: networks and single addresses; host bits, junk and too many refused. */
static void test_cidr(void)
{
	struct http_cidr c[HTTP_CIDR_MAX];
	size_t n;

	CHECK_EQ(http_cidr_list_parse("10.1.2.3,192.168.0.0/16,0.0.0.0/0", c, 3, &n), 0);
	CHECK_EQ(n, 3);
	CHECK(http_cidr_match(c, 1, 0x0a010203));
	CHECK(!http_cidr_match(c, 1, 0x0a010204));
	CHECK(http_cidr_match(c + 1, 1, 0xc0a8ff01));
	CHECK(!http_cidr_match(c + 1, 1, 0xc0a90001));
	CHECK(http_cidr_match(c + 2, 1, 0x01020304));
	CHECK_EQ(http_cidr_list_parse("10.0.0.1/8", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("10.0.0.0/33", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("10.0.0.0/", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("10.0.0.0/08", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("10.0.0.1,", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("10.0.0.1 ", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("host.example", c, 3, &n), STRATA_EINVAL);
	CHECK_EQ(http_cidr_list_parse("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", c, 3, &n), STRATA_ERANGE);
}

/* The Cookie header: the session cookie found among others, refused when twice or
 * misshapen, absent otherwise. */
static void test_cookie(void)
{
	char out[HTTP_COOKIE_VALUE_LEN + 1], hdr[300];
	const char *v = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	snprintf(hdr, sizeof(hdr), "strata=%s", v);
	CHECK_EQ(http_cookie_get(hdr, "strata", out), 1);
	CHECK(!strcmp(out, v));
	snprintf(hdr, sizeof(hdr), "theme=dark; strata=%s; lang=fr=x", v);
	CHECK_EQ(http_cookie_get(hdr, "strata", out), 1);
	CHECK_EQ(http_cookie_get(hdr, "__Host-strata", out), 0);
	snprintf(hdr, sizeof(hdr), "__Host-strata=%s", v);
	CHECK_EQ(http_cookie_get(hdr, "__Host-strata", out), 1);
	CHECK_EQ(http_cookie_get(hdr, "strata", out), 0);
	CHECK_EQ(http_cookie_get("theme=dark", "strata", out), 0);
	CHECK_EQ(http_cookie_get("", "strata", out), 0);
	snprintf(hdr, sizeof(hdr), "strata=%s; strata=%s", v, v);
	CHECK_EQ(http_cookie_get(hdr, "strata", out), -1);          /* twice */
	/* Junk under our name, flags and empty pairs are skipped: they cannot lock anyone out. */
	CHECK_EQ(http_cookie_get("strata=abc", "strata", out), 0);   /* short */
	snprintf(hdr, sizeof(hdr), "strata=%.63sA", v);
	CHECK_EQ(http_cookie_get(hdr, "strata", out), 0);           /* upper case */
	snprintf(hdr, sizeof(hdr), "strata=%s0", v);
	CHECK_EQ(http_cookie_get(hdr, "strata", out), 0);           /* long */
	CHECK_EQ(http_cookie_get("theme", "strata", out), 0);        /* a flag */
	CHECK_EQ(http_cookie_get("a=1;;b=2", "strata", out), 0);
	CHECK_EQ(http_cookie_get("=x", "strata", out), 0);
	snprintf(hdr, sizeof(hdr), "strata=junk; flag; theme=dark;; strata=%s", v);
	CHECK_EQ(http_cookie_get(hdr, "strata", out), 1);           /* the good one found */
	CHECK(!strcmp(out, v));
}

/* An escaped NUL anywhere in the raw URI, which decoding would turn into the string's end. */
static void test_uri_nul(void)
{
	CHECK(http_uri_has_nul("/api/deploy/pc01%00x"));
	CHECK(http_uri_has_nul("/ui/app.js%00"));
	CHECK(http_uri_has_nul("/api/accept-key?names=pc01%00,pc02"));
	CHECK(!http_uri_has_nul("/api/deploy/pc01"));
	CHECK(!http_uri_has_nul("/boot/a%20b%0a%100"));
	CHECK(!http_uri_has_nul("/x%0"));
	CHECK(!http_uri_has_nul("%"));
}

int main(void)
{
	RUN(test_uri_nul);
	RUN(test_cidr);
	RUN(test_status_table);
	RUN(test_routes_good);
	RUN(test_routes_dashboard);
	RUN(test_cookie);
	RUN(test_routes_bad);
	RUN(test_range);
	RUN(test_query);
	RUN(test_bearer);
	RUN(test_origin);
	return harness_summary();
}
