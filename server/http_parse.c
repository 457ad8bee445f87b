/* Routing, Range and query parsing (see http_parse.h). */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include "http_parse.h"
#include "rc.h"
#include "store_path.h"
#include "text.h"

/* Copy the next '/'-separated segment of *p into seg (cap bytes); advance *p past it. */
static int segment(const char **p, char *seg, size_t cap)
{
	size_t n = strcspn(*p, "/");

	if (n == 0 || n >= cap)
		return -1;
	memcpy(seg, *p, n);
	seg[n] = '\0';
	*p += n;
	if (**p == '/')
		(*p)++;
	return 0;
}

/* A file or machine name: [A-Za-z0-9._-], not starting with '.'. */
static int name_ok(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* A chunk's name as exactly 64 lowercase hex digits (the store's spelling) into d.  0 or
 * -1. */
static int lower_hex_digest(uint8_t d[32], const char *s)
{
	if (strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
		return -1;
	return strata_hex_decode(d, s, 32) ? -1 : 0;
}

static int mac_seg(uint8_t mac[6], const char *s)
{
	return strata_mac_parse(mac, s, strlen(s));
}

/* /store/REL: the core decides what REL names (store_path.h). */
static enum http_route_kind route_store(const char *p, struct http_route *r)
{
	static const enum http_route_kind kinds[] = {
		[STRATA_STORE_NONE] = ROUTE_NONE, [STRATA_STORE_INDEX] = ROUTE_STORE_INDEX,
		[STRATA_STORE_CHUNK] = ROUTE_STORE_CHUNK, [STRATA_STORE_RUN] = ROUTE_STORE_RUN,
	};
	struct strata_store_ref ref;

	if (strata_store_rel_parse(&ref, p, strlen(p)))
		return ROUTE_NONE;
	memcpy(r->digest, ref.digest, 32);
	r->first = ref.first;
	r->last = ref.last;
	return kinds[ref.kind];
}

/* /private/MAC/REL: a machine's private store, its indexes and runs only (no chunk files:
 * a private layer's chunks travel in sealed runs). */
static enum http_route_kind route_private(const char *p, struct http_route *r)
{
	enum http_route_kind kind = route_store(p, r);

	if (kind == ROUTE_STORE_INDEX)
		return ROUTE_PRIVATE_INDEX;
	return kind == ROUTE_STORE_RUN ? ROUTE_PRIVATE_RUN : ROUTE_NONE;
}

/* The dashboard's /api/WORD routes. */
static enum http_route_kind route_api_word(const char *w)
{
	static const struct {
		const char *word;
		enum http_route_kind kind;
	} words[] = {
		{ "login", ROUTE_LOGIN }, { "logout", ROUTE_LOGOUT }, { "session", ROUTE_SESSION },
		{ "machines", ROUTE_API_MACHINES }, { "events", ROUTE_EVENTS },
		{ "profiles", ROUTE_PROFILES }, { "layers", ROUTE_LAYERS },
		{ "library", ROUTE_LIBRARY }, { "audit", ROUTE_AUDIT }, { "orders", ROUTE_ORDERS },
		{ "schedule", ROUTE_SCHEDULE }, { "unknown", ROUTE_UNKNOWN },
		{ "register", ROUTE_REGISTER }, { "wake", ROUTE_WAKE },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(w, words[i].word))
			return words[i].kind;
	return ROUTE_NONE;
}

/* Routes of the form /WORD/ARG with nothing after ARG. */
static enum http_route_kind route_two(const char *word, const char *arg, struct http_route *r)
{
	if (!strcmp(word, "boot") && name_ok(arg) && strlen(arg) <= HTTP_NAME_MAX) {
		strcpy(r->name, arg);
		return ROUTE_BOOT;
	}
	if (!strcmp(word, "ipxe") && !strcmp(arg, "boot.ipxe"))
		return ROUTE_SCRIPT_ANY;
	if (!strcmp(word, "ipxe") && !mac_seg(r->mac, arg))
		return ROUTE_SCRIPT;
	if (!strcmp(word, "manifest") && !mac_seg(r->mac, arg))
		return ROUTE_MANIFEST;
	if (!strcmp(word, "report") && !mac_seg(r->mac, arg))
		return ROUTE_REPORT;
	if (!strcmp(word, "agent") && !mac_seg(r->mac, arg))
		return ROUTE_AGENT;
	if (!strcmp(word, "key") && !mac_seg(r->mac, arg))
		return ROUTE_KEY;
	if (!strcmp(word, "api") && !strcmp(arg, "accept-key"))
		return ROUTE_ACCEPT_KEY;
	if (!strcmp(word, "api") && !strcmp(arg, "gc"))
		return ROUTE_GC;
	if (!strcmp(word, "api"))
		return route_api_word(arg);
	if (!strcmp(word, "ui") && name_ok(arg) && strlen(arg) <= HTTP_NAME_MAX) {
		strcpy(r->name, arg);
		return ROUTE_UI_FILE;
	}
	if (!strcmp(word, "capture") && !strcmp(arg, "task"))
		return ROUTE_CAPTURE_TASK;
	if (!strcmp(word, "capture") && !strcmp(arg, "need"))
		return ROUTE_CAPTURE_NEED;
	if (!strcmp(word, "capture") && !strcmp(arg, "done"))
		return ROUTE_CAPTURE_DONE;
	if (!strcmp(word, "capture") && !strcmp(arg, "commit"))
		return ROUTE_CAPTURE_COMMIT;
	if (!strcmp(word, "capture") && !strcmp(arg, "hello"))
		return ROUTE_CAPTURE_HELLO;
	return ROUTE_NONE;
}

/* /api/deploy/NAME, /api/enroll/NAME, /api/accept-key/NAME, /api/capture/NAME,
 * /api/capture-cancel/NAME, /api/restore/NAME, /api/replace/NAME, /api/generations/NAME. */
static enum http_route_kind route_api(const char *verb, const char *arg, struct http_route *r)
{
	if (!name_ok(arg) || strlen(arg) > HTTP_NAME_MAX)
		return ROUTE_NONE;
	strcpy(r->name, arg);
	if (!strcmp(verb, "deploy"))
		return ROUTE_DEPLOY;
	if (!strcmp(verb, "enroll"))
		return ROUTE_ENROLL;
	if (!strcmp(verb, "capture"))
		return ROUTE_CAPTURE;
	if (!strcmp(verb, "capture-cancel"))
		return ROUTE_CAPTURE_CANCEL;
	if (!strcmp(verb, "restore"))
		return ROUTE_RESTORE;
	if (!strcmp(verb, "replace"))
		return ROUTE_REPLACE;
	if (!strcmp(verb, "generations"))
		return ROUTE_GENERATIONS;
	if (!strcmp(verb, "machine"))
		return ROUTE_API_MACHINE;
	if (!strcmp(verb, "orders") && !strcmp(arg, "preview"))
		return ROUTE_ORDERS_PREVIEW;
	if (!strcmp(verb, "schedule-cancel"))
		return strata_u64_parse(&r->first, arg, strlen(arg), INT64_MAX) || arg[0] == '0'
			? ROUTE_NONE : ROUTE_SCHEDULE_CANCEL;
	return !strcmp(verb, "accept-key") ? ROUTE_ACCEPT_KEY : ROUTE_NONE;
}

enum http_route_kind http_route(const char *path, struct http_route *r)
{
	char a[HTTP_NAME_MAX + 8], b[HTTP_NAME_MAX + 8], c[HTTP_NAME_MAX + 8];
	const char *p = path;

	size_t n = strlen(path);

	memset(r, 0, sizeof(*r));
	if (!strcmp(path, "/"))
		return r->kind = ROUTE_ROOT;
	/* No other route ends in '/': refusing it here keeps segment() simple. */
	if (*p++ != '/' || n > HTTP_PATH_MAX || path[n - 1] == '/')
		return ROUTE_NONE;
	if (!strcmp(p, "machines.json"))
		return r->kind = ROUTE_MACHINES;
	if (!strcmp(p, "ui"))
		return r->kind = ROUTE_UI;
	if (!strcmp(p, "api/mcast.json"))
		return r->kind = ROUTE_MCAST_JSON;
	if (segment(&p, a, sizeof(a)))
		return ROUTE_NONE;
	if (!strcmp(a, "store"))
		return r->kind = route_store(p, r);
	if (segment(&p, b, sizeof(b)))
		return ROUTE_NONE;
	if (*p && !strcmp(a, "api") && !segment(&p, c, sizeof(c)) && !*p)
		return r->kind = route_api(b, c, r);
	if (*p && !strcmp(a, "capture") && !strcmp(b, "chunk"))
		return r->kind = lower_hex_digest(r->digest, p) ? ROUTE_NONE : ROUTE_CAPTURE_CHUNK;
	if (*p && !strcmp(a, "mcast") && !strcmp(b, "status"))
		return r->kind = mac_seg(r->mac, p) ? ROUTE_NONE : ROUTE_MCAST_STATUS;
	if (*p && !strcmp(a, "key") && !mac_seg(r->mac, b) && !strcmp(p, "nonce"))
		return r->kind = ROUTE_KEY_NONCE;
	if (*p && !strcmp(a, "private") && !mac_seg(r->mac, b))
		return r->kind = route_private(p, r);
	if (*p)
		return ROUTE_NONE;
	return r->kind = route_two(a, b, r);
}

int http_route_admin(enum http_route_kind kind)
{
	switch (kind) {
	case ROUTE_MACHINES: case ROUTE_DEPLOY: case ROUTE_ACCEPT_KEY: case ROUTE_CAPTURE:
	case ROUTE_CAPTURE_CANCEL: case ROUTE_RESTORE: case ROUTE_REPLACE: case ROUTE_GENERATIONS:
	case ROUTE_GC: case ROUTE_ENROLL: case ROUTE_ROOT: case ROUTE_UI: case ROUTE_UI_FILE:
	case ROUTE_LOGIN: case ROUTE_LOGOUT: case ROUTE_SESSION: case ROUTE_API_MACHINES:
	case ROUTE_API_MACHINE: case ROUTE_EVENTS: case ROUTE_PROFILES: case ROUTE_LAYERS:
	case ROUTE_LIBRARY: case ROUTE_AUDIT: case ROUTE_ORDERS_PREVIEW: case ROUTE_ORDERS:
	case ROUTE_SCHEDULE: case ROUTE_SCHEDULE_CANCEL: case ROUTE_UNKNOWN: case ROUTE_REGISTER:
	case ROUTE_MCAST_JSON: case ROUTE_WAKE:
		return 1;
	default:
		return 0;
	}
}

int http_route_post(enum http_route_kind kind)
{
	switch (kind) {
	case ROUTE_DEPLOY: case ROUTE_ENROLL: case ROUTE_ACCEPT_KEY: case ROUTE_CAPTURE:
	case ROUTE_CAPTURE_CANCEL: case ROUTE_RESTORE: case ROUTE_REPLACE: case ROUTE_CAPTURE_NEED:
	case ROUTE_CAPTURE_CHUNK: case ROUTE_CAPTURE_COMMIT: case ROUTE_CAPTURE_DONE:
	case ROUTE_CAPTURE_HELLO: case ROUTE_GC: case ROUTE_LOGIN: case ROUTE_LOGOUT:
	case ROUTE_ORDERS_PREVIEW: case ROUTE_ORDERS: case ROUTE_SCHEDULE_CANCEL:
	case ROUTE_REGISTER: case ROUTE_MCAST_STATUS: case ROUTE_WAKE:
		return 1;
	default:
		return 0;
	}
}

int http_uri_has_nul(const char *uri)
{
	for (const char *p = strchr(uri, '%'); p; p = strchr(p + 1, '%'))
		if (p[1] == '0' && p[2] == '0')
			return 1;
	return 0;
}

/* Decimal digits at *p (no sign); advances *p.  -1 when none or overflow. */
static int digits(const char **p, uint64_t *v)
{
	const char *s = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	if (*p == s || strata_u64_parse(v, s, (size_t)(*p - s), UINT64_MAX)) {
		/* Leading zeros are legal in ranges: retry without them. */
		while (s < *p - 1 && *s == '0')
			s++;
		if (*p == s || strata_u64_parse(v, s, (size_t)(*p - s), UINT64_MAX))
			return -1;
	}
	return 0;
}

enum http_range_result http_range_parse(const char *hdr, uint64_t size, uint64_t *start,
					uint64_t *len)
{
	const char *p = hdr;
	uint64_t a = 0, b = 0;
	int has_a, has_b;

	if (!hdr || strncmp(p, "bytes=", 6) || strchr(p, ','))
		return RANGE_NONE;
	p += 6;
	has_a = *p != '-';
	if (has_a && digits(&p, &a))
		return RANGE_NONE;
	if (*p++ != '-')
		return RANGE_NONE;
	has_b = *p != '\0';
	if (has_b && (digits(&p, &b) || *p))
		return RANGE_NONE;
	if (!has_a && !has_b)
		return RANGE_NONE;
	if (!has_a) {                        /* suffix: the last b bytes */
		if (b == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		*start = b >= size ? 0 : size - b;
		*len = size - *start;
		return RANGE_PARTIAL;
	}
	if (has_b && b < a)
		return RANGE_NONE;
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	*start = a;
	*len = (has_b && b < size - 1 ? b : size - 1) - a + 1;
	return RANGE_PARTIAL;
}

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode s[0..n) into out; '+' is a space. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if (unhex(s[i + 1]) < 0 || unhex(s[i + 2]) < 0)
				return -1;
			c = unhex(s[i + 1]) << 4 | unhex(s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 1;
}

int http_query_get(const char *query, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = query;

	while (p && *p) {
		size_t n = strcspn(p, "&");

		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return decode(p + klen + 1, n - klen - 1, out, cap);
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
}

unsigned int http_status_of(int rc)
{
	static const struct {
		int rc;
		unsigned int status;
	} table[] = {
		{ 0, 200 },
		{ STRATA_EINVAL, 400 }, { STRATA_ETRUNC, 400 }, { STRATA_ETRAIL, 400 },
		{ STRATA_EAUTH, 401 },
		{ STRATA_EACCES, 403 }, { STRATA_EBADSIG, 403 },
		{ STRATA_ENOENT, 404 }, { STRATA_ECORRUPT, 404 },
		{ STRATA_ESTALE, 409 },
		{ STRATA_ERANGE, 416 },
		{ STRATA_ELIMIT, 429 },
		{ STRATA_ENOMEM, 500 }, { STRATA_EIO, 500 }, { STRATA_EREPORTED, 500 },
		{ STRATA_ENOTSUP, 501 },
		{ STRATA_ENET, 502 },
		{ STRATA_ENOSPC, 503 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].rc == rc)
			return table[i].status;
	return 500;
}

const char *http_bearer(const char *hdr)
{
	const char *t;

	if (!hdr || strncasecmp(hdr, "Bearer ", 7))
		return NULL;
	for (t = hdr + 7; *t == ' '; t++)
		;
	return *t ? t : NULL;
}

/* "scheme://host[:port]" of s, lower-cased and without its scheme's default port, into
 * out (cap bytes).  0, or -1 when s has no scheme or is too long. */
static int origin_of(const char *s, char *out, size_t cap)
{
	const char *host = strstr(s, "://");
	size_t n;

	if (!host)
		return -1;
	n = (size_t)(host + 3 - s) + strcspn(host + 3, "/?#");
	if (!strncasecmp(s, "http://", 7) && n > 10 && !strncmp(s + n - 3, ":80", 3))
		n -= 3;
	else if (!strncasecmp(s, "https://", 8) && n > 12 && !strncmp(s + n - 4, ":443", 4))
		n -= 4;
	if (n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	out[n] = '\0';
	return 0;
}

int http_origin_ok(const char *origin, const char *url)
{
	char a[HTTP_PATH_MAX], b[HTTP_PATH_MAX];

	if (!origin)
		return 1;
	return origin_of(origin, a, sizeof(a)) == 0 && origin_of(url, b, sizeof(b)) == 0 &&
	       !strcmp(a, b);
}

/* Whether v[0..n) has a session cookie's shape. */
static int cookie_value_ok(const char *v, size_t n)
{
	return n == HTTP_COOKIE_VALUE_LEN && strspn(v, "0123456789abcdef") >= n;
}

int http_cookie_get(const char *hdr, const char *name, char out[HTTP_COOKIE_VALUE_LEN + 1])
{
	size_t nlen = strlen(name);
	int found = 0;

	for (const char *p = hdr; p && *p;) {
		size_t n = strcspn(p, ";");
		const char *eq = memchr(p, '=', n);

		/* Only a pair of our name and a session's shape counts: anything else (another
		 * app's cookies on this host, a flag without '=', junk a sibling planted under
		 * our name) is skipped, so it cannot lock an admin out. */
		if (eq && (size_t)(eq - p) == nlen && !strncmp(p, name, nlen) &&
		    cookie_value_ok(eq + 1, n - nlen - 1)) {
			if (found++)
				return -1;
			memcpy(out, eq + 1, HTTP_COOKIE_VALUE_LEN);
			out[HTTP_COOKIE_VALUE_LEN] = '\0';
		}
		p += n;
		if (*p == ';' && *++p == ' ')
			p++;
	}
	return found;
}

/* One "A.B.C.D[/N]" of len bytes. */
static int cidr_parse(const char *s, size_t len, struct http_cidr *out)
{
	char ip[16];
	const char *slash = memchr(s, '/', len);
	size_t iplen = slash ? (size_t)(slash - s) : len;
	uint64_t bits = 32;
	struct in_addr a;

	if (iplen == 0 || iplen >= sizeof(ip))
		return STRATA_EINVAL;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1)
		return STRATA_EINVAL;
	if (slash && strata_u64_parse(&bits, slash + 1, len - iplen - 1, 32))
		return STRATA_EINVAL;
	out->mask = bits ? 0xffffffffu << (32 - bits) : 0;
	out->net = ntohl(a.s_addr);
	return (out->net & ~out->mask) ? STRATA_EINVAL : 0;
}

int http_cidr_list_parse(const char *s, struct http_cidr *out, size_t cap, size_t *n)
{
	size_t len;
	int rc;

	for (*n = 0;; s += len + 1) {
		len = strcspn(s, ",");
		if (*n == cap)
			return STRATA_ERANGE;
		rc = cidr_parse(s, len, &out[*n]);
		if (rc)
			return rc;
		(*n)++;
		if (!s[len])
			return 0;
	}
}

int http_cidr_match(const struct http_cidr *list, size_t n, uint32_t addr)
{
	for (size_t i = 0; i < n; i++)
		if ((addr & list[i].mask) == list[i].net)
			return 1;
	return 0;
}
