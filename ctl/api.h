/*
 * strata-ctl's one way to the server: HTTP through libcurl with the Bearer token, and JSON
 * answers read with json-c's strict tokener.  Each request names what it was for ("deploy
 * pc01"), so a failure is printed once, here, naming the machine and what to do, and turned
 * into the exit code a script can test (ctl.h).
 */
#ifndef STRATA_CTL_API_H
#define STRATA_CTL_API_H

#include <stddef.h>
#include <json-c/json.h>

struct curl_slist;
#include "ctl.h"

/** Longest token accepted (RFC 6750 token68, as the server's --api-tokens takes). */
#define API_TOKEN_MAX 128
/** Largest answer kept: /machines.json of 5,000 machines is about 2.5 MB. */
#define API_BODY_MAX (64u << 20)
/** Deepest JSON nesting accepted. */
#define API_JSON_DEPTH 32

/** A connection to one server: a reused libcurl handle, so watch keeps its connection. */
struct api {
	const struct ctl *c;
	void *curl;                   /**< CURL *, owned */
	struct curl_slist *headers;   /**< the Authorization header, owned (token wiped) */
};

/** One answer.  body is NUL-terminated and owned by the caller (api_resp_free). */
struct api_resp {
	long status;
	char *body;
	size_t len;
};

/**
 * Read the token and make the handle.  CTL_OK, or CTL_EUSAGE when no server or token is
 * named or the token file is unreadable or malformed (said on stderr).
 */
int api_open(struct api *a, const struct ctl *c);
void api_close(struct api *a);

/**
 * method ("GET" or "POST", empty body) path (starting '/', already escaped) on the server.
 * CTL_OK for a 2xx answer, in *r; otherwise prints "strata-ctl: WHAT: why; what to do"
 * and returns the exit code of the failure (the server's own message kept), *r freed.
 */
int api_request(struct api *a, const char *method, const char *path, const char *what,
		struct api_resp *r);

void api_resp_free(struct api_resp *r);

/**
 * The answer's body as JSON (the strict tokener, API_JSON_DEPTH, nothing after it but
 * blanks), owned by the caller (json_object_put).  CTL_OK, or CTL_EOTHER naming WHAT.
 */
int api_json(const struct api_resp *r, const char *what, json_object **out);

/** GET path and parse it: api_request then api_json. */
int api_get_json(struct api *a, const char *path, const char *what, json_object **out);

/** s percent-encoded for a path segment or query value, into out (cap); -1 if too long. */
int api_escape(char *out, size_t cap, const char *s);

#endif /* STRATA_CTL_API_H */
