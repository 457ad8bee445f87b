/* strata-ctl's HTTP and JSON (api.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "api.h"
#include "token.h"

/* libcurl's write callback: append to the answer, up to API_BODY_MAX. */
static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct api_resp *r = user;
	size_t len = size * n;
	char *b;

	if (len > API_BODY_MAX - r->len || !(b = realloc(r->body, r->len + len + 1)))
		return 0;
	memcpy(b + r->len, data, len);
	r->body = b;
	r->len += len;
	b[r->len] = '\0';
	return len;
}

/* libcurl's progress callback: a non-zero return ends the transfer on SIGINT. */
static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	return ctl_interrupted != 0;
}

/* The Authorization header from the token file, into a->headers (the token wiped). */
static int auth_header(struct api *a, const char *path)
{
	char token[API_TOKEN_MAX + 1], hdr[API_TOKEN_MAX + 32];
	int rc = token_read(path, token, sizeof(token));

	if (rc == 0) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
		a->headers = curl_slist_append(NULL, hdr);
		rc = a->headers ? 0 : -1;
	}
	memset(token, 0, sizeof(token));
	memset(hdr, 0, sizeof(hdr));
	return rc;
}

/* The handle's options that do not change between requests. */
static void set_common(struct api *a)
{
	CURL *h = a->curl;

	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, a->headers);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, a->c->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, a->c->timeout < 10 ? a->c->timeout : 10L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "strata-ctl");
	if (a->c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, a->c->cacert);
}

int api_open(struct api *a, const struct ctl *c)
{
	memset(a, 0, sizeof(*a));
	a->c = c;
	if (!c->server || !*c->server) {
		fprintf(stderr, "strata-ctl: name the server: --server URL or STRATA_URL "
			"(e.g. http://192.0.2.10)\n");
		return CTL_EUSAGE;
	}
	if (!c->token_file || !*c->token_file) {
		fprintf(stderr, "strata-ctl: name the token file: --token FILE or STRATA_TOKEN_FILE "
			"(a token of the server's --api-tokens)\n");
		return CTL_EUSAGE;
	}
	if (auth_header(a, c->token_file))
		return CTL_EUSAGE;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(a->curl = curl_easy_init())) {
		fprintf(stderr, "strata-ctl: cannot start libcurl\n");
		api_close(a);
		return CTL_EOTHER;
	}
	set_common(a);
	return CTL_OK;
}

void api_close(struct api *a)
{
	if (a->curl)
		curl_easy_cleanup(a->curl);
	curl_slist_free_all(a->headers);
	a->curl = NULL;
	a->headers = NULL;
}

void api_resp_free(struct api_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* A transfer that got no HTTP answer: which exit code, and what to do. */
static int transport_failed(struct api *a, CURLcode cc, const char *what, const char *err)
{
	int tls = cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION ||
		  cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CERTPROBLEM;

	if (ctl_interrupted)
		return CTL_EINTR;
	if (cc == CURLE_WRITE_ERROR || cc == CURLE_UNSUPPORTED_PROTOCOL ||
	    cc == CURLE_URL_MALFORMAT) {
		fprintf(stderr, "strata-ctl: %s: %s (server %s)\n", what, err, a->c->server);
		return cc == CURLE_WRITE_ERROR ? CTL_EOTHER : CTL_EUSAGE;
	}
	fprintf(stderr, "strata-ctl: %s: cannot reach %s: %s; %s\n", what, a->c->server, err,
		tls ? "give the CA that signed the server's certificate with --cacert FILE"
		    : "check --server (or STRATA_URL) and that strata-server runs there");
	return CTL_EUNREACH;
}

/* The exit code of an HTTP status. */
static int status_exit(long status)
{
	if (status == 401 || status == 403)
		return CTL_EAUTH;
	if (status == 404)
		return CTL_ENOTFOUND;
	if (status == 400 || status == 409)
		return CTL_EREFUSED;
	return CTL_EOTHER;
}

/* What to do after a refusal of this status, beyond the server's own words. */
static const char *status_hint(long status)
{
	switch (status) {
	case 401:
		return "the server did not take the token: check the token file against the "
		       "server's --api-tokens";
	case 404:
		return "'strata-ctl machines' lists the machines the server knows";
	case 501:
		return "this strata-server does not serve that: upgrade it";
	default:
		return NULL;
	}
}

/* A non-2xx answer: print the server's message ("NNN why", the status dropped) and a
 * hint; its exit code. */
static int refused(struct api *a, const struct api_resp *r, const char *what)
{
	const char *msg = r->body ? r->body : "";
	const char *hint = status_hint(r->status);
	int n;

	if (strtol(msg, NULL, 10) == r->status && isdigit((unsigned char)msg[0]))
		msg += strspn(msg, "0123456789 ");
	n = (int)strcspn(msg, "\n");
	fprintf(stderr, "strata-ctl: %s: %ld %.*s%s%s\n", what, r->status, n > 400 ? 400 : n, msg,
		hint ? "; " : "", hint ? hint : "");
	return status_exit(r->status);
}

/* The server's base URL (without trailing '/') and path into url (cap); -1 if too long. */
static int full_url(const struct api *a, const char *path, char *url, size_t cap)
{
	size_t n = strlen(a->c->server);

	while (n && a->c->server[n - 1] == '/')
		n--;
	return snprintf(url, cap, "%.*s%s", (int)n, a->c->server, path) >= (int)cap ? -1 : 0;
}

/* The handle's method: a GET, or a POST with an empty body (orders take the query). */
static void set_method(CURL *h, int post)
{
	curl_easy_setopt(h, CURLOPT_POST, (long)post);
	if (post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
}

int api_request(struct api *a, const char *method, const char *path, const char *what,
		struct api_resp *r)
{
	char url[2048], err[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	int rc;

	memset(r, 0, sizeof(*r));
	if (full_url(a, path, url, sizeof(url)))
		return fprintf(stderr, "strata-ctl: %s: the URL is too long\n", what), CTL_EUSAGE;
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, r);
	set_method(a->curl, !strcmp(method, "POST"));
	cc = curl_easy_perform(a->curl);
	curl_easy_setopt(a->curl, CURLOPT_ERRORBUFFER, NULL);
	if (cc != CURLE_OK) {
		api_resp_free(r);
		return transport_failed(a, cc, what, err[0] ? err : curl_easy_strerror(cc));
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status >= 200 && r->status < 300)
		return CTL_OK;
	rc = refused(a, r, what);
	api_resp_free(r);
	return rc;
}

int api_json(const struct api_resp *r, const char *what, json_object **out)
{
	struct json_tokener *tok = json_tokener_new_ex(API_JSON_DEPTH);
	size_t end;

	*out = NULL;
	if (!tok)
		return fprintf(stderr, "strata-ctl: out of memory\n"), CTL_EOTHER;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (r->body && r->len < INT32_MAX)
		*out = json_tokener_parse_ex(tok, r->body, (int)r->len);
	end = json_tokener_get_parse_end(tok);
	if (*out && r->body[end + strspn(r->body + end, " \t\r\n")] != '\0') {
		json_object_put(*out);
		*out = NULL;
	}
	if (!*out)
		fprintf(stderr, "strata-ctl: %s: the server's answer is not JSON (%s at byte %zu)\n",
			what, json_tokener_error_desc(json_tokener_get_error(tok)), end);
	json_tokener_free(tok);
	return *out ? CTL_OK : CTL_EOTHER;
}

int api_get_json(struct api *a, const char *path, const char *what, json_object **out)
{
	struct api_resp r;
	int rc = api_request(a, "GET", path, what, &r);

	*out = NULL;
	if (rc == CTL_OK)
		rc = api_json(&r, what, out);
	api_resp_free(&r);
	return rc;
}

int api_escape(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = isalnum(ch) || strchr("-._~:", ch);

		if (o + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 15];
	}
	out[o] = '\0';
	return 0;
}
