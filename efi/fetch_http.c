/*
 * The EFI_HTTP back-end of fetch.h: the firmware's own HTTP client (edk2's HttpDxe), for
 * when no iPXE started us (UEFI HTTP Boot).
 *
 * Set-up (fetch_http_open): find the NIC whose HTTP service binding is nearest the
 * image's device, get IPv4 an address (ip4_config.c), create one HTTP child and configure
 * it with UseDefaultAddress.  The child is kept for every fetch, so consecutive requests
 * to one server share a keep-alive connection.
 *
 * One attempt (http_get): Request, then a Response for the status line and headers, then
 * Responses for body pieces into our buffer until Content-Length bytes arrived.  Every
 * call is asynchronous: a token's event sets a flag and we Poll until it is set or a
 * timeout passes.  A retry asks for "Range: bytes=N-", and a 206 must start at N; a 200
 * (a server that ignores Range) is read from 0 and the sink drops the first N bytes.
 * Any failure resets the child (Configure(NULL) closes its connection), so the next
 * attempt never reads the rest of an abandoned response.
 *
 * Limits: the body must have a Content-Length (edk2 gives a caller no sign of where a
 * chunked body ends, and Strata's servers always send one); redirects are not followed.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "clock.h"
#include "efi_http.h"
#include "efi_rc.h"
#include "fetch_impl.h"
#include "ip4_config.h"
#include "log.h"
#include "rc.h"
#include "text.h"

/** Body piece buffer.  Its size barely matters: 16 KiB to 1 MiB all gave 5.2-5.6 MB/s
 *  under TCG, which edk2's TCP, not the call overhead, sets. */
#define HTTP_BUF_SIZE (64u * 1024)
/** Wait this long for DHCP when the interface has no address yet. */
#define HTTP_DHCP_TIMEOUT_MS 30000
/** Sending a request, which may include the TCP connect. */
#define HTTP_REQUEST_TIMEOUT_MS 20000
/** The headers, and each body piece after them: a server silent this long is gone. */
#define HTTP_IDLE_TIMEOUT_MS 30000
/** Longest host[:port] in a URL. */
#define HTTP_HOST_MAX 256
/** Longest refusal text logged from an upload's answer. */
#define HTTP_REFUSAL_MAX 200
/** Room for "fetch: <url>: <step>" in a log line (log.h cuts lines at 255 bytes). */
#define HTTP_WHAT_MAX 256

static EFI_GUID http_sb_guid = EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID;
static EFI_GUID http_guid = EFI_HTTP_PROTOCOL_GUID;

/** The back-end's state; owns the child, the event and the buffer. */
struct http_fetcher {
	EFI_HANDLE nic;               /**< the NIC's handle */
	int policy_changed;           /**< ip4_config_dhcp switched its policy: put it back */
	EFI_SERVICE_BINDING *sb;      /**< the NIC's HTTP service binding */
	EFI_HANDLE child;             /**< our HTTP instance's handle; NULL when none */
	EFI_HTTP_PROTOCOL *http;      /**< its protocol; NULL when none */
	EFI_HTTPv4_ACCESS_POINT ap;   /**< UseDefaultAddress; cfg points here */
	EFI_HTTP_CONFIG_DATA cfg;     /**< what Configure gets, again after each reset */
	EFI_EVENT event;              /**< every token's event; sets done */
	volatile BOOLEAN done;        /**< the pending token completed */
	uint8_t *buf;                 /**< HTTP_BUF_SIZE bytes for body pieces */
};

/** What the head of a response says, as far as a fetch cares. */
struct http_head {
	unsigned int status;     /**< 200, 206, 404, ...; 0 when the firmware did not know it */
	uint64_t length;         /**< Content-Length, or FETCH_SIZE_UNKNOWN */
	uint64_t range_start;    /**< 206: Content-Range's first byte */
	uint64_t range_total;    /**< 206: Content-Range's total, or FETCH_SIZE_UNKNOWN */
	int close;               /**< "Connection: close": reset after the body */
};

/* ---- HTTP statuses: the one table ----------------------------------------------------- */

/** An EFI_HTTP_STATUS_CODE's number and what it means for a fetch. */
struct http_status_row {
	unsigned int code;
	int rc;  /**< 0: a body follows; else the fetch fails with this (transient: ENET) */
};

/* Indexed by EFI_HTTP_STATUS_CODE (efi_http.h lists the spec's order). */
static const struct http_status_row http_status_table[] = {
	[HTTP_STATUS_UNSUPPORTED_STATUS] = { 0, STRATA_EIO },
	[HTTP_STATUS_100_CONTINUE] = { 100, STRATA_EIO },
	[HTTP_STATUS_101_SWITCHING_PROTOCOLS] = { 101, STRATA_EIO },
	[HTTP_STATUS_200_OK] = { 200, 0 },
	[HTTP_STATUS_201_CREATED] = { 201, STRATA_EIO },
	[HTTP_STATUS_202_ACCEPTED] = { 202, STRATA_EIO },
	[HTTP_STATUS_203_NON_AUTHORITATIVE_INFORMATION] = { 203, 0 },
	[HTTP_STATUS_204_NO_CONTENT] = { 204, STRATA_EIO },
	[HTTP_STATUS_205_RESET_CONTENT] = { 205, STRATA_EIO },
	[HTTP_STATUS_206_PARTIAL_CONTENT] = { 206, 0 },
	/* Redirects are not followed: Strata's server never sends one. */
	[HTTP_STATUS_300_MULTIPLE_CHOICES] = { 300, STRATA_ENOTSUP },
	[HTTP_STATUS_301_MOVED_PERMANENTLY] = { 301, STRATA_ENOTSUP },
	[HTTP_STATUS_302_FOUND] = { 302, STRATA_ENOTSUP },
	[HTTP_STATUS_303_SEE_OTHER] = { 303, STRATA_ENOTSUP },
	[HTTP_STATUS_304_NOT_MODIFIED] = { 304, STRATA_ENOTSUP },
	[HTTP_STATUS_305_USE_PROXY] = { 305, STRATA_ENOTSUP },
	[HTTP_STATUS_307_TEMPORARY_REDIRECT] = { 307, STRATA_ENOTSUP },
	[HTTP_STATUS_308_PERMANENT_REDIRECT] = { 308, STRATA_ENOTSUP },
	/* The client's fault: asking again will not help. */
	[HTTP_STATUS_400_BAD_REQUEST] = { 400, STRATA_EINVAL },
	[HTTP_STATUS_401_UNAUTHORIZED] = { 401, STRATA_EAUTH },
	[HTTP_STATUS_402_PAYMENT_REQUIRED] = { 402, STRATA_EINVAL },
	[HTTP_STATUS_403_FORBIDDEN] = { 403, STRATA_EACCES },
	[HTTP_STATUS_404_NOT_FOUND] = { 404, STRATA_ENOENT },
	[HTTP_STATUS_405_METHOD_NOT_ALLOWED] = { 405, STRATA_EINVAL },
	[HTTP_STATUS_406_NOT_ACCEPTABLE] = { 406, STRATA_EINVAL },
	[HTTP_STATUS_407_PROXY_AUTHENTICATION_REQUIRED] = { 407, STRATA_EINVAL },
	[HTTP_STATUS_408_REQUEST_TIME_OUT] = { 408, STRATA_ENET },
	/* A single-use request seen before, or a state that moved on (a part committed). */
	[HTTP_STATUS_409_CONFLICT] = { 409, STRATA_ESTALE },
	[HTTP_STATUS_410_GONE] = { 410, STRATA_ENOENT },
	[HTTP_STATUS_411_LENGTH_REQUIRED] = { 411, STRATA_EINVAL },
	[HTTP_STATUS_412_PRECONDITION_FAILED] = { 412, STRATA_EINVAL },
	[HTTP_STATUS_413_REQUEST_ENTITY_TOO_LARGE] = { 413, STRATA_EINVAL },
	[HTTP_STATUS_414_REQUEST_URI_TOO_LARGE] = { 414, STRATA_EINVAL },
	[HTTP_STATUS_415_UNSUPPORTED_MEDIA_TYPE] = { 415, STRATA_EINVAL },
	[HTTP_STATUS_416_REQUESTED_RANGE_NOT_SATISFIED] = { 416, STRATA_ERANGE },
	[HTTP_STATUS_417_EXPECTATION_FAILED] = { 417, STRATA_EINVAL },
	/* The server's trouble, often passing (a restart, an overloaded proxy): retried. */
	[HTTP_STATUS_500_INTERNAL_SERVER_ERROR] = { 500, STRATA_ENET },
	[HTTP_STATUS_501_NOT_IMPLEMENTED] = { 501, STRATA_ENOTSUP },
	[HTTP_STATUS_502_BAD_GATEWAY] = { 502, STRATA_ENET },
	[HTTP_STATUS_503_SERVICE_UNAVAILABLE] = { 503, STRATA_ENET },
	[HTTP_STATUS_504_GATEWAY_TIME_OUT] = { 504, STRATA_ENET },
	[HTTP_STATUS_505_HTTP_VERSION_NOT_SUPPORTED] = { 505, STRATA_ENOTSUP },
};

/* The table row for a status code; a code past the table (a newer spec) is "unsupported". */
static const struct http_status_row *http_status_row(EFI_HTTP_STATUS_CODE code)
{
	if ((unsigned int)code >= sizeof(http_status_table) / sizeof(http_status_table[0]))
		code = HTTP_STATUS_UNSUPPORTED_STATUS;
	return &http_status_table[code];
}

/* efi_fail for a failure during a fetch: the message names the URL and the step. */
static int http_fail(EFI_STATUS status, const char *url, const char *step)
{
	char what[HTTP_WHAT_MAX];

	snprintf(what, sizeof(what), "fetch: %s: %s", url, step);
	return efi_fail(status, what);
}

/* ---- the child: create, reset, destroy ------------------------------------------------ */

/* Create our HTTP instance and configure it.  On failure nothing is left behind. */
static int http_child_create(struct http_fetcher *h)
{
	EFI_STATUS s;

	h->child = NULL;
	s = h->sb->CreateChild(h->sb, &h->child);
	if (EFI_ERROR(s))
		return efi_fail(s, "fetch: HTTP CreateChild");
	s = BS->HandleProtocol(h->child, &http_guid, (void **)&h->http);
	if (EFI_ERROR(s))
		goto err_child;
	s = h->http->Configure(h->http, &h->cfg);
	if (EFI_ERROR(s))
		goto err_child;
	return 0;

err_child:
	h->sb->DestroyChild(h->sb, h->child);
	h->child = NULL;
	h->http = NULL;
	return efi_fail(s, "fetch: HTTP child HandleProtocol/Configure");
}

/* Close the child's connection and destroy it (no-op without one). */
static void http_child_destroy(struct http_fetcher *h)
{
	if (!h->child)
		return;
	h->http->Configure(h->http, NULL);
	h->sb->DestroyChild(h->sb, h->child);
	h->child = NULL;
	h->http = NULL;
}

/*
 * Drop the connection and any pending token: Configure(NULL) resets the instance (UEFI
 * spec), Configure(cfg) makes it usable again.  If the firmware refuses, start over with
 * a new child.  Failures are logged; the next request reports the consequence.
 */
static void http_reset(struct http_fetcher *h)
{
	if (h->http && !EFI_ERROR(h->http->Configure(h->http, NULL)) &&
	    !EFI_ERROR(h->http->Configure(h->http, &h->cfg)))
		return;
	http_child_destroy(h);
	http_child_create(h);
}

/* ---- waiting for a token ----------------------------------------------------------- */

/* The token event's notify function: runs at TPL_CALLBACK when the firmware signals it. */
static VOID EFIAPI http_on_done(EFI_EVENT event, VOID *ctx)
{
	struct http_fetcher *h = ctx;

	h->done = TRUE;
}

/*
 * Poll until the pending token completes, or cancel it after timeout_ms.  Returns 0 (the
 * token's own Status is then final) or STRATA_ENET, logged.
 */
static int http_wait(struct http_fetcher *h, EFI_HTTP_TOKEN *tok, uint32_t timeout_ms,
		     const char *url, const char *what)
{
	uint64_t start = clock_ms();

	while (!h->done) {
		h->http->Poll(h->http);
		if (!h->done && clock_ms() - start >= timeout_ms) {
			h->http->Cancel(h->http, tok);
			return log_fail(STRATA_ENET, "fetch: %s: %s: nothing in %u s", url, what,
					timeout_ms / 1000);
		}
	}
	return 0;
}

/* ---- one request --------------------------------------------------------------------- */

/* host[:port] of an absolute URL, for the Host header (edk2 does not add one). */
static int http_host(const char *url, char *host, size_t cap)
{
	const char *p = strstr(url, "://");
	size_t n = 0;

	if (!p)
		return log_fail(STRATA_EINVAL, "fetch: %s: not an absolute URL", url);
	p += 3;
	while (p[n] && p[n] != '/' && p[n] != '?' && p[n] != '#') {
		if (p[n] == '@')
			return log_fail(STRATA_EINVAL, "fetch: %s: user names in URLs are not "
					"supported", url);
		n++;
	}
	if (!n || n >= cap)
		return log_fail(STRATA_EINVAL, "fetch: %s: bad host", url);
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

/* The URL as UCS-2, which EFI_HTTP_REQUEST_DATA wants.  The caller frees *out. */
static int http_url16(const char *url, CHAR16 **out)
{
	size_t n = strlen(url);
	CHAR16 *w = strata_alloc((n + 1) * sizeof(CHAR16));

	if (!w)
		return log_fail(STRATA_ENOMEM, "fetch: no memory for a URL");
	for (size_t i = 0; i <= n; i++)
		w[i] = (CHAR16)(unsigned char)url[i];
	*out = w;
	return 0;
}

/* Send GET url, with "Range: bytes=offset-" when resuming; or, with b, POST b. */
static int http_request(struct http_fetcher *h, const char *url, CHAR16 *url16,
			uint64_t offset, const struct fetch_body *b)
{
	char host[HTTP_HOST_MAX], range[48], length[24];
	EFI_HTTP_REQUEST_DATA req = { .Method = b ? HttpMethodPost : HttpMethodGet,
				      .Url = url16 };
	EFI_HTTP_HEADER hdr[4] = {
		{ (CHAR8 *)"Host", (CHAR8 *)host },
		{ (CHAR8 *)"User-Agent", (CHAR8 *)"strata.efi" },
		{ (CHAR8 *)"Range", (CHAR8 *)range },
	};
	EFI_HTTP_MESSAGE msg = { .Data.Request = &req, .HeaderCount = offset ? 3 : 2,
				 .Headers = hdr };
	EFI_HTTP_TOKEN tok = { .Event = h->event, .Status = EFI_NOT_READY, .Message = &msg };
	EFI_STATUS s;
	int rc;

	rc = http_host(url, host, sizeof(host));
	if (rc)
		return rc;
	snprintf(range, sizeof(range), "bytes=%llu-", (unsigned long long)offset);
	if (b) {
		/* edk2 adds no header of its own: the length is ours to say. */
		snprintf(length, sizeof(length), "%llu", (unsigned long long)b->len);
		hdr[2] = (EFI_HTTP_HEADER){ (CHAR8 *)"Content-Type", (CHAR8 *)b->ctype };
		hdr[3] = (EFI_HTTP_HEADER){ (CHAR8 *)"Content-Length", (CHAR8 *)length };
		msg.HeaderCount = 4;
		msg.BodyLength = b->len;
		msg.Body = (VOID *)b->data;    /* only read: the prototype lacks the const */
	}
	h->done = FALSE;
	s = h->http->Request(h->http, &tok);
	if (EFI_ERROR(s))
		return http_fail(s, url, "HTTP Request");
	rc = http_wait(h, &tok, HTTP_REQUEST_TIMEOUT_MS, url, "sending the request");
	if (!rc && EFI_ERROR(tok.Status))
		rc = http_fail(tok.Status, url, "sending the request");
	return rc;
}

/* ---- the response head ------------------------------------------------------------- */

/* Header names and tokens compare case-insensitively (RFC 9110 5.1). */
static int ascii_ieq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

/* A decimal in s[0..n), as the header grammar has it; UINT64_MAX stays free to mean
 * FETCH_SIZE_UNKNOWN. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	return strata_u64_parse(out, s, n, UINT64_MAX - 1);
}

/* The first c in s, or NULL.  (The libc shim has no strchr.) */
static const char *find_char(const char *s, char c)
{
	for (; *s; s++)
		if (*s == c)
			return s;
	return NULL;
}

/* "bytes FIRST-LAST/TOTAL" (RFC 9110 14.4); TOTAL may be '*'. */
static int parse_content_range(const char *v, struct http_head *head)
{
	static const char unit[] = "bytes ";
	const char *dash, *slash;

	if (strlen(v) < sizeof(unit) - 1 || memcmp(v, unit, sizeof(unit) - 1) != 0)
		return STRATA_EINVAL;
	v += sizeof(unit) - 1;
	dash = find_char(v, '-');
	slash = dash ? find_char(dash, '/') : NULL;
	if (!slash || parse_u64(v, (size_t)(dash - v), &head->range_start))
		return STRATA_EINVAL;
	if (slash[1] == '*' && !slash[2])
		return 0;
	return parse_u64(slash + 1, strlen(slash + 1), &head->range_total);
}

/* Content-Length, Content-Range and Connection from the response's header lines. */
static int http_head_fields(const EFI_HTTP_HEADER *hdr, UINTN n, struct http_head *head,
			    const char *url)
{
	for (UINTN i = 0; i < n; i++) {
		const char *name = (const char *)hdr[i].FieldName;
		const char *value = (const char *)hdr[i].FieldValue;

		if (!name || !value)
			continue;
		if (ascii_ieq(name, "Content-Length") &&
		    parse_u64(value, strlen(value), &head->length))
			return log_fail(STRATA_EINVAL, "fetch: %s: bad Content-Length \"%s\"", url,
					value);
		if (ascii_ieq(name, "Content-Range") && parse_content_range(value, head))
			return log_fail(STRATA_EINVAL, "fetch: %s: bad Content-Range \"%s\"", url,
					value);
		if (ascii_ieq(name, "Connection") && ascii_ieq(value, "close"))
			head->close = 1;
	}
	return 0;
}

/*
 * Free a response's header array.  The spec makes the caller free it; edk2 (HttpLib)
 * allocates every name and value separately from the array, so all three are freed.
 */
static void http_free_headers(EFI_HTTP_HEADER *hdr, UINTN n)
{
	if (!hdr)
		return;
	for (UINTN i = 0; i < n; i++) {
		if (hdr[i].FieldName)
			BS->FreePool(hdr[i].FieldName);
		if (hdr[i].FieldValue)
			BS->FreePool(hdr[i].FieldValue);
	}
	BS->FreePool(hdr);
}

/* The status's verdict (http_status_table) and the head's fields, for a fetch.  The
 * fields are read for a refusal too: its Content-Length says how much text explains it. */
static int http_head_check(const EFI_HTTP_TOKEN *tok, EFI_HTTP_STATUS_CODE code,
			   const EFI_HTTP_MESSAGE *msg, struct http_head *head, const char *url)
{
	const struct http_status_row *row = http_status_row(code);
	int rc;

	head->status = row->code;
	/* edk2 fails the token (EFI_HTTP_ERROR) for any status >= 300 but still fills in the
	 * status and headers: the status says more, so it is looked at first. */
	if (!row->code && EFI_ERROR(tok->Status))
		return http_fail(tok->Status, url, "receiving the response head");
	rc = http_head_fields(msg->Headers, msg->HeaderCount, head, url);
	if (row->rc == STRATA_ENOENT)
		return log_fail(row->rc, "fetch: %s: not found (HTTP %u)", url, row->code);
	if (row->rc)
		return log_fail(row->rc, "fetch: %s: HTTP status %u", url, row->code);
	if (EFI_ERROR(tok->Status))
		return http_fail(tok->Status, url, "receiving the response head");
	return rc;
}

/* Queue a Response on tok and wait for it: the head and each body piece start alike.
 * call and waiting name the step in the failure message. */
static int http_receive(struct http_fetcher *h, EFI_HTTP_TOKEN *tok, const char *url,
			const char *call, const char *waiting)
{
	EFI_STATUS s;

	h->done = FALSE;
	s = h->http->Response(h->http, tok);
	if (EFI_ERROR(s))
		return http_fail(s, url, call);
	return http_wait(h, tok, HTTP_IDLE_TIMEOUT_MS, url, waiting);
}

/* Receive the status line and headers. */
static int http_response_head(struct http_fetcher *h, const char *url, struct http_head *head)
{
	EFI_HTTP_RESPONSE_DATA resp = { .StatusCode = HTTP_STATUS_UNSUPPORTED_STATUS };
	EFI_HTTP_MESSAGE msg = { .Data.Response = &resp };
	EFI_HTTP_TOKEN tok = { .Event = h->event, .Status = EFI_NOT_READY, .Message = &msg };
	int rc;

	rc = http_receive(h, &tok, url, "HTTP Response (head)", "waiting for the response");
	if (!rc)
		rc = http_head_check(&tok, resp.StatusCode, &msg, head, url);
	http_free_headers(msg.Headers, msg.HeaderCount);
	return rc;
}

/* ---- the body ---------------------------------------------------------------------- */

/*
 * Where this response's body starts within the whole body (offset for a 206, 0 for a
 * 200), told to the sink with the whole body's size.
 */
static int http_body_begin(struct fetch_sink *sink, const struct http_head *head,
			   uint64_t offset, const char *url, uint64_t *start)
{
	uint64_t total = head->length;

	if (head->length == FETCH_SIZE_UNKNOWN)
		return log_fail(STRATA_ENOTSUP, "fetch: %s: no Content-Length (chunked bodies are "
				"not supported)", url);
	*start = 0;
	if (head->status == 206) {
		if (head->range_start != offset)
			return log_fail(STRATA_EINVAL, "fetch: %s: asked for bytes from %llu, got "
					"them from %llu", url, (unsigned long long)offset,
					(unsigned long long)head->range_start);
		total = head->range_total != FETCH_SIZE_UNKNOWN ? head->range_total
							       : offset + head->length;
		if (total - offset != head->length)
			return log_fail(STRATA_EINVAL, "fetch: %s: Content-Range and "
					"Content-Length disagree", url);
		*start = offset;
	}
	fetch_sink_begin(sink, *start);
	return fetch_sink_size(sink, total);
}

/* Receive one piece of at most left bytes into h->buf; *got is its length (never 0). */
static int http_body_piece(struct http_fetcher *h, const char *url, uint64_t left, size_t *got)
{
	size_t want = left < HTTP_BUF_SIZE ? (size_t)left : HTTP_BUF_SIZE;
	EFI_HTTP_MESSAGE msg = { .BodyLength = want, .Body = h->buf };
	EFI_HTTP_TOKEN tok = { .Event = h->event, .Status = EFI_NOT_READY, .Message = &msg };
	int rc;

	rc = http_receive(h, &tok, url, "HTTP Response (body)", "waiting for body data");
	if (rc)
		return rc;
	if (EFI_ERROR(tok.Status))
		return http_fail(tok.Status, url, "receiving the body");
	if (!msg.BodyLength || msg.BodyLength > want)
		return log_fail(STRATA_ETRUNC, "fetch: %s: body ended %llu bytes early", url,
				(unsigned long long)left);
	*got = msg.BodyLength;
	return 0;
}

/* Body bytes [pos, end) of the whole body, piece by piece into the sink. */
static int http_body(struct http_fetcher *h, const char *url, uint64_t pos, uint64_t end,
		     struct fetch_sink *sink)
{
	size_t got = 0;
	int rc;

	while (pos < end) {
		rc = http_body_piece(h, url, end - pos, &got);
		if (!rc)
			rc = fetch_sink_data(sink, pos, h->buf, got);
		if (rc)
			return rc;
		pos += got;
	}
	return 0;
}

/* A refusal's text (a 4xx or 5xx answer with a short body), into the log: the server
 * words why it refused an upload.  Best effort: nothing is logged when it cannot be read. */
static void http_refusal_text(struct http_fetcher *h, const char *url,
			      const struct http_head *head)
{
	char text[HTTP_REFUSAL_MAX + 1];
	size_t got = 0, n = 0;

	if (head->status < 400 || head->length == FETCH_SIZE_UNKNOWN || !head->length ||
	    head->length > HTTP_REFUSAL_MAX || http_body_piece(h, url, head->length, &got))
		return;
	while (n < got && h->buf[n] != '\n')
		n++;
	log_msg("fetch: %s: the server says: %s", url,
		log_slice(text, sizeof(text), (const char *)h->buf, n));
}

/* One exchange: GET url from offset (a Range request when resuming), or POST b (then
 * offset is 0); the answer's body into the sink.  Any failure resets the child. */
static int http_exchange(struct http_fetcher *h, const char *url, uint64_t offset,
			 const struct fetch_body *b, struct fetch_sink *sink)
{
	struct http_head head = { .length = FETCH_SIZE_UNKNOWN, .range_total = FETCH_SIZE_UNKNOWN };
	uint64_t start = 0;
	CHAR16 *url16 = NULL;
	int rc;

	/* A reset that had to recreate the child may have failed: try once more. */
	if (!h->http && (rc = http_child_create(h)) != 0)
		return rc;
	rc = http_url16(url, &url16);
	if (rc)
		return rc;
	rc = http_request(h, url, url16, offset, b);
	if (rc)
		goto err_reset;
	rc = http_response_head(h, url, &head);
	if (rc && b)
		http_refusal_text(h, url, &head);
	if (rc)
		goto err_reset;
	rc = http_body_begin(sink, &head, offset, url, &start);
	if (rc)
		goto err_reset;
	rc = http_body(h, url, start, start + head.length, sink);
	if (rc)
		goto err_reset;
	/* The server will close the connection: start the next request on a new one. */
	if (head.close)
		http_reset(h);
	strata_free(url16);
	return 0;

err_reset:
	http_reset(h);
	strata_free(url16);
	return rc;
}

/* One attempt (fetch_backend.get): resumes at sink->delivered with a Range request. */
static int http_get(void *priv, const char *url, struct fetch_sink *sink)
{
	return http_exchange(priv, url, sink->delivered, NULL, sink);
}

/* fetch_backend.post: the body goes with the request, Content-Length ours. */
static int http_post(void *priv, const char *url, const struct fetch_body *b,
		     struct fetch_sink *sink)
{
	return http_exchange(priv, url, 0, b, sink);
}

/* ---- open and close ------------------------------------------------------------------ */

/*
 * The NIC to use: the one whose HTTP service binding is nearest the image's device by
 * device path (after HTTP Boot the device is a child of the boot NIC), else the first
 * NIC that has one.  NULL when the firmware has no HTTP service at all.
 */
static EFI_HANDLE http_find_nic(EFI_HANDLE device, const char **how)
{
	EFI_HANDLE nic = NULL, *all = NULL;
	EFI_DEVICE_PATH *dp;
	UINTN n = 0;

	*how = "the boot NIC";
	if (device &&
	    !EFI_ERROR(BS->HandleProtocol(device, &gEfiDevicePathProtocolGuid, (void **)&dp)) &&
	    !EFI_ERROR(BS->LocateDevicePath(&http_sb_guid, &dp, &nic)))
		return nic;
	if (EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &http_sb_guid, NULL, &n, &all)))
		return NULL;
	nic = n ? all[0] : NULL;
	*how = "the first NIC with an HTTP service";
	BS->FreePool(all);
	return nic;
}

/* fetch_backend.close: the child, the event, the IPv4 policy we changed, our memory. */
static void http_close(void *priv)
{
	struct http_fetcher *h = priv;

	http_child_destroy(h);
	BS->CloseEvent(h->event);
	if (h->policy_changed)
		ip4_config_static(h->nic);
	strata_free(h->buf);
	strata_free(h);
}

/** The EFI_HTTP back-end's operations. */
static const struct fetch_backend http_backend = {
	.name = "efi-http",
	.get = http_get,
	.close = http_close,
	.post = http_post,
};

/* The event and the configuration the child is created with. */
static int http_setup(struct http_fetcher *h)
{
	EFI_STATUS s;

	s = BS->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, http_on_done, h, &h->event);
	if (EFI_ERROR(s))
		return efi_fail(s, "fetch: CreateEvent for HTTP tokens");
	h->ap.UseDefaultAddress = TRUE;
	h->cfg.HttpVersion = HttpVersion11;
	h->cfg.TimeOutMillisec = HTTP_REQUEST_TIMEOUT_MS;
	h->cfg.LocalAddressIsIPv6 = FALSE;
	h->cfg.AccessPoint.IPv4Node = &h->ap;
	return 0;
}

int fetch_http_open(struct fetcher *f, EFI_HANDLE device)
{
	struct http_fetcher *h;
	const char *how;
	EFI_HANDLE nic = http_find_nic(device, &how);
	EFI_STATUS s;
	int rc;

	if (!nic)
		return STRATA_ENOTSUP;
	log_msg("fetch: firmware HTTP service found on %s", how);
	h = strata_alloc(sizeof(*h));
	if (!h)
		return log_fail(STRATA_ENOMEM, "fetch: no memory for the HTTP back-end");
	h->buf = strata_alloc(HTTP_BUF_SIZE);
	if (!h->buf) {
		rc = log_fail(STRATA_ENOMEM, "fetch: no memory for the HTTP buffer");
		goto err_state;
	}
	s = BS->HandleProtocol(nic, &http_sb_guid, (void **)&h->sb);
	if (EFI_ERROR(s)) {
		rc = efi_fail(s, "fetch: HandleProtocol(HTTP service binding)");
		goto err_buf;
	}
	h->nic = nic;
	rc = ip4_config_dhcp(nic, HTTP_DHCP_TIMEOUT_MS, &h->policy_changed);
	if (rc)
		goto err_policy;
	rc = http_setup(h);
	if (rc)
		goto err_policy;
	rc = http_child_create(h);
	if (rc)
		goto err_event;
	f->be = &http_backend;
	f->priv = h;
	return 0;

err_event:
	BS->CloseEvent(h->event);
err_policy:
	if (h->policy_changed)
		ip4_config_static(nic);
err_buf:
	strata_free(h->buf);
err_state:
	strata_free(h);
	return rc;
}
