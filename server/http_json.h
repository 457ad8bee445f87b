/*
 * A JSON answer written into memory, then sent whole: the dashboard's routes write their
 * answers with json_out.h into a memory stream and hand the buffer to libmicrohttpd, or
 * fail with one status and message if anything went wrong on the way.
 */
#ifndef STRATA_HTTP_JSON_H
#define STRATA_HTTP_JSON_H

#include <stdio.h>
#include "http_req.h"

/** A JSON body being written: the stream and the buffer it fills.  The buffer is the
 *  caller's until http_json_send hands it to the response or frees it. */
struct http_json {
	FILE *f;
	char *buf;
	size_t len;
};

/** Open o's stream.  0, or STRATA_ENOMEM (nothing to free). */
int http_json_open(struct http_json *o);

/**
 * Close o's stream and send its buffer with 200 (the response owns it from then on), or,
 * when rc or closing failed, free it and fail with rc and why (http_fail).
 */
enum MHD_Result http_json_send(struct MHD_Connection *c, struct req *r, struct http_json *o,
			       int rc, const char *why);

#endif /* STRATA_HTTP_JSON_H */
